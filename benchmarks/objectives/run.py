"""Every objective against XGBoost on data drawn from the objective's own model.

Same parameters (100 rounds, depth 5, learning rate 0.1, 256 bins), same train/test split; the
test loss is the metric that matches each objective. Writes ``benchmarks/objectives/RESULTS.md``.

Run: ``python -m benchmarks.objectives.run [--output PATH]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import treeboost as tb

from ..common.report import machine_info

OUTPUT = Path(__file__).resolve().parent / "RESULTS.md"

N_TRAIN, N_TEST, ROUNDS = 20_000, 20_000, 100
PARAMS = {"max_depth": 5, "learning_rate": 0.1, "max_bin": 256}


def draw(objective: str, rng: np.random.Generator, n: int):
    X = rng.uniform(-1, 1, size=(n, 8))
    signal = 0.8 * X[:, 0] - 0.6 * X[:, 1] + 0.5 * np.sin(3 * X[:, 2]) + 0.3 * X[:, 3] * X[:, 4]
    mu = np.exp(signal)
    if objective == "count:poisson":
        return X, rng.poisson(mu).astype(float)
    if objective == "reg:gamma":
        return X, rng.gamma(3.0, mu / 3.0)
    if objective == "reg:tweedie":
        return X, rng.poisson(mu).astype(float) * rng.gamma(2.0, 0.5, size=n)
    if objective == "reg:squaredlogerror":
        return X, np.expm1(np.log1p(mu) + 0.1 * rng.normal(size=n))
    if objective in ("binary:logistic", "binary:logitraw"):
        return X, (rng.random(n) < 1 / (1 + np.exp(-2 * signal))).astype(float)
    if objective in ("multi:softprob", "multi:softmax"):
        scores = np.column_stack([signal, -signal, 0.5 * X[:, 5]]) + rng.gumbel(size=(n, 3))
        return X, np.argmax(scores, axis=1).astype(float)
    if objective == "reg:squarederror":
        return X, signal + rng.normal(size=n)
    return X, signal + rng.standard_t(3, size=n)


CASES = [
    ("reg:squarederror", {}, "rmse"),
    ("reg:absoluteerror", {}, "mae"),
    ("reg:pseudohubererror", {"huber_slope": 1.0}, "mphe"),
    ("reg:squaredlogerror", {}, "rmsle"),
    ("reg:quantileerror", {"quantile_alpha": [0.1, 0.5, 0.9]}, "quantile"),
    ("count:poisson", {}, "poisson-nloglik"),
    ("reg:gamma", {}, "gamma-deviance"),
    ("reg:tweedie", {"tweedie_variance_power": 1.4}, "tweedie-nloglik"),
    ("binary:logistic", {}, "logloss"),
    ("binary:logitraw", {}, "auc"),
    ("multi:softprob", {"num_class": 3}, "mlogloss"),
    ("multi:softmax", {"num_class": 3}, "merror"),
]


def score(metric: str, params: dict, objective: str, y, pred) -> float:
    if objective == "binary:logitraw":
        pred = 1 / (1 + np.exp(-pred))
    if objective == "multi:softmax":
        pred = np.eye(params["num_class"])[pred.astype(int)]
    return tb.metrics.get_metric(metric, params)(y, pred)


def main(argv: list[str] | None = None) -> None:
    # A parser even for one option, so that --help prints usage instead of starting the run.
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.objectives.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    import xgboost as xgb

    rows = []
    for objective, extra, metric in CASES:
        rng = np.random.default_rng(11)
        X, y = draw(objective, rng, N_TRAIN)
        Xt, yt = draw(objective, rng, N_TEST)
        params = {"objective": objective, **PARAMS, **extra}
        ours = tb.train({**params, "n_jobs": 2}, tb.Dataset(X, label=y), ROUNDS).predict(Xt)
        ref = xgb.train(
            {**params, "tree_method": "hist", "nthread": 2}, xgb.DMatrix(X, label=y), ROUNDS
        ).predict(xgb.DMatrix(Xt))
        a, b = score(metric, extra, objective, yt, ours), score(metric, extra, objective, yt, ref)
        maximize = tb.metrics.get_metric(metric, extra).maximize
        change = (a - b) / abs(b) * (-1 if maximize else 1)
        rows.append((objective, metric, a, b, change))
        print(f"{objective:24s} {metric:18s} treeboost {a:.5f}  XGBoost {b:.5f}  {change:+.2%}")
    lines = [
        "# Objectives: treeboost against XGBoost",
        "",
        f"Data drawn from each objective's own model; {N_TRAIN} training and {N_TEST} test rows,",
        f"{ROUNDS} rounds, depth 5, learning rate 0.1, 256 bins, the same parameters for both.",
        "Last column: how much worse treeboost's test loss is (negative = better).",
        "",
        "| objective | test metric | treeboost | XGBoost | treeboost worse by |",
        "|---|---|---:|---:|---:|",
    ]
    lines += [f"| `{o}` | {m} | {a:.5f} | {b:.5f} | {c:+.2%} |" for o, m, a, b, c in rows]
    info = machine_info()
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    lines += [
        "",
        f"Machine: {info['cpu_model']}, {info['usable_cores']} cores. {versions}.",
        f"Code: {info['treeboost_git']}.",
    ]
    args.output.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

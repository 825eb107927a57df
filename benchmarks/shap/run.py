"""TreeSHAP speed: treeboost vs the shap package's C++ TreeExplainer vs XGBoost's pred_contribs.

    python -m benchmarks.shap.run [--rows 10000] [--interaction-rows 1000] [--repeats 3]

One Higgs-like training set (``benchmarks/common/data.py``); treeboost and XGBoost each train 100
depth-6 trees on it with the suite's common settings (``libs.library_params``). Timed, on the
same test rows:

* treeboost ``predict(pred_contribs=True)`` / ``predict(pred_interactions=True)`` /
  ``tb.explain.shap_values(..., background=B)`` (interventional);
* shap's ``TreeExplainer`` on exactly treeboost's trees (``explain.shap.shap_tree_dicts``):
  ``shap_values`` (path-dependent), ``shap_interaction_values``, and interventional with the
  same background rows (margin, and probability for a smaller set of rows);
* XGBoost ``Booster.predict(DMatrix, pred_contribs=True / pred_interactions=True)`` with
  nthread=2 on its own equivalent model (same data, depth, rounds, learning rate).

Every library first makes one untimed call (treeboost the full call: numba kernels load from
the cache; XGBoost and shap a 50-row call), then ``--repeats`` timed calls with the library
order rotating each repeat; the table shows medians.
treeboost runs on 2 numba threads, XGBoost on 2 OpenMP threads; shap's CPU TreeExplainer is
single-threaded (it has no thread option). Results go to ``benchmarks/shap/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from ..common import data
from ..common.libs import library_params

OUTPUT = Path(__file__).resolve().parent / "RESULTS.md"
N_THREADS = 2


def _common(rounds: int, depth: int) -> dict:
    return {
        "rounds": rounds,
        "learning_rate": 0.1,
        "policy": "depthwise",
        "max_depth": depth,
        "max_leaves": 0,
        "n_jobs": N_THREADS,
        "seed": 0,
    }


def _train_models(n_train: int, rounds: int, depth: int):
    import xgboost as xgb

    import treeboost as tb

    files = data.synthetic_files("higgs", n_train, 0)
    X = np.load(files.X)
    y = np.load(files.y)
    common = _common(rounds, depth)
    tb_params = library_params("treeboost", "binary", common)
    booster = tb.train(tb_params, tb.Dataset(X, label=y), num_boost_round=rounds)
    xgb_params = library_params("xgboost", "binary", common)
    xgb_model = xgb.train(
        xgb_params, xgb.QuantileDMatrix(X, label=y, max_bin=256), num_boost_round=rounds
    )
    return booster, xgb_model, tb_params, xgb_params


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _measure(cases: dict, repeats: int) -> dict[str, dict[str, float]]:
    """``cases[task][library] = (call, warm_up)``; medians of ``repeats`` timed calls after
    the warm-up call, the library order rotating every repeat."""
    medians: dict[str, dict[str, float]] = {}
    for task, libs in cases.items():
        names = list(libs)
        for name in names:
            libs[name][1]()
        times: dict[str, list[float]] = {name: [] for name in names}
        for r in range(repeats):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                times[name].append(_timed(libs[name][0]))
            print(
                f"  {task} repeat {r + 1}: " + ", ".join(f"{n} {times[n][-1]:.3f}s" for n in names),
                file=sys.stderr,
                flush=True,
            )
        medians[task] = {name: statistics.median(v) for name, v in times.items()}
    return medians


def _check_agreement(booster, X_test, background, explainer_pd, explainer_iv) -> dict[str, float]:
    import treeboost as tb

    contribs = booster.predict(X_test, pred_contribs=True)
    got = explainer_pd.shap_values(X_test)
    inter = booster.predict(X_test[:200], pred_interactions=True)
    inter_ref = explainer_pd.shap_interaction_values(X_test[:200])
    iv = tb.explain.shap_values(booster, X_test[:200], background=background).values
    iv_ref = explainer_iv.shap_values(X_test[:200])
    margin = booster.predict(X_test, output_margin=True)
    return {
        "contributions vs shap": float(np.abs(contribs[:, :-1] - got).max()),
        "contributions sum vs margin": float(np.abs(contribs.sum(axis=1) - margin).max()),
        "interactions vs shap": float(np.abs(inter[:, :-1, :-1] - inter_ref).max()),
        "interaction rows vs contributions": float(
            np.abs(inter.sum(axis=2) - contribs[:200]).max()
        ),
        "interventional vs shap": float(np.abs(iv - iv_ref).max()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.shap.run", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--train-rows", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--interaction-rows", type=int, default=1_000)
    parser.add_argument("--interventional-rows", type=int, default=1_000)
    parser.add_argument("--probability-rows", type=int, default=200)
    parser.add_argument("--background", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    import numba
    import shap
    import xgboost as xgb

    import treeboost as tb
    from treeboost.explain.shap import shap_tree_dicts

    numba.set_num_threads(N_THREADS)
    load_before = os.getloadavg()
    booster, xgb_model, tb_params, xgb_params = _train_models(
        args.train_rows, args.rounds, args.depth
    )
    test = data.synthetic_files("higgs", max(args.rows, 2 * args.background), 0, test=True)
    X_test = np.load(test.X).astype(np.float64)[: args.rows]
    background = np.load(data.synthetic_files("higgs", args.train_rows, 0).X)[
        : args.background
    ].astype(np.float64)
    X_inter = X_test[: args.interaction_rows]
    X_iv = X_test[: args.interventional_rows]
    d_test, d_inter = xgb.DMatrix(X_test), xgb.DMatrix(X_inter)
    explainer_pd = shap.TreeExplainer(shap_tree_dicts(booster))
    explainer_iv = shap.TreeExplainer(
        shap_tree_dicts(booster), data=background, feature_perturbation="interventional"
    )

    X_small = X_test[:50]
    d_small = xgb.DMatrix(X_small)
    X_prob = X_test[: args.probability_rows]
    explainer_prob = shap.TreeExplainer(
        shap_tree_dicts(booster),
        data=background,
        feature_perturbation="interventional",
        model_output="probability",
    )

    def both(call, warm_up=None):
        return (call, warm_up or call)

    # treeboost warms up on the full call (the planner's choice of kernel depends on the size);
    # XGBoost and shap compile nothing, so 50 rows load their code.
    cases = {
        f"contributions, {len(X_test):,} rows": {
            "treeboost": both(lambda: booster.predict(X_test, pred_contribs=True)),
            "shap": both(
                lambda: explainer_pd.shap_values(X_test),
                lambda: explainer_pd.shap_values(X_small),
            ),
            "XGBoost": both(
                lambda: xgb_model.predict(d_test, pred_contribs=True),
                lambda: xgb_model.predict(d_small, pred_contribs=True),
            ),
        },
        f"interactions, {len(X_inter):,} rows": {
            "treeboost": both(lambda: booster.predict(X_inter, pred_interactions=True)),
            "shap": both(
                lambda: explainer_pd.shap_interaction_values(X_inter),
                lambda: explainer_pd.shap_interaction_values(X_small[:5]),
            ),
            "XGBoost": both(
                lambda: xgb_model.predict(d_inter, pred_interactions=True),
                lambda: xgb_model.predict(d_small, pred_interactions=True),
            ),
        },
        f"interventional margin, {len(X_iv):,} rows x {len(background)} background": {
            "treeboost": both(lambda: tb.explain.shap_values(booster, X_iv, background=background)),
            "shap": both(
                lambda: explainer_iv.shap_values(X_iv),
                lambda: explainer_iv.shap_values(X_small[:5]),
            ),
        },
        f"interventional probability, {len(X_prob):,} rows x {len(background)} background": {
            "treeboost": both(
                lambda: tb.explain.shap_values(
                    booster, X_prob, background=background, output="probability"
                )
            ),
            "shap": both(
                lambda: explainer_prob.shap_values(X_prob),
                lambda: explainer_prob.shap_values(X_small[:5]),
            ),
        },
    }
    medians = _measure(cases, args.repeats)
    agreement = _check_agreement(booster, X_test, background, explainer_pd, explainer_iv)
    load_after = os.getloadavg()
    text = _report(args, medians, agreement, tb_params, xgb_params, load_before, load_after)
    args.output.write_text(text)
    print(text)


def _report(args, medians, agreement, tb_params, xgb_params, load_before, load_after) -> str:
    import numba
    import shap
    import xgboost as xgb

    lines = [
        "# TreeSHAP: treeboost vs shap TreeExplainer vs XGBoost",
        "",
        f"Generated by `python -m benchmarks.shap.run` on {_dt.date.today().isoformat()}: "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load_before[0]:.2f} before and {load_after[0]:.2f} after. "
        f"Python {platform.python_version()}, numba {numba.__version__}, "
        f"shap {shap.__version__}, XGBoost {xgb.__version__}.",
        "",
        f"Model: binary Higgs-like data, {args.train_rows:,} training rows x 28 features, "
        f"{args.rounds} trees of depth {args.depth}. treeboost and shap explain the same "
        "treeboost trees; XGBoost explains its own model trained with equivalent parameters. "
        f"Median of {args.repeats} timed calls after a warm-up call; library order rotated "
        "between repeats. treeboost: 2 numba threads; XGBoost: nthread=2; shap's CPU "
        "TreeExplainer: one thread (it has no thread setting).",
        "",
        "| task | treeboost (s) | shap (s) | shap / treeboost | XGBoost (s) "
        "| XGBoost / treeboost |",
        "| :--- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for task, times in medians.items():
        t = times["treeboost"]
        s = times.get("shap")
        x = times.get("XGBoost")
        lines.append(
            f"| {task} | {t:.3f} | {s:.3f} | {s / t:.1f}x | "
            + (f"{x:.3f} | {x / t:.1f}x |" if x is not None else "— | — |")
        )
    lines += ["", "Agreement with shap on these trees (max absolute difference):", ""]
    lines += [f"* {name}: {value:.2e}" for name, value in agreement.items()]
    lines += [
        "",
        "(shap's interventional code keeps its weights in float32, hence ~1e-8 there.)",
        "",
        f"treeboost parameters: `{tb_params}`",
        "",
        f"XGBoost parameters: `{xgb_params}`",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

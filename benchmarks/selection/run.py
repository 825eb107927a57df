"""Forward selection on a clinical-sized table: treeboost's forward_selection against naive loops.

The clinical case: a few hundred rows (300), 130 candidate features, 5-fold cross-validation,
5 greedy steps (a step fits every remaining candidate on every fold: 640 candidate sets x 5 folds
= 3,200 fits without a prefilter). Scored by log-loss on the held-out fold.

Runs, in this order (the first parallel run pays the start-up of the worker processes):

1. treeboost ``forward_selection``, ``prefilter=30``, ``n_jobs=2``;
2. treeboost ``forward_selection``, no prefilter, ``n_jobs=2``;
3. treeboost ``forward_selection``, no prefilter, ``n_jobs=1``;
4. the naive loop that takes about 12 minutes with XGBoost (clone + fit + predict_proba per
   fold and candidate, one process), over the first step only and extrapolated to all steps
   by fits (a lower bound: later steps fit more columns): ``XGBClassifier(n_jobs=1)`` on all
   candidates, and ``XGBClassifier()`` with its default threads on the first
   ``--naive-default-candidates`` candidates;
5. the first step only, fit by fit: treeboost through the generic path (a Pipeline: clone +
   fit, which bins every fit) versus the pre-binned fast path, both on one process, to show what
   binning once per fold saves per fit.

With ``--permutation`` the script instead times permutation importance of a treeboost model
(100 trees of depth 6) on a 300 x 130 and a 20,000 x 50 table, 5 repeats:
``tb.explain.permutation_importance`` on the Booster (only the trees that split on the shuffled
feature are walked again) against ``sklearn.inspection.permutation_importance`` (a full
prediction per feature and repeat) on the same fitted estimator and scorer.

Usage::

    .venv/bin/python -m benchmarks.selection.run     # everything (~25 min on 2 busy cores)
    .venv/bin/python -m benchmarks.selection.run --runs 1,2
    .venv/bin/python -m benchmarks.selection.run --runs 1 --max-depth 2 --learning-rate 0.1

Timings are wall-clock on whatever else the machine is doing: the load average before and after
each run is printed next to it, with the CPU seconds of this process and its worker processes.
The script only prints; ``benchmarks/selection/RESULTS.md`` is written by hand from its output.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np


def clinical_table(n_rows: int, n_features: int, seed: int = 0):
    """A synthetic clinical-like table and a binary outcome.

    Columns: left/right pairs of correlated "brain region" volumes, test scores, binary
    indicators (sex, diagnoses, medication), age; about 3% missing values. Eight columns drive
    the outcome through a logistic model with one interaction and one threshold effect.
    """
    rng = np.random.default_rng(seed)
    n_pairs = n_features // 4
    latent = rng.normal(size=(n_rows, n_pairs))
    left = latent + 0.3 * rng.normal(size=latent.shape)
    right = latent + 0.3 * rng.normal(size=latent.shape)
    n_binary = n_features // 5
    binary = (rng.random((n_rows, n_binary)) < rng.uniform(0.1, 0.5, n_binary)).astype(float)
    n_scores = n_features - 2 * n_pairs - n_binary - 1
    scores = np.round(rng.normal(25, 5, size=(n_rows, n_scores)))
    age = rng.uniform(40, 90, size=(n_rows, 1))
    X = np.hstack([left, right, binary, scores, age])
    logit = (
        1.2 * latent[:, 0]
        - 1.0 * latent[:, 1]
        + 0.8 * binary[:, 0]
        + 0.08 * (age[:, 0] - 65)
        + 0.15 * (scores[:, 0] - 25)
        + 0.9 * latent[:, 2] * binary[:, 1]
        + 1.0 * (scores[:, 1] > 28)
    )
    y = (logit + rng.logistic(size=n_rows) > 0).astype(int)
    X[rng.random(X.shape) < 0.03] = np.nan
    names = (
        [f"region{i}_left" for i in range(n_pairs)]
        + [f"region{i}_right" for i in range(n_pairs)]
        + [f"flag{i}" for i in range(n_binary)]
        + [f"score{i}" for i in range(n_scores)]
        + ["age"]
    )
    return X, y, names


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def _cpu_seconds() -> dict[int, float]:
    """User + system seconds of this process and each live child (joblib's workers live on
    between runs, so os.times, which counts only reaped children, would miss them)."""
    import psutil

    me = psutil.Process()
    out = {}
    for process in [me, *me.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        out[process.pid] = times.user + times.system
    return out


def _timed(label: str, func):
    load_before = _load()
    cpu_before = _cpu_seconds()
    start = time.perf_counter()
    result = func()
    wall = time.perf_counter() - start
    cpu_after = _cpu_seconds()
    cpu = sum(t - cpu_before.get(pid, 0.0) for pid, t in cpu_after.items())
    print(
        f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU (load {load_before} -> {_load()})",
        flush=True,
    )
    return result, wall, cpu


def naive_xgboost(X, y, folds, n_steps: int, n_candidates: int, n_jobs):
    """The loop people write: every candidate, every fold, clone + fit + score."""
    from sklearn.base import clone
    from sklearn.metrics import log_loss
    from xgboost import XGBClassifier

    base = XGBClassifier(n_jobs=n_jobs)
    selected: list[int] = []
    n_fits = 0
    for _ in range(n_steps):
        best, best_score = None, -np.inf
        for candidate in range(min(n_candidates, X.shape[1])):
            if candidate in selected:
                continue
            columns = sorted([*selected, candidate])
            scores = []
            for train, test in folds:
                model = clone(base).fit(X[np.ix_(train, columns)], y[train])
                proba = model.predict_proba(X[np.ix_(test, columns)])
                scores.append(-log_loss(y[test], proba, labels=[0, 1]))
                n_fits += 1
            if np.mean(scores) > best_score:
                best, best_score = candidate, float(np.mean(scores))
        selected.append(best)
    return selected, n_fits


def permutation_timing(n_rows: int, n_features: int, n_repeats: int = 5) -> None:
    from sklearn.inspection import permutation_importance as sklearn_permutation_importance

    import treeboost as tb

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, n_features))
    y = X[:, 0] + 0.5 * X[:, 1] ** 2 - X[:, 2] * X[:, 3] + 0.1 * rng.normal(size=n_rows)
    # XGBoost's defaults, as when this study was run (the estimators' own have changed since).
    model = tb.TreeBoostRegressor(n_estimators=100, max_depth=6, learning_rate=0.3,
                                  grow_policy="depthwise", subsample=1.0,
                                  colsample_bytree=1.0).fit(X, y)
    print(
        f"# permutation importance: {n_rows} x {n_features}, {n_repeats} repeats, 100 trees of "
        f"depth 6, scoring r2; {os.cpu_count()} cores; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        flush=True,
    )
    tb.explain.permutation_importance(model, X[:100], y[:100], n_repeats=1)  # warm the kernels
    ours, _, _ = _timed(
        "treeboost permutation_importance (Booster, tree subsets)",
        lambda: tb.explain.permutation_importance(
            model.get_booster(), X, y, scoring="r2", n_repeats=n_repeats, random_state=0
        ),
    )
    theirs, _, _ = _timed(
        "sklearn.inspection.permutation_importance (same estimator)",
        lambda: sklearn_permutation_importance(
            model, X, y, scoring="r2", n_repeats=n_repeats, random_state=0
        ),
    )
    top_ours = [int(i) for i in np.argsort(-ours.importances_mean)[:4]]
    top_theirs = [int(i) for i in np.argsort(-theirs.importances_mean)[:4]]
    print(f"   top features: treeboost {top_ours}, sklearn {top_theirs}")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.selection.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--features", type=int, default=130)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--prefilter", type=int, default=30)
    parser.add_argument("--runs", default="1,2,3,4,5", help="which runs, e.g. 1,2")
    parser.add_argument("--naive-default-candidates", type=int, default=20)
    parser.add_argument("--max-depth", type=int, default=6, help="of the treeboost model")
    parser.add_argument("--learning-rate", type=float, default=0.3, help="of the treeboost model")
    parser.add_argument("--permutation", action="store_true")
    args = parser.parse_args()
    if args.permutation:
        permutation_timing(300, 130)
        permutation_timing(20_000, 50)
        return

    import numba
    import sklearn
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import Pipeline

    import treeboost as tb
    from treeboost.explain import forward_selection

    X, y, names = clinical_table(args.rows, args.features)
    folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=0).split(X, y))
    print(
        f"# forward selection: {args.rows} rows x {args.features} features, {args.folds} folds, "
        f"{args.steps} steps; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; numpy {np.__version__}, numba {numba.__version__}, "
        f"scikit-learn {sklearn.__version__}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        flush=True,
    )
    runs = {int(r) for r in args.runs.split(",")}
    # Library defaults: 100 rounds, depth 6, learning rate 0.3.
    estimator = tb.TreeBoostClassifier(max_depth=args.max_depth, learning_rate=args.learning_rate,
                                       grow_policy="depthwise", subsample=1.0,
                                       colsample_bytree=1.0)
    print(f"# treeboost model: {estimator!r}", flush=True)
    common = {"cv": folds, "max_features": args.steps, "tol": None}

    def run(**kwargs):
        return forward_selection(estimator, X, y, **common, **kwargs)

    # Warm the kernels in this process so that no run below pays numba's cache loading.
    forward_selection(estimator, X[:, :3], y, cv=folds, max_features=1)

    def show(result):
        print("   selected:", [names[int(s[1:])] for s in result.selected])
        print("   cv log-loss by step:", [round(-s.score_mean, 4) for s in result.history])

    if 1 in runs:
        result, _, _ = _timed(
            f"1. treeboost prefilter={args.prefilter}, n_jobs=2",
            lambda: run(prefilter=args.prefilter, n_jobs=2),
        )
        show(result)
    if 2 in runs:
        result, _, _ = _timed("2. treeboost no prefilter, n_jobs=2", lambda: run(n_jobs=2))
        show(result)
    if 3 in runs:
        _timed("3. treeboost no prefilter, n_jobs=1", lambda: run(n_jobs=1))
    if 4 in runs:
        all_fits = sum(args.features - step for step in range(args.steps)) * args.folds
        for label, n_jobs, n_candidates in (
            ("4a. naive loop, XGBClassifier(n_jobs=1), first step", 1, args.features),
            (
                "4b. naive loop, XGBClassifier() default threads, first step, "
                f"{args.naive_default_candidates} candidates",
                None,
                args.naive_default_candidates,
            ),
        ):
            (_, n_fits), wall, _ = _timed(
                label,
                lambda n_jobs=n_jobs, c=n_candidates: naive_xgboost(X, y, folds, 1, c, n_jobs),
            )
            per_fit = wall / n_fits
            print(
                f"   {n_fits} fits, {1000 * per_fit:.1f} ms per fit; all {args.steps} steps "
                f"({all_fits} fits) >= {per_fit * all_fits:.0f} s"
            )

    if 5 not in runs:
        return
    # 5. One step, fit by fit, on one process: generic clone + fit versus pre-binned folds.
    step_one = {"cv": folds, "max_features": 1, "tol": None, "n_jobs": 1}
    n_fits = args.features * args.folds
    single_thread = estimator.set_params(n_jobs=1)
    _, fast, _ = _timed(
        "5a. first step, pre-binned fast path",
        lambda: forward_selection(single_thread, X, y, **step_one),
    )
    _, generic, _ = _timed(
        "5b. first step, generic clone + fit (n_jobs=1 estimator)",
        lambda: forward_selection(Pipeline([("m", single_thread)]), X, y, **step_one),
    )
    print(
        f"   per fit: fast {1000 * fast / n_fits:.1f} ms, generic {1000 * generic / n_fits:.1f} ms"
    )


if __name__ == "__main__":
    main()

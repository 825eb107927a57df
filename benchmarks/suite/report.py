"""The suite's Markdown table, rendered from the stored results."""

from __future__ import annotations

from . import study
from .libraries import LIBRARIES, PEERS
from .scoring import HIGHER_IS_BETTER, METRIC, Record, summarise

FOCAL = "treeboost"
GAP_LIMIT = 0.02  # "more than 2% worse than the best peer": the target's line
TIME_LIMIT = 1.5


def records_of(store: dict, names: list[str]) -> dict[str, dict[str, Record]]:
    return {
        name: {label: Record(r["scores"], r["fit_seconds"]) for label, r in runs.items()}
        for name, runs in store["records"].items() if name in names
    }


def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header, rows, align=None) -> list[str]:
    align = align or ["---"] + ["---:"] * (len(header) - 1)
    return [_row(header), _row(align), *(_row(r) for r in rows)]


def _fmt(x: float) -> str:
    return f"{x:.4f}" if abs(x) < 10 else f"{x:.3f}"


def _section_tables(store, tables) -> list[str]:
    rows = []
    for name in tables:
        d = store["tables"][name]
        task = d["task"] + (f" ({d['classes']})" if d["classes"] > 2 else "")
        rows.append([name, task, f"{d['rows']:,}", d["columns"], d["categorical"],
                     d["max_categories"] or "", f"{100 * d['missing']:.1f}%", d["source"],
                     d["note"]])
    header = ["table", "task", "rows", "columns", "categorical", "max categories", "missing",
              "source", "left out"]
    align = ["---", "---", "---:", "---:", "---:", "---:", "---:", "---", "---"]
    return _table(header, rows, align)


def _section_scores(summary, libs) -> list[str]:
    rows = []
    for t in summary.tables:
        higher = HIGHER_IS_BETTER[summary.tasks[t]]
        best = max(summary.score[t].values()) if higher else min(summary.score[t].values())
        cells = [t, METRIC[summary.tasks[t]]]
        for lib in libs:
            s = summary.score[t][lib]
            text = f"{_fmt(s)} ({summary.rank[t][lib]:g})"
            cells.append(f"**{text}**" if s == best else text)
        rows.append(cells)
    return _table(["table", "metric", *libs], rows)


def _section_summary(summary, libs) -> list[str]:
    rows = [[lib, f"{summary.mean_rank(lib):.2f}", f"{summary.mean_normalised(lib):.3f}",
             sum(summary.rank[t][lib] == 1 for t in summary.tables)] for lib in libs]
    rows.sort(key=lambda r: float(r[1]))
    return _table(["library", "mean rank", "mean normalised score", "tables ranked first"], rows)


def _section_head_to_head(summary, focal, peers) -> list[str]:
    rows = []
    for peer in peers:
        w, t, loss, p = summary.head_to_head(focal, peer)
        n = len(summary.tables)
        rows.append([f"{focal} vs {peer}", w, t, loss, f"{100 * w / n:.0f}%", f"{p:.3f}"])
    return _table(["pair", "wins", "ties", "losses", "win share", "sign test p"], rows)


def _section_gaps(summary, focal, peers) -> list[str]:
    rows = []
    for t in summary.tables:
        gap = summary.gap(t, focal, peers)
        ratio = summary.time_ratio(t, focal, peers)
        fastest = min(peers, key=lambda p: summary.fit_time[t][p])
        times = [f"{summary.fit_time[t][lib]:.3f}" for lib in [focal, *peers]]
        rows.append([t, f"{100 * gap:.2f}%" + (" **>2%**" if gap > GAP_LIMIT else ""), *times,
                     f"{ratio:.2f}" + (" **>1.5**" if ratio > TIME_LIMIT else ""), fastest])
    header = ["table", f"{focal} behind best peer", *[f"{lib} fit s" for lib in [focal, *peers]],
              "ratio to fastest peer", "fastest peer"]
    return _table(header, rows)


def _section_study(records, tasks, peers, tables) -> list[str]:
    candidates = [c for c in study.candidate_labels()
                  if all(c in records[t] for t in tables)]
    if not candidates:
        return []
    first, second = study.halves(tables, tasks)
    lines = ["## Defaults study", "",
             "Each candidate below, against the peers' defaults. The tables are split into two "
             "halves holding every task; the candidate with the best mean rank on one half is "
             "chosen and then reported on the other half. The candidates were added in rounds "
             "(benchmarks/suite/study.py), each round built around the best of the one before "
             "as seen on all tables, so the halves keep the final choice honest within the "
             "grid, not the shaping of the grid itself.", "",
             f"- half A ({len(first)}): " + ", ".join(first),
             f"- half B ({len(second)}): " + ", ".join(second), ""]
    rows = []
    for name in candidates:
        params = study.resolve(name)[1]
        changed = {k: v for k, v in params.items() if study.BASE.get(k) != v}
        cells = [name.partition("@")[2], ", ".join(f"{k}={v}" for k, v in changed.items())
                 or "XGBoost's"]
        for half in (first, second, tables):
            s = summarise({t: records[t] for t in half}, tasks, [name, *peers])
            cells += [f"{s.mean_rank(name):.2f}"]
        rows.append(cells)
    lines += _table(["candidate", "differs from XGBoost's defaults", "mean rank, half A",
                     "mean rank, half B", "mean rank, all"], rows,
                    ["---", "---", "---:", "---:", "---:"])
    for chosen_on, reported_on, label in ((first, second, "A"), (second, first, "B")):
        other = "B" if label == "A" else "A"
        choice = study.choose(records, tasks, peers, candidates, chosen_on, reported_on)
        held = summarise({t: records[t] for t in reported_on}, tasks, [choice.candidate, *peers])
        lines += ["", f"### Chosen on half {label}: `{choice.candidate}`, reported on half "
                      f"{other}", ""]
        lines += _section_summary(held, [choice.candidate, *peers])
        lines += [""] + _section_head_to_head(held, choice.candidate, peers)
    return lines


def render(store: dict, names: list[str], quick: bool = False) -> str:
    records = records_of(store, names)
    tasks = {t: store["tables"][t]["task"] for t in records}
    present = [lib for lib in LIBRARIES
               if records and all(lib in records[t] for t in records)]
    peers = [p for p in PEERS if p in present]
    tables = [t for t in names if t in records]
    summary = summarise({t: records[t] for t in tables}, tasks, present)
    meta = store["meta"]
    scheme = meta.get("scheme", {})
    versions = ", ".join(f"{k} {v}" for k, v in sorted(meta.get("versions", {}).items()))
    title = "Suite (quick mode)" if quick else "Suite: every library at its defaults"
    lines = [
        f"# {title}", "",
        f"{len(tables)} real tables, {scheme.get('folds')}-fold cross-validation repeated "
        f"{scheme.get('repeats')} times (stratified for classification), the same folds for "
        "every library. Written by `python -m benchmarks.suite` "
        f"on {meta.get('date')}; {meta.get('machine')}; {versions}.", "",
        "Scores: ROC AUC for binary tables (higher is better), log loss for multiclass and RMSE "
        "for regression (lower is better), each the mean over the folds; rank in brackets "
        "(1 = best; scores within 0.01% tie). Normalised score: 1 for the best library on the "
        "table, 0 for the worst. Fit time: the median over the folds, in seconds.", "",
        "## Tables", "", *_section_tables(store, tables), "",
        "## Summary", "", *_section_summary(summary, present), "",
    ]
    if FOCAL in present and peers:
        lines += ["## treeboost against each peer (paired over tables)", "",
                  *_section_head_to_head(summary, FOCAL, peers), "",
                  "## Behind the best peer, and fit time", "",
                  *_section_gaps(summary, FOCAL, peers), ""]
    lines += ["## Scores per table", "", *_section_scores(summary, present), ""]
    study_lines = _section_study(records, tasks, peers, tables) if peers else []
    if study_lines:
        lines += [*study_lines, ""]
    return "\n".join(lines)

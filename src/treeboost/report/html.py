"""A self-contained HTML report: PNG figures (also written as files, and embedded as base64)
and small tables, with inline CSS, so the page can be mailed or archived as one file."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 60em; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
p.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 0.25em 0.9em; border-bottom: 1px solid #eee; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0 2em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.92em; }
.tables { display: flex; flex-wrap: wrap; gap: 2.5em; }
footer { color: #888; font-size: 0.85em; margin-top: 3em; }
"""


@dataclass
class ReportFigure:
    """One PNG figure of the report: written to ``<stem>.png`` and embedded in the page."""

    stem: str
    title: str
    caption: str
    png: bytes


@dataclass
class ReportTable:
    """A heading and rows of cells; numbers are right-aligned."""

    title: str
    rows: Sequence[Sequence[Any]]
    header: Sequence[str] | None = None


@dataclass
class Report:
    title: str
    lead: str = ""
    tables: list[ReportTable] = field(default_factory=list)
    figures: list[ReportFigure] = field(default_factory=list)
    footer: str = ""


def render_png(draw: Callable[[Any], Any], figsize: tuple[float, float], dpi: int = 110) -> bytes:
    """PNG bytes of ``draw(ax)`` on a fresh figure. Uses matplotlib's Figure directly (no
    pyplot), so no global figure state or GUI backend is involved."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize)
    draw(figure.add_subplot())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f'<td class="num">{value:.4f}</td>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<td class="num">{value}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def _table_html(table: ReportTable) -> str:
    lines = [f"<div><h2>{html.escape(table.title)}</h2>", "<table>"]
    if table.header:
        cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in table.header)
        lines.append(f"<tr>{cells}</tr>")
    for row in table.rows:
        lines.append("<tr>" + "".join(_cell(value) for value in row) + "</tr>")
    lines.append("</table></div>")
    return "\n".join(lines)


def _figure_html(figure: ReportFigure) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    return (
        f"<h2>{html.escape(figure.title)}</h2>\n<figure>"
        f'<img alt="{html.escape(figure.title)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(figure.caption)}</figcaption></figure>"
    )


def report_html(report: Report) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(report.title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(report.title)}</h1>",
    ]
    if report.lead:
        parts.append(f'<p class="lead">{html.escape(report.lead)}</p>')
    if report.tables:
        parts.append('<div class="tables">')
        parts.extend(_table_html(table) for table in report.tables)
        parts.append("</div>")
    parts.extend(_figure_html(figure) for figure in report.figures)
    if report.footer:
        parts.append(f"<footer>{html.escape(report.footer)}</footer>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(report: Report, directory: str | Path) -> Path:
    """Write every figure as ``<stem>.png`` and the page as ``index.html`` into ``directory``
    (created if needed); returns the page's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for figure in report.figures:
        (directory / f"{figure.stem}.png").write_bytes(figure.png)
    page = directory / "index.html"
    page.write_text(report_html(report), encoding="utf-8")
    return page

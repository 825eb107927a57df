"""Progress display of long searches: a rich progress bar when rich is installed, otherwise one
line per trial on stderr. Off unless asked for (``progress=True``)."""

from __future__ import annotations

import math
import sys
from typing import Any


class _Silent:
    def start(self) -> None:
        pass

    def update(self, trial: Any, best_score: float) -> None:
        pass

    def stop(self) -> None:
        pass


class _Lines(_Silent):
    def __init__(self, total: int | None):
        self.total = total

    def update(self, trial: Any, best_score: float) -> None:
        of = f"/{self.total}" if self.total else ""
        score = "failed" if trial.failed else f"{trial.score:.6g}"
        print(
            f"trial {trial.number + 1}{of}: {score} ({trial.seconds:.2f} s), best {best_score:.6g}",
            file=sys.stderr,
        )


class _Rich(_Silent):
    def __init__(self, total: int | None, strategy: str):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn(f"[bold]{strategy}[/bold]"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} trials" if total else "{task.completed}"),
            TextColumn("best {task.fields[best]}"),
            TimeElapsedColumn(),
            transient=False,
        )
        self._task = self._progress.add_task("search", total=total, best="-")

    def start(self) -> None:
        self._progress.start()

    def update(self, trial: Any, best_score: float) -> None:
        best = f"{best_score:.6g}" if math.isfinite(best_score) else "-"
        self._progress.update(self._task, advance=1, best=best)

    def stop(self) -> None:
        self._progress.stop()


def make_progress(progress: bool, total: int | None, strategy: str):
    """The display for ``search(progress=...)``."""
    if not progress:
        return _Silent()
    try:
        return _Rich(total, strategy)
    except ImportError:
        return _Lines(total)

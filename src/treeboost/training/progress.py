"""Live training progress for the command line and the demo: a rich progress bar with the
latest scores, or plain lines every few rounds when rich is not installed.

The library itself stays quiet: this callback is only added by ``treeboost train`` and
``treeboost demo`` (or by a user who passes it in ``callbacks``).
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING

from .callbacks import EvalsLog, TrainingCallback

if TYPE_CHECKING:  # pragma: no cover
    from ..model.booster import Booster

MODES = ("auto", "bar", "lines")


def rich_available() -> bool:
    try:
        import rich.progress  # noqa: F401
    except ImportError:
        return False
    return True


def format_scores(evals_log: EvalsLog, digits: int = 5) -> str:
    """``valid-auc 0.99123  valid-logloss 0.08120``: the latest score of every metric."""
    parts = []
    for data_name, metrics in evals_log.items():
        for metric_name, scores in metrics.items():
            if scores:
                parts.append(f"{data_name}-{metric_name} {scores[-1]:.{digits}f}")
    return "  ".join(parts)


class TrainingProgress(TrainingCallback):
    """Show training progress: round ``i / total`` and the latest evaluation scores.

    Parameters
    ----------
    total_rounds : int
        Rounds requested (early stopping may end sooner; the bar then stops short).
    mode : {"auto", "bar", "lines"}
        ``bar``: a rich progress bar (needs rich); ``lines``: one plain line every ``period``
        rounds and at the last round; ``auto``: the bar when rich is installed.
    period : int
        Rounds between plain lines.
    file : text stream, optional
        Where to write; default ``sys.stdout``.
    """

    def __init__(
        self, total_rounds: int, mode: str = "auto", period: int = 10, file: IO[str] | None = None
    ):
        if mode not in MODES:
            raise ValueError(f"mode={mode!r} is not valid; valid: {', '.join(MODES)}")
        if mode == "bar" and not rich_available():
            raise ImportError(
                "the progress bar needs rich; install the progress extra: "
                "pip install 'treeboost[progress]'"
            )
        if isinstance(period, bool) or not isinstance(period, int) or period < 1:
            raise ValueError(f"period={period!r} must be a positive integer")
        self.total_rounds = int(total_rounds)
        self.use_bar = mode == "bar" or (mode == "auto" and rich_available())
        self.period = period
        self.file = file
        self._bar = None
        self._task = None
        self._rounds_done = 0
        self._last_line = ""
        self._printed_round = -1

    # -- rich bar --------------------------------------------------------------------------
    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        console = Console(file=self.file or sys.stdout, highlight=False)
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[scores]}", markup=False),
            console=console,
        )
        self._task = self._bar.add_task("training", total=self.total_rounds, scores="")
        self._bar.start()

    def close(self) -> None:
        """Stop the bar (idempotent); call it when training ends with an exception."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    # -- callback hooks --------------------------------------------------------------------
    def before_training(self, model: Booster) -> Booster:
        self._rounds_done = 0
        self._printed_round = -1
        if self.use_bar and self.total_rounds > 0:
            self._start_bar()
        return model

    def after_iteration(self, model: Booster, epoch: int, evals_log: EvalsLog) -> bool:
        self._rounds_done += 1
        scores = format_scores(evals_log)
        if self._bar is not None:
            self._bar.update(self._task, completed=self._rounds_done, scores=scores)
            return False
        self._last_line = f"[{epoch}] {scores}".rstrip()
        if (self._rounds_done - 1) % self.period == 0:
            self._print(self._last_line)
            self._printed_round = self._rounds_done
        return False

    def after_training(self, model: Booster) -> Booster:
        if self._bar is not None:
            if self._rounds_done < self.total_rounds:  # a callback (early stopping) ended it
                self._bar.update(self._task, description="stopped early")
            self.close()
        elif self._last_line and self._printed_round != self._rounds_done:
            self._print(self._last_line)
        return model

    def _print(self, line: str) -> None:
        print(line, file=self.file or sys.stdout, flush=True)

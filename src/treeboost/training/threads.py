"""Threads for the rounds of a small training run, chosen by measuring the run's own rounds.

On a quiet machine two threads train a 1,000-5,000-row table 15-35% faster than one (the whole
tree grows in one compiled call, so the parallel regions are no longer swamped by Python work).
On a machine whose cores are busy with other work the same parallel regions wait for a thread
the system has not scheduled, and rounds take several times longer than on one thread. Neither
can be known in advance, and both change during a run, so a small run times a few rounds each
way, keeps the faster, and looks again later. The model does not depend on the thread count, so
the choice changes only the time.
"""

from __future__ import annotations

import time

import numpy as np

from ..kernels.threads import touch_threads
from ..model.params import SERIAL_BELOW_ROWS, numba_threads

# Rounds between two measurements, doubled (up to MAX_INTERVAL) each time one thread wins.
FIRST_INTERVAL = 128
MAX_INTERVAL = 2048
# A measurement runs BLOCK rounds on one thread, then BLOCK on all of them, and compares the
# faster of the last BLOCK - 1 rounds of each: the first round after a change of thread count
# pays for waking or parking the pool's threads (1-5 ms measured), and the first round of a
# process may include compiling.
BLOCK = 3
# Before any round runs on all threads, a few empty parallel regions are timed: a quiet pool
# runs one in 3-5 microseconds (measured; waking parked threads adds tens), a pool on busy cores
# waits milliseconds for a thread, and one round of such waits costs more than the whole
# measurement could win. The first slow region ends the check.
CHECK_REGIONS = 3
CHECK_SECONDS = 0.0002
# A round on all threads slower than this many times the one-thread round (plus the wake-up
# allowance) ends the measurement at once: every further round would cost as much.
GIVE_UP_RATIO = 3.0
WAKE_UP_SECONDS = 0.005


def threads_run_at_once(n_threads: int) -> bool:
    """True when ``n_threads`` threads of numba's pool start together (quiet cores)."""
    scratch = np.empty(n_threads, dtype=np.int64)
    touch_threads(scratch[:1])  # compiled before timing (a no-op after the first call)
    with numba_threads(n_threads):
        for _ in range(CHECK_REGIONS):
            start = time.perf_counter()
            touch_threads(scratch)
            if time.perf_counter() - start > CHECK_SECONDS:
                return False
    return True


class RoundThreads:
    """``current()`` threads for the next round; ``record(threads, seconds)`` after it."""

    def __init__(self, n_threads: int, n_rows: int):
        self.n_threads = n_threads
        self.adaptive = n_threads > 1 and n_rows < SERIAL_BELOW_ROWS
        self.best = 1 if self.adaptive else n_threads
        self._round = 0
        self._probe_at = 0  # round where the next measurement starts
        self._interval = FIRST_INTERVAL
        self._single: float = float("inf")
        self._multi: float = float("inf")

    def _phase(self) -> int:
        """Position within the running measurement, or -1 outside one."""
        phase = self._round - self._probe_at
        return phase if 0 <= phase < 2 * BLOCK else -1

    def current(self) -> int:
        if not self.adaptive:
            return self.n_threads
        phase = self._phase()
        if phase < 0:
            return self.best
        return 1 if phase < BLOCK else self.n_threads

    def record(self, threads: int, seconds: float) -> None:
        phase = self._phase() if self.adaptive else -1
        self._round += 1
        if phase < 0:
            return
        if phase == 0:
            self._single = self._multi = float("inf")
        if phase < BLOCK:
            if phase:
                self._single = min(self._single, seconds)
            if phase == BLOCK - 1 and not threads_run_at_once(self.n_threads):
                self._finish(single_wins=True)
            return
        if seconds > GIVE_UP_RATIO * self._single + WAKE_UP_SECONDS:
            self._finish(single_wins=True)
            return
        if phase > BLOCK:
            self._multi = min(self._multi, seconds)
        if phase == 2 * BLOCK - 1:
            self._finish(single_wins=self._single <= self._multi)

    def _finish(self, single_wins: bool) -> None:
        self.best = 1 if single_wins else self.n_threads
        self._interval = min(2 * self._interval, MAX_INTERVAL) if single_wins else FIRST_INTERVAL
        self._probe_at = self._round + self._interval

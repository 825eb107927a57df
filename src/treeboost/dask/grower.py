"""The driver side of Dask training: :class:`ShardGroup` calls every worker's shard, and
:class:`DistributedGrower` grows a tree from the sum of their histograms.

The grower is the one-machine grower (tree/grower.py) with its row operations sent to the shards:
a level's splits go out in one exchange (each shard partitions its rows of every node), the
smaller children's histograms come back in another and are summed; split finding, node order and
leaf values are the one-machine code on the summed histograms, so the trees are the same up to
the order of floating-point sums.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..tree.grower import TreeGrower, _Node
from ..tree.histogram import HistogramBuilder
from ..tree.matrix import BinnedMatrix
from ..tree.tree import Tree


class WorkerLostError(RuntimeError):
    """A worker holding training rows left the cluster during a run."""


class ShardGroup:
    """Every worker's :class:`~treeboost.dask._shard.Shard` actor, called together."""

    def __init__(self, client: Any, actors: list, addresses: list[str], futures: list = ()):
        self.client = client
        self.actors = actors
        self.addresses = addresses
        self.futures = list(futures)
        self.round: int | None = None
        self.rounds_run = 0
        self.n_calls = 0
        self.bytes_received = 0

    def close(self) -> None:
        """Let the actors go (their workers free the shards' rows)."""
        self.actors = []
        self.futures = []

    def stats(self) -> dict:
        return {
            "workers": len(self.addresses),
            "rounds": self.rounds_run,
            "calls": self.n_calls,
            "bytes_from_workers": self.bytes_received,
        }

    def call(self, method: str, *args) -> list:
        """``method(*args)`` on every shard at once; their answers in shard order."""
        self.n_calls += 1
        try:
            pending = [getattr(actor, method)(*args) for actor in self.actors]
            results = [future.result() for future in pending]
        except Exception as exc:
            # Errors of the shards' own checks come back as they are; anything else (a closed
            # connection, a dead actor) waits a moment for the scheduler to notice a lost worker.
            patience = 0.0 if isinstance(exc, (ValueError, TypeError)) else 10.0
            lost = self._lost_workers(patience)
            if lost:
                when = "before training" if self.round is None else f"in round {self.round}"
                raise WorkerLostError(
                    f"Dask training stopped {when}: worker(s) {', '.join(lost)} holding "
                    "training rows left the cluster; their rows and margins are gone, so no "
                    "model was produced (restart training; persist the data to recover it)"
                ) from exc
            raise
        for result in results:
            if isinstance(result, np.ndarray):
                self.bytes_received += result.nbytes
        return results

    def sum(self, method: str, *args) -> np.ndarray:
        """The sum of every shard's array answer (added in shard order)."""
        results = self.call(method, *args)
        total = np.array(results[0], dtype=np.float64, copy=True)
        for result in results[1:]:
            total += result
        return total

    def _lost_workers(self, patience: float) -> list[str]:
        """The shards' workers the scheduler no longer lists, polled for up to ``patience``
        seconds."""
        deadline = time.monotonic() + patience
        while True:
            try:
                alive = set(self.client.scheduler_info()["workers"])
            except Exception:  # the scheduler itself is unreachable
                return list(self.addresses)
            lost = [address for address in self.addresses if address not in alive]
            if lost or time.monotonic() >= deadline:
                return lost
            time.sleep(0.1)


class _RemoteRows(BinnedMatrix):
    """Stands in for the binned rows on the driver, which holds none: it only knows the bins."""

    def __init__(self, n_features: int, bin_offsets: np.ndarray):
        super().__init__((0, n_features), bin_offsets)

    def histograms(self) -> HistogramBuilder:
        # A builder over no rows: the grower uses its buffer pool and subtraction only.
        return HistogramBuilder(np.zeros((0, self.n_features), dtype=np.uint8), self.bin_offsets)


class DistributedGrower(TreeGrower):
    """A :class:`TreeGrower` whose rows live in the shards."""

    def __init__(self, shards: ShardGroup, bin_offsets, bin_upper_bounds, *args, **kwargs):
        rows = _RemoteRows(len(bin_upper_bounds), bin_offsets)
        super().__init__(rows, bin_upper_bounds, *args, **kwargs)
        self.shards = shards

    def grow_remote(
        self,
        output: int,
        n_rows: int,
        tree_features: np.ndarray,
        rng: np.random.Generator,
        feature_weights: np.ndarray | None = None,
    ) -> Tree:
        """Grow one tree for ``output`` on the rows the shards drew (``n_rows`` in all); every
        shard's margins hold the tree when it returns."""
        hist = self.shards.sum("root", output, tree_features)
        # The margins are the shards'; any non-None value tells the grower final splits may
        # apply their leaves directly.
        remote_margin = np.empty((0, 1))
        try:
            leaves, tree = self._grow_from(
                hist, tree_features, n_rows, tree_features, rng, feature_weights, remote_margin,
                output,
            )  # fmt: skip
        finally:
            self._margin = None
        leaf_nodes = np.array([leaf.node_id for leaf in leaves], dtype=np.int64)
        values = tree.value[leaf_nodes].astype(np.float64)
        self.shards.call("finish_tree", output, tree, leaf_nodes, values)
        return tree

    def _split_nodes(self, requests: list[tuple[_Node, bool]], columns) -> list[tuple]:
        plans = [self._plan_split(node, final) for node, final in requests]
        first_child = len(columns["left"])
        messages = [
            (
                node.node_id,
                node.feature,
                plan.table,
                first_child + 2 * i,
                first_child + 2 * i + 1,
                (plan.left_value, plan.right_value) if plan.apply_now else None,
            )
            for i, ((node, _), plan) in enumerate(zip(requests, plans))
        ]
        n_left = self.shards.sum("split", self._output, messages) if messages else []
        return [
            self._attach_children(node, plan, int(n), columns)
            for (node, _), plan, n in zip(requests, plans, n_left)
        ]

    def _build_histograms(self, nodes: list[_Node]) -> None:
        if not nodes:
            return
        ids = [node.node_id for node in nodes]
        hists = self.shards.sum("histograms_of", self._output, ids, self._tree_features)
        for node, hist in zip(nodes, hists):
            node.hist = hist
            node.active = self._tree_features

    def _build_histogram(self, node: _Node) -> None:
        self._build_histograms([node])

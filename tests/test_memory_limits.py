"""Memory ceilings: a training request that cannot fit fails fast, before allocating, saying how
much it needed (docs/reliability.md; the measured peaks are in benchmarks/memory/RESULTS.md)."""

from __future__ import annotations

import resource
import time

import numpy as np
import pytest

import treeboost as tb
from treeboost.tree import histogram as H
from treeboost.tree.matrix import binned_matrix


def _offsets(n_features: int, bins: int) -> np.ndarray:
    return np.arange(0, bins * n_features + 1, bins, dtype=np.int64)


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def test_million_features_by_65k_bins_fails_fast_naming_the_bytes():
    """Histograms for 1M features x 65,536 bins need ~5 TB: refused before any allocation."""
    binned = np.zeros((2, 1_000_000), dtype=np.uint16)
    offsets = _offsets(1_000_000, 65_536)
    H.histogram_bytes(1, 1)  # load the (cached) chunk-count kernel before timing
    before = _peak_rss_bytes()
    start = time.perf_counter()
    with pytest.raises(MemoryError) as exc:
        binned_matrix(binned, offsets)
    assert time.perf_counter() - start < 1.0
    assert _peak_rss_bytes() - before < 64 << 20
    message = str(exc.value)
    assert "GiB" in message and "available" in message and "1000000 features" in message
    needed = H.histogram_bytes(65_536 * 1_000_000, 2)
    assert f"{needed / 2**30:.1f} GiB" in message


def test_check_compares_with_available_memory():
    H.check_histogram_memory(1000, 10, 10, available=10**9)  # fits
    with pytest.raises(MemoryError, match=r"need 0\.0 GiB .* only 0\.0 GiB"):
        H.check_histogram_memory(1000, 10, 10, available=1000)


def test_histogram_bytes_counts_chunks_and_held_buffers():
    small = H.histogram_bytes(256, 100)  # one chunk
    large = H.histogram_bytes(256, 10**7)  # the most chunks
    assert small == 16 * 256 * (1 + H._HELD_HISTOGRAMS)
    assert large == 16 * 256 * (H.MAX_CHUNKS + H._HELD_HISTOGRAMS)


def test_sparse_estimate_follows_the_sparse_builder_cap():
    """Sparse bins cap their chunk scratch (tree/histogram.py), so a wide sparse table is not
    refused for chunks it would never allocate."""
    bins = 100_000 * 256
    dense, sparse = H.histogram_bytes(bins, 10**7), H.histogram_bytes(bins, 10**7, sparse=True)
    assert sparse < dense
    assert sparse == 16 * bins * (1 + H._HELD_HISTOGRAMS)


def test_available_memory_without_psutil(monkeypatch):
    """psutil is a dev extra only: the fallbacks answer on Linux."""
    import builtins

    real_import = builtins.__import__

    def no_psutil(name, *args, **kwargs):
        if name == "psutil":
            raise ImportError("no psutil")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_psutil)
    value = H.available_memory()
    if value is None:
        pytest.skip("this platform reports no available memory")
    assert 0 < value < 1 << 50


def test_training_refuses_through_the_public_api(monkeypatch):
    """tb.train ends in the same MemoryError when the histograms do not fit (simulated by a
    machine with 1 MiB available)."""
    monkeypatch.setattr(H, "available_memory", lambda: 1 << 20)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 200))
    dtrain = tb.Dataset(X, label=X[:, 0], max_bin=1024)
    with pytest.raises(MemoryError, match="histograms need .* GiB"):
        tb.train({"max_bin": 1024}, dtrain, 2)


def test_ordinary_training_is_not_refused():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 20))
    booster = tb.train({}, tb.Dataset(X, label=X[:, 0]), 2)
    assert booster.num_boosted_rounds() == 2


def _child_peak(rows: int, rounds: int) -> dict:
    import json
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    sample = repo.parent / "shared" / "data" / "lightgbm-examples" / "binary_classification"
    if not (sample / "binary.train").exists():
        pytest.skip(f"the HIGGS sample {sample} is absent")
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory.run", "--child", "treeboost", "--rows",
         str(rows), "--rounds", str(rounds)],
        capture_output=True, text=True, cwd=repo, timeout=1200,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_million_by_28_training_stays_under_the_stated_ceiling():
    """docs/reliability.md: training on a 1,000,000 x 28 float32 table peaks under
    TREEBOOST_CEILING_MIB (benchmarks/memory/RESULTS.md has the measured figures)."""
    import importlib.util
    from pathlib import Path

    runner = Path(__file__).resolve().parents[1] / "benchmarks" / "memory" / "run.py"
    spec = importlib.util.spec_from_file_location("memory_run", runner)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = _child_peak(1_000_000, 20)
    assert result["peak_mib"] < module.TREEBOOST_CEILING_MIB, result

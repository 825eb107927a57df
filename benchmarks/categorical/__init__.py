"""Categorical splits: ``python -m benchmarks.categorical.run`` writes RESULTS.md here."""

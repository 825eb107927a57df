"""Sparse CSR input: ``python -m benchmarks.sparse.run`` writes RESULTS.md here."""

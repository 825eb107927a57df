"""Conformal coverage study: ``python -m benchmarks.coverage.run`` writes RESULTS.md here."""

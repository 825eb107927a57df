"""Ranking gradients: ``python -m benchmarks.ranking.run`` writes RESULTS.md here."""

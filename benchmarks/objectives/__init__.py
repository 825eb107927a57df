"""Objective parity: ``python -m benchmarks.objectives.run`` writes RESULTS.md here."""

"""Real-table suite: every library at its defaults, by repeated cross-validation (run.py)."""

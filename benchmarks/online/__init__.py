"""Online boosting benchmark: ``python -m benchmarks.online.run``."""

"""Helpers used by more than one benchmark: data generators and cache, library parameters,
machine description and the side-by-side report."""

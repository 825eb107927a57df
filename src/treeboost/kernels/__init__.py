"""Every numba-compiled function of treeboost, and nothing else.

Kernels take plain arrays and scalars with fixed dtypes (validated above them) and never raise
user-facing errors. Nothing here compiles at import: numba compiles on first call and caches
to disk.
"""

"""Benchmark suite: treeboost against XGBoost, LightGBM and scikit-learn.

Run it with ``python -m benchmarks.run [--quick] [--only NAME ...] [--repeats N]``; see
``benchmarks/README.md``. Every measured fit runs in its own fresh child process
(``benchmarks.child``) so that peak memory is that fit's alone.
"""

"""Benchmark suite: treeboost against XGBoost, LightGBM, scikit-learn and shap, one folder per
capability, each holding its script (``run.py``) and its table (``RESULTS.md``).

``python -m benchmarks`` lists the capabilities, the command that reruns each and where its
table is; ``python -m benchmarks NAME [ARGS]`` runs one. Helpers used by more than one
capability are in ``benchmarks/common``; see ``benchmarks/README.md``.
"""

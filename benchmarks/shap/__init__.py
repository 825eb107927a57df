"""TreeSHAP speed: ``python -m benchmarks.shap.run`` writes RESULTS.md here."""

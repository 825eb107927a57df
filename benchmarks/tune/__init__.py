"""tb.tune search strategies: ``python -m benchmarks.tune.run STEP`` (tabulate, compare, live,
report) keeps tune_table.csv and writes RESULTS.md here."""

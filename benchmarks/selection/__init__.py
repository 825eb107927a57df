"""Feature selection timings: ``python -m benchmarks.selection.run`` prints them; RESULTS.md
here is written from that output."""

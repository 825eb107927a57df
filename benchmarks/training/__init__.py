"""Side-by-side training benchmark (``python -m benchmarks.training.run``): the runner, its
measuring child process and the workload definitions; writes RESULTS.md and RESULTS-scaling.md."""

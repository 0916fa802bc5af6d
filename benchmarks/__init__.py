"""dailybrief's benchmark suite: `make bench` (or `python -m benchmarks --data FOLDER`).

Each benchmark calls the functions the pipeline runs and measures a baseline in the same run;
the results are printed as one table and written to benchmarks/results.json.
"""

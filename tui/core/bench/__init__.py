"""Benchmark engine with perf_analyzer's semantics (no Textual imports).

ranges: `start:end:step` parsing; stats: percentiles, stability, window merging; inputs: request
bodies built once; loadgen: the load generator process; engine: the sweep; report: console/CSV/JSON.
"""

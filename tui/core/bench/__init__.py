"""Benchmark engine with perf_analyzer's semantics (no Textual imports).

ranges: `start:end:step`; stats: percentiles, stability, window merging; inputs: request bodies
built once; loadgen (+ loadgen_base, loadgen_worker, loadgen_grpc): the load generator
processes; sequences: sequence models' IDs and flags; results: configuration and results;
engine: the sweep; report: console/CSV/JSON; plot: plotext rendering.
"""

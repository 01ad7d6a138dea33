"""Every tolerance the suite allows a measured figure, in one place, each with where it comes from.

Behaviour tests never depend on the machine's speed: they use ANY_STABILITY so that any level
with answers is kept, check what holds at any speed (a schedule is never exceeded, a warning is
given exactly when sends left late, a figure is the one measured), and leave "is the figure right"
to the differential tests against perf_analyzer (tests/test_bench_vs_perf_analyzer.py,
test_bench_sequences.py), which run both tools in the same spells of load, and to the `just
bench-*` recipes, which print ratios against an anchor measured in the same run.
"""

from __future__ import annotations

# A benchmark stability band (percent) under which any three windows with answers make a level:
# for tests of something other than the stability rule (tested exactly in test_bench_stats.py).
# p95 of short windows swings over 2x while the other test worker runs, so even -s 100 left
# levels unstable in stressed full runs.
ANY_STABILITY = 10_000

# Ours against perf_analyzer, from repeated runs on this shared 2-core machine (other sessions
# loading it all the while). Three alternating rounds of both tools (`-p 500 -s 50`):
# perf_analyzer against *itself* varied 2.5x between rounds on add_sub at concurrency 1
# (1857-4580 infer/s) and 5x on the ONNX model (260-1300 infer/s, p50 688-3986 usec); ours
# alike. Each tool's best of two back-to-back runs, repeated: ours/theirs ranged 0.65-2.84 in
# throughput, 0.46-1.68 in p50 and 0.21-1.86 in the server's compute time (the server itself is
# slowed in bursts; ours is steadily faster than perf_analyzer over HTTP, 1.2-1.9x at
# concurrency 1, and slower over gRPC, 0.65-0.71x at concurrency 4). Loose, but still failing
# every error of kind (batch counted twice, usec against msec, requests lost from a window, a
# composing model missed, a client that cannot keep up at all).
FACTOR = 4.0  # client figures (throughput, latency percentiles), either way
SERVER_FACTOR = 6.0  # the server's own time columns, either way

# Request rate is held by the schedule more than by the machine: ours must deliver it within
# RATE_TOL (seen: ours within 1 %, perf_analyzer up to 3.4 % short when a burst of load delayed
# its sends), or, where the machine could not, come within RATE_TOL of what perf_analyzer
# delivered in the same spells (CI once saw perf_analyzer 25 % short at 300/s over gRPC while
# the other test worker ran).
RATE_TOL = 0.10

# The other side, which holds at any speed: a request-rate level never sends ahead of its
# schedule. What a window counts past the target is its edges' share (a send or an answer just
# inside the window that belongs to the one before): at 200-1000/s and 500 ms windows, under
# 10 % for sends; answers can also be those of sends from the window before, 15 %.
SEND_OVER_SCHEDULE = 0.10
ANSWERS_OVER_SCHEDULE = 0.15

# The tuner's batching winner against the default config on the fixed-cost model (concurrency 8,
# batch 8), a ratio of two figures from one run: 1.5x and more on an idle machine; a saturated one
# also spends more per request outside the model, which batching does not amortise (a stressed
# full run saw 1.38x). Without batching the two are level, so 1.2 still tells them apart.
BATCHING_GAIN = 1.2


def rate_kept(target: float, theirs: float, ours: float) -> bool:
    """Ours delivered the scheduled rate, or came as near it as perf_analyzer did in the same
    spells of load (where the machine could not keep the schedule), within RATE_TOL."""
    return (1 - RATE_TOL) * min(target, theirs) <= ours <= (1 + RATE_TOL) * target


def within_factor(a: float, b: float, factor: float) -> bool:
    """`b` is within `factor` of `a` either way (both floored at 1, so zeros compare)."""
    return max(a, 1) / factor <= max(b, 1) <= max(a, 1) * factor

# triton-tui: `just run` opens the console on the demo repository, `just test` runs the suite.

venv := ".venv"
py := venv / "bin/python"

# (The venv and the project with its embedded server are installed only when pyproject changed.)
# Install the project when needed; generate the demo's DenseNet-121 (git-ignored, then cached).
setup:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ ! -x {{py}} ]; then python3 -m venv {{venv}}; fi
    if [ ! -f .setup-stamp ] || [ pyproject.toml -nt .setup-stamp ]; then
        {{py}} -m pip install -q --upgrade pip
        {{py}} -m pip install -q -e '.[embedded,dev]'
        touch .setup-stamp
    fi
    {{py}} assets/build_models.py --densenet

# Open the console on the demo repository (extra arguments go to triton-tui).
run *ARGS: setup
    {{py}} -m tui --model-repository assets/models {{ARGS}}

# Run the whole test suite against the real embedded server.
# Three workers, one test file each at a time (module fixtures share a server per file): the
# suite waits on servers, sockets and timed windows more than it computes, so on 2 cores a third
# worker cut the wall time from 10.1 to 7.6 min.
test *ARGS: setup test-tools
    {{py}} -m pytest -q -n 3 --dist loadfile {{ARGS}}

# The quick subset for the edit-test loop (parsers, lint, stores, forms, statistics, sanitising,
# a few pilot tests): no Docker engine, no perf_analyzer, at most the shared demo server; under a
# minute on 2 cores. `just test` stays the gate.
fast_tests := "tests/test_bench_form.py tests/test_bench_gpu_metrics.py tests/test_bench_inputs.py tests/test_bench_stats.py tests/test_config_corpus.py tests/test_config_fastparse.py tests/test_config_generate.py tests/test_config_store.py tests/test_config_lint.py tests/test_config_text.py tests/test_demo_densenet.py tests/test_gpu_core.py tests/test_logs_follow.py tests/test_logs_parser.py tests/test_logs_store.py tests/test_repository_scan.py tests/test_sanitize.py tests/test_worker_errors.py tests/test_hostile_input.py tests/test_image.py tests/test_exports.py tests/test_compare.py tests/test_structure.py tests/test_doctor_rules.py tests/test_tune_rules.py tests/test_trust.py tests/test_snapshots.py tests/test_fleet_core.py tests/test_store_core.py tests/test_collector.py"
test-fast *ARGS: setup
    {{py}} -m pytest -q -n 2 --dist loadfile {{fast_tests}} {{ARGS}}

# Tools the tests compare against, never package dependencies: the real perf_analyzer 2.41
# (into ~/.cache/triton-tui/tools; nothing is done when it is already there).
test-tools: setup
    -{{py}} tools/perf_analyzer.py

# Static checks.
lint: setup
    {{venv}}/bin/ruff check tui tests assets tools
    {{venv}}/bin/ruff format --check tui tests assets tools
    {{venv}}/bin/mypy
    {{venv}}/bin/mypy --strict tui/core

# Rebuild the demo ONNX models (deterministic; the committed files must not change).
models: setup
    {{py}} assets/build_models.py

# CPU cost of the idle console (target < 3 % of one core): run it on the demo repository in a
# pseudo-terminal (120x40) with the GPU pane shown and every pane live, then read the console
# process's own CPU time with psutil over SECONDS (tritonserver not included; printed apart).
bench-idle SECONDS="30": setup
    {{py}} assets/bench/idle.py {{SECONDS}}

# Benchmark our load generator against wrk (HTTP, same JSON body) and the real perf_analyzer 2.41
# (HTTP and gRPC; installed into ~/.cache/triton-tui/tools by tools/perf_analyzer.py)
# on one server: throughput and p50 ratios at c = 1, 4, 8.
bench-loadgen: setup
    command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
    {{py}} assets/bench/compare_wrk.py --model-repository assets/models --concurrency 1,4,8

# Prints the parameters and MACs, then `triton-tui bench -m densenet_onnx` at concurrency 1..4
# next to onnxruntime run directly in one process on the same input (SECONDS per window):
# the demo DenseNet's cost, and the server's overhead as throughput and latency ratios.
bench-densenet SECONDS="3": setup
    {{py}} -m assets.bench.densenet {{SECONDS}}

# Logs benchmark: parser lines/s on a recorded log (target ≥ 200 000) and the Logs pane's
# key-press-to-repaint latency while 5 000 lines/s arrive (target ≤ 100 ms).
bench-logs: setup
    {{py}} tests/bench_logs.py

# Quit speed: time from `q` to the terminal given back (target < 1 s) and to the server gone.
bench-quit ROUNDS="3": setup
    {{py}} assets/bench/quit.py {{ROUNDS}}

# Config lint throughput (MB/s) on 1 and 5 MB configs, against protobuf's text_format parse of
# the same text (the anchor; lint/parse near 1.0: no second pass, linear).
bench-lint: setup
    {{py}} assets/bench/lint.py

# Config editor benchmark: key-press-to-repaint while typing into a 20 000-line config.pbtxt,
# as a ratio against a plain Textual TextArea holding the same text (target: every key < 50 ms).
bench-config: setup
    {{py}} tests/bench_config.py

# Key-press-to-repaint on a generated repository holding a 1.2 MiB config (20 000 parameters):
# moving through the models, opening configs, switching panes, the palette; p50, p99 and max per
# journey against a plain Textual app with the same tabs and keys, measured in the same run
# (target: every key under 100 ms).
bench-keys: setup
    {{py}} assets/bench/keys.py

# Save an SVG screenshot of every pane into assets/screenshots (runs a short sweep for the plot),
# and two at 80x24 (a benchmark keeping an unstable level's windows, the logs folded).
screenshots: setup
    {{py}} assets/screenshots/take.py
    {{py}} assets/screenshots/take_small.py

# Tune benchmark: brute force vs the quick (hill-climbing) search on the same model and space;
# prints measurements, winners, throughput ratio quick/brute (target >= 0.95) and wall-time ratio
# (target <= 0.4). Then how often repeated tunes agree on the verdict (target: "better" every time
# on the sleeping model, never a winner on the fixed-cost one that already batches). Extra
# arguments go to the script (--counts, --batch, --concurrency, -p, -s, --repeats, --agreement-only).
bench-tune *ARGS: setup
    {{py}} assets/bench/tune.py {{ARGS}}

# Fleet benchmark: 500 simulated servers × 20 models over an hour (OpenMetrics loaded into a real
# Prometheus with promtool; built once, cached) for one whole-fleet refresh (target ≤ 1 s), the
# pane's key-press-to-repaint while 500 rows refresh (≤ 100 ms) and its RSS; three live servers
# for the time from a server's death to its red row. Each against an anchor of the same run.
bench-fleet: setup
    command -v prometheus >/dev/null || (apt-get update -qq && apt-get install -y -qq prometheus)
    {{py}} assets/bench/fleet.py

# Doctor benchmark: per scenario model, the time to a verdict by probe (and its ratio to one plain
# benchmark level measured in the same run) and by passive watching, whether the verdict is the
# expected finding, and the measured gain (with its interval) of each tried fix.
bench-doctor *ARGS: setup
    {{py}} assets/bench/doctor.py {{ARGS}}

# triton-tui: `just run` opens the console on the demo repository, `just test` runs the suite.

venv := ".venv"
py := venv / "bin/python"

# Create .venv and install the project with its embedded server (only when pyproject changed).
setup:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ ! -x {{py}} ]; then python3 -m venv {{venv}}; fi
    if [ ! -f .setup-stamp ] || [ pyproject.toml -nt .setup-stamp ]; then
        {{py}} -m pip install -q --upgrade pip
        {{py}} -m pip install -q -e '.[embedded,dev]'
        touch .setup-stamp
    fi

# Open the console on the demo repository (extra arguments go to triton-tui).
run *ARGS: setup
    {{py}} -m tui --model-repository assets/models {{ARGS}}

# Run the whole test suite against the real embedded server.
test *ARGS: setup
    {{py}} -m pytest -q {{ARGS}}

# Static checks.
lint: setup
    {{venv}}/bin/ruff check tui tests assets
    {{venv}}/bin/ruff format --check tui tests assets

# Rebuild the demo ONNX models (deterministic; the committed files must not change).
models: setup
    {{py}} assets/build_models.py

# CPU cost of the idle console (target < 3 % of one core): run it on the demo repository in a
# pseudo-terminal (120x40) with the GPU pane shown and every pane live, then read the console
# process's own CPU time with psutil over SECONDS (tritonserver not included; printed apart).
bench-idle SECONDS="30": setup
    {{py}} assets/bench/idle.py {{SECONDS}}

# Benchmark our load generator against wrk (same server, model and JSON body), c = 1, 4, 8.
bench-loadgen: setup
    command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
    {{py}} assets/bench/compare_wrk.py --model-repository assets/models --concurrency 1,4,8

# Logs benchmark: parser lines/s on a recorded log (target ≥ 200 000) and the Logs pane's
# key-press-to-repaint latency while 5 000 lines/s arrive (target ≤ 100 ms).
bench-logs: setup
    {{py}} tests/bench_logs.py

# Save an SVG screenshot of every pane into assets/screenshots (runs a short sweep for the plot).
screenshots: setup
    {{py}} assets/screenshots/take.py

# Tune benchmark: brute force vs the quick (hill-climbing) search on the same model and space;
# prints measurements, winners, throughput ratio quick/brute (target >= 0.95) and wall-time ratio
# (target <= 0.4). Extra arguments go to the script (--counts, --batch, --concurrency, -p, -s).
bench-tune *ARGS: setup
    {{py}} assets/bench/tune.py {{ARGS}}

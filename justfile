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

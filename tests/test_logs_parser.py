"""The log parser on real recorded Triton logs: both formats, tables, continuation lines."""

from __future__ import annotations

from pathlib import Path

from tui.core.logs.parser import LogParser, parse_lines, parse_timestamp

DATA = Path(__file__).parent / "data"
VERBOSE = (DATA / "triton_verbose.log").read_text().splitlines()  # default format, --log-verbose=1
ISO = (DATA / "triton_iso_failed.log").read_text().splitlines()  # ISO8601, one failing model


def test_default_format_fields_and_every_line_kept() -> None:
    entries = parse_lines(VERBOSE, gpu_host=False)
    assert sum(len(e.lines) for e in entries) == len(VERBOSE)
    loaded = [e for e in entries if e.message == "successfully loaded 'slow_init'"]
    assert loaded and loaded[0].level == "I" and loaded[0].src == "model_lifecycle.cc:839"
    assert {e.level for e in entries} >= {"I", "W", "E"}
    ts = loaded[0].timestamp
    assert ts is not None and abs(ts - parse_timestamp(loaded[0].head, False)) < 1e-6


def test_iso8601_format() -> None:
    entries = parse_lines(ISO, gpu_host=False)
    failed = [e for e in entries if e.src.startswith("model_lifecycle.cc") and e.level == "E"]
    assert len(failed) == 1
    assert failed[0].iso
    assert failed[0].message.startswith("failed to load 'broken' version 1: Internal: RuntimeError")
    assert "boom in init" in failed[0].message
    first, last = entries[0].timestamp, entries[-1].timestamp
    assert first is not None and last is not None and 0 <= last - first < 60


def test_startup_tables_are_one_entry_each() -> None:
    for lines in (VERBOSE, ISO):
        entries = parse_lines(lines, gpu_host=False)
        models = [e for e in entries if e.src.startswith("server.cc:674")]
        assert len(models) == 1
        table = models[0].more or []
        assert table[0].startswith("+---") and any("| slow_init" in row for row in table)
        options = [e for e in entries if e.src.startswith("tritonserver.cc:2598")][0]
        assert any("server_version" in row for row in options.more or [])
        backends = [e for e in entries if e.src.startswith("server.cc:631")][0]
        assert any(row.startswith("| python") for row in backends.more or [])
    # The line after the models table's blank line is an entry of its own, not table text.
    entries = parse_lines(VERBOSE, gpu_host=False)
    nvml = [e for e in entries if e.head == "Error: Failed to initialize NVML"]
    assert nvml and nvml[0].level == "E" and nvml[0].more is None


def test_autocompleted_config_stays_with_its_message() -> None:
    entries = parse_lines(VERBOSE, gpu_host=False)
    configs = [e for e in entries if "auto-completed config" in e.head]
    assert len(configs) == 5
    assert any('name: "slow_init"' in (e.more or [""])[0] for e in configs)


def test_traceback_and_unescaped_continuations() -> None:
    lines = [
        "I1126 11:40:43.189575 6563 pb_stub.cc:366] Failed to initialize Python stub:",
        "Traceback (most recent call last):",
        '  File "/models/m/1/model.py", line 3, in initialize',
        "RuntimeError: boom",
        "I1126 11:40:43.200000 6563 model_lifecycle.cc:839] \"successfully loaded 'x'\"",
        "Traceback (most recent call last):",
        '  File "/models/m/1/model.py", line 9, in execute',
        "ValueError: bad",
        "hello from a model's print",
        "E1126 11:40:43.300000 6563 model_lifecycle.cc:642] failed to load 'm' version 1: boom",
        "At:",
        "  /models/m/1/model.py(3): initialize",
    ]
    entries = parse_lines(lines, gpu_host=False)
    assert [len(e.lines) for e in entries] == [4, 1, 3, 1, 3]
    assert entries[2].level == "E" and entries[2].head.startswith("Traceback")
    assert entries[3].level == "" and entries[3].head.startswith("hello")


def test_harmless_errors_depend_on_the_machine() -> None:
    line = 'E1126 11:40:43.188624 6563 server.cc:241] "CudaDriverHelper has not been initialized."'
    assert "without a GPU" in LogParser(gpu_host=False).feed(line).harmless
    assert LogParser(gpu_host=True).feed(line).harmless == ""
    real = (
        "E1126 11:41:45.032700 8073 model_lifecycle.cc:642] \"failed to load 'broken' version 1\""
    )
    assert LogParser(gpu_host=False).feed(real).matters
    every_start = [e for e in parse_lines(ISO, gpu_host=False) if e.level == "E"]
    matters = [e.src for e in every_start if e.matters]
    assert matters == ["backend_model.cc:692", "model_lifecycle.cc:642"]


def test_verbose_statements_are_level_v() -> None:
    """Triton prints verbose messages with the letter I; the parser files them under V."""
    entries = parse_lines(VERBOSE, gpu_host=False)
    http = [e for e in entries if e.message.startswith("HTTP request:")]
    assert http and all(e.level == "V" for e in http)
    loading = [e for e in entries if e.message.startswith("loading: ")]
    assert loading and all(e.level == "I" for e in loading)

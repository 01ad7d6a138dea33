"""Cold start: the load timeline from recorded logs, and the probe on a real server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import copy_demo

from tui.cli import main
from tui.core.logs.coldstart import LoadTimeline, load_durations
from tui.core.logs.parser import parse_lines
from tui.core.logs.probe import ProbeResult, request_body, warmup_snippet

DATA = Path(__file__).parent / "data"


def _timeline(name: str) -> LoadTimeline:
    timeline = LoadTimeline()
    for entry in parse_lines((DATA / name).read_text().splitlines(), gpu_host=False):
        timeline.feed(entry)
    return timeline


def test_timeline_covers_startup_and_later_loads() -> None:
    timeline = _timeline("triton_verbose.log")
    slow = timeline.for_model("slow_init")
    assert [a.state for a in slow] == ["READY", "READY"]  # start-up, then the API reload
    for attempt in slow:
        assert attempt.duration is not None and attempt.duration >= 3.0
        inst = attempt.instances["slow_init_0"]
        assert inst.where == "CPU device 0"
        assert inst.duration is not None and 3.0 <= inst.duration <= attempt.duration
    # The unload finished while the reload was already under way; the second went at shutdown.
    assert slow[0].unloaded is not None and slow[1].unloaded is not None
    assert slow[0].unloaded < slow[1].unloaded
    dense = timeline.for_model("densenet_onnx")[0]
    assert set(dense.instances) == {"densenet_onnx_0", "densenet_onnx_1"}
    assert dense.instances_ready is not None
    assert {a.model for a in timeline.snapshot()} == {
        "add_sub",
        "densenet_onnx",
        "identity_onnx",
        "slow_init",
    }


def test_timeline_records_a_failed_load() -> None:
    timeline = _timeline("triton_iso_failed.log")
    broken = timeline.for_model("broken")
    assert len(broken) == 1 and broken[0].state == "FAILED"
    assert "boom in init" in broken[0].reason
    assert broken[0].as_dict()["state"] == "FAILED"


def test_load_duration_metric_is_read_when_exported() -> None:
    text = (
        "# HELP nv_model_load_duration_secs Model load time in seconds\n"
        "# TYPE nv_model_load_duration_secs gauge\n"
        'nv_model_load_duration_secs{model="slow_init",version="1"} 3.25\n'
    )
    assert load_durations(text) == {("slow_init", "1"): 3.25}
    assert load_durations("nv_cpu_utilization 0.5\n") == {}


def test_request_and_warmup_snippet_from_model_description() -> None:
    meta = {
        "name": "m",
        "inputs": [
            {"name": "INPUT0", "datatype": "FP32", "shape": [-1, 4]},
            {"name": "TEXT", "datatype": "BYTES", "shape": [1]},
        ],
    }
    body = json.loads(request_body(meta))
    assert body["inputs"][0] == {
        "name": "INPUT0",
        "shape": [1, 4],
        "datatype": "FP32",
        "data": [0] * 4,
    }
    assert body["inputs"][1]["data"] == [""]
    config = {"input": [{"name": "INPUT0", "data_type": "TYPE_FP32", "dims": ["-1", "16"]}]}
    snippet = warmup_snippet(config)
    assert 'key: "INPUT0"' in snippet and "dims: 1 dims: 16" in snippet
    # It parses as a ModelConfig fragment.
    from google.protobuf import text_format
    from tritonclient.grpc import model_config_pb2

    parsed = text_format.Parse(snippet, model_config_pb2.ModelConfig())
    assert parsed.model_warmup[0].inputs["INPUT0"].zero_data
    slow = ProbeResult("m", first_s=0.5, steady_s=[0.01] * 5)
    fast = ProbeResult("m", first_s=0.012, steady_s=[0.01] * 5)
    assert slow.first_is_slow and not fast.first_is_slow


@pytest.mark.timeout(120)
def test_coldstart_command_on_slow_init(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The probe on its own server: the load takes at least slow_init's configured 3 s."""
    repo = copy_demo(tmp_path / "models", ("slow_init",))
    code = main(
        ["coldstart", "-m", "slow_init", "--model-repository", str(repo), "-n", "5", "--json"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    result = json.loads(out)
    assert result["load_s"] >= 3.0
    assert result["steady_n"] == 5 and result["steady_p50_s"] > 0
    assert result["first_inference_s"] > 0
    log = result["log_timeline"]
    assert log["state"] == "READY" and log["duration_s"] >= 3.0
    assert log["instances"]["slow_init_0"]["init_s"] >= 3.0
    if result["suggest_warmup"]:
        assert 'key: "INPUT0"' in result["warmup_snippet"]


def test_coldstart_command_rejects_bad_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coldstart", "-m", "x"]) == 3
    assert "--model-repository" in capsys.readouterr().err
    assert main(["coldstart", "-m", "x", "-u", "127.0.0.1:1", "-n", "0"]) == 3
    assert main(["coldstart", "-m", "x", "-u", "127.0.0.1:1"]) == 1
    assert "cannot reach" in capsys.readouterr().err

"""Scanning a repository on disk and merging it with the server's index (no server needed)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import DEMO, FAST_ONNX_MODEL
from tools.models import committed_files
from tui.core.store.repository import ModelView, merge, scan_model, scan_repository
from tui.core.workflows.diagnosis import ModelErrorTracker
from tui.panes.repository_detail import render_detail


def test_demo_repository_scans_clean() -> None:
    models = {m.name: m for m in scan_repository(DEMO)}
    assert sorted(models) == ["add_sub", "densenet_onnx", "identity_onnx", "slow_init"]
    assert all(not m.problems for m in models.values()), {n: m.problems for n, m in models.items()}
    assert not models["identity_onnx"].has_config
    assert models["densenet_onnx"].backend == "onnxruntime"
    assert any(f.path == "1/model.onnx" and f.size > 0 for f in models["densenet_onnx"].files)


def test_layout_mistakes_are_named(tmp_path: Path) -> None:
    (tmp_path / "noversion" / "v1").mkdir(parents=True)
    (tmp_path / "noversion" / "config.pbtxt").write_text('backend: "python"\n')
    (tmp_path / "renamed" / "1").mkdir(parents=True)
    (tmp_path / "renamed" / "1" / "model.py").write_text("")
    (tmp_path / "renamed" / "config.pbtxt").write_text('name: "other"\nbackend: "python"\n')
    (tmp_path / ".hidden" / "1").mkdir(parents=True)
    models = {m.name: m for m in scan_repository(tmp_path)}
    assert any("no numeric version folder" in p for p in models["noversion"].problems)
    assert any("'v1' is not a version number" in p for p in models["noversion"].problems)
    assert any("differs from folder name" in p for p in models["renamed"].problems)
    assert any("hidden folder" in p for p in models[".hidden"].problems)


def test_merge_uses_log_reason_when_index_has_none(tmp_path: Path) -> None:
    (tmp_path / "broken" / "1").mkdir(parents=True)
    (tmp_path / "broken" / "config.pbtxt").write_text("max_batch_size: x")
    tracker = ModelErrorTracker()
    lines = [
        "[libprotobuf ERROR /x/text_format.cc:337] Error parsing text-format "
        "inference.ModelConfig: 1:17: Expected integer, got: x",
        'E1126 11:35:03.283379 2279 model_repository_manager.cc:1460] "Poll failed for model '
        "directory 'broken': failed to read text proto from /r/broken/config.pbtxt\"",
    ]
    for i, line in enumerate(lines):
        tracker.feed(i, line)
    views = merge(scan_repository(tmp_path), [{"name": "broken"}], tracker.reasons())
    assert views[0].state == "FAILED"
    assert "1:17: Expected integer" in views[0].reason


def test_merge_unloaded_and_missing_from_server(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name / "1").mkdir(parents=True)
    index = [{"name": "a", "version": "1", "state": "UNAVAILABLE", "reason": "unloaded"}]
    views = {v.name: v for v in merge(scan_repository(tmp_path), index)}
    assert views["a"].state == "NOT LOADED" and not views["a"].reason
    assert views["b"].state == "NOT ON SERVER"


def test_successful_load_clears_reason() -> None:
    tracker = ModelErrorTracker()
    tracker.feed(
        1,
        "E1126 11:00:00.000000 1 model_lifecycle.cc:642] \"failed to load 'm' "
        'version 1: Invalid argument: bad"',
    )
    assert tracker.reason("m") == "Invalid argument: bad"
    tracker.feed(2, "I1126 11:00:01.000000 1 model_lifecycle.cc:839] \"successfully loaded 'm'\"")
    assert tracker.reason("m") is None


def test_committed_onnx_files_are_reproducible() -> None:
    files = committed_files()
    assert {p.parent.parent.name for p in files} == {"identity_onnx", FAST_ONNX_MODEL}
    for path, data in files.items():
        assert path.read_bytes() == data, path
        assert data == committed_files()[path], path  # the same bytes on every run


def test_model_folder_readme_is_shown_without_control_characters(tmp_path: Path) -> None:
    demo = scan_model(DEMO / "densenet_onnx")
    assert "random weights" in demo.note and "not ImageNet classes" in demo.note
    view = ModelView("densenet_onnx", "NOT ON SERVER", disk=demo)
    assert "not ImageNet classes" in render_detail(view, None).plain
    (tmp_path / "m" / "1").mkdir(parents=True)
    (tmp_path / "m" / "README.md").write_text("hello \x1b]0;pwned\x07\x1b[2Jworld\nline two\n")
    assert scan_model(tmp_path / "m").note == "hello world\nline two"
    (tmp_path / "m" / "README.md").unlink()
    (tmp_path / "m" / "README.md").symlink_to(DEMO / "densenet_onnx" / "README.md")
    assert scan_model(tmp_path / "m").note == ""  # a link is not followed

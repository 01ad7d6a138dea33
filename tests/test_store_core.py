"""The model store and the words for foreign models, without a terminal (tui/core/store/).

The store runs against the shared demo server; the rest are pure functions on files built here.
"""

from __future__ import annotations

from pathlib import Path

from tests.foreign_repo import ENSEMBLE, NOT_UTF8_COMMENT
from tui.core.modelconfig import read_config_any, restore_backup, save_config
from tui.core.modelconfig.foreign import MARK, decode_config, encode_config
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.store.models import ModelStore, StoreSource, summarise
from tui.core.store.repository import merge, scan_model
from tui.core.store.truth import LOAD_HINT, explain, missing_backend


def test_a_file_that_is_not_utf8_round_trips_byte_for_byte() -> None:
    data = b'# caf\xe9\nname: "m"\n# \xff\xfe twice\n# \xe9\n'
    text, foreign = decode_config(data)
    assert foreign is not None
    assert (
        text.splitlines()[0] == f"# caf{MARK}" and text.splitlines()[2] == f"# {MARK}{MARK} twice"
    )
    assert encode_config(text, foreign) == data
    words = foreign.describe()
    assert "line 1 has byte 0xe9 at column 6" in words and "line 3 has byte 0xff" in words
    # An edited line is written as UTF-8; the lines not edited keep their bytes.
    edited = text.replace('name: "m"', 'name: "n"').replace(f"# {MARK}{MARK} twice", "# fixed")
    assert encode_config(edited, foreign) == b'# caf\xe9\nname: "n"\n# fixed\n# \xe9\n'
    assert decode_config(b"plain\n") == ("plain\n", None)


def test_save_and_restore_keep_the_bytes(tmp_path: Path) -> None:
    config = tmp_path / "m" / "config.pbtxt"
    config.parent.mkdir()
    original = NOT_UTF8_COMMENT + b'name: "m"\nmax_batch_size: 8\n'
    config.write_bytes(original)
    text, stamp, foreign = read_config_any(config)
    new = text.replace("max_batch_size: 8", "max_batch_size: 2")
    save_config(config, new, repository_root=tmp_path, expected=stamp, foreign=foreign)
    assert config.read_bytes() == original.replace(b": 8", b": 2")
    restore_backup(config, repository_root=tmp_path)  # the backup is not UTF-8 either
    assert config.read_bytes() == original


def test_the_words_for_models_nobody_prepared(tmp_path: Path) -> None:
    for name in ("late", ".hidden", "tf"):
        (tmp_path / name / "1").mkdir(parents=True)
        (tmp_path / name / "1" / "model.py").write_text("")
        (tmp_path / name / "config.pbtxt").write_text(f'name: "{name}"\nbackend: "python"\n')
    (tmp_path / "pipeline" / "1").mkdir(parents=True)
    (tmp_path / "pipeline" / "config.pbtxt").write_text(ENSEMBLE)
    disk = [scan_model(tmp_path / n, tmp_path) for n in ("late", ".hidden", "tf", "pipeline")]
    assert disk[3].backend == "ensemble" and disk[3].problems == []  # its empty 1/ is normal
    raw = "unexpected 'platform' and 'backend' pair, got:, tensorflow"
    index = [
        {"name": "late"},  # listed with no state, and the log never named it
        {"name": ".hidden", "version": "1", "state": "READY"},
        {"name": "tf", "version": "1", "state": "UNAVAILABLE", "reason": raw},
    ]
    views = {v.name: v for v in merge(disk, index)}
    for view in views.values():
        explain(view, ("onnxruntime", "python"))
    assert (views["late"].state, views["late"].reason) == ("NOT LOADED", LOAD_HINT)
    hidden = views[".hidden"].disk
    assert hidden is not None
    assert hidden.problems == ["hidden folder: the server serves it as a model all the same"]
    assert views["tf"].reason.startswith("this server has no tensorflow backend; it has: ")
    assert "onnxruntime, python" in views["tf"].reason
    assert missing_backend("unable to find backend library for backend 'openvino'") == "openvino"
    assert missing_backend("some other failure") is None


def test_summary_of_a_huge_config_is_cut() -> None:
    config = {"name": "big", "parameters": {f"p{i}": {"string_value": "v"} for i in range(500)}}
    text, cut = summarise(config, limit=20)
    assert len(text.splitlines()) == 20 and cut > 1000


def test_store_refreshes_once_per_change_and_swaps_its_server(
    demo_server: ServerProcess, demo_repo: Path
) -> None:
    client = TritonHTTP(demo_server.http_url)
    store = ModelStore(StoreSource(client, (demo_repo,)))
    listed = []
    first = store.refresh(listed.append)
    assert listed and listed[0].snapshot.served == {}  # the rows came first
    assert listed[0].listing and not first.listing
    assert "add_sub" in first.snapshot.ready and "add_sub" in first.changed
    served = first.snapshot.served["add_sub"]
    assert 'name: "add_sub"' in served.summary and served.metadata is not None
    again = store.refresh()
    assert again.changed == frozenset() and not again.listing
    assert again.snapshot.served["add_sub"] is served  # not fetched again
    store.forget("add_sub")
    third = store.refresh()
    assert third.changed == {"add_sub"} and third.snapshot.served["add_sub"] is not served
    store.attach(StoreSource(TritonHTTP("127.0.0.1:1"), (demo_repo,)))
    moved = store.refresh()
    assert moved.snapshot.url == "127.0.0.1:1" and moved.snapshot.ready == []
    assert moved.snapshot.error

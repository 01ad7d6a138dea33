"""The bounded log store: filters, search, errors, export, and memory under a flood."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from tui.core.logs.parser import MAX_CONTINUATION
from tui.core.logs.store import _COMPACT_AT, LogStore

DATA = Path(__file__).parent / "data"
VERBOSE = (DATA / "triton_verbose.log").read_text().splitlines()
ISO = (DATA / "triton_iso_failed.log").read_text().splitlines()


def test_level_and_model_filters() -> None:
    store = LogStore(gpu_host=False)
    store.extend(VERBOSE)
    assert store.visible_count == len(VERBOSE)
    store.set_filter(levels={"E", "W"})
    assert store.visible_lines() and all(line[0] in "EW" for line in store.visible_lines())
    store.set_filter(levels={"E", "W", "I", "V"}, model="slow_init")
    shown = store.visible_lines()
    assert shown and all("slow_init" in line for line in shown if line[:1] in "IWEV")
    assert any("successfully loaded 'slow_init'" in line for line in shown)
    assert not any("'add_sub'" in line for line in shown)
    # New lines respect the filter that is on.
    before = store.visible_count
    store.extend(['I1126 11:50:00.000000 1 x.cc:1] "about add_sub"'])
    store.extend(['I1126 11:50:00.000001 1 x.cc:1] "about slow_init"'])
    assert store.visible_count == before + 1
    with pytest.raises(ValueError, match="unknown log level"):
        store.set_filter(levels={"X"})


def test_search_next_previous_and_next_error() -> None:
    store = LogStore(gpu_host=False)
    store.extend(ISO)
    hits = [i for i, line in enumerate(store.visible_lines()) if "successfully" in line.lower()]
    assert len(hits) >= 3
    assert store.find("SUCCESSFULLY", hits[0]) == hits[1]
    assert store.find("successfully", hits[1], backwards=True) == hits[0]
    assert store.find("successfully", hits[-1]) == hits[0]  # wraps around
    assert store.find("no such text", 0) is None
    first = store.next_error(-1)
    assert first is not None
    assert "backend_model.cc" in store.visible_line(first)[0]  # harmless CUDA error skipped
    second = store.next_error(first)
    assert second is not None and "failed to load 'broken'" in store.visible_line(second)[0]
    assert store.seen["E!"] == 2 and store.seen["E"] > 2


def test_export_writes_visible_lines(tmp_path: Path) -> None:
    store = LogStore(gpu_host=False)
    store.extend(VERBOSE)
    store.set_filter(levels={"E", "W"})
    out = tmp_path / "sub" / "errors.log"
    assert store.export(out) == (out, store.visible_count)
    assert out.read_text().splitlines() == store.visible_lines()
    with pytest.raises(IsADirectoryError):
        store.export(tmp_path)


def test_flood_keeps_memory_bounded() -> None:
    history = 5_000
    store = LogStore(history, gpu_host=False)
    flood = VERBOSE * 40  # ~16 700 lines per round
    store.extend(flood)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(6):
            store.extend(flood)
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert len(store) == history
    assert store.total == 7 * len(flood)
    assert store.visible_count == history
    # At most one compaction step of dead lines stays referenced (it used to be `history` more:
    # twice the memory the cap promises, the console's RSS growth under a flood, issue 13).
    assert len(store._lines) <= history + _COMPACT_AT  # noqa: SLF001 - the bound under test
    assert len(store._owner) <= history + _COMPACT_AT  # noqa: SLF001
    assert grown < 4_000_000, f"memory grew by {grown} bytes while the history stayed full"
    # The oldest lines left are the most recent ones fed.
    assert store.visible_lines()[-1] == flood[-1]
    assert store.line(store.first)[0] == flood[len(flood) - history]


def test_endless_continuation_does_not_outlive_the_cap() -> None:
    """A header ending in ':' then header-less lines forever (a model printing): the store keeps
    `history` of them, and the one entry they join keeps a bounded summary, not all of them."""
    store = LogStore(1_000, gpu_host=False)
    store.extend(['I1126 11:40:43.188547 6563 model.py:1] "model says:"'])
    store.extend(f"  print {i}" for i in range(20_000))
    entry = store.line(store.total - 1)[1]
    assert len(store) == 1_000
    assert entry.more is not None and len(entry.more) <= MAX_CONTINUATION

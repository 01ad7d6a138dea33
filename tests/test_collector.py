"""The idle collector (tui/core/util/collector.py): Python's own collections, real ones, made at
the times its policy says, on a clock the test moves."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tui.core.util.collector import (
    FULL_AT_LATEST_S,
    FULL_EVERY_S,
    IDLE_S,
    YOUNG_EVERY,
    IdleCollector,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def seen() -> Iterator[list[int]]:
    """The generations of the collections Python starts meanwhile."""
    generations: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            generations.append(info["generation"])

    gc.callbacks.append(record)
    try:
        yield generations
    finally:
        gc.callbacks.remove(record)


def garbage(count: int) -> list[list[int]]:
    return [[i] for i in range(count)]  # containers the collector tracks


def test_no_automatic_collection_while_started_and_back_after(seen: list[int]) -> None:
    clock = Clock()
    collector = IdleCollector(clock)
    collector.start()
    try:
        assert not gc.isenabled()
        kept = garbage(YOUNG_EVERY // 2)  # below the young threshold: nothing is collected
        collector.tick()
        assert seen == [] and collector.young == collector.full == 0
        del kept
    finally:
        collector.stop()
    assert gc.isenabled()


def test_young_generations_when_enough_piled_up_full_only_when_idle(seen: list[int]) -> None:
    clock = Clock()
    collector = IdleCollector(clock)
    collector.start()
    try:
        clock.now += FULL_EVERY_S  # a full collection is due ... but keys keep coming
        kept = garbage(YOUNG_EVERY + 1000)
        collector.input_seen()
        collector.tick()
        assert seen == [1] and collector.young == 1 and collector.full == 0
        clock.now += IDLE_S  # the keys pause: now the whole heap
        collector.tick()
        assert seen == [1, 2] and collector.full == 1
        clock.now += IDLE_S  # idle still, but one was made just now
        collector.tick()
        assert seen == [1, 2]
        del kept
    finally:
        collector.stop()


def test_full_collection_at_the_latest_even_under_steady_input(seen: list[int]) -> None:
    clock = Clock()
    collector = IdleCollector(clock)
    collector.start()
    try:
        for _ in range(int(FULL_AT_LATEST_S / FULL_EVERY_S) + 1):
            clock.now += FULL_EVERY_S
            collector.input_seen()  # never idle
            collector.tick()
        assert 2 in seen and collector.full == 1
        assert collector.idle_for() == 0.0
    finally:
        collector.stop()

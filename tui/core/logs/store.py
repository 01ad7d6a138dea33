"""A bounded store of log lines grouped into entries, with the filters and searches the pane uses.

Memory is bounded by a line count (`history`, default 100 000): the oldest lines go first. Lines
live in a plain list with a moving start index, so random access by line number stays O(1) while
the front is trimmed; the list is compacted every `_COMPACT_AT` trimmed lines, so at most that many
dead lines stay referenced (compacting only at half the list kept up to `history` dead lines, and
their entries, alive: twice the memory the cap promises). `visible` holds the absolute numbers
of the lines that pass the current filter, in order; the pane renders from it.
"""

from __future__ import annotations

import os
import tempfile
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from pathlib import Path

from tui.core.logs.parser import Entry, LogParser
from tui.core.util.export import export_mode
from tui.core.util.sanitize import clean

LEVELS = ("E", "W", "I", "V")
_COMPACT_AT = 8192


class LogStore:
    def __init__(self, history: int = 100_000, *, gpu_host: bool | None = None) -> None:
        if history < 1:
            raise ValueError("history must be at least one line")
        self.history = history
        self.parser = LogParser(gpu_host)
        self._lines: list[str] = []
        self._owner: list[Entry] = []
        self._start = 0  # list index of the oldest line still held
        self.first = 0  # absolute number of the oldest line still held
        self.total = 0  # absolute number the next line gets
        self._visible: list[int] = []
        self._vstart = 0
        self.levels: set[str] = set(LEVELS)
        self.model = ""
        self._last: Entry | None = None
        # Entries seen since the store was made, per level ("E!" = errors that matter).
        self.seen: dict[str, int] = dict.fromkeys((*LEVELS, "E!"), 0)

    # Feeding -------------------------------------------------------------------------------
    def extend(self, lines: Iterable[str]) -> int:
        """Add lines; returns how many became visible. Trims the oldest past `history`."""
        lines_, owner, visible = self._lines, self._owner, self._visible
        feed = self.parser.feed
        seen = self.seen
        last = self._last
        n = self.total
        added = 0
        for line in lines:
            line = clean(line)  # a log line may carry terminal control sequences
            entry = feed(line)
            if entry is not last:
                entry.seq = n
                entry.shown = self._passes(entry)
                last = entry
                level = entry.level or "I"
                seen[level] += 1
                if level == "E" and not entry.harmless:
                    seen["E!"] += 1
            lines_.append(line)
            owner.append(entry)
            if entry.shown:
                visible.append(n)
                added += 1
            n += 1
        self._last = last
        self.total = n
        self._trim()
        return added

    def _trim(self) -> None:
        excess = (self.total - self.first) - self.history
        if excess <= 0:
            return
        self.first += excess
        self._start += excess
        # Drop visible numbers below `first`.
        cut = bisect_left(self._visible, self.first, self._vstart)
        self._vstart = cut
        if self._start >= _COMPACT_AT:
            del self._lines[: self._start]
            del self._owner[: self._start]
            self._start = 0
        if self._vstart >= _COMPACT_AT:
            del self._visible[: self._vstart]
            self._vstart = 0

    def clear(self) -> None:
        self._lines.clear()
        self._owner.clear()
        self._visible.clear()
        self._start = self._vstart = 0
        self.first = self.total

    # Access --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.total - self.first

    @property
    def visible_count(self) -> int:
        return len(self._visible) - self._vstart

    def line(self, number: int) -> tuple[str, Entry]:
        """The line with absolute number `number` and its entry."""
        i = number - self.first + self._start
        return self._lines[i], self._owner[i]

    def visible_line(self, index: int) -> tuple[str, Entry]:
        return self.line(self._visible[self._vstart + index])

    def visible_number(self, index: int) -> int:
        return self._visible[self._vstart + index]

    def index_of(self, number: int) -> int:
        """Visible index of the first visible line numbered `number` or later (clamped)."""
        i = bisect_left(self._visible, number, self._vstart) - self._vstart
        return max(0, min(i, self.visible_count - 1))

    def visible_after(self, number: int) -> list[int]:
        """Numbers of the visible lines after line `number` (all of them for -1)."""
        vis = self._visible
        return vis[bisect_right(vis, number, self._vstart) :]

    def lengths(self, numbers: list[int]) -> list[int]:
        """Character lengths of the lines `numbers` (all still held)."""
        base = self._start - self.first
        lines = self._lines
        return [len(lines[n + base]) for n in numbers]

    def visible_lines(self) -> list[str]:
        base = self._start - self.first
        lines = self._lines
        return [lines[n + base] for n in self._visible[self._vstart :]]

    def entries(self) -> list[Entry]:
        """Distinct entries still held, oldest first (the oldest may have lost its first lines)."""
        out: list[Entry] = []
        last = None
        for entry in self._owner[self._start :]:
            if entry is not last:
                out.append(entry)
                last = entry
        return out

    # Filtering -----------------------------------------------------------------------------
    def _passes(self, entry: Entry) -> bool:
        level = entry.level or "I"
        if level not in self.levels:
            return False
        return not self.model or self.model in entry.head

    def set_filter(self, levels: Iterable[str] | None = None, model: str | None = None) -> None:
        """Change the level set and/or the model-name filter, and recompute what is visible."""
        if levels is not None:
            wanted = set(levels)
            unknown = wanted - set(LEVELS)
            if unknown:
                raise ValueError(f"unknown log level(s): {', '.join(sorted(unknown))}")
            self.levels = wanted
        if model is not None:
            self.model = model.strip()
        visible: list[int] = []
        last = None
        n = self.first
        for entry in self._owner[self._start :]:
            if entry is not last:
                entry.shown = self._passes(entry)
                last = entry
            if entry.shown:
                visible.append(n)
            n += 1
        self._visible = visible
        self._vstart = 0

    def toggle_level(self, level: str) -> None:
        levels = set(self.levels)
        levels.symmetric_difference_update({level})
        self.set_filter(levels=levels)

    # Searching -----------------------------------------------------------------------------
    def find(self, text: str, start: int, *, backwards: bool = False) -> int | None:
        """Visible index of the next line containing `text` (case-insensitive) after `start`
        (before it when `backwards`), wrapping around; None when no visible line has it."""
        count = self.visible_count
        if not text or not count:
            return None
        needle = text.lower()
        step = -1 if backwards else 1
        for k in range(1, count + 1):
            index = (start + step * k) % count
            if needle in self.visible_line(index)[0].lower():
                return index
        return None

    def next_error(self, start: int, *, backwards: bool = False) -> int | None:
        """Visible index of the next line starting an error entry that matters."""
        count = self.visible_count
        step = -1 if backwards else 1
        for k in range(1, count + 1):
            index = (start + step * k) % count
            _, entry = self.visible_line(index)
            first = entry.seq == self.visible_number(index)
            if first and entry.level == "E" and not entry.harmless:
                return index
        return None

    def counts(self) -> dict[str, int]:
        """Entries per level among those held (errors that matter under "E!")."""
        counts = dict.fromkeys((*LEVELS, "E!"), 0)
        for entry in self.entries():
            level = entry.level or "I"
            counts[level] += 1
            if entry.level == "E" and not entry.harmless:
                counts["E!"] += 1
        return counts

    # Export --------------------------------------------------------------------------------
    def export(self, path: Path) -> tuple[Path, int]:
        """Write the visible lines to `path`, or a new name beside it when it exists (see
        `write_lines`); returns the path written and the line count."""
        lines = self.visible_lines()
        return write_lines(Path(path).expanduser(), lines), len(lines)


def write_lines(path: Path, lines: list[str]) -> Path:
    """Write `lines` through a temporary file (no half-written export is left) to `path`, or,
    when a file by that name exists, to the first free `stem-1.suffix`, `stem-2.suffix`, ...:
    an existing file is never replaced. Returns the path written."""
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory: give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:  # mkstemp: 0600 until chmod below
            for line in lines:
                f.write(line)
                f.write("\n")
        os.chmod(tmp, export_mode())  # as `open` would have made it
        for n in range(10_000):
            target = path if n == 0 else path.with_name(f"{path.stem}-{n}{path.suffix}")
            try:  # claim the name (fails if it exists: no check-then-write race), then fill it
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                continue
            os.replace(tmp, target)
            return target
        raise FileExistsError(f"{path} and 10 000 numbered names beside it exist")
    finally:
        tmp.unlink(missing_ok=True)

"""Where triton-tui keeps its own files (XDG base directories), and how it reads files it did not
write: regular files only, with a size limit, never blocking on a FIFO or a device.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var, "")
    base = Path(value) if value and Path(value).is_absolute() else Path.home() / fallback
    return base / "triton-tui"


def cache_dir() -> Path:
    """Our cache (assembled backend directories, exports); created on demand."""
    path = _xdg("XDG_CACHE_HOME", ".cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


# Reading files we did not write ----------------------------------------------------------------
TEXT_LIMIT = 64 << 20  # a config.pbtxt, a log export: far beyond any real one
MODEL_LIMIT = 2 << 30  # an ONNX file (protobuf's own limit)


class UnreadableFileError(OSError):
    """Not a regular file (a FIFO, a device, a folder) or larger than the limit: not read."""


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _read_upto(handle: BinaryIO, expected: int, limit: int) -> bytes:
    """At most `limit` + 1 bytes, in a buffer the size the file claims (`read(limit + 1)` would
    allocate the whole limit for every small file), then in 1 MiB steps if it grows."""
    parts: list[bytes] = []
    total, step = 0, min(expected, limit) + 1
    while total <= limit:
        chunk = handle.read(min(step, limit + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
        step = 1 << 20
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_regular(path: Path | str, limit: int = TEXT_LIMIT) -> bytes:
    """The bytes of a regular file, never blocking: a FIFO or device named like a config raises
    `UnreadableFileError` at once (opened non-blocking, checked with fstat before any read)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO with no writer, on some systems
            raise UnreadableFileError(errno.EINVAL, "a FIFO (named pipe)", str(path)) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFileError(errno.EINVAL, f"{_kind(info.st_mode)}, not a file", str(path))
        if info.st_size > limit:
            raise UnreadableFileError(
                errno.EFBIG, f"{info.st_size} bytes, over the {limit} byte limit", str(path)
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = _read_upto(handle, info.st_size, limit)
        if len(data) > limit:  # it grew while being read
            raise UnreadableFileError(errno.EFBIG, f"over the {limit} byte limit", str(path))
        return data
    finally:
        os.close(fd)


def read_regular_text(path: Path | str, limit: int = TEXT_LIMIT) -> str:
    """`read_regular` decoded as UTF-8 (UnicodeDecodeError when it is not: `not_utf8` words it)."""
    return read_regular(path, limit).decode("utf-8")


def not_utf8(exc: UnicodeDecodeError) -> str:
    """A decoding failure in words: which byte, where."""
    return f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"


def special_kind(path: Path | str) -> str:
    """What the path is when it exists but is neither a regular file nor a folder ("a FIFO
    (named pipe)", "a socket", ...); "" otherwise (symlinks followed)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return ""
    return "" if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else _kind(mode)


def current_umask() -> int:
    """The process's umask, read without changing it (os.umask would, for every thread)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no /proc: the brief race of the classic read
    os.umask(mask)
    return mask


def copied_mode(source: Path | str) -> int:
    """The permission bits a copy of `source` gets: the source's, less the umask's."""
    return stat.S_IMODE(os.stat(source).st_mode) & ~current_umask() & 0o777

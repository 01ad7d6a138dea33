"""Saving config.pbtxt so nothing is lost.

- Atomic: a temporary file in the same folder, fsync, rename over the target, fsync the folder.
- The previous content is kept as `config.pbtxt.bak`, the ones before it as `config.pbtxt.bak.1`
  (older) up to `.bak.4` (oldest): five in all, so a second save never loses the original.
  Triton ignores files it does not know.
- A path that resolves (symlinks included) outside the model repository is refused.
- A file that changed on disk since it was read raises `ExternalChangeError`, so a UI can ask.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tui.core.modelconfig.foreign import ForeignBytes, decode_config, encode_config
from tui.core.util.paths import UnreadableFileError, read_regular
from tui.core.util.sanitize import first_control

BACKUP_SUFFIX = ".bak"
BACKUPS_KEPT = 5


class StoreError(Exception):
    """Base of everything `store` refuses to do."""


class OutsideRepositoryError(StoreError):
    def __init__(self, path: Path, root: Path) -> None:
        super().__init__(f"{path} resolves outside the model repository {root}")
        self.path, self.root = path, root


class ExternalChangeError(StoreError):
    """The file on disk is not the one that was read (edited elsewhere, or created/deleted)."""

    def __init__(self, path: Path, expected: FileStamp, current: FileStamp) -> None:
        super().__init__(f"{path} changed on disk since it was read")
        self.path, self.expected, self.current = path, expected, current


class NoBackupError(StoreError):
    pass


@dataclass(frozen=True)
class FileStamp:
    """What a file was when read: mtime and size for a quick look, sha256 to be sure."""

    mtime_ns: int
    size: int
    sha256: str

    @property
    def exists(self) -> bool:
        return self.size >= 0

    @classmethod
    def missing(cls) -> FileStamp:
        return cls(-1, -1, "")

    @classmethod
    def of_bytes(cls, data: bytes, mtime_ns: int) -> FileStamp:
        return cls(mtime_ns, len(data), hashlib.sha256(data).hexdigest())

    @classmethod
    def of(cls, path: Path | str) -> FileStamp:
        try:
            data = read_regular(path)
            mtime_ns = os.stat(path).st_mtime_ns
        except FileNotFoundError:
            return cls.missing()
        return cls.of_bytes(data, mtime_ns)

    def same_content(self, other: FileStamp) -> bool:
        return self.size == other.size and self.sha256 == other.sha256


def backup_path(path: Path | str) -> Path:
    """The newest backup of `path`; `backup_paths` lists them all, newest first."""
    path = Path(path)
    return path.with_name(path.name + BACKUP_SUFFIX)


def backup_paths(path: Path | str) -> list[Path]:
    newest = backup_path(path)
    return [newest] + [newest.with_name(f"{newest.name}.{i}") for i in range(1, BACKUPS_KEPT)]


def keep_backup(path: Path, data: bytes | None = None, mode: int | None = None) -> Path:
    """Keep `data` (default: the file's current content) as the newest backup of `path`; the
    older ones shift down one place (`.bak` -> `.bak.1` ...) and the oldest past the count goes.
    Content equal to the newest backup is not kept twice. Returns the newest backup's path."""
    names = backup_paths(path)
    if data is not None and names[0].is_file():
        with contextlib.suppress(OSError):
            if read_regular(names[0]) == data:
                return names[0]
    for older, newer in zip(reversed(names[:-1]), reversed(names[1:]), strict=True):
        if older.exists():
            os.replace(older, newer)
    if data is not None:
        atomic_write(names[0], data, mode)
    else:  # a model file may be large: a hard link costs nothing, else copy it
        tmp = names[0].with_name(f".{names[0].name}.tmp")
        tmp.unlink(missing_ok=True)
        try:
            os.link(path, tmp)
        except OSError:
            shutil.copy2(path, tmp)
        os.replace(tmp, names[0])
    return names[0]


def resolve_inside(path: Path | str, repository_root: Path | str) -> Path:
    """The real path of `path`, which must lie inside the repository (symlinks followed)."""
    root = Path(repository_root).resolve()
    real = Path(path).resolve()
    if real != root and root not in real.parents:
        raise OutsideRepositoryError(Path(path), root)
    return real


def read_config(path: Path | str) -> tuple[str, FileStamp]:
    """The file's text and its stamp (to pass back to `save_config` as `expected`)."""
    real = Path(path)
    data = read_regular(real)  # a FIFO or device raises at once instead of blocking
    stamp = FileStamp.of_bytes(data, os.stat(real).st_mtime_ns)
    return _no_control(data.decode("utf-8"), path), stamp


def read_config_any(path: Path | str) -> tuple[str, FileStamp, ForeignBytes | None]:
    """As `read_config`, but a file that is not UTF-8 is read too: its undecodable bytes shown
    as U+FFFD, and what `save_config(foreign=...)` needs to write them back (see foreign.py)."""
    real = Path(path)
    data = read_regular(real)
    stamp = FileStamp.of_bytes(data, os.stat(real).st_mtime_ns)
    text, foreign = decode_config(data)
    return _no_control(text, path), stamp, foreign


def _no_control(text: str, path: Path | str) -> str:
    control = first_control(text)
    if control is not None:  # an editor would show it raw (an escape sequence reaches the tty)
        line, col, char = control
        raise UnreadableFileError(
            errno.EINVAL,
            f"holds a control character ({char} at line {line}, column {col}); Triton has no use "
            "for one: remove it with another editor",
            str(path),
        )
    return text


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be fsynced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` through a temporary sibling and a rename."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


def save_config(
    path: Path | str,
    text: str,
    *,
    repository_root: Path | str,
    expected: FileStamp | None = None,
    backup: bool = True,
    foreign: ForeignBytes | None = None,
) -> FileStamp:
    """Save `text` at `path` atomically; returns the new stamp.

    `expected` is the stamp from `read_config` (or `FileStamp.missing()` for a new file); when the
    file now differs, `ExternalChangeError` is raised and nothing is written. Pass None to skip
    the check (after the user chose to overwrite). `foreign`: the file was not UTF-8 when read
    (`read_config_any`): the lines left as shown get their original bytes back.
    """
    real = resolve_inside(path, repository_root)
    try:
        old = read_regular(real)
        old_mode: int | None = os.stat(real).st_mode & 0o7777
        current = FileStamp.of_bytes(old, os.stat(real).st_mtime_ns)
    except FileNotFoundError:
        old, old_mode, current = None, None, FileStamp.missing()
    if expected is not None and not expected.same_content(current):
        raise ExternalChangeError(Path(path), expected, current)
    data = encode_config(text, foreign)
    if backup and old is not None and old != data:
        keep_backup(real, old, old_mode)
    atomic_write(real, data, old_mode if old_mode is not None else 0o644)
    return FileStamp.of(real)


def restore_backup(path: Path | str, *, repository_root: Path | str) -> FileStamp:
    """Put `config.pbtxt.bak` back in place (the current file becomes the new backup)."""
    real = resolve_inside(path, repository_root)
    bak = resolve_inside(backup_path(real), repository_root)
    try:
        previous = read_regular(bak)
    except FileNotFoundError:
        raise NoBackupError(f"no backup {bak} to restore") from None
    text, foreign = decode_config(previous)  # byte for byte, UTF-8 or not
    return save_config(real, text, repository_root=repository_root, foreign=foreign)

"""Saving config.pbtxt: atomic with a backup, inside the repository only, external changes
detected, backups restorable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.core.modelconfig import (
    ExternalChangeError,
    FileStamp,
    NoBackupError,
    OutsideRepositoryError,
    backup_path,
    read_config,
    restore_backup,
    save_config,
    store,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Overrides conftest's `repo` here: one bare model folder, the store's smallest case."""
    root = tmp_path / "repo"
    (root / "m").mkdir(parents=True)
    (root / "m" / "config.pbtxt").write_text('name: "m"\n')
    return root


def test_save_is_atomic_and_keeps_a_backup(repo: Path) -> None:
    path = repo / "m" / "config.pbtxt"
    os.chmod(path, 0o640)
    text, stamp = read_config(path)
    new = save_config(path, 'name: "m"\nmax_batch_size: 4\n', repository_root=repo, expected=stamp)
    assert path.read_text() == 'name: "m"\nmax_batch_size: 4\n'
    assert backup_path(path).read_text() == text
    assert new == FileStamp.of(path)
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.pbtxt", "config.pbtxt.bak"]


def test_new_file_has_no_backup(repo: Path) -> None:
    path = repo / "m2" / "config.pbtxt"
    path.parent.mkdir()
    save_config(path, 'name: "m2"\n', repository_root=repo, expected=FileStamp.missing())
    assert path.read_text() == 'name: "m2"\n'
    assert not backup_path(path).exists()


def test_failed_write_leaves_the_file_and_no_temp(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = repo / "m" / "config.pbtxt"

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        save_config(path, "new", repository_root=repo, backup=False)
    assert path.read_text() == 'name: "m"\n'
    assert [p.name for p in path.parent.iterdir()] == ["config.pbtxt"]


def test_symlinked_file_outside_the_repository_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.pbtxt"
    outside.write_text("precious\n")
    link = repo / "m" / "config.pbtxt"
    link.unlink()
    link.symlink_to(outside)
    with pytest.raises(OutsideRepositoryError):
        save_config(link, "overwritten", repository_root=repo)
    assert outside.read_text() == "precious\n"


def test_symlinked_model_folder_outside_is_refused(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other_model"
    other.mkdir()
    (repo / "linked").symlink_to(other, target_is_directory=True)
    with pytest.raises(OutsideRepositoryError):
        save_config(repo / "linked" / "config.pbtxt", "x", repository_root=repo)
    assert not (other / "config.pbtxt").exists()
    with pytest.raises(OutsideRepositoryError):
        save_config(repo / ".." / "escape.pbtxt", "x", repository_root=repo)


def test_symlink_inside_the_repository_writes_its_target(repo: Path) -> None:
    (repo / "shared.pbtxt").write_text("old\n")
    link = repo / "m" / "config.pbtxt"
    link.unlink()
    link.symlink_to(repo / "shared.pbtxt")
    save_config(link, "new\n", repository_root=repo)
    assert link.is_symlink() and (repo / "shared.pbtxt").read_text() == "new\n"


def test_external_change_is_detected(repo: Path) -> None:
    path = repo / "m" / "config.pbtxt"
    _, stamp = read_config(path)
    path.write_text('name: "m"\n# edited in vim\n')
    with pytest.raises(ExternalChangeError) as info:
        save_config(path, "mine", repository_root=repo, expected=stamp)
    assert info.value.current.exists and not info.value.current.same_content(stamp)
    assert path.read_text().endswith("# edited in vim\n")
    save_config(path, "mine", repository_root=repo, expected=None)  # the user chose overwrite
    assert path.read_text() == "mine"


def test_deleted_or_created_meanwhile_is_a_change(repo: Path) -> None:
    path = repo / "m" / "config.pbtxt"
    _, stamp = read_config(path)
    path.unlink()
    with pytest.raises(ExternalChangeError):
        save_config(path, "x", repository_root=repo, expected=stamp)
    path.write_text("someone else")
    with pytest.raises(ExternalChangeError):
        save_config(path, "x", repository_root=repo, expected=FileStamp.missing())


def test_restore_backup_swaps_back(repo: Path) -> None:
    path = repo / "m" / "config.pbtxt"
    save_config(path, "broken", repository_root=repo)
    restore_backup(path, repository_root=repo)
    assert path.read_text() == 'name: "m"\n'
    assert backup_path(path).read_text() == "broken"


def test_restore_without_backup(repo: Path) -> None:
    with pytest.raises(NoBackupError):
        restore_backup(repo / "m" / "config.pbtxt", repository_root=repo)

"""A model repository nobody prepared for the console (issue 24), built by the tests that use it.

Every case is made from the demo's python `add_sub` (the server runs it on any machine):

- `versions23`: versions 2 and 3 both served (`version_policy: { all {} }`).
- `latin1`: a config.pbtxt that is not UTF-8 (a Latin-1 é in a comment): the server loads it.
- `.hidden`: a hidden folder, which tritonserver treats as a model like any other.
- `pipeline`: an ensemble over add_sub, with its (normal) empty version folder.
- `tf_model`: a backend this server lacks (tensorflow).
- `big`: a 1.2 MiB config holding 20 000 parameters (the freeze of issue 24).
- `late` (by `add_late`): a folder added after the server started, never loaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import DEMO

NOT_UTF8_COMMENT = "# caf\xe9 cr\xe8me: written by a Latin-1 editor\n".encode("latin-1")
BIG_PARAMETERS = 20_000


def _add_sub(dest: Path, name: str, versions: tuple[str, ...] = ("1",)) -> Path:
    folder = dest / name
    for version in versions:
        shutil.copytree(DEMO / "add_sub" / "1", folder / version)
    text = (DEMO / "add_sub" / "config.pbtxt").read_text()
    (folder / "config.pbtxt").write_text(text.replace('name: "add_sub"', f'name: "{name}"'))
    return folder


def big_config_text(name: str = "big", parameters: int = BIG_PARAMETERS) -> str:
    """add_sub's config with `parameters` entries appended (about 62 bytes each)."""
    text = (DEMO / "add_sub" / "config.pbtxt").read_text().replace('"add_sub"', f'"{name}"')
    lines = [text]
    for i in range(parameters):
        lines.append(f'parameters {{ key: "p{i:05d}" value {{ string_value: "v{i:05d}" }} }}\n')
    return "".join(lines)


def build_foreign_repo(dest: Path, big: bool = True) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    _add_sub(dest, "add_sub")
    folder = _add_sub(dest, "versions23", ("2", "3"))
    config = folder / "config.pbtxt"
    config.write_text(config.read_text() + "version_policy: { all { } }\n")
    folder = _add_sub(dest, "latin1")
    config = folder / "config.pbtxt"
    config.write_bytes(NOT_UTF8_COMMENT + config.read_bytes())
    _add_sub(dest, ".hidden")
    ensemble = dest / "pipeline"
    (ensemble / "1").mkdir(parents=True)
    (ensemble / "config.pbtxt").write_text(ENSEMBLE)
    tf = dest / "tf_model"
    (tf / "1").mkdir(parents=True)
    (tf / "1" / "model.savedmodel").mkdir()
    (tf / "config.pbtxt").write_text(
        'name: "tf_model"\nbackend: "tensorflow"\nmax_batch_size: 0\n'
        'input [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] } ]\n'
        'output [ { name: "y" data_type: TYPE_FP32 dims: [ 4 ] } ]\n'
    )
    if big:
        folder = _add_sub(dest, "big")
        (folder / "config.pbtxt").write_text(big_config_text())
    return dest


def add_late(dest: Path) -> Path:
    """A folder that appears after the server started (it is never loaded)."""
    return _add_sub(dest, "late")


ENSEMBLE = """\
name: "pipeline"
platform: "ensemble"
max_batch_size: 8
input [
  { name: "A" data_type: TYPE_FP32 dims: [ 4 ] },
  { name: "B" data_type: TYPE_FP32 dims: [ 4 ] }
]
output [ { name: "SUM" data_type: TYPE_FP32 dims: [ 4 ] } ]
ensemble_scheduling {
  step [
    {
      model_name: "add_sub"
      model_version: -1
      input_map { key: "INPUT0" value: "A" }
      input_map { key: "INPUT1" value: "B" }
      output_map { key: "OUTPUT0" value: "SUM" }
    }
  ]
}
"""

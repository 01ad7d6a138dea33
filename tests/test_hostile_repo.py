"""A hostile model repository (issue 25): folder names that Triton's python backend would hand to a
shell are never handed to the server; the console, `serve` and `config lint` say which and why."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.widgets import DataTable

from tests.conftest import DEMO, ROOT, copy_demo
from tests.helpers import toasts
from tui.app import TritonTUI
from tui.core.modelconfig import lint_path, lint_repository
from tui.core.modelconfig.diagnostics import MESSAGE_LIMIT
from tui.core.modelconfig.target import Target
from tui.core.server.client import TritonError, TritonHTTP
from tui.core.server.launcher import LaunchError, model_load_args
from tui.core.server.modelname import load_problem, name_problem, path_problem, shown
from tui.core.server.session import Session
from tui.core.store.repository import ModelOnDisk, merge, poll, scan_model, scan_repository
from tui.panes.repository_detail import render_detail
from tui.panes.repository_list import ModelTable

# Each would run `touch` (the first two) or leave the server waiting on a stub that never starts.
UNSAFE = [
    "$(touch PWNED)",
    "`touch PWNED_BQ`",
    "with space",
    "semi;colon",
    "tab\there",
    "new\nline",
    "quote'd",
    "\x1b[31mred",
]
ENSEMBLE = "safe_ensemble"  # a safe name whose step loads `$(touch PWNED)` with it
ENSEMBLE_CONFIG = """name: "safe_ensemble"
platform: "ensemble"
max_batch_size: 0
input [ { name: "IN" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUT" data_type: TYPE_FP32 dims: [ 4 ] } ]
ensemble_scheduling { step [ {
  model_name: "$(touch PWNED)"
  model_version: -1
  input_map { key: "INPUT0" value: "IN" }
  output_map { key: "OUTPUT0" value: "OUT" }
} ] }
"""

# Safe names whose config.pbtxt puts a shell command where the stub's command line takes it.
CONFIG_TRICKS = {
    "file_trick": 'backend: "onnxruntime"\ndefault_model_filename: "$(touch PWNED_FILE)"\n',
    "group_trick": 'backend: "onnxruntime"\ninstance_group [ { name: "$(touch PWNED_GROUP)" } ]\n',
}
REFUSED = [*UNSAFE, ENSEMBLE, *CONFIG_TRICKS]


@dataclass
class Served:
    repo: Path
    cwd: Path  # the server's working folder: where `touch PWNED` would land
    client: TritonHTTP
    said: str  # what `serve` printed on stderr up to "ready"


def _pwned(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob("PWNED*")]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("hostile")
    repo = copy_demo(base / "models", ("add_sub",))
    for name in UNSAFE:  # an ONNX model without a config: the server autocompletes it
        shutil.copytree(DEMO / "identity_onnx", repo / name)
        (repo / name / "config.pbtxt").unlink(missing_ok=True)
    for name, config in CONFIG_TRICKS.items():
        shutil.copytree(DEMO / "identity_onnx", repo / name)
        (repo / name / "config.pbtxt").write_text(f'name: "{name}"\n{config}')
    (repo / ENSEMBLE / "1").mkdir(parents=True)
    (repo / ENSEMBLE / "config.pbtxt").write_text(ENSEMBLE_CONFIG)
    cwd = base / "cwd"
    cwd.mkdir()
    log = (base / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--model-repository", str(repo)],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=log,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        said: list[str] = []
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            said.append(line)
            found = re.search(r"ready: http://(\S+)", line)
            url = found.group(1) if found else None
        assert url, f"serve never became ready (exit {proc.poll()}):\n{''.join(said[-15:])}"
        yield Served(repo, cwd, TritonHTTP(url), "".join(said))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_serve_loads_the_safe_model_only_and_says_why_not_the_others(served: Served) -> None:
    index = {m["name"]: m.get("state") for m in served.client.repository_index()}
    assert index["add_sub"] == "READY"
    assert [n for n, state in index.items() if state and n != "add_sub"] == []
    assert _pwned(served.cwd, served.repo) == []
    for name in UNSAFE:
        assert f"warning: model '{shown(name)}' is not loaded: its name holds" in served.said
    assert "would hand to a shell" in served.said
    assert f"ensemble '{ENSEMBLE}' is not loaded: it loads model '$(touch PWNED)'" in served.said
    assert "model 'file_trick' is not loaded: its default_model_filename '$(touch" in served.said
    assert "model 'group_trick' is not loaded: its instance group name '$(touch" in served.said
    assert "\x1b" not in served.said  # the folder is named, sanitised


def test_load_and_reload_of_an_unsafe_name_are_refused(served: Served) -> None:
    with pytest.raises(TritonError, match=r"its name holds '\$', '\(', a space and '\)'"):
        served.client.load("$(touch PWNED)")
    refused = load_problem([served.repo], ENSEMBLE)  # the console's reload checks its steps
    assert refused is not None and "it loads model '$(touch PWNED)'" in refused
    assert load_problem([served.repo], "add_sub") is None
    with pytest.raises(TritonError, match="its instance group name 'a;b' holds ';'"):
        served.client.load("add_sub", '{"instance_group": [{"name": "a;b"}]}')
    time.sleep(0.5)  # a stub, had one started, would have run by now
    assert _pwned(served.cwd, served.repo) == []


def test_repository_pane_says_why_once_per_folder(served: Served) -> None:
    views = {v.name: v for v in poll(served.client, [served.repo]).views}
    assert sorted(views) == sorted(["add_sub", *REFUSED])  # the escape one once
    assert views["add_sub"].state == "READY" and not views["add_sub"].reason
    for name in REFUSED:
        view = views[name]
        assert view.state == "REFUSED" and not view.gone_from_disk
        shown_text = render_detail(view, None).plain
        assert "Reason: " in shown_text and "would hand to a shell" in shown_text
        assert "\x1b" not in shown_text


def test_lint_flags_the_unsafe_names(served: Served) -> None:
    found = [d for d in lint_repository(served.repo) if "would hand to a shell" in d.message]
    flagged = {Path(d.path).parent.name for d in found}
    assert flagged == set(REFUSED)
    assert all(d.is_error for d in found)


# Cheap core checks ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["add_sub", "bert-large.v2", "модель", "a+b@c,d:e=f", "-x"])
def test_safe_names(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize("char", list("$`;&|<>(){}[]*?!~#'\"\\ \t\n") + ["\x1b", "\u202e"])
def test_unsafe_characters(char: str) -> None:
    problem = name_problem(f"a{char}b")
    assert problem is not None and "rename the folder" in problem
    assert all(c.isprintable() for c in problem)


def test_unsafe_repository_path_loads_nothing(tmp_path: Path) -> None:
    root = tmp_path / "my models"
    copy_demo(root, ("add_sub",))
    assert path_problem(root) is not None
    args, refusals = model_load_args([root], [])
    assert args == ["--model-control-mode=explicit"] and "holds a space" in refusals[0]
    # Inside a container the repository is mounted at a fixed path: only names count.
    args, refusals = model_load_args([root], [], check_paths=False)
    assert args == ["--model-control-mode=explicit", "--load-model=add_sub"] and not refusals


def test_user_model_control_that_would_load_an_unsafe_folder_is_refused(tmp_path: Path) -> None:
    repo = copy_demo(tmp_path / "models", ("add_sub",))
    args, warnings = model_load_args([repo], ["--model-control-mode=poll"])
    assert args == [] and "loads every model folder that appears later" in warnings[0]
    (repo / "a b").mkdir()
    everything = ["--model-control-mode=explicit", "--load-model=*"]
    for extra in (["--model-control-mode=none"], everything):
        with pytest.raises(LaunchError, match="model 'a b' is not loaded"):
            model_load_args([repo], extra)
    args = ["--model-control-mode=explicit", "--load-model=add_sub"]
    assert model_load_args([repo], args)[0] == []


def test_escape_named_folder_served_is_one_row(tmp_path: Path) -> None:
    """The client cleans the index's names; the folder's is raw: one row, READY, not 'gone'."""
    raw = "\x1b[31mred"
    disk = [ModelOnDisk(raw, tmp_path / raw, True)]
    (view,) = merge(disk, [{"name": "red", "version": "1", "state": "READY"}])
    assert (view.name, view.state, view.disk) == (raw, "READY", disk[0])


def test_nested_name_is_not_the_models(tmp_path: Path) -> None:
    """A config without the optional top-level `name:`: an input's name is not the model's."""
    folder = tmp_path / "add_sub"
    shutil.copytree(DEMO / "add_sub", folder)
    text = (folder / "config.pbtxt").read_text()
    body = "\n".join(line for line in text.splitlines() if not line.startswith("name:"))
    (folder / "config.pbtxt").write_text(f'# name: "commented"\n{body}\n')
    model = scan_model(folder, tmp_path)
    assert not [p for p in model.problems if "differs" in p], model.problems
    assert model.backend == "python"
    (folder / "config.pbtxt").write_text(f'{body}\nname: "other"  # written last\n')
    assert "config name 'other' differs" in scan_model(folder, tmp_path).problems[0]


def test_symlink_loop_is_called_a_loop(tmp_path: Path) -> None:
    (tmp_path / "loopA").symlink_to("loopB")
    (tmp_path / "loopB").symlink_to("loopA")
    (tmp_path / "dangling").symlink_to("nowhere")
    models = {m.name: m for m in scan_repository(tmp_path)}
    assert models["loopA"].problems[0].startswith("a symlink loop: loopA → loopB → …")
    assert models["dangling"].problems[0].startswith("a symlink to nowhere, which does not exist")


def _without_permission_override() -> list[str]:
    """A prefix that makes permissions count for the command: as root, drop the capabilities
    that bypass them (root reads a chmod 000 folder otherwise)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be denied")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}"]


def test_lint_of_an_unreadable_model_folder_is_one_line(tmp_path: Path) -> None:
    repo = copy_demo(tmp_path / "models", ("add_sub",))
    (repo / "locked" / "1").mkdir(parents=True)
    (repo / "locked").chmod(0)
    try:
        runs = [
            subprocess.run(
                [*_without_permission_override(), sys.executable, "-m", "tui", "config", "lint"]
                + [str(path)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
            for path in (repo, repo / "locked", repo / "locked" / "config.pbtxt")
        ]
    finally:
        (repo / "locked").chmod(0o755)
    for run in runs:
        assert run.returncode == 1, run.stderr  # an error found (README: config lint)
        assert "Traceback" not in run.stderr and not run.stderr.strip()
        (line,) = run.stdout.splitlines()
        assert "locked" in line and "cannot be read: permission denied" in line


def test_lint_local_flags_kind_gpu_on_a_machine_without_gpu(tmp_path: Path) -> None:
    repo = copy_demo(tmp_path / "models", ("add_sub",))
    config = repo / "add_sub" / "config.pbtxt"
    config.write_text(config.read_text().replace("KIND_CPU", "KIND_GPU"))
    no_gpu = Target(None, (), "this machine")
    (finding,) = [d for d in lint_path(repo, no_gpu) if "KIND_GPU" in d.message]
    assert finding.is_error and finding.line > 1
    assert "instance group add_sub_0 of model add_sub has kind KIND_GPU but no GPUs" in (
        finding.message
    )
    assert not [d for d in lint_path(repo, Target(None, (0,), "this machine")) if d.is_error]
    assert not [d for d in lint_path(repo, Target(None, None, "this machine")) if d.is_error]


def test_lint_of_a_huge_name_holds_little(tmp_path: Path) -> None:
    """A 5 MB `name:` took lint to 1.09 GB (a regex frame per character of a string, a 64 MiB
    read buffer, the name quoted whole in every finding)."""
    size = 5_000_000
    (tmp_path / "m" / "1").mkdir(parents=True)
    (tmp_path / "m" / "config.pbtxt").write_text(f'name: "{"a" * size}"\nbackend: "python"\n')
    tracemalloc.start()
    try:
        found = lint_repository(tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * size, f"{peak / 1e6:.0f} MB"
    assert found and all(len(d.message) <= MESSAGE_LIMIT + 40 for d in found)
    assert found[0].message.endswith(" characters cut)")
    assert "unexpected directory name 'm' for model 'aaa" in found[0].message


async def test_pane_refuses_to_load_and_says_why(served: Served) -> None:
    session = Session.attach(served.client.url)
    session.repositories = [served.repo]
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        table = app.query_one("#model-table", DataTable)
        for _ in range(300):
            if table.row_count == len(REFUSED) + 1:
                break
            await pilot.pause(0.1)
        states = {str(k.value): str(table.get_cell(k, "state")) for k in table.rows}
        assert states["$(touch PWNED)"] == "REFUSED" and states["add_sub"] == "READY"
        assert "\x1b" not in "".join(str(table.get_cell(k, "name")) for k in table.rows)
        # The ensemble's name is safe: only the pane knows what it would load with it.
        models = app.query_one(ModelTable)
        for _ in range(100):  # a rescan may redraw the table between a move and the key
            models.move_to(ENSEMBLE)
            await pilot.pause(0.1)
            if models.selected == ENSEMBLE:
                break
        await pilot.press("l")
        wanted = f"load refused: ensemble '{ENSEMBLE}' is not loaded: it loads model '$("
        for _ in range(100):
            said = " ".join(toasts(app)).replace("\n", " ")
            if wanted in said:
                break
            await pilot.pause(0.1)
        assert wanted in said, said
    assert _pwned(served.cwd, served.repo) == []

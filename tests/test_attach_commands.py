"""`-u URL --model-repository DIR` for the subcommands that work on a repository, as the console
takes it: DIR is the attached server's repository on this machine; nothing is launched.

Runs against a real embedded server of the module's own (the deploy adds a model to its
repository, the probe unloads and reloads one)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import copy_demo, launch
from tests.test_deploy import make_onnx
from tui.cli import main
from tui.commands import tune
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess


@pytest.fixture(scope="module")
def attached(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ServerProcess]]:
    repo = copy_demo(tmp_path_factory.mktemp("attach") / "models", ("add_sub",))
    server = launch(repo)
    yield repo, server
    server.stop()


def test_deploy_into_the_attached_servers_repository(
    attached: tuple[Path, ServerProcess], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, server = attached
    source = make_onnx(tmp_path / "clf.onnx", "N")
    argv = ["deploy", str(source), "-u", server.http_url, "--model-repository", str(repo)]
    code = main([*argv, "--yes", "--concurrency-range", "1", "-p", "300"])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert (repo / "clf" / "1" / "model.onnx").is_file()
    assert "[load] clf is READY" in out.out and "Triton matches onnxruntime" in out.out
    assert TritonHTTP(server.http_url).model_ready("clf")  # loaded by the attached server
    assert server.running  # and nothing else was launched or stopped


def test_coldstart_probes_through_the_attached_server(
    attached: tuple[Path, ServerProcess], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, server = attached
    argv = ["coldstart", "-m", "add_sub", "-u", server.http_url, "--model-repository", str(repo)]
    code = main([*argv, "-n", "2", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert '"steady_n": 2' in out.out
    assert TritonHTTP(server.http_url).model_ready("add_sub")


def test_tune_takes_the_repository_as_its_write_target(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    tune.add_parser(parser.add_subparsers())
    argv = ["tune", "-m", "add_sub", "-u", "127.0.0.1:8000", "--model-repository", str(tmp_path)]
    args = parser.parse_args([*argv, "--write"])
    options = tune.check_options(args)
    assert options.model_repositories == [] and options.local_repositories == [tmp_path]
    assert options.url == "127.0.0.1:8000" and args.repository == tmp_path


def test_bench_still_refuses_the_pair(capsys: pytest.CaptureFixture[str]) -> None:
    """A benchmark needs no repository: -u with --model-repository stays ambiguous there."""
    assert main(["bench", "-m", "x", "-u", "127.0.0.1:1", "--model-repository", "/tmp"]) == 3
    assert "either -u" in capsys.readouterr().err

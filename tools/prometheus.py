"""A real Prometheus for the fleet tests and `just bench-fleet` (in tools/: both use it):
Debian's 2.42 binary, started on a free local port with its own storage folder, scraping a
file_sd target list every second.

Never left behind: it runs in its own session, the kernel interrupts it if the process that
started it dies (PR_SET_PDEATHSIG), and `stop()` ends it.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import shutil
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tui.core.server.launcher import free_port

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
JOB = "triton"


def _die_with_parent() -> None:  # between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)


@dataclass
class Target:
    metrics: str  # host:port Prometheus scrapes
    http: str  # the server's HTTP endpoint, given as the triton_http label
    name: str


@dataclass
class Prometheus:
    folder: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    targets: list[Target] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def targets_file(self) -> Path:
        return self.folder / "targets.json"

    def write_targets(self, targets: list[Target]) -> None:
        self.targets = list(targets)
        groups = [
            {"targets": [t.metrics], "labels": {"triton_http": t.http, "name": t.name}}
            for t in targets
        ]
        tmp = self.targets_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(groups))
        tmp.replace(self.targets_file)

    def start(self, storage: Path | None = None, scrape: bool = True, timeout: float = 60) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.targets_file.exists():
            self.write_targets(self.targets)
        config = self.folder / "prometheus.yml"
        jobs = (
            f"scrape_configs:\n  - job_name: {JOB}\n    scrape_interval: 1s\n"
            f"    scrape_timeout: 900ms\n    file_sd_configs:\n"
            f"      - files: ['{self.targets_file}']\n        refresh_interval: 1s\n"
            if scrape
            else ""
        )
        config.write_text(f"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n{jobs}")
        self.port = free_port()
        log = open(self.folder / "prometheus.log", "wb")  # noqa: SIM115 - the child holds it
        self.proc = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={storage or self.folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=10y",  # simulated history stays
                "--query.lookback-delta=5m",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self.log_tail()}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as resp,
            ):
                if resp.status == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"prometheus not ready within {timeout} s: {self.log_tail()}")

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.folder / "prometheus.log").read_text()[-2000:]
        return ""

    def query(self, promql: str) -> list[dict[str, object]]:
        from urllib.parse import urlencode

        with urllib.request.urlopen(
            f"{self.url}/api/v1/query?{urlencode({'query': promql})}", timeout=10
        ) as resp:
            return json.loads(resp.read())["data"]["result"]  # type: ignore[no-any-return]

    def wait_scraped(self, count: int, timeout: float = 30) -> None:
        """Until `count` targets are up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            up = [s for s in self.query(f'up{{job="{JOB}"}}') if s["value"][1] == "1"]  # type: ignore[index]
            if len(up) >= count:
                return
            time.sleep(0.3)
        raise AssertionError(f"Prometheus did not scrape {count} targets: {self.log_tail()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

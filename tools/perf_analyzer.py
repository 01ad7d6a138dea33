"""Install the real perf_analyzer (2.41) for the differential tests; never a package dependency.

Everything lands in ~/.cache/triton-tui/tools/perf_analyzer-2.41.0:
- `perf_analyzer` from the `tritonclient==2.41.0` manylinux wheel (its `data/bin`);
- `libcudart.so.12` from the `nvidia-cuda-runtime-cu12` wheel (perf_analyzer links it even on CPU);
- `libb64.so.0d` from Debian's `libb64-0d` package, unpacked with `dpkg-deb -x` (no root needed);
  when `apt-get download` cannot fetch it, `apt-get install` is tried (CI runs as root).

Usage: `python tools/perf_analyzer.py` prints the binary's path (exit 0) or why it
could not be installed (exit 1). Tests use `perf_analyzer()` through the `perf_analyzer` fixture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

VERSION = "2.41.0"
HOME = Path.home() / ".cache" / "triton-tui" / "tools" / f"perf_analyzer-{VERSION}"
SYSTEM_LIB_DIRS = ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib")


class InstallError(RuntimeError):
    """perf_analyzer cannot be installed here; the message says why."""


@dataclass
class PerfAnalyzer:
    binary: Path
    env: dict[str, str]  # os.environ plus LD_LIBRARY_PATH for its libraries

    def command(self, *args: str) -> list[str]:
        return [str(self.binary), *args]


def _run(cmd: list[str], cwd: Path | None = None) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise InstallError(f"{' '.join(cmd)} failed: {(proc.stderr or proc.stdout)[-500:]}")


def _pip_download(spec: str, platform: str, dest: Path) -> Path:
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            platform,
            "--python-version",
            "3.11",
            "-d",
            str(dest),
            spec,
        ]
    )
    name = spec.split("=")[0].replace("-", "_")
    wheels = sorted(dest.glob(f"{name}-*.whl"))
    if not wheels:
        raise InstallError(f"pip download {spec}: no wheel")
    return wheels[-1]


def _extract(wheel: Path, suffix: str, dest: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.endswith(suffix)]
        if not names:
            raise InstallError(f"{wheel.name} has no {suffix}")
        with zf.open(names[0]) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out)


def _libb64(tmp: Path, lib: Path) -> None:
    for d in SYSTEM_LIB_DIRS:
        if (Path(d) / "libb64.so.0d").exists():
            shutil.copy2(Path(d) / "libb64.so.0d", lib / "libb64.so.0d")
            return
    proc = subprocess.run(
        ["apt-get", "download", "libb64-0d"], cwd=tmp, capture_output=True, text=True, timeout=300
    )
    debs = sorted(tmp.glob("libb64-0d_*.deb"))
    if proc.returncode == 0 and debs:
        _run(["dpkg-deb", "-x", str(debs[-1]), str(tmp / "deb")])
        found = sorted((tmp / "deb").rglob("libb64.so.0d"))
        if found:
            shutil.copy2(found[0], lib / "libb64.so.0d")
            return
    # no package lists yet (fresh CI machine): refresh them and install system-wide
    if shutil.which("apt-get") and os.geteuid() == 0:
        _run(["apt-get", "update", "-qq"])
        env_cmd = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq"]
        _run([*env_cmd, "libb64-0d"])
        return _libb64(tmp, lib)
    raise InstallError("libb64-0d: apt-get download failed and apt-get install needs root")


def _check(binary: Path, env: dict[str, str]) -> None:
    proc = subprocess.run(
        [str(binary), "--help"], capture_output=True, text=True, env=env, timeout=60
    )
    text = proc.stdout + proc.stderr
    if "error while loading shared libraries" in text or "perf_analyzer" not in text.lower():
        raise InstallError(f"perf_analyzer does not start: {text[-400:]}")


def _env(lib: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(
        p for p in (str(lib), env.get("LD_LIBRARY_PATH", "")) if p
    )
    return env


def install(home: Path = HOME) -> PerfAnalyzer:
    """Install once (idempotent) and return the binary with its environment."""
    binary, lib = home / "bin" / "perf_analyzer", home / "lib"
    if binary.exists() and (lib / "libcudart.so.12").exists() and (lib / "libb64.so.0d").exists():
        return PerfAnalyzer(binary, _env(lib))
    if sys.platform != "linux" or os.uname().machine != "x86_64":
        raise InstallError("the perf_analyzer wheel is for linux x86_64 only")
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=home) as t:
        tmp = Path(t)
        staged = tmp / "stage"
        (staged / "bin").mkdir(parents=True)
        (staged / "lib").mkdir()
        wheel = _pip_download(f"tritonclient=={VERSION}", "manylinux1_x86_64", tmp)
        _extract(wheel, "/data/bin/perf_analyzer", staged / "bin" / "perf_analyzer")
        (staged / "bin" / "perf_analyzer").chmod(0o755)
        cuda = _pip_download("nvidia-cuda-runtime-cu12", "manylinux2014_x86_64", tmp)
        _extract(cuda, "/lib/libcudart.so.12", staged / "lib" / "libcudart.so.12")
        _libb64(tmp, staged / "lib")
        _check(staged / "bin" / "perf_analyzer", _env(staged / "lib"))
        for part in ("bin", "lib"):
            if (home / part).exists():
                shutil.rmtree(home / part)
            (staged / part).rename(home / part)
    return PerfAnalyzer(binary, _env(lib))


def main() -> int:
    try:
        pa = install()
    except (InstallError, OSError, subprocess.SubprocessError) as exc:
        print(f"perf_analyzer not installed: {exc}", file=sys.stderr)
        return 1
    print(pa.binary)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Find a tritonserver binary, and assemble the embedded server's backend directory.

Order: an explicit path, `tritonserver` on PATH, `/opt/tritonserver/bin/tritonserver` (NGC
containers), then the binary inside the `nvidia-pytriton` wheel ("embedded").
"""

from __future__ import annotations

import hashlib
import os
import shutil
import site
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from tui.core.paths import cache_dir

NGC_PATH = Path("/opt/tritonserver/bin/tritonserver")
OUR_BACKENDS = Path(__file__).resolve().parent.parent / "backends"
_LAYOUT = "2"  # bump when assemble_backend_dir writes something different


class BinaryNotFound(Exception):
    """No tritonserver could be found; the message says where we looked."""


@dataclass
class ServerBinary:
    path: Path
    source: str  # "explicit", "PATH", "ngc" or "embedded"
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)  # e.g. --backend-directory for the embedded one

    @property
    def label(self) -> str:
        if self.source == "embedded":
            return "embedded tritonserver"
        home = str(Path.home())
        path = str(self.path)
        return (
            "~" + path[len(home) :] if path.startswith(home + "/") else path
        ) + f" ({self.source})"


def _embedded_root() -> Path | None:
    try:
        import pytriton  # type: ignore[import-not-found]
    except ImportError:
        return None
    root = Path(pytriton.__file__).resolve().parent / "tritonserver"
    return root if (root / "bin" / "tritonserver").is_file() else None


def find_tritonserver(explicit: str | None = None) -> ServerBinary:
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file() or not os.access(path, os.X_OK):
            raise BinaryNotFound(f"--tritonserver {explicit}: no executable file there")
        return ServerBinary(path.resolve(), "explicit")
    on_path = shutil.which("tritonserver")
    if on_path:
        return ServerBinary(Path(on_path).resolve(), "PATH")
    if NGC_PATH.is_file() and os.access(NGC_PATH, os.X_OK):
        return ServerBinary(NGC_PATH, "ngc")
    root = _embedded_root()
    if root is None:
        raise BinaryNotFound(
            "no tritonserver found: not given with --tritonserver, not on PATH, not at "
            f"{NGC_PATH}, and the embedded server is not installed "
            "(pip install 'triton-tui[embedded]')"
        )
    return embedded_binary(root)


def _site_packages() -> list[str]:
    """The paths the python backend stub must import from (numpy, onnxruntime ...)."""
    paths = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    paths += [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    if site.ENABLE_USER_SITE:
        paths.append(site.getusersitepackages())
    seen: list[str] = []
    for p in paths:
        if p and p not in seen and Path(p).is_dir():
            seen.append(p)
    return seen


def embedded_binary(root: Path) -> ServerBinary:
    libs = root.parent.parent / "nvidia_pytriton.libs"
    backend_dir = assemble_backend_dir(root)
    env = {
        "LD_LIBRARY_PATH": os.pathsep.join(
            filter(None, [str(libs), os.environ.get("LD_LIBRARY_PATH", "")])
        )
    }
    return ServerBinary(
        root / "bin" / "tritonserver",
        "embedded",
        env=env,
        args=[f"--backend-directory={backend_dir}"],
    )


def assemble_backend_dir(root: Path) -> Path:
    """Build `<cache>/backends/<key>/` holding the python backend and our python-based backends.

    The stub's embedded interpreter ignores PYTHONPATH, so our copies of
    triton_python_backend_utils.py and of each python-based backend's model.py first put this
    environment's site-packages on sys.path. Nothing is written into site-packages.
    """
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    stub = root / "python_backend_stubs" / version / "triton_python_backend_stub"
    if not stub.is_file():
        raise BinaryNotFound(f"the embedded server has no python backend stub for Python {version}")
    paths = _site_packages()
    ours = sorted(OUR_BACKENDS.glob("*/model.py"))
    key_src = "\n".join([_LAYOUT, str(root), version, *paths, *(p.read_text() for p in ours)])
    key = hashlib.sha256(key_src.encode()).hexdigest()[:16]
    target = cache_dir() / "backends" / key
    if (target / ".complete").is_file():
        return target
    tmp = target.with_name(f"{key}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    python = tmp / "python"
    python.mkdir(parents=True)
    src = root / "backends" / "python"
    shutil.copy2(src / "libtriton_python.so", python / "libtriton_python.so")
    shutil.copy2(stub, python / "triton_python_backend_stub")
    utils = (src / "triton_python_backend_utils.py").read_text()
    prelude = (
        "# Added by triton-tui: the stub's interpreter ignores PYTHONPATH.\n"
        f"import sys as _sys\n_sys.path[:0] = [p for p in {paths!r} if p not in _sys.path]\n"
    )
    (python / "triton_python_backend_utils.py").write_text(prelude + utils)
    for model_py in ours:  # python-based backends are imported before the utils module
        dest = tmp / model_py.parent.name
        dest.mkdir()
        (dest / "model.py").write_text(prelude + model_py.read_text())
    (tmp / ".complete").write_text("ok\n")
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)
    try:
        tmp.rename(target)
    except OSError:  # another process won the race; use theirs
        shutil.rmtree(tmp, ignore_errors=True)
    return target

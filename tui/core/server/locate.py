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

from tui.core.util.paths import cache_dir

NGC_PATH = Path("/opt/tritonserver/bin/tritonserver")
OUR_BACKENDS = Path(__file__).resolve().parents[2] / "backends"
_LAYOUT = "3"  # bump when assemble_backend_dir writes something different


class BinaryNotFound(Exception):
    """No tritonserver could be found; the message says where we looked."""


@dataclass
class ServerBinary:
    path: Path
    source: str  # "explicit", "PATH", "ngc" or "embedded"
    env: dict[str, str] = field(default_factory=dict)
    # e.g. --backend-directory and --cache-directory for the embedded one
    args: list[str] = field(default_factory=list)

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
        import pytriton
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
        ),
        # The stub's interpreter ignores PYTHON* variables but finds its prefix through the
        # first `python3` on PATH: ours is the one in the virtual environment `_write_env` made.
        "PATH": os.pathsep.join(
            filter(None, [str(backend_dir / "env" / "bin"), os.environ.get("PATH", "")])
        ),
    }
    args = [f"--backend-directory={backend_dir}"]
    # The wheel's cache libraries (libtritoncache_local.so): tritonserver looks for them under
    # /opt/tritonserver/caches unless told, so `--cache-config local,...` failed without this.
    if (root / "caches").is_dir():
        args.append(f"--cache-directory={root / 'caches'}")
    return ServerBinary(root / "bin" / "tritonserver", "embedded", env=env, args=args)


def assemble_backend_dir(root: Path) -> Path:
    """Build `<cache>/backends/<key>/` holding the python backend, our python-based backends,
    and `env/`: the virtual environment the stub's interpreter starts in (see `_write_env`).
    Nothing is written into site-packages."""
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
    shutil.copy2(src / "triton_python_backend_utils.py", python / "triton_python_backend_utils.py")
    for model_py in ours:
        (tmp / model_py.parent.name).mkdir()
        shutil.copy2(model_py, tmp / model_py.parent.name / "model.py")
    _write_env(tmp / "env", target / "env", version, paths)
    (tmp / ".complete").write_text("ok\n")
    move_into_place(tmp, target)
    return target


def move_into_place(built: Path, target: Path) -> None:
    """Rename the complete build `built` to `target`. Where another process finished first, its
    copy is kept (its server may be running from it already) and ours dropped; only a leftover
    without `.complete` (an interrupted build) is replaced."""
    for _ in range(2):
        try:
            built.rename(target)
            return
        except OSError:  # target exists and is not empty
            if (target / ".complete").is_file():
                break
            shutil.rmtree(target, ignore_errors=True)
    shutil.rmtree(built, ignore_errors=True)


def _write_env(env: Path, final: Path, version: str, paths: list[str]) -> None:
    """A virtual environment for the stub's isolated interpreter.

    Its `pyvenv.cfg` points `home` at a folder without a standard library, so the interpreter
    keeps the one matching its own libpython. The .pth file runs at start-up, before any model
    is imported, whatever the model imports first: this environment's packages come first on
    sys.path, and no bytecode is written (no `__pycache__` in model version folders).
    """
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "python3").symlink_to(sys.executable)
    (env / "pyvenv.cfg").write_text(
        f"home = {final / 'bin'}\ninclude-system-site-packages = true\n"
    )
    site_dir = env / "lib" / f"python{version}" / "site-packages"
    site_dir.mkdir(parents=True)
    (site_dir / "triton_tui.pth").write_text("import triton_tui_env\n")
    (site_dir / "triton_tui_env.py").write_text(
        "# Written by triton-tui; imported by triton_tui.pth when the interpreter starts.\n"
        "import site\nimport sys\n\n"
        "sys.dont_write_bytecode = True\n"
        "_before = list(sys.path)\n"
        f"for _dir in {paths!r}:\n"
        "    site.addsitedir(_dir)\n"
        "sys.path[:] = [p for p in sys.path if p not in _before] + _before\n"
    )

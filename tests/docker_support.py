"""Run the embedded tritonserver inside a local Docker image (no registry is reachable here).

The image is a tiny rootfs imported with `docker import`; the host's /usr, /lib and the venv are
bind-mounted read-only so the embedded server and its python stub run inside unchanged.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tui.core.server.docker_server import DockerSpec
from tui.core.server.locate import find_tritonserver
from tui.core.util.paths import cache_dir

IMAGE = "triton-tui-test:rootfs"


def engine() -> Any:
    """The real Docker engine, or skip (fail under CI, where .ci/run must have started one)."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env()
        client.ping()
        return client
    except DockerException as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide a Docker engine: {exc}")
        pytest.skip(f"no Docker engine here: {exc}")


def ensure_image(client: Any) -> str:
    from docker.errors import ImageNotFound

    try:
        client.images.get(IMAGE)
        return IMAGE
    except ImageNotFound:
        pass
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in ("bin", "tmp", "etc", "dev", "proc", "sys", "root"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
            tar.addfile(info)
        busybox = shutil.which("busybox")
        if busybox:
            tar.add(os.path.realpath(busybox), arcname="bin/busybox")
        passwd = b"root:x:0:0:root:/root:/bin/sh\n"
        info = tarfile.TarInfo("etc/passwd")
        info.size = len(passwd)
        tar.addfile(info, io.BytesIO(passwd))
    client.api.import_image_from_data(
        buf.getvalue(), repository=IMAGE.split(":")[0], tag=IMAGE.split(":")[1]
    )
    return IMAGE


def _mount_points() -> list[Path]:
    binary = find_tritonserver()
    paths = {Path("/usr"), Path(sys.prefix), Path(sys.base_prefix), cache_dir()}
    paths |= {Path(p) for p in sys.path if p.endswith("site-packages")}
    paths.add(binary.path.parents[3])  # site-packages holding pytriton and its libs
    for top in ("/lib", "/lib64", "/bin"):
        if Path(top).exists() and not Path(top).is_symlink():
            paths.add(Path(top))
    # Keep the outermost paths only.
    resolved = sorted({p.resolve() for p in paths if p.exists()}, key=lambda p: len(p.parts))
    keep: list[Path] = []
    for p in resolved:
        if not any(p.is_relative_to(k) for k in keep):
            keep.append(p)
    return keep


def embedded_spec(repo: Path, **overrides: Any) -> DockerSpec:
    binary = find_tritonserver()
    mounts = [(str(p), str(p), "ro") for p in _mount_points()]
    for link in ("/lib", "/lib64", "/bin"):  # merged-/usr systems: recreate the links as mounts
        if Path(link).is_symlink():
            mounts.append((str(Path(link).resolve()), link, "ro"))
    if Path(sys.prefix).is_symlink():  # a git worktree sharing another checkout's .venv: the
        mounts.append((sys.prefix, sys.prefix, "ro"))  # stub's interpreter is found by that path
    spec = DockerSpec(
        image=IMAGE,
        model_repository=repo,
        host_network=True,
        shm_size="256m",
        tritonserver=str(binary.path),
        extra_args=list(binary.args),
        environment=dict(binary.env),
        mounts=mounts,
    )
    for key, value in overrides.items():
        setattr(spec, key, value)
    return spec

"""`python -m tui.core.docker_watchdog PARENT_PID CONTAINER_ID`

Removes the container once PARENT_PID is gone (the console was SIGKILLed or crashed before it
could clean up); exits by itself as soon as the container no longer exists.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(parent: int, container_id: str) -> int:
    import docker
    from docker.errors import DockerException, NotFound

    try:
        client = docker.from_env()
    except DockerException:
        return 1
    while True:
        try:
            container = client.containers.get(container_id)
        except NotFound:
            return 0  # the console cleaned up
        except DockerException:
            return 1
        if not _alive(parent):
            with contextlib.suppress(DockerException):
                container.remove(force=True)
            return 0
        time.sleep(0.5)


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]), sys.argv[2]))

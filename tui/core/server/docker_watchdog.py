"""`python -m tui.core.server.docker_watchdog PARENT_PID CONTAINER_ID`

Stops and removes the container once PARENT_PID is gone (the console was SIGKILLed, hung up or
crashed before it could clean up), or at once when its standard input (a pipe from the console)
gets a byte or closes: the console quits and hands the stop over, so the terminal comes back
without waiting for the server. The stop is graceful: the
server gets SIGTERM and time to unload its models, then the container is removed. Exits by
itself as soon as the container no longer exists.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys

STOP_TIMEOUT_S = 15


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

    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # outlive the console's terminal
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
        asked = select.select([sys.stdin], [], [], 0)[0]  # a byte, or EOF: the console left
        if asked or not _alive(parent):
            with contextlib.suppress(DockerException):
                container.stop(timeout=STOP_TIMEOUT_S)
            with contextlib.suppress(DockerException):
                container.remove(force=True)
            return 0
        select.select([sys.stdin], [], [], 0.5)


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]), sys.argv[2]))

"""Load, unload or reload a model across servers, one server at a time.

After each server's action a readiness check must pass (the server READY and the model READY,
or gone after an unload) before the next server is touched; the first failure stops the roll and
the result says where it stopped and why. The servers not yet reached are left as they were.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from tui.core.server.client import TritonError, TritonHTTP
from tui.core.server.modelname import name_problem

RollAction = Literal["load", "unload", "reload"]
ACTIONS: tuple[RollAction, ...] = ("load", "unload", "reload")


@dataclass
class RollResult:
    action: RollAction
    model: str
    done: list[str] = field(default_factory=list)  # servers that passed, in order
    failed_at: str | None = None  # the server where the roll stopped
    error: str = ""
    skipped: list[str] = field(default_factory=list)  # servers never touched

    @property
    def ok(self) -> bool:
        return self.failed_at is None

    def summary(self) -> str:
        what = f"{self.action} {self.model}"
        if self.ok:
            return f"{what}: done on {len(self.done)} server(s), each checked before the next"
        left = f"; {len(self.skipped)} server(s) not touched" if self.skipped else ""
        return (
            f"{what}: stopped at {self.failed_at} after {len(self.done)} server(s): "
            f"{self.error}{left}"
        )


def preview(action: RollAction, model: str, servers: list[str]) -> str:
    """What a roll will do, in words, before it is asked for."""
    steps = "\n".join(
        f"  {i}. {url}: {action} {model}, then check it" for i, url in enumerate(servers, 1)
    )
    return (
        f"{action.capitalize()} {model} on {len(servers)} server(s), one at a time; each must "
        f"pass its readiness check before the next, and the first failure stops the roll:\n{steps}"
    )


def check(client: TritonHTTP, action: RollAction, model: str, timeout: float) -> str | None:
    """None when the server is ready and the model in the state the action wants; else why not
    (polled until `timeout`)."""
    deadline = time.monotonic() + timeout
    why = "no answer"
    while True:
        try:
            server_ready = client.request("GET", "/v2/health/ready", timeout=2.0)[0] == 200
            model_ready = client.model_ready(model)
        except TritonError as exc:
            why = str(exc)
        else:
            if action == "unload" and not model_ready:
                return None
            if action != "unload" and model_ready and server_ready:
                return None
            why = (
                f"{model} is still loaded"
                if action == "unload"
                else f"{model} is not READY"
                if not model_ready
                else "the server is not ready"
            )
        if time.monotonic() >= deadline:
            return f"readiness check failed: {why}"
        time.sleep(0.2)


def roll(
    action: RollAction,
    model: str,
    servers: list[str],
    progress: Callable[[str, str], None] | None = None,
    check_timeout: float = 30.0,
    cancelled: Callable[[], bool] | None = None,
) -> RollResult:
    """`action` on `model` on each server in turn; `progress(url, words)` after each step."""
    problem = name_problem(model)
    if problem is not None:
        raise ValueError(problem)
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
    result = RollResult(action, model)
    for i, url in enumerate(servers):
        if cancelled is not None and cancelled():
            result.failed_at, result.error = url, "cancelled"
            result.skipped = servers[i:]
            break
        client = TritonHTTP(url)
        try:
            if action == "unload":
                client.unload(model)
            else:  # a load of a loaded model reloads it (Triton's repository API)
                client.load(model)
        except TritonError as exc:
            result.failed_at, result.error, result.skipped = url, str(exc), servers[i + 1 :]
            break
        why = check(client, action, model, check_timeout)
        if why is not None:
            result.failed_at, result.error, result.skipped = url, why, servers[i + 1 :]
            break
        result.done.append(url)
        if progress is not None:
            progress(url, f"{action} {model}: ok ({i + 1}/{len(servers)})")
    return result

"""A small, thread-safe client for Triton's HTTP/REST control plane (KServe v2 + extensions).

Every call opens its own connection, so workers on different threads can share one instance.
Inference traffic does not go through here: the benchmark has its own load generator. Every
exchange is bounded in time and size (`exchange`): a server that drips, stalls or streams an
endless answer costs a call its deadline and at most its cap, never the caller's thread or memory.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import quote

from tui.core.server.modelname import json_config_problem, name_problem
from tui.core.util.sanitize import clean, clean_bytes, clean_json
from tui.core.util.units import size

if TYPE_CHECKING:
    from tui.core.modelconfig.served import ServedConfig


class TritonError(Exception):
    """The server answered with an error, or could not be reached (message safe to show)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(clean(message))
        self.status = status


def split_url(url: str, default_port: int) -> tuple[str, int]:
    url = url.removeprefix("http://").removeprefix("https://").rstrip("/")
    host, _, port = url.rpartition(":")
    if not host:
        return url, default_port
    if not port.isdigit():
        raise ValueError(f"{url}: expected HOST:PORT")
    return host.strip("[]"), int(port)


# Every exchange is bounded: connected within CONNECT_S (or the call's timeout, if shorter), the
# whole answer, first byte to last, within the call's timeout, and no more bytes than its cap.
CONNECT_S = 3.0
_MiB = 1 << 20
CAPS = {  # what a sane Triton answers, many times over; anything larger is refused unread
    "index": 8 * _MiB,  # the repository index: ~100 bytes a model
    "metadata": 4 * _MiB,  # a model's or the server's metadata
    "config": 16 * _MiB,  # a model's config as JSON
    "statistics": 32 * _MiB,  # every model's statistics, one entry per batch size seen
    "metrics": 32 * _MiB,  # Prometheus text: a few lines per model and GPU
    "log settings": 64 << 10,
    "answer": 1 * _MiB,  # health, load, unload, shared memory: an empty body or an error
}
REFUSE_AGAIN_S = 30.0  # an over-cap answer is not asked for again for this long (polls)
_refused: dict[str, tuple[float, TritonError]] = {}  # endpoint URL -> (until, its error)


class OversizeError(TritonError):
    """An answer over its cap (the message names the endpoint and the size)."""


class _DeadlineSocket(socket.socket):
    """A connected socket whose every read waits at most until `deadline` (monotonic): a
    server that drips a byte at a time cannot stretch the call past it."""

    deadline = 0.0

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        self.settimeout(left)
        return super().recv_into(buffer, nbytes, flags)


class BoundedConnection(http.client.HTTPConnection):
    """http.client with a connect deadline and a total one on every read."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=min(timeout, CONNECT_S))
        self.deadline = time.monotonic() + timeout

    def arm(self, timeout: float) -> None:
        """A fresh deadline for the next exchange on this (kept-alive) connection."""
        self.deadline = time.monotonic() + timeout
        if isinstance(self.sock, _DeadlineSocket):
            self.sock.deadline = self.deadline
            self.sock.settimeout(timeout)

    def connect(self) -> None:
        plain = socket.create_connection((self.host, self.port), self.timeout)
        sock = _DeadlineSocket(plain.family, plain.type, plain.proto, fileno=plain.detach())
        sock.deadline = self.deadline
        sock.settimeout(max(self.deadline - time.monotonic(), 0.001))  # sending, too
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock


def read_capped(resp: http.client.HTTPResponse, limit: int, where: str, what: str) -> bytes:
    """The body, read a piece at a time, or a TritonError naming `where` and the size once it
    is (or says it will be) over `limit`."""
    declared = resp.getheader("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        raise OversizeError(
            f"{where} answered {size(int(declared))} ({int(declared)} bytes), over the "
            f"{size(limit)} cap for {what}; not read"
        )
    parts, total = [], 0
    while piece := resp.read1(64 << 10):
        total += len(piece)
        if total > limit:
            raise OversizeError(f"{where} answered more than {size(limit)}, the cap for {what}")
        parts.append(piece)
    resp.close()  # read to its end: a kept-alive connection may send the next request
    return b"".join(parts)


def exchange(
    host: str,
    port: int,
    method: str,
    path: str,
    payload: bytes | None = None,
    *,
    timeout: float,
    limit: int,
    what: str,
) -> tuple[int, bytes]:
    """One bounded HTTP exchange: (status, body). Connection, deadline and size failures are
    TritonErrors naming the endpoint. An endpoint whose answer was over its cap is refused from
    memory for REFUSE_AGAIN_S: a poll must not fetch a huge body again and again."""
    where = f"http://{host}:{port}{path}"
    refused = _refused.get(where)
    if refused is not None and time.monotonic() < refused[0]:
        raise refused[1]
    conn = BoundedConnection(host, port, timeout)
    try:
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        return resp.status, read_capped(resp, limit, where, what)
    except OversizeError as exc:
        _refused[where] = (time.monotonic() + REFUSE_AGAIN_S, exc)
        raise
    except (OSError, http.client.HTTPException) as exc:
        who = what if what in ("metrics", "Prometheus") else "Triton"
        raise failure(exc, where, timeout, f"{who} at {host}:{port}") from exc
    finally:
        conn.close()


def failure(exc: Exception, where: str, timeout: float, who: str) -> TritonError:
    """A failed exchange with `where` in words: past its deadline, or `who` not reachable."""
    if isinstance(exc, socket.timeout | TimeoutError):
        return TritonError(f"{where} gave no complete answer within {timeout:g} s")
    return TritonError(f"cannot reach {who}: {exc}")


def _error_text(status: int, path: str, data: bytes, parsed: Any = None) -> str:
    """Triton's own error message from an error answer, or a little of what a non-Triton
    server sent."""
    if parsed is None:
        try:
            parsed = clean_json(json.loads(data))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            parsed = None
    message = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(message, str):
        return message
    sample = clean_bytes(data[:80]).strip()
    return f"HTTP {status} from {path} (not a Triton answer: {sample!r})"


_JSON_KINDS = {dict: "an object", list: "a list", str: "a string", bool: "true or false"}


def _json_kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return _JSON_KINDS.get(type(value), "a number")


_T = TypeVar("_T")


def _expect(value: Any, kind: type[_T], where: str, what: str) -> _T:
    """`value` when it has the shape a Triton answer has; a TritonError in words otherwise."""
    if isinstance(value, kind):
        return value
    raise TritonError(
        f"{where} is not a Triton server: its {what} is {_json_kind(value)}, "
        f"not {_JSON_KINDS[kind]}"
    )


@dataclass
class TritonHTTP:
    url: str  # host:port of the HTTP endpoint
    timeout: float = 5.0

    def __post_init__(self) -> None:
        self.host, self.port = split_url(self.url, 8000)
        self.url = f"{self.host}:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        timeout: float | None = None,
        what: str = "answer",
    ) -> tuple[int, bytes]:
        """(status, body) within `timeout` (the client's by default) and `CAPS[what]` bytes."""
        payload = None if body is None else json.dumps(body).encode()
        return exchange(
            self.host,
            self.port,
            method,
            path,
            payload,
            timeout=timeout or self.timeout,
            limit=CAPS[what],
            what=what,
        )

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        timeout: float | None = None,
        what: str = "answer",
    ) -> Any:
        status, data = self.request(method, path, body, timeout, what)
        garbled = False
        try:
            parsed = clean_json(json.loads(data)) if data else None
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            parsed, garbled = None, True
        if status >= 400:
            raise TritonError(_error_text(status, path, data, parsed), status)
        if garbled:
            sample = clean_bytes(data[:80]).strip()
            raise TritonError(
                f"{self.where(path)} is not a Triton server: its {what} is not JSON ({sample!r})"
            )
        return parsed

    def where(self, path: str) -> str:
        """The endpoint's URL, as messages name it."""
        return f"http://{self.url}{path}"

    def _object(
        self, path: str, what: str, method: str = "GET", body: Any = None
    ) -> dict[str, Any]:
        return _expect(self.call(method, path, body, what=what), dict, self.where(path), what)

    # Health and metadata -------------------------------------------------------------------
    def is_live(self) -> bool:
        try:
            return self.request("GET", "/v2/health/live", timeout=1.0)[0] == 200
        except TritonError:
            return False

    def server_metadata(self) -> dict[str, Any]:
        return self._object("/v2", "metadata")

    # Model repository extension ------------------------------------------------------------
    def repository_index(self) -> list[dict[str, Any]]:
        path = "/v2/repository/index"
        index = self.call("POST", path, {}, what="index")
        entries = _expect(index, list, self.where(path), "index")
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise TritonError(
                    f"{self.where(path)} is not a Triton server: its index holds {entry!r:.60}, "
                    "not a model entry"
                )
        return entries

    def ready_models(self) -> list[str]:
        """The names of the models the server has READY, sorted."""
        return sorted(m["name"] for m in self.repository_index() if m.get("state") == "READY")

    def load(self, model: str, config: str | None = None, timeout: float = 600.0) -> None:
        # Never handed to the server: see tui/core/server/modelname.py
        problem = name_problem(model) or (json_config_problem(config) if config else None)
        if problem is not None:
            raise TritonError(problem)
        body = {"parameters": {"config": config}} if config is not None else {}
        self.call("POST", f"/v2/repository/models/{quote(model)}/load", body, timeout=timeout)

    def unload(self, model: str, dependents: bool = False, timeout: float = 120.0) -> None:
        body = {"parameters": {"unload_dependents": True}} if dependents else {}
        self.call("POST", f"/v2/repository/models/{quote(model)}/unload", body, timeout=timeout)

    # Per model -----------------------------------------------------------------------------
    def model_metadata(self, model: str, version: str = "") -> dict[str, Any]:
        """A model's metadata; of one `version` when given (an error if it is not loaded)."""
        at = f"/versions/{quote(version)}" if version else ""
        return self._object(f"/v2/models/{quote(model)}{at}", "metadata")

    def model_config(self, model: str) -> ServedConfig:
        config = self._object(f"/v2/models/{quote(model)}/config", "config")
        return cast("ServedConfig", config)

    def model_ready(self, model: str) -> bool:
        try:
            return self.request("GET", f"/v2/models/{quote(model)}/ready")[0] == 200
        except TritonError:
            return False

    def wait_model_ready(self, model: str, timeout: float, poll: float = 0.2) -> bool:
        """Whether `model` is ready within `timeout` s (a launched server loads it after it
        answers; an attached one may be loading it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.model_ready(model):
                return True
            time.sleep(poll)
        return False

    def model_stats(self, model: str = "") -> list[dict[str, Any]]:
        path = f"/v2/models/{quote(model)}/stats" if model else "/v2/models/stats"
        stats = self._object(path, "statistics").get("model_stats", [])
        entries = _expect(stats, list, self.where(path), "model_stats")
        for entry in entries:
            _expect(entry, dict, self.where(path), "model_stats entry")
        return entries

    def infer(
        self, model: str, body: bytes, json_size: int | None, limit: int, timeout: float = 120.0
    ) -> tuple[bytes, int | None]:
        """POST a KServe v2 request (tritonclient's `generate_request_body`): the answer's body
        and its JSON header's length (None: all JSON), within `timeout` and `limit` bytes."""
        path = f"/v2/models/{quote(model)}/infer"
        headers = {"Content-Type": "application/octet-stream"}
        if json_size is not None:
            headers["Inference-Header-Content-Length"] = str(json_size)
        conn = BoundedConnection(self.host, self.port, timeout)
        try:
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            data = read_capped(resp, limit, self.where(path), "the model's outputs")
        except (OSError, http.client.HTTPException) as exc:
            raise failure(exc, self.where(path), timeout, f"Triton at {self.url}") from exc
        finally:
            conn.close()
        if resp.status != 200:
            raise TritonError(_error_text(resp.status, path, data), resp.status)
        length = resp.getheader("Inference-Header-Content-Length", "")
        return data, int(length) if length.isdigit() else None

    # Logging extension ---------------------------------------------------------------------
    def log_settings(self) -> dict[str, Any]:
        return self._object("/v2/logging", "log settings")

    def update_log_settings(self, **settings: Any) -> dict[str, Any]:
        return self._object("/v2/logging", "log settings", "POST", settings)


def fetch_metrics(url: str, timeout: float = 2.0) -> str:
    """Prometheus text from a metrics endpoint given as host:port (path /metrics)."""
    host, port = split_url(url, 8002)
    status, body = exchange(
        host, port, "GET", "/metrics", timeout=timeout, limit=CAPS["metrics"], what="metrics"
    )
    if status != 200:
        raise TritonError(f"metrics endpoint {host}:{port} answered HTTP {status}", status)
    return clean_bytes(body)

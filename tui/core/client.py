"""A small, thread-safe client for Triton's HTTP/REST control plane (KServe v2 + extensions).

Every call opens its own connection, so workers on different threads can share one instance.
Inference traffic does not go through here: the benchmark has its own load generator.
"""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tui.core.modelname import json_config_problem, name_problem
from tui.core.sanitize import clean, clean_bytes, clean_json


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


@dataclass
class TritonHTTP:
    url: str  # host:port of the HTTP endpoint
    timeout: float = 5.0

    def __post_init__(self) -> None:
        self.host, self.port = split_url(self.url, 8000)
        self.url = f"{self.host}:{self.port}"

    def request(
        self, method: str, path: str, body: Any = None, timeout: float | None = None
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)
        try:
            payload = None if body is None else json.dumps(body).encode()
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, path, body=payload, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, socket.timeout | TimeoutError):
                raise TritonError(
                    f"{self.url}: no answer within {timeout or self.timeout:g} s"
                ) from exc
            raise TritonError(f"cannot reach Triton at {self.url}: {exc}") from exc
        finally:
            conn.close()

    def call(self, method: str, path: str, body: Any = None, timeout: float | None = None) -> Any:
        status, data = self.request(method, path, body, timeout)
        try:
            parsed = clean_json(json.loads(data)) if data else None
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            parsed = None
        if status >= 400:
            message = parsed.get("error") if isinstance(parsed, dict) else None
            if not isinstance(message, str):  # not Triton: say so, with a little of what it sent
                sample = clean_bytes(data[:80]).strip()
                message = f"HTTP {status} from {path} (not a Triton answer: {sample!r})"
            raise TritonError(message, status)
        return parsed

    # Health and metadata -------------------------------------------------------------------
    def is_live(self) -> bool:
        try:
            return self.request("GET", "/v2/health/live", timeout=1.0)[0] == 200
        except TritonError:
            return False

    def server_metadata(self) -> dict[str, Any]:
        return self.call("GET", "/v2")

    # Model repository extension ------------------------------------------------------------
    def repository_index(self) -> list[dict[str, Any]]:
        return self.call("POST", "/v2/repository/index", {}) or []

    def ready_models(self) -> list[str]:
        """The names of the models the server has READY, sorted."""
        return sorted(m["name"] for m in self.repository_index() if m.get("state") == "READY")

    def load(self, model: str, config: str | None = None, timeout: float = 600.0) -> None:
        # Never handed to the server: see tui/core/modelname.py
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
        return self.call("GET", f"/v2/models/{quote(model)}{at}")

    def model_config(self, model: str) -> dict[str, Any]:
        return self.call("GET", f"/v2/models/{quote(model)}/config")

    def model_ready(self, model: str) -> bool:
        try:
            return self.request("GET", f"/v2/models/{quote(model)}/ready")[0] == 200
        except TritonError:
            return False

    def model_stats(self, model: str = "") -> list[dict[str, Any]]:
        path = f"/v2/models/{quote(model)}/stats" if model else "/v2/models/stats"
        return (self.call("GET", path) or {}).get("model_stats", [])

    # Logging extension ---------------------------------------------------------------------
    def log_settings(self) -> dict[str, Any]:
        return self.call("GET", "/v2/logging")

    def update_log_settings(self, **settings: Any) -> dict[str, Any]:
        return self.call("POST", "/v2/logging", settings)


def fetch_metrics(url: str, timeout: float = 2.0) -> str:
    """Prometheus text from a metrics endpoint given as host:port (path /metrics)."""
    host, port = split_url(url, 8002)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", "/metrics")
        resp = conn.getresponse()
        body = clean_bytes(resp.read())
        if resp.status != 200:
            raise TritonError(
                f"metrics endpoint {host}:{port} answered HTTP {resp.status}", resp.status
            )
        return body
    except (OSError, http.client.HTTPException) as exc:
        raise TritonError(f"cannot reach metrics at {host}:{port}: {exc}") from exc
    finally:
        conn.close()

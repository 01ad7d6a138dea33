"""Whether the server still answers: the header's LIVE follows it, and says when it is back.

The console asks `/v2/health/live` once a second (`Liveness.probe`, from a worker thread). A
refused or reset connection means the server is gone, at once; a probe that times out may be a
server busy under a benchmark on a loaded host, so only `PATIENCE` of them in a row count. When the
server answers again the console says it reconnected, and with which version.
"""

from __future__ import annotations

import contextlib

from tui.core.server.client import TritonError, TritonHTTP

PROBE_S = 2.0  # the most one probe may take
PATIENCE = 4  # timed-out probes in a row before a server that accepts connections is "lost"


class Liveness:
    """The last verdict on one server, from probes made one at a time."""

    def __init__(self) -> None:
        self.lost = False
        self.timeouts = 0

    def probe(self, client: TritonHTTP) -> tuple[str, str]:
        """("ready" | "lost", what to say): a blocking call of at most PROBE_S seconds."""
        try:
            status, _ = client.request("GET", "/v2/health/live", timeout=PROBE_S)
        except TritonError as exc:
            return self.failed(str(exc), timed_out="no complete answer" in str(exc))
        if status != 200:
            return self.failed(f"it answers /v2/health/live with HTTP {status}", False)
        return self.answered(client)

    def failed(self, reason: str, timed_out: bool) -> tuple[str, str]:
        self.timeouts = self.timeouts + 1 if timed_out else 0
        if timed_out and self.timeouts < PATIENCE and not self.lost:
            return "ready", ""
        self.lost = True
        return "lost", f"not answering ({reason}); reconnects by itself when it is back"

    def answered(self, client: TritonHTTP) -> tuple[str, str]:
        self.timeouts = 0
        if not self.lost:
            return "ready", ""
        self.lost = False
        version = ""
        with contextlib.suppress(TritonError):
            version = str(client.server_metadata().get("version", ""))
        what = f" (Triton {version})" if version else ""
        return "ready", f"reconnected: the server at http://{client.url} answers again{what}"

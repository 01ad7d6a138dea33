"""The sweep's control calls (metadata, config, readiness, statistics) over gRPC, for `-i grpc`.

Answers are the gRPC messages as JSON with proto field names, the shape the HTTP API returns
(64-bit integers come as strings; the engine converts them with int()).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

from tui.core.server.client import CAPS, TritonError, split_url

if TYPE_CHECKING:
    from tui.core.modelconfig.served import ServedConfig


class TritonGRPC:
    """The subset of `TritonHTTP` the benchmark engine uses, over a gRPC endpoint."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.host, self.port = split_url(url, 8001)
        self.url = f"{self.host}:{self.port}"
        self.timeout = timeout
        # The statistics are the largest control answer; tritonclient would take up to 2 GiB.
        limits = [
            ("grpc.max_send_message_length", CAPS["answer"]),
            ("grpc.max_receive_message_length", CAPS["statistics"]),
        ]
        self._client = grpcclient.InferenceServerClient(self.url, channel_args=limits)

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._client, name)(*args, client_timeout=self.timeout, **kwargs)
        except InferenceServerException as exc:
            raise TritonError(f"{self.url}: {exc.message()}") from exc

    def server_metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = self._call("get_server_metadata", as_json=True)
        return metadata

    def model_metadata(self, model: str, version: str = "") -> dict[str, Any]:
        metadata: dict[str, Any] = self._call("get_model_metadata", model, version, as_json=True)
        return metadata

    def model_config(self, model: str) -> ServedConfig:
        answer = self._call("get_model_config", model, as_json=True)
        return cast("ServedConfig", answer.get("config", {}))

    def model_ready(self, model: str) -> bool:
        try:
            return bool(self._call("is_model_ready", model))
        except TritonError:
            return False

    def model_stats(self, model: str = "") -> list[dict[str, Any]]:
        answer = self._call("get_inference_statistics", model, as_json=True)
        stats: list[dict[str, Any]] = answer.get("model_stats", [])
        return stats

    def register_system_shm(self, name: str, key: str, byte_size: int) -> None:
        self._call("register_system_shared_memory", name, key, byte_size)

    def unregister_system_shm(self, name: str) -> None:
        self._call("unregister_system_shared_memory", name)

    def close(self) -> None:
        self._client.close()

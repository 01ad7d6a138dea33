"""`--shared-memory system`: input tensors placed once in POSIX shared memory regions.

One region per input-data entry holds that entry's inputs back to back; requests then carry only
references (region, offset, byte size), which spares the server from parsing large bodies
(densenet's 600 KB image). The server must run on this machine. Outputs still come back in the
response (perf_analyzer would also map them; we check them from the response).
Regions are registered with the server over the sweep's protocol and removed at its end.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
from tritonclient.utils import serialize_byte_tensor

from tui.core.client import TritonError


@dataclass
class Region:
    name: str  # the server's name for it
    key: str  # the POSIX shm key, "/..."
    data: bytes  # the entry's inputs back to back
    offsets: dict[str, tuple[int, int]]  # input name -> (offset, byte size)


def raw_bytes(array: np.ndarray, datatype: str) -> bytes:
    if datatype == "BYTES":
        return serialize_byte_tensor(array).tobytes()
    return np.ascontiguousarray(array).tobytes()


def layout(entries: list[dict[str, np.ndarray]], datatypes: dict[str, str]) -> list[Region]:
    """One region per data entry, named after this process so that runs never collide."""
    regions = []
    for k, entry in enumerate(entries):
        name = f"triton_tui_{os.getpid()}_{k}"
        parts, offsets, at = [], {}, 0
        for input_name, array in entry.items():
            raw = raw_bytes(array, datatypes[input_name])
            offsets[input_name] = (at, len(raw))
            parts.append(raw)
            at += len(raw)
        regions.append(Region(name, "/" + name, b"".join(parts), offsets))
    return regions


class SystemShm:
    """Create, fill and register the regions; `close` unregisters and destroys them."""

    def __init__(self, client: Any, regions: list[Region]) -> None:
        from tritonclient.utils import shared_memory

        self._shm = shared_memory
        self.client = client
        self.handles: list[tuple[Region, Any]] = []
        try:
            for region in regions:
                handle = shared_memory.create_shared_memory_region(
                    region.name, region.key, max(1, len(region.data))
                )
                self.handles.append((region, handle))
                shared_memory.set_shared_memory_region(
                    handle, [np.frombuffer(region.data, np.uint8)]
                )
                self._register(region)
        except (shared_memory.SharedMemoryException, TritonError) as exc:
            self.close()
            raise TritonError(f"system shared memory: {exc}") from exc

    def _register(self, region: Region) -> None:
        if hasattr(self.client, "register_system_shm"):
            self.client.register_system_shm(region.name, region.key, len(region.data))
        else:
            self.client.call(
                "POST",
                f"/v2/systemsharedmemory/region/{region.name}/register",
                {"key": region.key, "offset": 0, "byte_size": len(region.data)},
            )

    def _unregister(self, region: Region) -> None:
        if hasattr(self.client, "unregister_system_shm"):
            self.client.unregister_system_shm(region.name)
        else:
            self.client.call("POST", f"/v2/systemsharedmemory/region/{region.name}/unregister")

    def close(self) -> None:
        for region, handle in self.handles:
            with contextlib.suppress(TritonError, self._shm.SharedMemoryException):
                self._unregister(region)
            with contextlib.suppress(self._shm.SharedMemoryException):
                self._shm.destroy_shared_memory_region(handle)
        self.handles = []

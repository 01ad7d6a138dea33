"""`--shared-memory system`: tensors exchanged through POSIX shared memory regions.

One region per input-data entry holds that entry's inputs back to back, then room for each of
its outputs; requests carry only references (region, offset, byte size), which spares the server
from parsing large bodies (densenet's 600 KB image) and the client from reading the answers'
data. The server must run on this machine. An output's room is its byte size (batch included)
when the model fixes it, else `--output-shared-memory-size` bytes per batch item (BYTES outputs
and variable dims), as perf_analyzer sizes them; a larger answer is the server's error.
perf_analyzer shares one region per output among all requests; here every request that writes
an entry's output room carries that entry's inputs, so a sampled answer can be read back from
its room (see inputs.check_response).
Regions are registered with the server over the sweep's protocol and removed at its end.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tritonclient.utils import serialize_byte_tensor, triton_to_np_dtype

from tui.core.server.client import TritonError


@dataclass
class Region:
    name: str  # the server's name for it
    key: str  # the POSIX shm key, "/..."
    data: bytes  # the entry's inputs back to back
    offsets: dict[str, tuple[int, int]]  # input name -> (offset, byte size)
    outputs: dict[str, tuple[int, int]] = field(default_factory=dict)  # output -> (offset, room)

    @property
    def size(self) -> int:
        return max([len(self.data), *(at + room for at, room in self.outputs.values())])


def raw_bytes(array: np.ndarray[Any, Any], datatype: str) -> bytes:
    if datatype == "BYTES":
        data: bytes = serialize_byte_tensor(array).tobytes()
        return data
    return np.ascontiguousarray(array).tobytes()


def output_room(datatype: str, shape: list[int], batch_size: int, variable_size: int) -> int:
    """Bytes reserved for an output: its size where the model fixes it (`shape` includes the
    batch), else `variable_size` per batch item (perf_analyzer's rule)."""
    if datatype == "BYTES" or any(d < 0 for d in shape):
        return variable_size * batch_size
    itemsize = 2 if datatype == "BF16" else np.dtype(triton_to_np_dtype(datatype)).itemsize
    return int(np.prod(shape)) * itemsize


def layout(
    entries: list[dict[str, np.ndarray[Any, Any]]],
    datatypes: dict[str, str],
    outputs: dict[str, int] | None = None,
) -> list[Region]:
    """One region per data entry, named after this process so that runs never collide: the
    entry's inputs, then `outputs` (name -> room in bytes), each at an 8-byte boundary."""
    regions = []
    for k, entry in enumerate(entries):
        name = f"triton_tui_{os.getpid()}_{k}"
        parts, offsets, at = [], {}, 0
        for input_name, array in entry.items():
            raw = raw_bytes(array, datatypes[input_name])
            offsets[input_name] = (at, len(raw))
            parts.append(raw)
            at += len(raw)
        rooms = {}
        for output_name, room in (outputs or {}).items():
            at = -(-at // 8) * 8
            rooms[output_name] = (at, room)
            at += room
        regions.append(Region(name, "/" + name, b"".join(parts), offsets, rooms))
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
                    region.name, region.key, max(1, region.size)
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
            self.client.register_system_shm(region.name, region.key, region.size)
        else:
            self.client.call(
                "POST",
                f"/v2/systemsharedmemory/region/{region.name}/register",
                {"key": region.key, "offset": 0, "byte_size": region.size},
            )

    def _unregister(self, region: Region) -> None:
        if hasattr(self.client, "unregister_system_shm"):
            self.client.unregister_system_shm(region.name)
        else:
            self.client.call("POST", f"/v2/systemsharedmemory/region/{region.name}/unregister")

    def output(
        self, index: int, name: str, datatype: str, shape: list[int]
    ) -> np.ndarray[Any, Any]:
        """What the server last wrote for output `name` of data entry `index`."""
        region, handle = self.handles[index % len(self.handles)]
        dtype = np.object_ if datatype == "BYTES" else triton_to_np_dtype(datatype)
        contents: np.ndarray[Any, Any] = self._shm.get_contents_as_numpy(
            handle, dtype, shape, region.outputs[name][0]
        )
        return contents

    def close(self) -> None:
        for region, handle in self.handles:
            with contextlib.suppress(TritonError, self._shm.SharedMemoryException):
                self._unregister(region)
            with contextlib.suppress(self._shm.SharedMemoryException):
                self._shm.destroy_shared_memory_region(handle)
        self.handles = []

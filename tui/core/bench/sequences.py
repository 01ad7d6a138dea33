"""Sequence (stateful) models: correlation IDs, sequence lengths and per-request flags.

A model with `sequence_batching` (or an ensemble with such a composing model) needs every request
to carry a sequence ID and START/END flags. As perf_analyzer: every load slot (one per concurrent
request, or `--num-of-sequences` in request-rate mode) runs one sequence at a time, of
`--sequence-length` requests varied by up to `--sequence-length-variation` percent; its IDs come
from `--sequence-id-range start[:end]` (end excluded; without end, unbounded), a new ID skipping
those of sequences still open; a slot's next request leaves only when its previous answer came
back (perf_analyzer's serial sequences, always on here: an HTTP/1.1 client sends overlapping
requests on different connections, so the server could see a sequence's steps out of order).
At the end of a level every open sequence gets one last request with END (perf_analyzer's
"complete ongoing sequences"), so none is left holding a server slot until its idle timeout; the
ENDs go out while the last answers are awaited, since with more sequences than the model's batch
slots a START waits in the server's backlog until another sequence ends (perf_analyzer 2.41
stalls there: `--sync` at concurrency 10 on an 8-slot model measured nothing in 58 s).

With `--input-data`, as perf_analyzer, each new sequence draws one of the data streams (uniformly)
and sends its steps in order, wrapping around; it is as long as that stream unless
`--sequence-length` was given. Generated data is one entry, sent by every step.

Request bytes are built once per data entry and flag combination, split where the ID goes
(`Template`); a request is prefix + ID + suffix. Over HTTP the ID sits in a 20-character field of
the JSON header (right-aligned, spaces before it are JSON whitespace), so lengths never change;
over gRPC the ID parameter is appended to the serialized message (protobuf merges a map entry
given later). `SequenceSlots` is the worker's side and imports nothing heavy.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.core.modelconfig.served import ServedConfig

ID_WIDTH = 20  # digits of the largest uint64
_SENTINEL = 10**ID_WIDTH - 1 - 10**19  # 20 digits, written by the encoder where the ID goes
MAX_ID = 2**63 - 1  # perf_analyzer's unbounded end (an int64)
FLAGS = ((True, False), (False, False), (False, True), (True, True))  # start, middle, end, single


class SequenceError(ValueError):
    """Sequence options that cannot be used (exit code 3)."""


@dataclass
class SequenceOptions:
    length: int = 20
    variation_pct: float = 20.0
    id_start: int = 1
    id_end: int = MAX_ID  # excluded
    num_sequences: int = 4  # request-rate mode: sequences kept going at once
    length_given: bool = True  # False: with --input-data, a sequence is as long as its stream
    streams: tuple[int, ...] | None = None  # --input-data's steps per stream (set by the engine)


def parse_id_range(text: str) -> tuple[int, int]:
    """`--sequence-id-range start[:end]` -> (start, end excluded)."""
    parts = text.split(":")
    try:
        if len(parts) > 2 or not all(p.strip().isdigit() for p in parts):
            raise ValueError
        start = int(parts[0])
        end = int(parts[1]) if len(parts) == 2 else MAX_ID
    except ValueError:
        raise SequenceError(
            f"--sequence-id-range {text!r}: expected START[:END] with whole numbers >= 0"
        ) from None
    if end > MAX_ID or start >= end:
        raise SequenceError(
            f"--sequence-id-range {text!r}: END must be greater than START (and below 2^63)"
        )
    return max(1, start), end  # 0 is "no sequence" to the server; perf_analyzer uses 1


def is_sequence_config(config: ServedConfig) -> bool:
    return "sequence_batching" in config


def split_ids(start: int, end: int, parts: int) -> list[tuple[int, int]]:
    """The ID range cut into `parts` disjoint ranges, one per load generator process."""
    size = end - start
    out, lo = [], start
    for i in range(parts):
        hi = lo + size // parts + (1 if i < size % parts else 0)
        out.append((lo, hi))
        lo = hi
    return out


# Request bytes ------------------------------------------------------------------------------
class Template:
    """One request split where its sequence ID goes."""

    __slots__ = ("prefix", "suffix", "grpc")

    def __init__(self, prefix: bytes, suffix: bytes, grpc: bool) -> None:
        self.prefix, self.suffix, self.grpc = prefix, suffix, grpc

    def render(self, seq_id: int) -> bytes:
        if self.grpc:
            return self.prefix + grpc_id_parameter(seq_id)
        return self.prefix + str(seq_id).rjust(ID_WIDTH).encode() + self.suffix


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


_ID_KEY = b"\x0a\x0bsequence_id"  # map entry field 1 (key), 11 bytes


def grpc_id_parameter(seq_id: int) -> bytes:
    """ModelInferRequest field 4 (`parameters`), entry "sequence_id" -> InferParameter with
    int64_param (field 2) = seq_id, serialized by hand."""
    param = b"\x10" + _varint(seq_id)
    entry = _ID_KEY + b"\x12" + _varint(len(param)) + param
    return b"\x22" + _varint(len(entry)) + entry


def http_templates(host: str, path: str, tensors: list[Any], wanted: list[Any]) -> list[Template]:
    """The four flag variants (FLAGS order) of one HTTP request."""
    import tritonclient.http as httpclient

    from tui.core.bench.inputs import http_request

    out = []
    for start, end in FLAGS:
        body, json_size = httpclient.InferenceServerClient.generate_request_body(
            tensors, wanted, sequence_id=_SENTINEL, sequence_start=start, sequence_end=end
        )
        request = http_request(host, path, body, json_size)
        mark = str(_SENTINEL).encode()
        at = request.index(mark)
        out.append(Template(request[:at], request[at + len(mark) :], False))
    return out


def grpc_templates(base: bytes) -> list[Template]:
    """The four flag variants of one serialized ModelInferRequest (without sequence fields)."""
    from tritonclient.grpc import service_pb2

    out = []
    for start, end in FLAGS:
        flags = service_pb2.ModelInferRequest()
        flags.parameters["sequence_start"].bool_param = start
        flags.parameters["sequence_end"].bool_param = end
        out.append(Template(base + flags.SerializeToString(), b"", True))
    return out


# The worker's side ---------------------------------------------------------------------------
class SequenceSlots:
    """A worker's sequences: `slots` of them, IDs in [id_lo, id_hi). `take` gives the next
    request of a free slot (the one free longest) and busies it until `release`. `templates`
    holds the data entries stream after stream, `streams` each stream's step count (None:
    generated data, one entry)."""

    def __init__(
        self,
        templates: list[list[Template]],
        slots: int,
        id_lo: int,
        id_hi: int,
        length: int,
        variation_pct: float,
        seed: int,
        first_id: int = 0,
        streams: tuple[int, ...] | None = None,
        length_given: bool = True,
    ) -> None:
        self.templates = templates
        self.free = deque(range(slots))
        self.ids = [0] * slots
        self.left = [0] * slots  # requests still to send in the slot's sequence; 0: none open
        self.lengths = [0] * slots  # the length of the slot's sequence
        self.stream = [0] * slots  # the slot's data stream
        self.lo, self.size = id_lo, id_hi - id_lo
        self.counter = first_id
        self.length, self.variation = length, variation_pct
        self.rng = random.Random(seed)
        self.steps = list(streams or (len(templates),))
        self.offsets = [sum(self.steps[:k]) for k in range(len(self.steps))]
        self.from_data = streams is not None
        self.length_given = length_given or not self.from_data
        self.finishing = False  # the level ended: each open sequence's next step is its END

    def _new_id(self, slot: int) -> int:
        """The next ID of the range not held by another slot (a slot holds its last ID until it
        starts anew: its END may still be in flight)."""
        in_use = set(self.ids[:slot] + self.ids[slot + 1 :])
        while True:
            seq_id = self.lo + self.counter % self.size
            self.counter += 1
            if seq_id not in in_use:
                return seq_id

    def _new_length(self) -> int:
        offset = int((2.0 * self.rng.random() - 1.0) * self.variation / 100.0 * self.length)
        return max(1, self.length + offset)

    def _start(self, slot: int) -> None:
        self.ids[slot] = self._new_id(slot)
        if self.from_data:
            self.stream[slot] = self.rng.randrange(len(self.steps))
        length = self._new_length() if self.length_given else self.steps[self.stream[slot]]
        self.left[slot] = self.lengths[slot] = length

    def entry(self, slot: int) -> int:
        """The data entry of the slot's next step."""
        stream = self.stream[slot]
        return self.offsets[stream] + (self.lengths[slot] - self.left[slot]) % self.steps[stream]

    def take(self) -> tuple[bytes, int, int, int]:
        """(request, slot, 1 when it ends its sequence else 0, data entry)."""
        slot = self.free.popleft()
        start = not self.left[slot]
        if start:
            self._start(slot)
        entry = self.entry(slot)
        if self.finishing:
            self.left[slot] = 1
        self.left[slot] -= 1
        end = not self.left[slot]
        variants = self.templates[entry]
        return (
            variants[(0 if start else 1) if not end else (3 if start else 2)].render(
                self.ids[slot]
            ),
            slot,
            int(end),
            entry,
        )

    def release(self, slot: int) -> None:
        if self.left[slot] or not self.finishing:
            self.free.append(slot)

    def finish(self) -> None:
        """From now on `take` gives each open sequence its END, and `free` holds only the open
        sequences whose last answer came back. Ends are sent while other answers are still
        awaited: a START queued behind full batch slots (more sequences than the model's
        batch slots) is answered only once another sequence ends."""
        self.finishing = True
        self.free = deque(slot for slot in self.free if self.left[slot])

    def closing(self) -> list[bytes]:
        """One END request per open sequence, its next step (none may be in flight); all slots
        are then free."""
        ends = []
        for slot, left in enumerate(self.left):
            if left:
                ends.append(self.templates[self.entry(slot)][2].render(self.ids[slot]))
                self.left[slot] = 0
        self.free = deque(range(len(self.left)))
        return ends

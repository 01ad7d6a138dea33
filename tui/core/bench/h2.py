"""A minimal HTTP/2 client connection for gRPC unary calls with pre-serialized messages.

grpcio spends ~150 µs of Python and thread hand-offs per call, which kept the gRPC load
generator at about half of perf_analyzer's throughput. This speaks the wire protocol directly
on a plain socket, many streams on one connection (as perf_analyzer's clients share one), the
requests started in one pass going out in one write: request headers are a fixed HPACK block
without indexing, so a request is a few frame headers around bytes built once; answers are
parsed frame by frame, header blocks decoded with `hpack` (the server may index and
Huffman-code them), `grpc-status` checked on the trailers. It honours flow control both ways,
answers SETTINGS and PING, and turns RST_STREAM / a non-200 status / a non-zero grpc-status into
an error for its stream ("gRPC status N: message", ...); GOAWAY or a closed socket raise
ConnectionError. A stream answered before its whole request was sent (an early error), or ended
by an error status before the server closed it, is reset from our side (RST_STREAM CANCEL) and
its unsent data dropped.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from hpack import Decoder

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0, 1, 3, 4, 6, 7, 8, 9,
)  # fmt: skip
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY = 0x1, 0x1, 0x4, 0x8, 0x20
CANCEL = struct.pack(">I", 0x8)  # RST_STREAM error code: the stream is no longer needed
MAX_WINDOW = (1 << 31) - 1
HEADER = struct.Struct(">IBI")  # (length << 8 | type), flags, stream id


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return HEADER.pack(len(payload) << 8 | kind, flags, stream) + payload


def _int(value: int, prefix_bits: int, first: int) -> bytes:
    """HPACK integer with an N-bit prefix; `first` carries the pattern bits above it."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out, value = [first | limit], value - limit
    while value >= 128:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes([*out, value])


def _literal(name: int | str, value: str) -> bytes:
    """Literal header field without indexing (no Huffman): the same bytes on every request."""
    raw = value.encode()
    if isinstance(name, int):  # name from the static table
        head = _int(name, 4, 0)
    else:
        head = b"\x00" + _int(len(name), 7, 0) + name.encode()
    return head + _int(len(raw), 7, 0) + raw


def request_headers(authority: str, path: str) -> bytes:
    return (
        b"\x83\x86"  # :method POST, :scheme http (static table 3 and 6)
        + _literal(4, path)
        + _literal(1, authority)
        + _literal(31, "application/grpc")
        + _literal("te", "trailers")
    )


class _Stream:
    __slots__ = ("body", "pending", "size", "tag", "window")

    def __init__(self, tag: object, window: int, pending: memoryview) -> None:
        self.tag, self.window, self.pending = tag, window, pending
        self.body: list[bytes] = []
        self.size = 0  # bytes of body received


class H2Connection:
    """One connection, any number of streams. `start` queues a request (with a tag of the
    caller's), `flush` writes what is queued, `receive` reads what arrived (the socket is
    readable) and returns (tag, answer message or None, error) for each stream that ended."""

    def __init__(
        self, host: str, port: int, headers: bytes, timeout: float, max_answer: int = 1 << 30
    ) -> None:
        """`max_answer`: the bytes a stream's answer (or a header block) may take; a larger
        one raises ValueError rather than being buffered (a hostile or broken server)."""
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.max_answer = max_answer
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.headers = headers
        self.decoder = Decoder()
        self.decoder.max_allowed_table_size = 1 << 16
        self.known: dict[bytes, dict[bytes, bytes]] = {}
        self.streams: dict[int, _Stream] = {}
        self.last_stream = -1
        self.peer_window = 65_535  # the server's initial stream window (its SETTINGS may change it)
        self.conn_window = 65_535
        self.max_frame = 16_384
        self.received = 0
        self.buf = b""
        self.block = b""
        self.block_ends = False
        settings = struct.pack(">HIHI", 2, 0, 4, MAX_WINDOW)  # no push, largest window
        self.out: list[bytes | memoryview] = [
            PREFACE
            + frame(SETTINGS, 0, 0, settings)
            + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", MAX_WINDOW - 65_535))
        ]
        self.flush()

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()

    @property
    def exhausted(self) -> bool:
        """Stream ids run out at 2^31: time for a new connection."""
        return self.last_stream >= 1 << 30

    def start(self, message: bytes, tag: object) -> None:
        """Queue a stream carrying one length-prefixed gRPC message."""
        self.last_stream = sid = self.last_stream + 2
        s = _Stream(
            tag, self.peer_window, memoryview(b"\x00" + len(message).to_bytes(4, "big") + message)
        )
        self.streams[sid] = s
        self.out.append(
            HEADER.pack(len(self.headers) << 8 | HEADERS, END_HEADERS, sid) + self.headers
        )
        self._fill(sid, s)

    def _fill(self, sid: int, s: _Stream) -> None:
        data, out = s.pending, self.out
        while data:
            n = min(len(data), self.max_frame, self.conn_window, s.window)
            if n <= 0:
                break  # the rest waits for WINDOW_UPDATE
            self.conn_window -= n
            s.window -= n
            out += (HEADER.pack(n << 8 | DATA, END_STREAM if n == len(data) else 0, sid), data[:n])
            data = data[n:]
        s.pending = data

    def flush(self) -> None:
        if self.out:
            self.sock.sendall(b"".join(self.out))
            self.out = []

    def receive(self) -> list[tuple[Any, bytes | None, str]]:
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionError("server closed the connection")
        buf = self.buf + data if self.buf else data
        ended: list[tuple[object, bytes | None, str]] = []
        streams, windows_moved = self.streams, False
        pos, size = 0, len(buf)
        while size - pos >= 9:
            head, flags, sid = HEADER.unpack_from(buf, pos)
            length, kind = head >> 8, head & 0xFF
            end = pos + 9 + length
            if end > size:
                break
            payload = buf[pos + 9 : end]
            pos = end
            if kind == DATA:
                self.received += length
                s = streams.get(sid)
                if s is not None:
                    if flags & PADDED:
                        payload = payload[1 : len(payload) - payload[0]]
                    s.body.append(payload)
                    s.size += len(payload)
                    if s.size > self.max_answer:
                        raise ValueError(self._too_big(s.size))
            elif kind in (HEADERS, CONTINUATION):
                if kind == HEADERS:
                    if flags & PADDED:
                        payload = payload[1 : len(payload) - payload[0]]
                    if flags & PRIORITY:
                        payload = payload[5:]
                    self.block_ends = bool(flags & END_STREAM)
                self.block += payload
                if len(self.block) > self.max_answer:
                    raise ValueError(self._too_big(len(self.block)))
                if flags & END_HEADERS:
                    fields = self._decode(self.block)
                    self.block = b""
                    s = streams.get(sid)
                    if s is not None:
                        result = self._headers(s, fields)
                        if result is not None:
                            del streams[sid]
                            ended.append((s.tag, *result))
                            if s.pending or not self.block_ends:
                                # answered before the whole request left, or an error status
                                # with the stream still open: reset it, so neither side keeps
                                # a half-open stream (its unsent data never uses a window)
                                self.out.append(frame(RST_STREAM, 0, sid, CANCEL))
            elif kind == SETTINGS and not flags & ACK:
                self._settings(payload)
                self.out.append(frame(SETTINGS, ACK, 0))
                windows_moved = True
            elif kind == PING and not flags & ACK:
                self.out.append(frame(PING, ACK, 0, payload))
            elif kind == WINDOW_UPDATE:
                inc = int.from_bytes(payload[:4], "big") & MAX_WINDOW
                if sid == 0:
                    self.conn_window += inc
                elif sid in streams:
                    streams[sid].window += inc
                windows_moved = True
            elif kind == RST_STREAM and sid in streams:
                code = int.from_bytes(payload, "big")
                ended.append((streams.pop(sid).tag, None, f"stream reset (HTTP/2 error {code})"))
            elif kind == GOAWAY:
                code = int.from_bytes(payload[4:8], "big")
                raise ConnectionError(f"GOAWAY {code}: {payload[8:].decode(errors='replace')}")
        self.buf = buf[pos:]
        if self.received > 1 << 30:  # give back what we consumed long before the window ends
            self.out.append(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", self.received)))
            self.received = 0
        if windows_moved:
            for sid, s in streams.items():
                if s.pending:
                    self._fill(sid, s)
        return ended

    def _too_big(self, size: int) -> str:
        return (
            f"an answer of {size} bytes or more, over the {self.max_answer} bytes the model's "
            "outputs can take (from its metadata)"
        )

    def _decode(self, block: bytes) -> dict[bytes, bytes]:
        """Decode a header block. The server repeats the same few blocks (fields indexed in its
        dynamic table), so a block whose decoding left the table as it was is remembered; any
        change to the table forgets them all (their indices may now mean other fields)."""
        got = self.known.get(block)
        if got is not None:
            return got
        entries = self.decoder.header_table.dynamic_entries
        before = (len(entries), id(entries[0]) if entries else 0)
        got = dict(self.decoder.decode(block, raw=True))
        changed = (len(entries), id(entries[0]) if entries else 0) != before
        if changed or len(self.known) >= 64:
            self.known.clear()
        if not changed:
            self.known[block] = got
        return got

    def _settings(self, payload: bytes) -> None:
        for i in range(0, len(payload) - 5, 6):
            key, value = struct.unpack_from(">HI", payload, i)
            if key == 4:
                for s in self.streams.values():
                    s.window += value - self.peer_window
                self.peer_window = value
            elif key == 5:
                self.max_frame = value

    def _headers(self, s: _Stream, got: dict[bytes, bytes]) -> tuple[bytes | None, str] | None:
        """Check a header block of stream s: (answer, "") or (None, error) when it ends it."""
        status = got.get(b":status")
        if status is not None and status != b"200":
            return None, f"HTTP status {status.decode(errors='replace')}"
        if not self.block_ends:
            return None
        code = got.get(b"grpc-status", b"")
        if code != b"0":
            message = got.get(b"grpc-message", b"").decode(errors="replace")
            return None, f"gRPC status {code.decode(errors='replace')}: {message}"
        body = b"".join(s.body)
        if len(body) < 5 or body[0]:
            return None, "answer without an uncompressed gRPC message"
        return body[5:], ""

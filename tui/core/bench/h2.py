"""A minimal HTTP/2 client connection for gRPC unary calls with pre-serialized messages.

grpcio spends ~150 µs of Python and thread hand-offs per call, which kept the gRPC load
generator at about half of perf_analyzer's throughput. This speaks the wire protocol directly
on a plain socket, one stream at a time per connection (perf_analyzer's sync clients do the
same): request headers are a fixed HPACK block without indexing, so a request is a few frame
headers around bytes built once; answers are parsed frame by frame, header blocks decoded with
`hpack` (the server may index and Huffman-code them), `grpc-status` checked on the trailers.
It honours flow control both ways, answers SETTINGS and PING, and turns RST_STREAM / GOAWAY /
a non-200 status / a non-zero grpc-status into an error for the stream.
"""

from __future__ import annotations

import socket
import struct

from hpack import Decoder

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0, 1, 3, 4, 6, 7, 8, 9,
)  # fmt: skip
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY = 0x1, 0x1, 0x4, 0x8, 0x20
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


class StreamFailed(Exception):
    """The server ended a stream with an error (the message is what to report)."""


class H2Connection:
    """One connection, one request in flight. `send` starts it, `receive` reads what arrived
    and returns the answer's message bytes once the stream ends (None while it has not)."""

    def __init__(self, host: str, port: int, headers: bytes, timeout: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.headers = headers
        self.decoder = Decoder()
        self.decoder.max_allowed_table_size = 1 << 16
        self.known: dict[bytes, dict[bytes, bytes]] = {}
        self.stream = -1
        self.active = False
        self.peer_window = 65_535  # the server's initial stream window (its SETTINGS may change it)
        self.conn_window = 65_535
        self.stream_window = 0
        self.max_frame = 16_384
        self.received = 0
        self.buf = b""
        self.body: list[bytes] = []
        self.block = b""
        self.block_ends = False
        self.pending = memoryview(b"")
        self.index = self.start = self.due = 0  # the load generator's bookkeeping
        settings = struct.pack(">HIHI", 2, 0, 4, MAX_WINDOW)  # no push, largest window
        self.sock.sendall(
            PREFACE
            + frame(SETTINGS, 0, 0, settings)
            + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", MAX_WINDOW - 65_535))
        )

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()

    @property
    def exhausted(self) -> bool:
        return self.stream >= 1 << 30

    def send(self, message: bytes) -> None:
        """Start a stream carrying one length-prefixed gRPC message."""
        self.stream += 2
        self.active = True
        self.body, self.block, self.block_ends = [], b"", False
        self.stream_window = self.peer_window
        self.pending = memoryview(b"\x00" + len(message).to_bytes(4, "big") + message)
        self._pump(frame(HEADERS, END_HEADERS, self.stream, self.headers))

    def _pump(self, out: bytes = b"") -> None:
        parts = [out]
        data = self.pending
        while data:
            n = min(len(data), self.max_frame, self.conn_window, self.stream_window)
            if n <= 0:
                break  # wait for WINDOW_UPDATE
            self.conn_window -= n
            self.stream_window -= n
            flags = END_STREAM if n == len(data) else 0
            parts += (HEADER.pack(n << 8 | DATA, flags, self.stream), data[:n])
            data = data[n:]
        self.pending = data
        self.sock.sendall(b"".join(parts))

    def receive(self) -> bytes | None:
        """Read once from the socket (it is readable); the answer when the stream ended."""
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionError("server closed the connection")
        buf = self.buf + data if self.buf else data
        answer, failure = None, ""
        pos, size = 0, len(buf)
        replies: list[bytes] = []
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
                if flags & PADDED:
                    payload = payload[1 : len(payload) - payload[0]]
                if sid == self.stream and self.active:
                    self.body.append(payload)
            elif kind in (HEADERS, CONTINUATION):
                if kind == HEADERS:
                    if flags & PADDED:
                        payload = payload[1 : len(payload) - payload[0]]
                    if flags & PRIORITY:
                        payload = payload[5:]
                    self.block_ends = bool(flags & END_STREAM)
                self.block += payload
                if flags & END_HEADERS:
                    fields = self._decode(self.block)
                    self.block = b""
                    if sid == self.stream and self.active and not failure:
                        try:
                            answer = self._headers(fields)
                        except StreamFailed as exc:
                            failure = str(exc)
            elif kind == SETTINGS and not flags & ACK:
                self._settings(payload)
                replies.append(frame(SETTINGS, ACK, 0))
            elif kind == PING and not flags & ACK:
                replies.append(frame(PING, ACK, 0, payload))
            elif kind == WINDOW_UPDATE:
                inc = int.from_bytes(payload[:4], "big") & MAX_WINDOW
                if sid == 0:
                    self.conn_window += inc
                elif sid == self.stream:
                    self.stream_window += inc
            elif kind == RST_STREAM and sid == self.stream and self.active and not failure:
                failure = f"stream reset (HTTP/2 error {int.from_bytes(payload, 'big')})"
            elif kind == GOAWAY:
                code = int.from_bytes(payload[4:8], "big")
                raise ConnectionError(f"GOAWAY {code}: {payload[8:].decode(errors='replace')}")
        self.buf = buf[pos:]
        if self.received > 1 << 30:  # give back what we consumed long before the window ends
            replies.append(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", self.received)))
            self.received = 0
        if failure or answer is not None:
            self.active = False  # frames still arriving for this stream are ignored
        if failure:
            self.pending = memoryview(b"")
            self.stream_window = 0
        if replies or self.pending:
            self._pump(b"".join(replies))
        if failure:
            raise StreamFailed(failure)
        return answer

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
        if (len(entries), id(entries[0]) if entries else 0) == before and len(self.known) < 64:
            self.known[block] = got
        else:
            self.known.clear()
        return got

    def _settings(self, payload: bytes) -> None:
        for i in range(0, len(payload) - 5, 6):
            key, value = struct.unpack_from(">HI", payload, i)
            if key == 4:
                self.stream_window += value - self.peer_window
                self.peer_window = value
            elif key == 5:
                self.max_frame = value

    def _headers(self, got: dict[bytes, bytes]) -> bytes | None:
        """Check a header block of the current stream; the answer when it ends the stream."""
        status = got.get(b":status")
        if status is not None and status != b"200":
            raise StreamFailed(f"HTTP status {status.decode(errors='replace')}")
        if not self.block_ends:
            return None
        code = got.get(b"grpc-status", b"")
        if code != b"0":
            message = got.get(b"grpc-message", b"").decode(errors="replace")
            raise StreamFailed(f"gRPC status {code.decode(errors='replace')}: {message}")
        body = b"".join(self.body)
        self.body = []
        if len(body) < 5 or body[0]:
            raise StreamFailed("answer without an uncompressed gRPC message")
        return body[5:]

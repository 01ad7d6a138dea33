"""The load generator's HTTP worker process: keep-alive sockets, pre-encoded requests, timestamps.

Started by `tui.core.bench.loadgen.LoadGenerator` (spawn); imports nothing heavy so it starts fast.
Pipe commands, answers and records: `loadgen_base`. At concurrency 1 it runs a blocking loop,
above it an epoll loop (both inlined: they are the hot path); in request-rate mode it sends on a
constant or Poisson schedule. A sequence model goes through the request-rate loop (`_rate`), which
then also serves concurrency: each answer frees its sequence's slot for that slot's next request.
"""

from __future__ import annotations

import random
import select
import socket
import time
from typing import Any

from tui.core.bench.loadgen_base import CHECK_NS, WorkerBase, run_worker

BUF = 1 << 14


class _Conn:
    __slots__ = ("sock", "buf", "need", "start", "sent", "first", "index", "due", "slot", "ended")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.need = -1
        self.start = self.sent = self.first = 0
        self.index = 0
        self.due = 0  # request-rate mode: when the schedule wanted this request sent
        self.slot = -1  # sequence models: the sequence slot of the request in flight
        self.ended = 0  # 1 when that request ends its sequence


def _content_length(head: bytes) -> int:
    i = head.find(b"Content-Length:")
    if i < 0:
        i = head.lower().find(b"content-length:")
        if i < 0:
            return 0
    j = head.find(b"\r\n", i)
    return int(head[i + 15 : j if j >= 0 else len(head)])


def _header(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


class _Worker(WorkerBase):
    """HTTP/1.1: one request in flight per keep-alive connection."""

    def _open(self) -> _Conn:
        sock = socket.create_connection(self.addr, timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Conn(sock)

    def _level(
        self, concurrency: int, rate: float, poisson: bool, max_conns: int
    ) -> tuple[Any, ...]:
        if rate > 0 or self.seq is not None:
            return self._rate(rate, poisson, max_conns if rate > 0 else concurrency)
        return self._blocking() if concurrency == 1 else self._closed(concurrency)

    def _too_big(self, size: int) -> None:
        """An answer over what the model's outputs can take (a hostile or broken server): end
        the level rather than buffer it. Only reached on such an answer: one comparison on the
        hot path."""
        raise ValueError(
            f"an answer of {size} bytes or more, over the {self.max_answer} bytes the model's "
            "outputs can take (from its metadata)"
        )

    # Completion -----------------------------------------------------------------------------
    def _sample(self, index: int, buf: bytes, head_end: int) -> None:
        hlen = _header(buf[:head_end], b"inference-header-content-length")
        self.conn.send(("sample", index, buf[head_end + 4 :], int(hlen) if hlen else None))

    def _failed(self, buf: bytes, head_end: int) -> None:
        self.errors += 1
        if not self.first_error:
            body = buf[head_end + 4 :].decode(errors="replace")[:300]
            self.first_error = f"HTTP {buf[9:12].decode(errors='replace')}: {body}"

    def _finish(self, c: _Conn, end: int) -> None:
        buf = c.buf
        head_end = buf.find(b"\r\n\r\n")
        if buf[9:12] != b"200":
            self._failed(buf, head_end)
        else:
            self.records.extend(
                (c.start, end, c.sent - c.start, end - c.first, c.start - c.due, c.ended)
            )
            self.done += 1
            if self.done % self.sample_every == 1 or self.sample_every == 1:
                self._sample(c.index, buf, head_end)
        c.buf = b""
        c.need = -1
        if self.seq is not None:
            self.seq.release(c.slot)

    def _feed(self, c: _Conn, data: bytes) -> bool:
        """Add received bytes; True when the response is complete."""
        buf = c.buf + data if c.buf else data
        c.buf = buf
        if c.need < 0:
            head_end = buf.find(b"\r\n\r\n")
            if head_end < 0:
                if len(buf) > self.max_answer:
                    self._too_big(len(buf))
                return False
            c.need = head_end + 4 + _content_length(buf[:head_end])
            if c.need > self.max_answer:
                self._too_big(c.need)
        return len(buf) >= c.need

    def _send(self, c: _Conn) -> None:
        i = self.next_index
        self.next_index = i + 1
        payload, c.slot, c.ended, c.index = self._take(i)
        c.start = time.monotonic_ns()
        c.sock.sendall(payload)
        c.sent = time.monotonic_ns()

    # Loops ----------------------------------------------------------------------------------
    def _blocking(self) -> tuple[Any, ...]:
        """Concurrency 1: one connection, everything inlined (this loop is the hot path)."""
        (c,) = self._ensure(1)
        sock = c.sock
        sock.settimeout(self.timeout)
        recv, sendall = sock.recv, sock.sendall
        mono = time.monotonic_ns
        reqs, nreq = self.requests, len(self.requests)
        extend = self.records.extend
        i, done, every = self.next_index, self.done, self.sample_every
        cap = self.max_answer
        next_check = mono() + CHECK_NS
        while True:
            payload = reqs[i % nreq]
            t0 = mono()
            sendall(payload)
            t1 = mono()
            data = recv(BUF)
            t2 = mono()
            head_end = data.find(b"\r\n\r\n")
            while head_end < 0:
                more = recv(BUF)
                if not more:
                    raise ConnectionError("the server closed the connection")
                data += more
                head_end = data.find(b"\r\n\r\n")
                if head_end < 0 and len(data) > cap:
                    self._too_big(len(data))
            k = data.find(b"Content-Length: ", 0, head_end)
            if k >= 0:
                need = head_end + 4 + int(data[k + 16 : data.find(b"\r\n", k)])
            else:
                need = head_end + 4 + _content_length(data[:head_end])
            if need > cap:
                self._too_big(need)
            while len(data) < need:
                more = recv(BUF)
                if not more:
                    raise ConnectionError("the server closed the connection")
                data += more
            end = mono()
            if data[9:12] == b"200":
                extend((t0, end, t1 - t0, end - t2, 0, 0))
                done += 1
                if done % every == 1 or every == 1:
                    self._sample(i, data, head_end)
            else:
                self._failed(data, head_end)
            i += 1
            if end >= next_check:
                next_check = end + CHECK_NS
                self.next_index, self.done = i, done
                cmd = self._poll_command()
                extend = self.records.extend  # a flush swaps the array
                if cmd is not None:
                    return cmd

    def _drain(
        self, conns: list[_Conn], busy: set[int], ep: select.epoll, idle: list[_Conn] | None = None
    ) -> None:
        """Await the answers in flight. A sequence model's open sequences are ended meanwhile,
        each on an `idle` connection as soon as its slot is free (SequenceSlots.finish)."""
        by_fd = {c.sock.fileno(): c for c in conns}
        seq = self.seq if idle is not None else None
        if seq is not None:
            seq.finish()
        deadline = time.monotonic() + self.timeout
        while (busy or (seq and seq.free and idle)) and time.monotonic() < deadline:
            while seq is not None and seq.free and idle:
                c = idle.pop()
                c.due = time.monotonic_ns()
                self._send(c)
                busy.add(c.sock.fileno())
            for fd, _ in ep.poll(0.1):
                if fd in busy:
                    c = by_fd[fd]
                    data = c.sock.recv(BUF)
                    c.first = c.first or time.monotonic_ns()
                    if not data or self._feed(c, data):
                        busy.discard(fd)
                        if data:
                            self._finish(c, time.monotonic_ns())
                            if idle is not None:
                                idle.append(c)
        if busy:
            raise TimeoutError("responses still outstanding after the level ended")

    def _closed(self, n: int) -> tuple[Any, ...]:
        """Concurrency n > 1: n connections, each sends its next request on its last answer."""
        conns = self._ensure(n)
        ep = select.epoll()
        pipe_fd = self.conn.fileno()
        ep.register(pipe_fd, select.EPOLLIN)
        by_fd: dict[int, _Conn] = {}
        mono = time.monotonic_ns
        reqs, nreq = self.requests, len(self.requests)
        extend = self.records.extend
        i, done, every = self.next_index, self.done, self.sample_every
        cap = self.max_answer
        try:
            for c in conns:
                c.sock.settimeout(None)
                by_fd[c.sock.fileno()] = c
                ep.register(c.sock.fileno(), select.EPOLLIN)
                c.buf, c.need, c.index = b"", -1, i
                c.start = mono()
                c.sock.sendall(reqs[i % nreq])
                c.sent = mono()
                i += 1
            poll = ep.poll
            while True:
                for fd, _ in poll(0.5):
                    if fd == pipe_fd:
                        self.next_index, self.done = i, done
                        cmd = self._poll_command()
                        extend = self.records.extend  # a flush swaps the array
                        if cmd is not None:
                            self._drain(conns, set(by_fd), ep)
                            return cmd
                        continue
                    c = by_fd[fd]
                    data = c.sock.recv(BUF)
                    if not data:
                        raise ConnectionError("the server closed the connection")
                    if c.buf:
                        data = c.buf + data
                    else:
                        c.first = mono()
                    need = c.need
                    if need < 0:
                        head_end = data.find(b"\r\n\r\n")
                        if head_end < 0:
                            if len(data) > cap:
                                self._too_big(len(data))
                            c.buf = data
                            continue
                        k = data.find(b"Content-Length: ", 0, head_end)
                        if k >= 0:
                            need = head_end + 4 + int(data[k + 16 : data.find(b"\r\n", k)])
                        else:
                            need = head_end + 4 + _content_length(data[:head_end])
                        if need > cap:
                            self._too_big(need)
                        c.need = need
                    if len(data) < need:
                        c.buf = data
                        continue
                    end = mono()
                    if data[9:12] == b"200":
                        extend((c.start, end, c.sent - c.start, end - c.first, 0, 0))
                        done += 1
                        if done % every == 1 or every == 1:
                            self._sample(c.index, data, data.find(b"\r\n\r\n"))
                    else:
                        self._failed(data, data.find(b"\r\n\r\n"))
                    c.buf, c.need, c.index = b"", -1, i
                    c.start = mono()
                    c.sock.sendall(reqs[i % nreq])
                    c.sent = mono()
                    i += 1
        finally:
            ep.close()

    def _rate(self, rate: float, poisson: bool, max_conns: int) -> tuple[Any, ...]:
        """Request-rate mode: send on schedule, opening connections as needed (HTTP/1.1 has one
        request in flight per connection). `max_conns` 0 means no cap, as perf_analyzer's
        asynchronous sends; with a cap, sends wait for a free connection and show up as late
        (each record keeps how late its request left: start - due). A sequence model's sends
        also wait for a free sequence slot. With `rate` 0 (a sequence model under concurrency
        `max_conns`) a request leaves whenever a connection and a slot are free."""
        ep = select.epoll()
        pipe_fd = self.conn.fileno()
        ep.register(pipe_fd, select.EPOLLIN)
        by_fd: dict[int, _Conn] = {}

        def add(c: _Conn) -> None:
            c.sock.settimeout(None)
            c.buf, c.need = b"", -1
            by_fd[c.sock.fileno()] = c
            ep.register(c.sock.fileno(), select.EPOLLIN)

        for c in self.pool:
            add(c)
        busy: set[int] = set()
        idle = list(by_fd.values())
        mono = time.monotonic_ns
        rng = random.Random(0)
        closed = rate <= 0
        gap_ns = 0 if closed else int(1e9 / rate)
        seq = self.seq
        next_send = mono()
        try:
            while True:
                now = mono()
                while now >= next_send:
                    if seq is not None and not seq.free:
                        break
                    if not idle:
                        if max_conns and len(by_fd) >= max_conns:
                            break
                        c = self._open()
                        self.pool.append(c)
                        add(c)
                        idle.append(c)
                    c = idle.pop()
                    c.due = now if closed else next_send
                    self._send(c)
                    busy.add(c.sock.fileno())
                    if closed:
                        next_send = now = mono()
                        continue
                    next_send += int(rng.expovariate(rate) * 1e9) if poisson else gap_ns
                    now = mono()
                can_send = (idle or not max_conns or len(by_fd) < max_conns) and (
                    seq is None or seq.free
                )
                timeout = max(0.0, (next_send - mono()) / 1e9) if can_send and not closed else 0.5
                for fd, _ in ep.poll(timeout):
                    if fd == pipe_fd:
                        cmd = self._poll_command()
                        if cmd is not None:
                            self._drain(list(by_fd.values()), busy, ep, idle)
                            return cmd
                        continue
                    c = by_fd[fd]
                    data = c.sock.recv(BUF)
                    if not c.buf:
                        c.first = mono()
                    if not data:
                        raise ConnectionError("the server closed the connection")
                    if self._feed(c, data):
                        self._finish(c, mono())
                        busy.discard(fd)
                        idle.append(c)
        finally:
            ep.close()

    def _send_all(self, requests: list[bytes]) -> None:
        conns = self._ensure(len(requests))
        for c, payload in zip(conns, requests, strict=False):
            c.sock.settimeout(self.timeout)
            c.buf, c.need = b"", -1
            c.sock.sendall(payload)
        for c in conns:
            while True:
                data = c.sock.recv(BUF)
                if not data:
                    raise ConnectionError("the server closed the connection")
                if self._feed(c, data):
                    break
            if c.buf[9:12] != b"200":
                self._failed(c.buf, c.buf.find(b"\r\n\r\n"))
            c.buf, c.need = b"", -1


def worker_main(*args: Any) -> None:
    """The process `LoadGenerator` starts (arguments: those of `run_worker` after `kind`)."""
    run_worker(_Worker, *args)

"""The load generator's gRPC worker process: raw HTTP/2 connections, pre-serialized requests.

Same pipe protocol and records as `loadgen_worker` (its `WorkerBase` does the commands and the
plumbing). Requests are serialized `inference.ModelInferRequest` messages built once and sent
by `tui.core.bench.h2` with one stream in flight per connection, as the HTTP worker does with
HTTP/1.1: grpcio's per-call cost (Python wrappers, thread hand-offs) held this worker to about
half of perf_analyzer's throughput, with the CPU mostly idle. Under concurrency each answer
sends the next request on its connection; request rate sends on schedule from a pool that grows
when no connection is free (no cap unless `max_conns`). A non-zero gRPC status is an error for
its request; a broken connection ends the level with an error, as over HTTP.
Send and receive times are recorded as 0: with pre-serialized bytes and unparsed answers there is
no marshalling to time (perf_analyzer's "(un)marshal request/response").
"""

from __future__ import annotations

import random
import select
import time
from multiprocessing.connection import Connection

from tui.core.bench.h2 import H2Connection, StreamFailed, request_headers
from tui.core.bench.loadgen_worker import WorkerBase, run_worker

METHOD = "/inference.GRPCInferenceService/ModelInfer"


class _Worker(WorkerBase):
    def __init__(
        self,
        conn: Connection,
        host: str,
        port: int,
        requests: list[bytes],
        sample_every: int,
        timeout: float,
    ) -> None:
        super().__init__(conn, host, port, requests, sample_every, timeout)
        self.headers = request_headers(f"{host}:{port}", METHOD)

    def _open(self) -> H2Connection:
        return H2Connection(*self.addr, self.headers, self.timeout)

    def _send(self, c: H2Connection, due: int = 0) -> None:
        i = self.next_index
        self.next_index = i + 1
        c.index, c.due = i, due
        c.start = time.monotonic_ns()
        c.send(self.requests[i % len(self.requests)])

    def _receive(self, c: H2Connection) -> bool:
        """Read what arrived on c; True when its stream ended (answered or failed)."""
        try:
            answer = c.receive()
        except StreamFailed as exc:
            self.errors += 1
            self.first_error = self.first_error or f"gRPC {exc}"
            return True
        if answer is None:
            return False
        end = time.monotonic_ns()
        self.records.extend((c.start, end, 0, 0, c.start - c.due if c.due else 0))
        self.done += 1
        if self.done % self.sample_every == 1 or self.sample_every == 1:
            self.conn.send(("sample", c.index, answer, None))
        return True

    def _level(self, concurrency: int, rate: float, poisson: bool, max_conns: int) -> tuple:
        """Closed loop on `concurrency` connections when `rate` is 0, else sends on schedule."""
        ep = select.epoll()
        pipe_fd = self.conn.fileno()
        ep.register(pipe_fd, select.EPOLLIN)
        by_fd: dict[int, H2Connection] = {}
        busy: set[int] = set()

        def add(c: H2Connection) -> H2Connection:
            by_fd[c.fileno()] = c
            ep.register(c.fileno(), select.EPOLLIN)
            return c

        def renew(c: H2Connection) -> H2Connection:  # stream ids used up: a new connection
            ep.unregister(c.fileno())
            del by_fd[c.fileno()]
            c.close()
            fresh = self._open()
            self.pool[self.pool.index(c)] = fresh
            return add(fresh)

        idle = [add(c) for c in (self.pool if rate > 0 else self._ensure(concurrency))]
        if rate <= 0:
            for c in idle:
                self._send(c)
                busy.add(c.fileno())
            idle = []
        mono = time.monotonic_ns
        rng = random.Random(0)
        gap = int(1e9 / rate) if rate > 0 else 0
        next_send = mono()
        try:
            while True:
                timeout = 0.5
                if rate > 0:
                    now = mono()
                    while now >= next_send:
                        if not idle:
                            if max_conns and len(by_fd) >= max_conns:
                                break
                            self.pool.append(self._open())
                            idle.append(add(self.pool[-1]))
                        c = idle.pop()
                        self._send(c, next_send)
                        busy.add(c.fileno())
                        next_send += int(rng.expovariate(rate) * 1e9) if poisson else gap
                        now = mono()
                    if idle or not max_conns or len(by_fd) < max_conns:
                        timeout = max(0.0, (next_send - mono()) / 1e9)
                for fd, _ in ep.poll(timeout):
                    if fd == pipe_fd:
                        cmd = self._poll_command()
                        if cmd is not None:
                            self._drain(by_fd, busy, ep)
                            return cmd
                        continue
                    c = by_fd[fd]
                    if not self._receive(c):
                        continue
                    if c.exhausted:
                        busy.discard(fd)
                        c = renew(c)
                    if rate > 0:
                        busy.discard(c.fileno())
                        idle.append(c)
                    else:
                        self._send(c)
                        busy.add(c.fileno())
        finally:
            ep.close()

    def _drain(self, by_fd: dict[int, H2Connection], busy: set[int], ep: select.epoll) -> None:
        deadline = time.monotonic() + self.timeout
        while busy and time.monotonic() < deadline:
            for fd, _ in ep.poll(0.1):
                if fd in by_fd and self._receive(by_fd[fd]):
                    busy.discard(fd)
        if busy:
            raise TimeoutError("responses still outstanding after the level ended")


def worker_main(
    conn: Connection,
    host: str,
    port: int,
    requests: list[bytes],
    sample_every: int,
    timeout: float,
    quiet: bool,
) -> None:
    run_worker(_Worker, conn, host, port, requests, sample_every, timeout, quiet)

"""The load generator's gRPC worker process: raw HTTP/2 connections, pre-serialized requests.

Same pipe protocol and records as the HTTP worker (`loadgen_base.WorkerBase` does the commands
and the plumbing). Requests are serialized `inference.ModelInferRequest` messages built once and
sent by `tui.core.bench.h2`, many streams on one connection (perf_analyzer's clients share one too),
the requests started after one read leaving in one write: grpcio's per-call cost (Python
wrappers, thread hand-offs) held this worker to about half of perf_analyzer's throughput, with
the CPU mostly idle. Under concurrency each answer starts the next request; request rate sends
on schedule, at most `max_conns` requests in flight (0: no cap), a further connection opened
per PER_CONNECTION streams; a sequence model's requests also wait for a free sequence slot
(`loadgen_base`). A non-zero gRPC status is an error for its request; a broken
connection ends the level with an error, as over HTTP.
Send and receive times are recorded as 0: with pre-serialized bytes and unparsed answers there is
no marshalling to time (perf_analyzer's "(un)marshal request/response").
"""

from __future__ import annotations

import random
import select
import time
from typing import Any

from tui.core.bench.h2 import H2Connection, request_headers
from tui.core.bench.loadgen_base import WorkerBase, run_worker

METHOD = "/inference.GRPCInferenceService/ModelInfer"
PER_CONNECTION = 100  # streams in flight on one connection (servers allow at least 100)


class _Worker(WorkerBase):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.headers = request_headers("{}:{}".format(*self.addr), METHOD)

    def _open(self) -> H2Connection:
        return H2Connection(*self.addr, self.headers, self.timeout, self.max_answer)

    def _send(self, c: H2Connection, due: int = 0) -> None:
        i = self.next_index
        self.next_index = i + 1
        payload, slot, ended, index = self._take(i)
        c.start(payload, (index, time.monotonic_ns(), due, slot, ended))

    def _ended(self, c: H2Connection) -> int:
        """Read what arrived on c, record the streams that ended; how many did."""
        ended = c.receive()
        seq = self.seq
        for (index, start, due, slot, last), answer, error in ended:
            if seq is not None:
                seq.release(slot)
            if answer is None:
                self.errors += 1
                self.first_error = self.first_error or error
                continue
            self.records.extend((start, time.monotonic_ns(), 0, 0, start - due if due else 0, last))
            self.done += 1
            if self.done % self.sample_every == 1 or self.sample_every == 1:
                self.conn.send(("sample", index, answer, None))
        return len(ended)

    def _level(
        self, concurrency: int, rate: float, poisson: bool, max_conns: int
    ) -> tuple[Any, ...]:
        """Closed loop of `concurrency` streams when `rate` is 0, else sends on schedule with at
        most `max_conns` requests in flight (0: no cap)."""
        ep = select.epoll()
        pipe_fd = self.conn.fileno()
        ep.register(pipe_fd, select.EPOLLIN)
        by_fd: dict[int, H2Connection] = {}

        def add(c: H2Connection) -> H2Connection:
            by_fd[c.fileno()] = c
            ep.register(c.fileno(), select.EPOLLIN)
            return c

        def sender(c: H2Connection) -> H2Connection:
            """c, or a fresh connection once c's stream ids ran out or it is full."""
            if c.exhausted or len(c.streams) >= PER_CONNECTION:
                fresh = add(self._open())
                if c.exhausted:
                    conns[conns.index(c)] = fresh
                    self.pool[self.pool.index(c)] = fresh
                else:
                    conns.append(fresh)
                    self.pool.append(fresh)
                return fresh
            return c

        n = max(1, -(-concurrency // PER_CONNECTION)) if rate <= 0 else 1
        conns = [add(c) for c in self._ensure(n)]
        in_flight = 0
        if rate <= 0:
            for k in range(concurrency):
                self._send(conns[k % n])
            in_flight = concurrency
        for c in conns:
            c.flush()
        mono = time.monotonic_ns
        rng = random.Random(0)
        gap = int(1e9 / rate) if rate > 0 else 0
        next_send = mono()
        try:
            while True:
                timeout = 0.5
                if rate > 0:
                    now = mono()
                    c = min(conns, key=lambda x: len(x.streams))
                    while (
                        now >= next_send
                        and not (max_conns and in_flight >= max_conns)
                        and (self.seq is None or self.seq.free)
                    ):
                        c = sender(c)
                        self._send(c, next_send)
                        in_flight += 1
                        next_send += int(rng.expovariate(rate) * 1e9) if poisson else gap
                        now = mono()
                    for x in conns:
                        x.flush()
                    if not (max_conns and in_flight >= max_conns) and (
                        self.seq is None or self.seq.free
                    ):
                        timeout = max(0.0, (next_send - mono()) / 1e9)
                for fd, _ in ep.poll(timeout):
                    if fd == pipe_fd:
                        cmd = self._poll_command()
                        if cmd is not None:
                            self._drain(by_fd, ep)
                            return cmd
                        continue
                    c = by_fd[fd]
                    ended = self._ended(c)
                    in_flight -= ended
                    if rate <= 0 and ended:
                        fresh = sender(c) if c.exhausted else c
                        for _ in range(ended):
                            self._send(fresh)
                        in_flight += ended
                        fresh.flush()
                    c.flush()
                    if c not in conns and not c.streams:  # replaced and drained
                        ep.unregister(fd)
                        del by_fd[fd]
                        c.close()
        finally:
            ep.close()

    def _drain(self, by_fd: dict[int, H2Connection], ep: select.epoll) -> None:
        """Await the answers in flight. A sequence model's open sequences are ended meanwhile,
        each as soon as its slot is free (SequenceSlots.finish)."""
        seq = self.seq
        if seq is not None:
            seq.finish()
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and (
            any(c.streams for c in by_fd.values()) or (seq is not None and seq.free)
        ):
            while seq is not None and seq.free:
                c = min(by_fd.values(), key=lambda x: (x.exhausted, len(x.streams)))
                if c.exhausted:
                    c = self._open()
                    self.pool.append(c)
                    by_fd[c.fileno()] = c
                    ep.register(c.fileno(), select.EPOLLIN)
                self._send(c)
                c.flush()
            for fd, _ in ep.poll(0.1):
                if fd in by_fd:
                    self._ended(by_fd[fd])
                    by_fd[fd].flush()
        if any(c.streams for c in by_fd.values()):
            raise TimeoutError("responses still outstanding after the level ended")

    def _send_all(self, requests: list[bytes]) -> None:
        c = self._ensure(1)[0]
        if c.exhausted:
            c.close()
            c = self.pool[0] = self._open()
        for payload in requests:
            c.start(payload, (-1, time.monotonic_ns(), 0, -1, 0))
        c.flush()
        deadline = time.monotonic() + self.timeout
        while c.streams:
            if time.monotonic() > deadline:
                raise TimeoutError("sequence ends unanswered")
            if not select.select([c.fileno()], [], [], 0.1)[0]:
                continue
            for _, answer, error in c.receive():
                if answer is None:
                    self.errors += 1
                    self.first_error = self.first_error or error
            c.flush()


def worker_main(*args: Any) -> None:
    """The process `LoadGenerator` starts (arguments: those of `run_worker` after `kind`)."""
    run_worker(_Worker, *args)

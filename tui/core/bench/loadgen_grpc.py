"""The load generator's gRPC worker process: one HTTP/2 channel, pre-serialized requests.

Same pipe protocol and records as `loadgen_worker` (see there); requests are serialized
`inference.ModelInferRequest` messages built once, sent on a generic unary method with no
(de)serializer, so the hot path does no protobuf work. Under concurrency each answer's callback
(on gRPC's completion thread) sends the next request (faster than blocking calls, even at
concurrency 1); request rate sends from this thread on schedule, no cap on requests in flight.
Send and receive times are recorded as 0: with pre-serialized bytes and unparsed answers there is
no marshalling to time (perf_analyzer's "(un)marshal request/response").
"""

from __future__ import annotations

import contextlib
import gc
import os
import random
import threading
import time
from array import array
from multiprocessing.connection import Connection
from typing import Any

import grpc

METHOD = "/inference.GRPCInferenceService/ModelInfer"
CHECK_S = 0.002
OPTIONS = [
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
    ("grpc.keepalive_time_ms", 30_000),
]


class _Worker:
    def __init__(
        self,
        conn: Connection,
        host: str,
        port: int,
        requests: list[bytes],
        sample_every: int,
        timeout: float,
    ) -> None:
        self.conn = conn
        self.target = f"{host}:{port}"
        self.channel = grpc.insecure_channel(self.target, options=OPTIONS)
        self.call = self.channel.unary_unary(METHOD)
        self.requests = requests
        self.sample_every = max(1, sample_every)
        self.timeout = timeout
        self.records = array("q")
        self.lock = threading.Lock()  # callbacks append from gRPC's thread
        self.errors = 0
        self.first_error = ""
        self.done = 0
        self.next_index = 0
        self.running = False
        self.in_flight = 0
        self.drained = threading.Condition(self.lock)

    def _request(self) -> tuple[int, bytes]:
        i = self.next_index
        self.next_index = i + 1
        return i, self.requests[i % len(self.requests)]

    def _completed(
        self, index: int, start: int, due: int, answer: bytes | None, error: str
    ) -> None:
        end = time.monotonic_ns()
        with self.lock:
            if answer is None:
                self.errors += 1
                self.first_error = self.first_error or error
            else:
                self.records.extend((start, end, 0, 0, start - due if due else 0))
                self.done += 1
                if self.done % self.sample_every == 1 or self.sample_every == 1:
                    self.conn.send(("sample", index, answer, None))

    def _flush(self, token: Any) -> None:
        with self.lock:
            records, self.records = self.records, array("q")
            errors, first = self.errors, self.first_error
            self.errors, self.first_error = 0, ""
            self.conn.send(
                (
                    "data",
                    token,
                    records.tobytes(),
                    errors,
                    first,
                    time.process_time_ns(),
                    time.monotonic_ns(),
                )
            )

    def _poll_command(self, wait: float = 0.0) -> tuple | None:
        while self.conn.poll(wait):
            wait = 0.0
            cmd = self.conn.recv()
            if cmd[0] == "flush":
                self._flush(cmd[1])
            else:
                return cmd
        return None

    def _async_send(self, due: int = 0) -> None:
        index, payload = self._request()
        start = time.monotonic_ns()
        future = self.call.future(payload, timeout=self.timeout)
        with self.lock:
            self.in_flight += 1

        def done(f: grpc.Future) -> None:
            try:
                answer, error = f.result(), ""
            except grpc.RpcError as exc:
                answer, error = None, f"gRPC {exc.code().name}: {exc.details()}"
            self._completed(index, start, due, answer, error)
            with self.lock:
                self.in_flight -= 1
                again = self.running and not due
                if not self.in_flight:
                    self.drained.notify_all()
            if again:  # closed loop: the answer releases the next request
                self._async_send()

        future.add_done_callback(done)

    def _stop_async(self) -> None:
        with self.lock:
            self.running = False
            if not self.drained.wait_for(lambda: self.in_flight == 0, self.timeout):
                raise TimeoutError("responses still outstanding after the level ended")

    # Loops ----------------------------------------------------------------------------------
    def _closed(self, n: int) -> tuple:
        self.running = True
        for _ in range(n):
            self._async_send()
        try:
            while True:
                cmd = self._poll_command(0.5)
                if cmd is not None:
                    return cmd
        finally:
            self._stop_async()

    def _rate(self, rate: float, poisson: bool) -> tuple:
        rng = random.Random(0)
        gap = int(1e9 / rate)
        mono = time.monotonic_ns
        next_send = mono()
        self.running = True
        try:
            while True:
                now = mono()
                while now >= next_send:
                    self._async_send(due=next_send)
                    next_send += int(rng.expovariate(rate) * 1e9) if poisson else gap
                    now = mono()
                cmd = self._poll_command(min(CHECK_S, (next_send - now) / 1e9))
                if cmd is not None:
                    return cmd
        finally:
            self._stop_async()

    def serve(self) -> None:
        cmd: tuple = self.conn.recv()
        while cmd[0] != "stop":
            if cmd[0] == "flush":
                self._flush(cmd[1])
                cmd = self.conn.recv()
                continue
            if cmd[0] == "idle":
                self.conn.send(("idle",))
                cmd = self.conn.recv()
                continue
            _, concurrency, rate, poisson, _max_conns = cmd
            try:
                self.conn.send(("running", time.monotonic_ns()))
                cmd = self._rate(rate, poisson) if rate > 0 else self._closed(concurrency)
            except (OSError, ValueError, TimeoutError) as exc:
                self.conn.send(("error", f"{self.target}: {exc or type(exc).__name__}"))
                cmd = self.conn.recv()
        self.channel.close()


def worker_main(
    conn: Connection,
    host: str,
    port: int,
    requests: list[bytes],
    sample_every: int,
    timeout: float,
    quiet: bool,
) -> None:
    if quiet:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    gc.disable()
    with contextlib.suppress(EOFError, BrokenPipeError, KeyboardInterrupt):
        _Worker(conn, host, port, requests, sample_every, timeout).serve()

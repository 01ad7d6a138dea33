"""The load generator: worker processes sending pre-encoded requests on keep-alive sockets.

Each worker (`loadgen_worker`) holds a pool of keep-alive connections and sends the prepared HTTP
requests verbatim, reading only the status line and Content-Length of each answer; a gRPC worker
(`loadgen_grpc`) sends pre-serialized requests on HTTP/2 connections of its own (`h2`), one
stream in flight on each. Per request it
records start, end, send time and receive time (monotonic ns, comparable across processes).

`LoadGenerator` drives the workers over pipes from one thread (the engine's): `run` a level,
`collect` the records so far, `pause`, `close`.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from tui.core.bench.loadgen_worker import worker_main
from tui.core.bench.ranges import most_connections
from tui.core.bench.sequences import SequenceOptions, Template, split_ids

FIELDS = 6  # start, end, send, recv, lateness (request-rate sends; ns), sequence end (0/1)
LATE_NS = 1_000_000  # a request-rate send leaving later than this after its time counts as delayed


class LoadError(Exception):
    """The load could not be sent (server gone, connection refused, bad answers)."""


def _stderr_is_a_file() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        return False


def _ensure_resource_tracker() -> None:
    """multiprocessing's resource tracker passes sys.stderr's fd to its child; under Textual
    (which replaces sys.stderr with an object whose fileno() is -1) that start fails, so start it
    once with stderr pointing at /dev/null."""
    from multiprocessing import resource_tracker

    if _stderr_is_a_file():
        return
    with _TRACKER_LOCK:
        saved = sys.stderr
        with open(os.devnull, "w") as devnull:
            sys.stderr = devnull
            try:
                resource_tracker.ensure_running()
            finally:
                sys.stderr = saved


_TRACKER_LOCK = threading.Lock()


@dataclass
class Collected:
    records: Any  # numpy int64 array (n, FIELDS): start, end, send, recv, lateness, seq. end
    errors: int
    delayed: int  # records whose request left more than LATE_NS after its scheduled time
    first_error: str
    cpu_ns: list[int] = field(default_factory=list)  # per worker: CPU time used so far
    at_ns: list[int] = field(default_factory=list)  # per worker: when cpu_ns was read


class LoadGenerator:
    """Owns the worker processes. Not thread-safe: drive it from one thread (the engine's)."""

    def __init__(
        self,
        host: str,
        port: int,
        requests: list[bytes],
        *,
        processes: int = 1,
        sample_every: int = 1000,
        timeout: float = 30.0,
        on_sample: Any = None,
        protocol: str = "http",
        templates: list[list[Template]] | None = None,
        max_answer: int = 1 << 30,
    ) -> None:
        """`templates`: a sequence model's requests (sequences.Template), instead of `requests`.
        `max_answer`: the bytes an answer may take (inputs.answer_cap); a larger one is an error."""
        self._ctx = mp.get_context("spawn")
        self._target = worker_main
        if protocol == "grpc":
            from tui.core.bench.loadgen_grpc import worker_main as grpc_main

            self._target = grpc_main
        self._quiet = not _stderr_is_a_file()
        _ensure_resource_tracker()
        self._args = (host, port, requests, sample_every, timeout, templates, max_answer)
        self.timeout = timeout
        self.on_sample = on_sample
        self.pipes: list[Connection] = []
        self.procs: list[Any] = []
        self._token = 0
        for _ in range(max(1, processes)):
            self.add_process()
        self.level_start_ns = 0

    @property
    def processes(self) -> int:
        return len(self.procs)

    def add_process(self) -> None:
        """Start one more worker; it takes a share of the next `run`."""
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(
            target=self._target,
            name="triton-tui-loadgen",
            daemon=True,
            args=(child, *self._args, self._quiet),
        )
        proc.start()
        child.close()
        self.pipes.append(parent)
        self.procs.append(proc)

    def _recv(self, pipe: Connection, want: str, deadline: float) -> tuple[Any, ...]:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not pipe.poll(left):
                raise LoadError(f"the load generator did not answer within {self.timeout:g} s")
            try:
                msg: tuple[Any, ...] = pipe.recv()
            except (EOFError, OSError):
                raise LoadError("the load generator process exited") from None
            if msg[0] == "sample":
                if self.on_sample is not None:
                    self.on_sample(msg[1], msg[2], msg[3])
            elif msg[0] == "error":
                raise LoadError(msg[1])
            elif msg[0] == want:
                return msg

    def _split(self, concurrency: int) -> list[int]:
        n = len(self.pipes)
        return [concurrency // n + (1 if i < concurrency % n else 0) for i in range(n)]

    def run(
        self,
        *,
        concurrency: int = 0,
        rate: float = 0.0,
        poisson: bool = False,
        max_connections: int = 0,
        sequences: SequenceOptions | None = None,
    ) -> None:
        """Start (or switch to) a load level; records of earlier levels are dropped.
        `max_connections` caps request-rate mode's requests in flight (0: as many as the
        open-file limit allows, `most_connections`). For a sequence model, `sequences`: each
        process runs its share of the sequences (concurrency, or `num_sequences` under a
        request rate, which is shared in proportion) with IDs from a range of its own."""
        n = len(self.pipes)
        shares = self._split(concurrency) if rate <= 0 else [0] * n
        rates = [rate / n] * n if rate > 0 else [0.0] * n
        seqs: list[tuple[Any, ...] | None] = [None] * n
        if sequences is not None:
            slots = shares if rate <= 0 else self._split(sequences.num_sequences)
            if rate > 0:
                rates = [rate * k / sequences.num_sequences for k in slots]
            ids = split_ids(sequences.id_start, sequences.id_end, n)
            opts = (sequences.length, sequences.variation_pct)
            data = (sequences.streams, sequences.length_given)
            seqs = [(k, *ids[i], *opts, i + 1, *data) for i, k in enumerate(slots)]
        active, idle = [], []
        for pipe, share, r, seq in zip(self.pipes, shares, rates, seqs, strict=False):
            if share > 0 or r > 0:
                # uncapped (0), a rate past what the server answers would open sockets until
                # the open-file limit: never more than it allows
                cap = max(1, (max_connections or most_connections()) // n)
                pipe.send(("run", share, r, poisson, cap, seq))
                active.append(pipe)
            else:  # a process without a share this level must stop its previous one
                pipe.send(("idle",))
                idle.append(pipe)
        deadline = time.monotonic() + self.timeout
        for pipe in idle:
            self._recv(pipe, "idle", deadline)
        starts = [self._recv(pipe, "running", deadline)[1] for pipe in active]
        self.level_start_ns = max(starts)
        self.collect()  # drop leftovers of the previous level

    def pause(self) -> None:
        """Stop sending (answers in flight are awaited); `run` starts again."""
        for pipe in self.pipes:
            pipe.send(("idle",))
        deadline = time.monotonic() + self.timeout
        for pipe in self.pipes:
            self._recv(pipe, "idle", deadline)

    def collect(self) -> Collected:
        import numpy as np

        self._token += 1
        for pipe in self.pipes:
            pipe.send(("flush", self._token))
        deadline = time.monotonic() + self.timeout
        parts, errors, first, cpu, at = [], 0, "", [], []
        for pipe in self.pipes:
            while True:
                msg = self._recv(pipe, "data", deadline)
                if msg[1] == self._token:
                    break
            parts.append(np.frombuffer(msg[2], dtype=np.int64).reshape(-1, FIELDS))
            errors += msg[3]
            first = first or msg[4]
            cpu.append(msg[5])
            at.append(msg[6])
        records = np.concatenate(parts) if parts else np.empty((0, FIELDS), np.int64)
        records = records[records[:, 0] >= self.level_start_ns]
        delayed = int((records[:, 4] > LATE_NS).sum())
        return Collected(records, errors, delayed, first, cpu, at)

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("stop",))
        for proc in self.procs:
            proc.join(timeout=2)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=2)
        for pipe in self.pipes:
            pipe.close()

    def __enter__(self) -> LoadGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

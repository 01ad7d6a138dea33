"""What every load generator worker process shares, whatever protocol it speaks.

Commands on its pipe: ("run", concurrency, rate, poisson, max_connections, sequences),
("flush", token), ("idle",), ("stop",). Answers: ("running", t_ns), ("data", token, records,
errors, first_error, cpu_ns, t_ns), ("sample", index, body, header_length), ("idle",),
("error", message). A record is (start, end, send, recv, lateness, sequence_end) in monotonic ns;
lateness is how long after its scheduled time a request-rate send left (0 under concurrency),
sequence_end is 1 for the request that ended a sequence. cpu_ns is the process's CPU time, so the
engine can tell when the load generator itself is the bottleneck.
`sequences` is None, or for a sequence model (slots, id_lo, id_hi, length, variation_pct, seed,
streams, length_given) (see `SequenceSlots`):
the worker then sends through `SequenceSlots` and, when the level ends, closes the sequences
still open (`_end_sequences`).
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import time
from abc import ABC, abstractmethod
from array import array
from multiprocessing.connection import Connection
from typing import Any

from tui.core.bench.sequences import SequenceSlots, Template

CHECK_NS = 2_000_000  # how often a busy worker looks at its command pipe


class WorkerBase(ABC):
    """What every worker shares, whatever it speaks: the pipe commands, the records and their
    flushes, the connection pool. A subclass opens connections (`_open`) and runs a level
    (`_level`); an OSError or ValueError ends the level with an "error" answer."""

    def __init__(
        self,
        conn: Connection,
        host: str,
        port: int,
        requests: list[bytes],
        sample_every: int,
        timeout: float,
        templates: list[list[Template]] | None = None,
        max_answer: int = 1 << 30,
    ) -> None:
        self.conn = conn
        self.max_answer = max_answer  # bytes; a larger answer ends the level (a hostile server)
        self.addr = (host, port)
        self.requests = requests
        self.templates = templates  # a sequence model's requests (sequences.Template)
        self.seq: SequenceSlots | None = None  # this level's sequences
        self.ids_used = 0  # sequence IDs handed out so far (the next level goes on from there)
        # a stride sharing no factor with the number of data entries, so the sampled answers
        # go round all of them (1000 over 2 entries would only ever check one)
        self.sample_every = max(1, sample_every)
        while math.gcd(self.sample_every, len(requests) or 1) != 1:
            self.sample_every += 1
        self.timeout = timeout
        self.pool: list[Any] = []  # connections, each with a `sock`
        self.records = array("q")
        self.errors = 0
        self.done = 0
        self.first_error = ""
        self.next_index = 0

    @abstractmethod
    def _open(self) -> Any:
        """A new connection to the server (an object with a `sock`)."""

    @abstractmethod
    def _level(
        self, concurrency: int, rate: float, poisson: bool, max_conns: int
    ) -> tuple[Any, ...]:
        """Run one level until a command other than "flush" arrives; return that command
        (answers still in flight were awaited)."""

    @abstractmethod
    def _send_all(self, requests: list[bytes]) -> None:
        """Send these requests at once, await their answers (errors are counted)."""

    def _take(self, index: int) -> tuple[bytes, int, int, int]:
        """The request to send as number `index`: (bytes, sequence slot or -1, sequence end,
        data entry; a sampled answer is checked against that entry's expected outputs)."""
        if self.seq is None:
            return self.requests[index % len(self.requests)], -1, 0, index
        return self.seq.take()

    def _end_sequences(self) -> None:
        """Send END for each sequence still open (perf_analyzer does so when a level ends)."""
        seq, self.seq = self.seq, None
        if seq is not None:
            self.ids_used = seq.counter
            ends = seq.closing()
            if ends:
                self._send_all(ends)

    def _ensure(self, n: int) -> list[Any]:
        while len(self.pool) < n:
            self.pool.append(self._open())
        return self.pool[:n]

    def _close_all(self) -> None:
        for c in self.pool:
            with contextlib.suppress(OSError):
                c.sock.close()
        self.pool = []

    def _flush(self, token: Any) -> None:
        records, self.records = self.records, array("q")
        cpu = time.process_time_ns()
        self.conn.send(
            (
                "data",
                token,
                records.tobytes(),
                self.errors,
                self.first_error,
                cpu,
                time.monotonic_ns(),
            )
        )
        self.errors = 0
        self.first_error = ""

    def _poll_command(self) -> tuple[Any, ...] | None:
        """Handle flushes inline; return any other command (it ends the current level)."""
        while self.conn.poll():
            cmd: tuple[Any, ...] = self.conn.recv()
            if cmd[0] == "flush":
                self._flush(cmd[1])
            else:
                return cmd
        return None

    def serve(self) -> None:
        cmd: tuple[Any, ...] = self.conn.recv()
        while cmd[0] != "stop":
            if cmd[0] == "flush":
                self._flush(cmd[1])
                cmd = self.conn.recv()
                continue
            if cmd[0] == "idle":  # no load until the next "run"; in-flight answers were drained
                self.conn.send(("idle",))
                cmd = self.conn.recv()
                continue
            _, concurrency, rate, poisson, max_conns, sequences = cmd
            if sequences is not None and self.templates:
                slots, lo, hi, length, variation, seed, streams, given = sequences
                self.seq = SequenceSlots(
                    self.templates,
                    slots,
                    lo,
                    hi,
                    length,
                    variation,
                    seed,
                    self.ids_used,
                    streams,
                    given,
                )
            try:
                self.conn.send(("running", time.monotonic_ns()))
                cmd = self._level(concurrency, rate, poisson, max_conns)
                self._end_sequences()
            except (OSError, ValueError) as exc:
                self.seq = None  # the server forgets them after its idle timeout
                self._close_all()
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self.conn.send(
                    ("error", f"{self.addr[0]}:{self.addr[1]}: {reason or type(exc).__name__}")
                )
                cmd = self.conn.recv()
        self._close_all()


def run_worker(
    kind: type[WorkerBase],
    conn: Connection,
    host: str,
    port: int,
    requests: list[bytes],
    sample_every: int,
    timeout: float,
    templates: list[list[Template]] | None,
    max_answer: int,
    quiet: bool,
) -> None:
    if quiet:  # under a full-screen UI: nothing of ours may reach its terminal
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    gc.disable()  # the loops make no reference cycles; collections would only add jitter
    with contextlib.suppress(EOFError, BrokenPipeError, KeyboardInterrupt):
        kind(conn, host, port, requests, sample_every, timeout, templates, max_answer).serve()

"""A benchmark's settings as typed options, with perf_analyzer's meanings and defaults, owned
here once: the bench command fills one from its flags (the field names are the flags' own, as
perf_analyzer spells them), the Benchmark pane from its form (tui/core/bench/form.py), and
`config()` checks it into the BenchConfig the engine runs; what is wrong is a UsageError in
words that name the flag."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from tui.core.bench.inputs import InputError, parse_shapes
from tui.core.bench.ranges import (
    STABILITY_PCT,
    WINDOW_MS,
    RangeError,
    check_concurrency,
    check_window,
    parse_range,
)
from tui.core.bench.results import BenchConfig
from tui.core.bench.sequences import SequenceError, SequenceOptions, parse_id_range
from tui.core.server.endpoints import UsageError

OUTPUT_SHM_SIZE = 102400  # bytes per batch item of an output whose size the model does not fix
SEQUENCE_LENGTH = 20  # requests per sequence when not given


@dataclass
class BenchOptions:
    model: str
    model_version: str = ""
    protocol: str = "http"  # or "grpc"
    async_mode: bool = False
    sync: bool = False
    request_count: int = 0  # exactly N requests per level, one window (0: windows until stable)
    concurrency_range: str | None = None  # START:END:STEP (default 1)
    request_rate_range: str | None = None  # instead of concurrency
    request_distribution: str = "constant"  # or "poisson"
    measurement_interval: int = WINDOW_MS  # ms
    measurement_mode: str = "time_windows"  # or "count_windows"
    measurement_request_count: int = 50
    stability_percentage: float = STABILITY_PCT
    max_trials: int = 10
    batch_size: int = 1
    percentile: int | None = None
    latency_threshold: float = 0.0  # ms, 0: no limit
    input_data: str = "random"  # zero, random or a JSON file
    shape: list[str] | None = None  # NAME:D1,D2 of variable dims
    string_length: int = 128
    string_data: str | None = None
    input_tensor_format: str = "binary"  # or "json"
    shared_memory: str = "none"  # or "system"
    output_shared_memory_size: int | None = None  # default OUTPUT_SHM_SIZE
    max_threads: int = 0
    sequence_length: int | None = None  # default SEQUENCE_LENGTH
    sequence_length_variation: float = 20.0
    sequence_id_range: str = "1"
    num_of_sequences: int = 4
    loadgen_processes: int = 0  # 0: one, more while it is the bottleneck
    serial_sequences: bool = False  # always so here; accepted for perf_analyzer's lines

    def config(self, url: str, metrics_url: str | None) -> BenchConfig:
        """The BenchConfig these options ask for; UsageError (exit 3) on anything wrong."""
        if self.concurrency_range and self.request_rate_range:
            raise UsageError("--concurrency-range and --request-rate-range are mutually exclusive")
        for ok, message in self._checks():
            if not ok:
                raise UsageError(message)
        try:
            check_window(self.measurement_interval, f"-p {self.measurement_interval}: the window")
            if self.max_threads:
                check_concurrency(self.max_threads, f"--max-threads {self.max_threads}")
            if self.request_rate_range:
                rate = parse_range(
                    self.request_rate_range, integral=False, flag="--request-rate-range"
                )
                concurrency = None
            else:
                rate = None
                concurrency = parse_range(self.concurrency_range or "1")
            shapes = parse_shapes(self.shape)
            id_start, id_end = parse_id_range(self.sequence_id_range)
        except (RangeError, InputError, SequenceError) as exc:
            raise UsageError(str(exc)) from None
        rng = rate or concurrency
        assert rng is not None
        if rng.unbounded and self.latency_threshold == 0:
            raise UsageError("The end of the search range and the latency limit can not be both 0")
        if self.input_data not in ("zero", "random") and not Path(self.input_data).is_file():
            raise UsageError(f"--input-data {self.input_data}: no such file (or use zero / random)")
        return BenchConfig(
            model=self.model,
            url=url,
            version=self.model_version,
            metrics_url=metrics_url,
            batch_size=self.batch_size,
            concurrency=concurrency,
            request_rate=rate,
            distribution=self.request_distribution,
            measurement_mode=self.measurement_mode,
            window_ms=self.measurement_interval,
            request_count=self.measurement_request_count,
            stability_pct=self.stability_percentage,
            max_trials=self.max_trials,
            percentile=self.percentile,
            latency_threshold_ms=self.latency_threshold,
            input_data=self.input_data,
            shapes=shapes,
            binary=self.input_tensor_format == "binary",
            string_length=self.string_length,
            string_data=self.string_data,
            processes=self.loadgen_processes,
            max_connections=self.max_threads,
            protocol=self.protocol,
            async_mode=self.async_mode,
            force_sync=self.sync,
            request_count_total=self.request_count,
            shared_memory=self.shared_memory,
            output_shm_size=(
                OUTPUT_SHM_SIZE
                if self.output_shared_memory_size is None
                else self.output_shared_memory_size
            ),
            sequences=SequenceOptions(
                length=SEQUENCE_LENGTH if self.sequence_length is None else self.sequence_length,
                length_given=self.sequence_length is not None,
                variation_pct=self.sequence_length_variation,
                id_start=id_start,
                id_end=id_end,
                num_sequences=self.num_of_sequences,
            ),
        )

    def _checks(self) -> list[tuple[bool, str]]:
        return [
            (self.measurement_request_count > 0, "--measurement-request-count must be above 0"),
            (self.stability_percentage > 0, "-s must be greater than 0 (percent)"),
            (self.max_trials > 0, "-r must be at least 1"),
            (self.batch_size > 0, "-b must be at least 1"),
            (0 <= self.latency_threshold < math.inf, "-l must be a number of ms, 0 or more"),
            (
                self.percentile is None or 0 < self.percentile < 100,
                "--percentile must be in 1..99",
            ),
            (self.max_threads >= 0, "--max-threads must not be negative"),
            (
                0 < self.string_length <= 1 << 30,  # each string is built in memory
                "--string-length must be in 1..1073741824 (1 GiB)",
            ),
            (0 <= self.loadgen_processes <= 64, "--loadgen-processes must be in 0..64"),
            (self.request_count >= 0, "--request-count must not be negative"),
            (
                self.sequence_length is None or self.sequence_length > 0,
                "--sequence-length must be at least 1",
            ),
            (
                0 <= self.sequence_length_variation < math.inf,  # nan, inf: no length to draw
                "--sequence-length-variation must be >= 0 and finite (a percentage)",
            ),
            (self.num_of_sequences > 0, "--num-of-sequences must be at least 1"),
            (
                self.output_shared_memory_size is None or self.output_shared_memory_size >= 0,
                "--output-shared-memory-size must not be negative",
            ),
        ]

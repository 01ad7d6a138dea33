"""perf_analyzer's console layout and CSV (triton-tools.md §1.5, §1.6), and our JSON record."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tui.core.bench.engine import (
    BenchConfig,
    BenchResult,
    LevelResult,
    ServerBreakdown,
    usable_cores,
)
from tui.core.bench.stats import NO_STD, PERCENTILES
from tui.core.util.export import write_export


def fmt_num(value: float) -> str:
    """C++ iostream's default formatting (6 significant digits): 1407.84, 482.8, 272."""
    return f"{value:.6g}"


def percentiles_of(config: BenchConfig) -> list[int]:
    return sorted(set(PERCENTILES) | ({config.percentile} if config.percentile else set()))


def settings_block(config: BenchConfig) -> str:
    rng = config.load_range
    lines = [
        "*** Measurement Settings ***",
        f"  Batch size: {config.batch_size}",
        "  Service Kind: TRITON",
        f'  Using "{config.measurement_mode}" mode for stabilization',
    ]
    what = f"p{config.percentile}latency" if config.percentile else "average latency"
    lines.append(f"  Stabilizing using {what} and throughput")
    if config.measurement_mode == "count_windows":
        lines.append(f"  Minimum number of samples in each window: {config.request_count}")
    else:
        lines.append(f"  Measurement window: {config.window_ms} msec")
    calls = "asynchronous" if config.async_mode else "synchronous"
    if config.mode == "concurrency":
        if rng.end != 1:
            lines.append(f"  Latency limit: {config.latency_threshold_ms:g} msec")
        if rng.end != 0:
            lines.append(f"  Concurrency limit: {int(rng.end)} concurrent requests")
        lines.append(f"  Using {calls} calls for inference")
    else:
        lines.append(f"  Latency limit: {config.latency_threshold_ms:g} msec")
        if rng.end != 0:
            lines.append(f"  Request Rate limit: {rng.end:g} requests per seconds")
        lines.append(f"  Using {config.distribution} distribution on request generation")
        lines.append("  Using asynchronous calls for inference")
    if config.request_count_total:
        lines.append(f"  Measuring exactly {config.request_count_total} requests")
    if config.shared_memory != "none":  # perf_analyzer prints nothing of it
        lines.append(
            f"  Using {config.shared_memory} shared memory for inputs and outputs "
            f"({config.output_shm_size} bytes per batch item for an output of no fixed size)"
        )
    procs = config.processes or f"automatic (up to {usable_cores()})"
    lines.append(f"  Protocol: {config.protocol.upper()}; load generator processes: {procs}")
    return "\n".join(lines) + "\n"


def level_header(config: BenchConfig, value: float) -> str:
    if config.mode == "concurrency":
        return f"Request concurrency: {int(value)}"
    return f"Request Rate: {value:g} inference requests per seconds"


def sequence_line(level: LevelResult) -> str:
    """perf_analyzer's line for a sequence model (sequences ended within the windows merged)."""
    return f"Sequence count: {level.sequence_count} ({fmt_num(level.sequence_rate)} seq/sec)"


def _shapes_only(config: BenchConfig, level: LevelResult) -> bool:
    """A sequence model's answers in shared memory are checked by shape only (inputs.py)."""
    return config.shared_memory == "system" and level.sequence_count is not None


def level_block(config: BenchConfig, level: LevelResult) -> str:
    lat = level.latency
    avg_us = lat.avg_ns // 1000
    lines = [
        "  Client: ",
        f"    Request count: {lat.count}",
    ]
    if level.sequence_count is not None:
        lines.append(f"    {sequence_line(level)}")
    lines.append(f"    Throughput: {fmt_num(level.throughput)} infer/sec")
    if level.send_rate is not None:
        lines.append(f"    Avg send request rate: {level.send_rate:.2f} infer/sec (measured)")
    if not config.percentile:
        std = "infinity" if lat.std_us == NO_STD else str(lat.std_us)
        lines.append(f"    Avg latency: {avg_us} usec (standard deviation {std} usec)")
    for p in percentiles_of(config):
        lines.append(f"    p{p} latency: {lat.percentiles_ns[p] // 1000} usec")
    send_recv = (lat.send_ns + lat.recv_ns) // 1000
    lines.append(
        f"    Avg send/recv: {send_recv} usec (send {lat.send_ns // 1000} usec + receive "
        f"{lat.recv_ns // 1000} usec); response wait {max(0, avg_us - send_recv)} usec"
    )
    lines.append(
        f"    Load generator: {level.processes} process(es), busiest at {level.client_cpu:.0%} "
        f"CPU; {level.responses_checked} of {level.responses_seen} responses checked"
        + (" (shapes only: outputs in shared memory)" if _shapes_only(config, level) else "")
    )
    if level.server is not None:
        ensemble, cache = bool(level.composing), level.response_cache
        lines += ["  Server: ", *_server_lines(level.server, "    ", ensemble, cache)]
    else:
        lines.append("")
    if level.composing:
        lines.append("  Composing models: ")
        for part in level.composing:
            lines.append(f"  {part.name}, version: {part.version}")
            lines += _server_lines(part, "      ", False, level.response_cache)
    if level.gpu:
        lines.append("  Server Prometheus Metrics: ")
        for title, key, unit in (
            ("Avg GPU Utilization", "utilization", "%"),
            ("Avg GPU Power Usage", "power_w", " watts"),
            ("Max GPU Memory Usage", "memory_used_bytes", " bytes"),
            ("Total GPU Memory", "memory_total_bytes", " bytes"),
        ):
            lines.append(f"    {title}:")
            for uuid, values in level.gpu.items():
                if key in values:
                    v = values[key] * 100 if key == "utilization" else values[key]
                    shown = f"{v:.1f}" if key in ("utilization", "power_w") else f"{int(v)}"
                    lines.append(f"      {uuid} : {shown}{unit}")
    return "\n".join(lines)  # as perf_analyzer, no blank line after the GPU metrics


def _server_lines(srv: ServerBreakdown, pad: str, ensemble: bool, cache: bool) -> list[str]:
    """perf_analyzer's server block, a blank line after it (so also after an ensemble's own
    and after each composing model's). With `cache` (the config enables response_cache) the
    compute times give way to its cache hit/miss figures, indented one level deeper."""
    if cache:
        parts = f"queue {srv.queue_us} usec + cache hit/miss {srv.cache_compute_us} usec"
    elif ensemble:
        parts = f"queue {srv.queue_us} usec + compute {srv.compute_us} usec"
    else:
        parts = (
            f"queue {srv.queue_us} usec + compute input {srv.compute_input_us} usec"
            f" + compute infer {srv.compute_infer_us} usec + compute output "
            f"{srv.compute_output_us} usec"
        )
    lines = [
        f"{pad}Inference count: {srv.inference_count}",
        f"{pad}Execution count: {srv.execution_count}",
    ]
    if cache:
        lines += [
            f"{pad}Cache hit count: {srv.cache_hit_count}",
            f"{pad}Cache miss count: {srv.cache_miss_count}",
        ]
    lines += [
        f"{pad}Successful request count: {srv.success_count}",
        f"{pad}Avg request latency: {srv.request_us} usec (overhead {srv.overhead_us} usec"
        f" + {parts})",
    ]
    if cache:
        deeper = pad + " " * (len(pad) - 2)
        miss = f"{deeper}Average Cache Miss Latency: {srv.cache_miss_us + srv.compute_us} usec "
        if not ensemble:
            miss += (
                f"(cache lookup/insertion {srv.cache_miss_us} usec + compute input "
                f"{srv.compute_input_us} usec + compute infer {srv.compute_infer_us} usec + "
                f"compute output {srv.compute_output_us} usec)"
            )
        lines += [f"{deeper}Average Cache Hit Latency: {srv.cache_hit_us} usec", miss]
    return [*lines, ""]


def summary_lines(result: BenchResult) -> str:
    config = result.config
    what = f"p{config.percentile}" if config.percentile else "Average"
    lines = [f"Inferences/Second vs. Client {what} Batch Latency"]
    for level in result.levels:
        head = (
            f"Concurrency: {int(level.value)}"
            if config.mode == "concurrency"
            else f"Request Rate: {level.value:g}"
        )
        lines.append(
            f"{head}, throughput: {fmt_num(level.throughput)} infer/sec, latency "
            f"{level.stabilizing_us(config.percentile)} usec"
        )
    return "\n".join(lines) + "\n"


# CSV ----------------------------------------------------------------------------------------
def csv_rows(result: BenchResult, verbose: bool = False) -> list[list[str]]:
    config = result.config
    with_server = any(level.server is not None for level in result.levels)
    with_cache = any(level.response_cache for level in result.levels)
    header = [
        "Concurrency" if config.mode == "concurrency" else "Request Rate",
        "Inferences/Second",
        "Client Send",
    ]
    if with_server:
        header += [
            "Network+Server Send/Recv",
            "Server Queue",
            "Server Compute Input",
            "Server Compute Infer",
            "Server Compute Output",
        ]
        header += ["Server Cache Hit", "Server Cache Miss"] if with_cache else []
    header.append("Client Recv")
    header += [f"p{p} latency" for p in percentiles_of(config)]
    with_gpu = verbose and any(level.gpu for level in result.levels)
    if verbose:
        header += (["Avg latency"] if not config.percentile else []) + [
            "request/response",
            "response wait",
        ]
        if with_gpu:
            header += [
                "Avg GPU Utilization",
                "Avg GPU Power Usage",
                "Max GPU Memory Usage",
                "Total GPU Memory",
            ]
    rows = [header]
    for level in sorted(result.levels, key=lambda lv: lv.throughput):
        lat = level.latency
        send, recv, avg = lat.send_ns // 1000, lat.recv_ns // 1000, lat.avg_ns // 1000
        value = str(int(level.value)) if config.mode == "concurrency" else fmt_num(level.value)
        row = [value, fmt_num(level.throughput), str(send)]
        if with_server:
            s = level.server_own or level.server  # an ensemble's own figures, as perf_analyzer
            q, ci, cf, co, hit, miss = (
                (
                    s.queue_us,
                    s.compute_input_us,
                    s.compute_infer_us,
                    s.compute_output_us,
                    s.cache_hit_us if with_cache else 0,
                    s.cache_miss_us if with_cache else 0,
                )
                if s
                else (0, 0, 0, 0, 0, 0)
            )
            row += [
                str(max(0, (avg - send - recv) - (q + ci + cf + co + hit + miss))),
                str(q),
                str(ci),
                str(cf),
                str(co),
            ]
            row += [str(hit), str(miss)] if with_cache else []
        row.append(str(recv))
        row += [str(lat.percentiles_ns[p] // 1000) for p in percentiles_of(config)]
        if verbose:
            row += ([str(avg)] if not config.percentile else []) + [
                str(send + recv),
                str(avg - send - recv),
            ]
            if with_gpu:
                for key in ("utilization", "power_w", "memory_used_bytes", "memory_total_bytes"):
                    show = fmt_num if key in ("utilization", "power_w") else (lambda x: str(int(x)))
                    row.append(
                        "".join(f"{u}:{show(v[key])};" for u, v in level.gpu.items() if key in v)
                    )
        rows.append(row)
    return rows


def csv_text(result: BenchResult, verbose: bool = False) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(csv_rows(result, verbose))
    return out.getvalue()


def write_csv(result: BenchResult, path: Path, verbose: bool = False) -> None:
    write_export(path, csv_text(result, verbose).encode())


# JSON ---------------------------------------------------------------------------------------
def level_record(level: LevelResult) -> dict[str, Any]:
    lat = level.latency
    server = None
    if level.server is not None:
        server = {**asdict(level.server), "overhead_us": level.server.overhead_us}
    return {
        "value": level.value,
        "throughput": level.throughput,
        "request_count": lat.count,
        "latency_us": {
            "avg": lat.avg_ns // 1000,
            "std": None if lat.std_us == NO_STD else lat.std_us,
            **{f"p{p}": ns // 1000 for p, ns in lat.percentiles_ns.items()},
        },
        "client_send_us": lat.send_ns // 1000,
        "client_recv_us": lat.recv_ns // 1000,
        "server": server,
        "gpu": level.gpu,
        "trials": level.trials,
        "duration_s": level.duration_ns / 1e9,
        "delayed_requests": level.delayed,
        "sequence_count": level.sequence_count,
        "sequences_per_sec": level.sequence_rate if level.sequence_count is not None else None,
        "send_rate": level.send_rate,
        "client_cpu": level.client_cpu,
        "client_bound": level.client_bound,
        "loadgen_processes": level.processes,
        "responses_checked": level.responses_checked,
        "responses_seen": level.responses_seen,
        "response_cache": level.response_cache,
        "composing": [
            {**asdict(part), "overhead_us": part.overhead_us} for part in level.composing
        ],
        "warnings": level.warnings,
    }


def json_record(result: BenchResult) -> dict[str, Any]:
    c = result.config
    return {
        "tool": "triton-tui bench",
        "started_at": result.started_at,
        "server_url": c.url,
        "server_version": result.server_version,
        "model": c.model,
        "model_version": c.version,
        "mode": c.mode,
        "range": str(c.load_range),
        "batch_size": c.batch_size,
        "measurement_mode": c.measurement_mode,
        "measurement_interval_ms": c.window_ms,
        "measurement_request_count": c.request_count,
        "stability_percentage": c.stability_pct,
        "max_trials": c.max_trials,
        "percentile": c.percentile,
        "latency_threshold_ms": c.latency_threshold_ms,
        "input_data": c.input_data,
        "shapes": c.shapes,
        "protocol": c.protocol,
        "async": c.async_mode,
        "request_count": c.request_count_total,
        "shared_memory": c.shared_memory,
        "output_shared_memory_size": c.output_shm_size,
        "loadgen_processes": c.processes,
        "sequences": asdict(c.sequences),
        "status": result.status,
        "message": result.message,
        "warnings": result.warnings,
        "aftermath": result.aftermath,
        "levels": [level_record(level) for level in result.levels],
    }


def write_json(result: BenchResult, path: Path) -> None:
    write_export(path, (json.dumps(json_record(result), indent=2) + "\n").encode())

"""Plain-text figures shared by `triton-tui gpu` and the GPU pane (N/A for a missing value)."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

from tui.core.gpu.metrics import ModelRate, ServerMetrics
from tui.core.gpu.nvml import GpuSample
from tui.core.gpu.sampler import Snapshot
from tui.core.util import units

NA = "N/A"


def size(n: float | None) -> str:
    return NA if n is None else units.size(n)


def num(value: float | None, fmt: str = "{:.0f}", unit: str = "") -> str:
    return NA if value is None else fmt.format(value) + unit


def ms(us: float | None) -> str:
    return NA if us is None else f"{us / 1000:.2f}"


def energy(joules: float | None) -> str:
    if joules is None:
        return NA
    if joules >= 1e6:
        return f"{joules / 1e6:.2f} MJ"
    return f"{joules / 1e3:.1f} kJ" if joules >= 1e3 else f"{joules:.0f} J"


def gpu_line(g: GpuSample) -> str:
    mem = f"{size(g.memory_used)} / {size(g.memory_total)}"
    power = f"{num(g.power_w)} / {num(g.power_limit_w)} W"
    return (
        f"util {num(g.util_gpu, unit=' %')}  mem-util {num(g.util_memory, unit=' %')}  "
        f"memory {mem}  power {power}  temp {num(g.temperature_c, unit=' C')}  "
        f"SM {num(g.sm_clock_mhz, unit=' MHz')}  energy {energy(g.energy_j)}"
    )


def process_role(pid: int, snap: Snapshot) -> str:
    if snap.server and snap.server.alive:
        if pid == snap.server.pid:
            return "tritonserver (launched)"
        if pid in snap.server.children:
            return "tritonserver child"
    return ""


def model_row(m: ModelRate) -> tuple[str, ...]:
    return (
        m.model,
        m.version,
        num(m.request_rate, "{:.1f}"),
        num(m.inference_rate, "{:.1f}"),
        num(m.failure_rate, "{:.1f}"),
        ms(m.avg_queue_us),
        ms(m.avg_compute_us),
        ms(m.avg_request_us),
        num(m.pending),
    )


MODEL_HEADER = (
    "MODEL",
    "VER",
    "REQ/S",
    "INF/S",
    "FAIL/S",
    "QUEUE ms",
    "COMPUTE ms",
    "TOTAL ms",
    "PEND",
)


def server_metrics_line(m: ServerMetrics) -> str:
    cpu = None if m.cpu_utilization is None else 100 * m.cpu_utilization
    return (
        f"CPU {num(cpu, '{:.1f}', ' %')}  "
        f"memory {size(m.cpu_memory_used)} / {size(m.cpu_memory_total)}"
    )


def server_gpu_line(g: Any) -> str:
    util = None if g.utilization is None else 100 * g.utilization
    return (
        f"{g.uuid}  util {num(util, unit=' %')}  "
        f"memory {size(g.memory_used)} / {size(g.memory_total)}  "
        f"power {num(g.power_w)} / {num(g.power_limit_w)} W"
    )


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = []
    for row in (header, *rows):
        lines.append(indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    return [line.rstrip() for line in lines]


def render_text(snap: Snapshot) -> str:
    """The whole snapshot as text, like `nvitop --once`."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(snap.taken_at))
    out = [f"triton-tui gpu  {stamp}"]
    nv = snap.nvml
    if not nv.available:
        out.append(nv.message)
    else:
        out.append(f"NVML  driver {nv.driver_version or NA}  {len(nv.gpus)} GPU(s)")
        if nv.error:
            out.append(f"  NVML error: {nv.error}")
        for g in nv.gpus:
            out.append(f"GPU {g.index}  {g.name or NA}  {g.uuid or NA}")
            out.append("  " + gpu_line(g))
            out.extend(f"  NVML error: {e}" for e in g.errors)
            if g.processes is None:
                out.append(f"  processes: {NA}")
            for p in g.processes or ():
                role = process_role(p.pid, snap)
                name = p.name or "?"
                used = size(p.used_memory)
                out.append(f"  pid {p.pid:>7}  {name:<24} {used:>10}  {role}".rstrip())
    h = snap.host
    out.append(
        f"Host  CPU {h.cpu_percent:.1f} % of {h.cpu_count} cores  "
        f"memory {size(h.memory_used)} / {size(h.memory_total)} ({h.memory_percent:.0f} %)"
    )
    s = snap.server
    if s is not None:
        if not s.alive or s.error:
            out.append(f"tritonserver pid {s.pid}: {s.error}")
        else:
            out.append(
                f"tritonserver pid {s.pid} (+{len(s.children)} children)  "
                f"CPU {num(s.cpu_percent, '{:.1f}', ' %')}  RSS {size(s.rss)}  "
                f"threads {num(s.threads)}"
            )
    m = snap.metrics
    if m is not None:
        if m.error:
            out.append(f"Server metrics {m.url}: {m.error}")
        else:
            out.append(f"Server metrics {m.url}  " + server_metrics_line(m))
            out.extend("  GPU " + server_gpu_line(g) for g in m.gpus)
            if m.models:
                out.extend(_table(MODEL_HEADER, [model_row(r) for r in m.models]))
    return "\n".join(out)


def render_json(snap: Snapshot, indent: int | None = 2) -> str:
    """The snapshot as JSON (indent=None: one line, for a JSON Lines stream)."""
    data = dataclasses.asdict(snap)
    data["nvml"]["message"] = snap.nvml.message
    return json.dumps(data, indent=indent)

"""GPU, host and server-metrics sampling (no Textual import): see `Sampler`."""

from tui.core.gpu.history import Histories, History
from tui.core.gpu.host import HostReader, HostSample, ProcSample
from tui.core.gpu.metrics import MetricsReader, ModelRate, ServerGpu, ServerMetrics, parse_metrics
from tui.core.gpu.nvml import GpuProcess, GpuSample, NvmlReader, NvmlState, NvmlUnavailable
from tui.core.gpu.sampler import DEFAULT_INTERVAL, Sampler, Snapshot

__all__ = [
    "DEFAULT_INTERVAL",
    "GpuProcess",
    "GpuSample",
    "Histories",
    "History",
    "HostReader",
    "HostSample",
    "MetricsReader",
    "ModelRate",
    "NvmlReader",
    "NvmlState",
    "NvmlUnavailable",
    "ProcSample",
    "Sampler",
    "ServerGpu",
    "ServerMetrics",
    "Snapshot",
    "parse_metrics",
]

"""GPU state through NVML (`nvidia-ml-py`, module `pynvml`), one immutable sample per call.

Every NVML call is guarded: a field the GPU does not support becomes None (shown as N/A), any
other NVML error becomes None plus a line in the sample's `errors`. Only a missing library or
driver at start-up raises, as `NvmlUnavailable` with a one-line reason.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")

# NVML return codes meaning "this GPU or driver cannot answer that": not an error worth showing.
_NOT_SUPPORTED = 3
_FUNCTION_NOT_FOUND = 13


class NvmlUnavailable(Exception):
    """NVML cannot be used on this machine; `str()` is the one line the UI shows."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"NVML not available: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class GpuProcess:
    pid: int
    used_memory: int | None  # bytes; None when the driver does not say (e.g. WDDM, MIG)
    name: str | None = None


@dataclass(frozen=True)
class GpuSample:
    index: int
    name: str | None = None
    uuid: str | None = None
    util_gpu: float | None = None  # percent
    util_memory: float | None = None  # percent of time the memory controller was busy
    memory_used: int | None = None  # bytes
    memory_total: int | None = None
    power_w: float | None = None
    power_limit_w: float | None = None
    temperature_c: float | None = None
    sm_clock_mhz: float | None = None
    energy_j: float | None = None  # total since the driver loaded
    processes: tuple[GpuProcess, ...] | None = None
    errors: tuple[str, ...] = ()

    @property
    def memory_percent(self) -> float | None:
        if self.memory_used is None or not self.memory_total:
            return None
        return 100.0 * self.memory_used / self.memory_total


@dataclass(frozen=True)
class NvmlState:
    """What NVML said at one instant: `reason` set when unavailable, `error` on a failed sample."""

    available: bool
    reason: str = ""
    driver_version: str | None = None
    gpus: tuple[GpuSample, ...] = ()
    error: str | None = None

    @property
    def message(self) -> str:
        return f"NVML not available: {self.reason}" if not self.available else ""


def unavailable(reason: str) -> NvmlState:
    return NvmlState(available=False, reason=reason)


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _process_name(pid: int) -> str | None:
    try:
        import psutil

        name: str = psutil.Process(pid).name()
        return name
    except Exception:  # noqa: BLE001 - gone, or another user's process: no name, no problem
        return None


@dataclass
class NvmlReader:
    """Opens NVML once (`NvmlUnavailable` if it cannot) and reads every GPU on each `sample()`.

    `module` replaces `pynvml` (tests on machines without a GPU inject a fake one)."""

    module: ModuleType | None = None
    _nv: Any = field(init=False, default=None)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _closed: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        nv: Any = self.module
        if nv is None:
            try:
                import pynvml
            except ImportError as exc:
                raise NvmlUnavailable(f"nvidia-ml-py is not installed ({exc})") from exc
            nv = pynvml
        try:
            nv.nvmlInit()
        except nv.NVMLError as exc:
            raise NvmlUnavailable(_describe_init(nv, exc)) from exc
        except OSError as exc:  # a broken libnvml.so can fail in the loader itself
            raise NvmlUnavailable(str(exc)) from exc
        self._nv = nv

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                with contextlib.suppress(Exception):  # shutting down: nothing left to tell
                    self._nv.nvmlShutdown()

    def sample(self) -> NvmlState:
        with self._lock:
            if self._closed:
                return NvmlState(available=True, error="NVML closed")
            nv = self._nv
            raw = self._query(nv.nvmlSystemGetDriverVersion, [], "driver")
            driver = None if raw is None else _text(raw)
            try:
                count = nv.nvmlDeviceGetCount()
            except nv.NVMLError as exc:
                return NvmlState(available=True, driver_version=driver, error=f"GPU count: {exc}")
            gpus = tuple(self._device(nv, i) for i in range(count))
            return NvmlState(available=True, driver_version=driver, gpus=gpus)

    # ------------------------------------------------------------------------------------
    def _query(self, fn: Callable[..., T], errors: list[str], what: str, *args: Any) -> T | None:
        nv = self._nv
        try:
            return fn(*args)
        except nv.NVMLError as exc:
            if getattr(exc, "value", None) not in (_NOT_SUPPORTED, _FUNCTION_NOT_FOUND):
                errors.append(f"{what}: {exc}")
            return None
        except Exception as exc:  # noqa: BLE001 - a binding bug must not end the sampler
            errors.append(f"{what}: {type(exc).__name__}: {exc}")
            return None

    def _device(self, nv: Any, index: int) -> GpuSample:
        errors: list[str] = []
        handle = self._query(nv.nvmlDeviceGetHandleByIndex, errors, "handle", index)
        if handle is None:
            return GpuSample(index=index, errors=tuple(errors or ["no handle"]))
        q = self._query
        name = q(nv.nvmlDeviceGetName, errors, "name", handle)
        uuid = q(nv.nvmlDeviceGetUUID, errors, "uuid", handle)
        util = q(nv.nvmlDeviceGetUtilizationRates, errors, "utilization", handle)
        mem = q(nv.nvmlDeviceGetMemoryInfo, errors, "memory", handle)
        power = q(nv.nvmlDeviceGetPowerUsage, errors, "power", handle)
        limit = q(nv.nvmlDeviceGetEnforcedPowerLimit, errors, "power limit", handle)
        sensor = nv.NVML_TEMPERATURE_GPU
        temp = q(nv.nvmlDeviceGetTemperature, errors, "temperature", handle, sensor)
        clock = q(nv.nvmlDeviceGetClockInfo, errors, "SM clock", handle, nv.NVML_CLOCK_SM)
        energy = q(nv.nvmlDeviceGetTotalEnergyConsumption, errors, "energy", handle)
        procs = q(nv.nvmlDeviceGetComputeRunningProcesses, errors, "processes", handle)
        return GpuSample(
            index=index,
            name=None if name is None else _text(name),
            uuid=None if uuid is None else _text(uuid),
            util_gpu=None if util is None else float(util.gpu),
            util_memory=None if util is None else float(util.memory),
            memory_used=None if mem is None else int(mem.used),
            memory_total=None if mem is None else int(mem.total),
            power_w=None if power is None else power / 1000.0,
            power_limit_w=None if limit is None else limit / 1000.0,
            temperature_c=None if temp is None else float(temp),
            sm_clock_mhz=None if clock is None else float(clock),
            energy_j=None if energy is None else energy / 1000.0,
            processes=None if procs is None else tuple(_process(p) for p in procs),
            errors=tuple(errors),
        )


def _process(p: Any) -> GpuProcess:
    used = getattr(p, "usedGpuMemory", None)
    pid = int(p.pid)
    used = None if used is None else int(used)
    return GpuProcess(pid=pid, used_memory=used, name=_process_name(pid))


def _describe_init(nv: Any, exc: Exception) -> str:
    # Short enough for one line at 80 columns.
    if isinstance(exc, getattr(nv, "NVMLError_LibraryNotFound", ())):
        return "libnvidia-ml.so.1 not found (no NVIDIA driver)"
    if isinstance(exc, getattr(nv, "NVMLError_DriverNotLoaded", ())):
        return "the NVIDIA kernel driver is not loaded"
    if isinstance(exc, getattr(nv, "NVMLError_NoPermission", ())):
        return "no permission to open the GPU devices"
    return str(exc)


def open_nvml(module: ModuleType | None = None) -> tuple[NvmlReader | None, NvmlState]:
    """A reader, or None and the unavailable state explaining why."""
    try:
        return NvmlReader(module), NvmlState(available=True)
    except NvmlUnavailable as exc:
        return None, unavailable(exc.reason)

"""The fleet's columns as text: shared by `triton-tui fleet` and the Fleet pane ("—" for a figure
that is not known)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tui.core.fleet.snapshot import FleetSnapshot, ModelRow, ServerRow
from tui.core.util.units import size

NA = "—"


def _num(value: float | None, digits: int = 1) -> str:
    return NA if value is None else f"{value:,.{digits}f}"


def _ms(us: float | None) -> str:
    return NA if us is None else f"{us / 1000:.2f}"


def state(row: ServerRow) -> str:
    if row.live is None:
        return "?"
    if not row.live:
        return "DOWN"
    return "READY" if row.ready else ("LIVE" if row.ready is False else "UP")


def _models(row: ServerRow) -> str:
    if row.models_ready is None:
        return NA
    failed = f"/{row.models_failed}" if row.models_failed else ""
    return f"{row.models_ready}{failed}"


@dataclass(frozen=True)
class Column:
    title: str
    key: str  # the ServerRow attribute it sorts by
    text: Callable[[ServerRow], str]
    right: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("name", "name", lambda r: r.name, right=False),
    Column("state", "live", state, right=False),
    Column("version", "version", lambda r: r.version or NA, right=False),
    Column("models ok/fail", "models_ready", _models),
    Column("req/s", "requests_per_s", lambda r: _num(r.requests_per_s)),
    Column("fail/s", "failures_per_s", lambda r: _num(r.failures_per_s)),
    Column("queue ms", "queue_us", lambda r: _ms(r.queue_us)),
    Column("compute ms", "compute_us", lambda r: _ms(r.compute_us)),
    Column("batch", "avg_batch", lambda r: _num(r.avg_batch, 2)),
    Column("pending", "pending", lambda r: _num(r.pending, 0)),
    Column("GPU %", "gpu_util", lambda r: NA if r.gpu_util is None else f"{r.gpu_util * 100:.0f}"),
    Column(
        "GPU mem",
        "gpu_memory_bytes",
        lambda r: NA if r.gpu_memory_bytes is None else size(r.gpu_memory_bytes),
    ),
    Column("age s", "age_s", lambda r: _num(r.age_s)),
)


def cells(row: ServerRow) -> list[str]:
    return [c.text(row) for c in COLUMNS]


def _grid(header: list[str], rows: list[list[str]], right: list[bool]) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ).rstrip()

    return [line(header), *(line(r) for r in rows)]


def model_cell(model: ModelRow, url: str) -> str:
    replica = model.servers.get(url)
    if replica is None:
        return NA
    text = f"v{replica.version or '?'}"
    if replica.state and replica.state != "READY":
        text += f" {replica.state}"
    if replica.config_fingerprint:
        text += f" {replica.config_fingerprint[:6]}"
    if model.outlier == url:
        text += " SLOW"
    return text


def render_text(snap: FleetSnapshot) -> str:
    """The server table, each down server's reason under it, then the model view."""
    if snap.error:
        return f"{snap.source}: {snap.error}"
    if not snap.servers:
        return f"{snap.source}: no Triton server found"
    out = _grid(
        [c.title for c in COLUMNS], [cells(r) for r in snap.servers], [c.right for c in COLUMNS]
    )
    for row in snap.servers:
        if row.reason:
            out.append(f"{row.name}: {row.reason}")
    if snap.models:
        names = [s.name for s in snap.servers]
        rows = [
            [("! " if m.drift else "  ") + m.name, *(model_cell(m, s.url) for s in snap.servers)]
            for m in snap.models
        ]
        out += ["", *_grid(["model (! drift)", *names], rows, [False] * (len(names) + 1))]
    return "\n".join(out)

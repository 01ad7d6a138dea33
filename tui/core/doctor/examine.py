"""One doctor run: gather the evidence (passive or probe), apply the rules, rank the findings."""

from __future__ import annotations

import threading

from tui.core.doctor.findings import Report
from tui.core.doctor.gather import Probe, Target, gather
from tui.core.doctor.rules import diagnose


def examine(
    target: Target,
    model: str,
    *,
    passive_s: float = 0.0,
    probe: Probe | None = None,
    cancel: threading.Event | None = None,
) -> Report:
    """Findings for `model`, most important first; raises gather.GatherError without evidence."""
    evidence = gather(target, model, passive_s=passive_s, probe=probe, cancel=cancel)
    return Report(model, evidence, diagnose(evidence))

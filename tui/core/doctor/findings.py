"""A finding: what limits the model, the numbers behind it, how sure the doctor is, and the config
change that should help (with the recipe a try or an apply uses); ranked by expected gain.

A report is the findings of one model with the evidence they came from, as text or as the JSON
that `triton-tui doctor --json` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.core.doctor.evidence import Evidence

CONFIDENCES = ("high", "medium", "low")


@dataclass
class Finding:
    id: str
    title: str
    evidence: str  # the numbers, in words
    confidence: str  # high | medium | low
    score: float  # rank key: the share of request time it explains, weighted by the rule
    advice: str = ""  # what to do, in words
    change: str = ""  # the config snippet ("" when the fix is not a config change)
    recipe: dict[str, Any] | None = None  # what `try` loads (recipe.py); None: nothing to try
    tried: dict[str, Any] | None = None  # the measured A/B (Comparison.to_dict() plus words)

    @property
    def triable(self) -> bool:
        return self.recipe is not None

    def to_dict(self) -> dict[str, Any]:
        tried = None
        if self.tried is not None:
            gain = self.tried.get("gain_pct") or [0.0, 0.0]
            tried = {
                "gain_pct": self.tried.get("gain_mean_pct"),
                "spread_pct": self.tried.get("spread_pct"),
                "rounds": self.tried.get("rounds"),
                "gain_interval_pct": gain,
                "clears": self.tried.get("clears"),
                "words": self.tried.get("words"),
            }
        return {
            "id": self.id,
            "title": self.title,
            "evidence": self.evidence,
            "confidence": self.confidence,
            "advice": self.advice,
            "change": self.change or None,
            "recipe": self.recipe,
            "score": round(self.score, 3),
            "tried": tried,
        }


@dataclass
class Report:
    model: str
    evidence: Evidence
    findings: list[Finding] = field(default_factory=list)

    @property
    def top(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def find(self, finding_id: str) -> Finding | None:
        return next((f for f in self.findings if f.id == finding_id), None)

    def summary(self) -> str:
        """One line: the top finding, or that nothing was found."""
        top = self.top
        if top is None:
            return f"{self.model}: nothing to fix in this window ({self.evidence.stats.words()})"
        more = f" (+{len(self.findings) - 1} more)" if len(self.findings) > 1 else ""
        return f"{self.model}: {top.id}: {top.title}{more}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "findings": [f.to_dict() for f in self.findings],
            "evidence": self.evidence.to_dict(),
        }

    def text(self) -> str:
        ev = self.evidence
        how = (
            f"probe at concurrency {ev.concurrency}"
            if ev.mode == "probe"
            else "passive (requests already reaching the server)"
        )
        lines = [
            f"Doctor: {self.model}, {how}, {ev.window_s:.1f} s, {ev.stats.requests} requests",
            f"  server: {ev.stats.words()}; average batch {ev.stats.avg_batch:.2f}",
        ]
        if not self.findings:
            lines.append("No finding: nothing in this window limits the model that a change fixes.")
        for n, f in enumerate(self.findings, 1):
            lines += [
                "",
                f"{n}. [{f.id}] {f.title} (confidence {f.confidence})",
                f"   evidence: {f.evidence}",
            ]
            if f.advice:
                lines.append(f"   advice: {f.advice}")
            if f.change:
                lines.append("   change:")
                lines += [f"     {line}" for line in f.change.splitlines()]
            if f.tried is not None:
                lines.append(f"   tried: {f.tried.get('words', '')}")
            elif f.triable:
                lines.append(f"   try it: --try {f.id}")
        for note in ev.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines)

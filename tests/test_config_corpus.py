"""Triton's own QA cases: every invalid config is reported in Triton's words, every valid one is
clean. Prints the score."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tui.core.modelconfig import lint_repository

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "model_config"
# How qa/L0_model_config/test.sh runs the noautofill_platform cases: platform line replaced.
PLATFORMS = ("tensorrt_plan", "onnxruntime_onnx", "pytorch_libtorch")

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"model-config corpus not found at {CORPUS} (../shared absent)"
)


def _expected(case: Path) -> list[str]:
    """The case's grep patterns, unescaped to the literal text they match."""
    patterns = []
    for path in sorted(case.glob("expected*")):
        text = path.read_text().strip()
        patterns.append(re.sub(r"\\(.)", r"\1", text))
    return patterns


def _variants(case: Path, tmp: Path) -> list[tuple[str, Path]]:
    models = case / "models"
    if not case.name.startswith("noautofill_platform__"):
        return [("as is", models)]
    platforms = list(PLATFORMS)
    if (case / "expected_ensemble").exists():
        platforms.append("ensemble")
    out = []
    for platform in platforms:
        repo = tmp / case.name / platform
        shutil.copytree(models, repo)
        for config in repo.glob("*/config.pbtxt"):
            lines = config.read_text().splitlines()
            kept = [ln for ln in lines if not ln.lstrip().startswith("platform:")]
            config.write_text("\n".join(kept) + f'\nplatform: "{platform}"\n')
        out.append((platform, repo))
    return out


def _check(case: Path, tmp: Path) -> list[str]:
    """Problems with this case ([] when our linter agrees with Triton)."""
    kind = json.loads((case / "case.json").read_text())["kind"]
    problems = []
    for variant, repo in _variants(case, tmp):
        errors = [d.message for d in lint_repository(repo) if d.is_error]
        if kind == "valid":
            problems += [f"{variant}: unexpected error: {m}" for m in errors]
            continue
        patterns = _expected(case)
        if not any(p in m for p in patterns for m in errors):
            problems.append(f"{variant}: expected one of {patterns}, got {errors}")
    return problems


def test_corpus_score(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = sorted(p for p in CORPUS.iterdir() if (p / "case.json").is_file())
    assert cases, "corpus is empty"
    failures = {}
    for case in cases:
        problems = _check(case, tmp_path)
        if problems:
            failures[case.name] = problems
    score = len(cases) - len(failures)
    with capsys.disabled():
        print(f"\ncorpus: {score}/{len(cases)}")
        for name, problems in failures.items():
            print(f"  FAIL {name}: {problems}")
    assert not failures

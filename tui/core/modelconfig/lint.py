"""Lint config.pbtxt text, model folders and repositories with Triton's rules.

Per model: syntax, Triton's server-side auto-complete, the config rules, the folder layout
(warnings: files may not be in place yet). For an ensemble whose own config is valid, its
composing models are read from sibling folders of the same repository and checked the way the
server checks them once loaded (availability, cycles, required versions, tensors across steps).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tui.core.modelconfig import autofill, layout
from tui.core.modelconfig import proto as pb
from tui.core.modelconfig.diagnostics import ERROR, Diagnostic, Finding
from tui.core.modelconfig.ensemble import Composing, validate_steps
from tui.core.modelconfig.locate import Locator
from tui.core.modelconfig.parse import parse_config
from tui.core.modelconfig.rules import validate_config
from tui.core.modelconfig.target import Target, target_findings
from tui.core.server.modelname import model_problem
from tui.core.util.paths import not_utf8, read_regular_text, special_kind

CONFIG_NAME = "config.pbtxt"


@dataclass
class ModelReport:
    """The lint of one model: diagnostics for its config file and its completed config."""

    name: str
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    config: pb.ModelConfig | None = None
    decoupled: bool = False

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


class RepositoryLinter:
    """Lints models of one repository folder, each at most once (composing models are shared).

    `overrides` maps a model name to config text that replaces its file on disk (an editor's
    unsaved buffer). `target`, when the server is known, adds its backends and GPUs to the check.
    """

    def __init__(
        self,
        root: Path | None,
        overrides: Mapping[str, str] | None = None,
        target: Target | None = None,
    ) -> None:
        self.root = root
        self.overrides = dict(overrides or {})
        self.target = target
        self._reports: dict[str, ModelReport] = {}
        self._in_progress: set[str] = set()

    def model_dir(self, name: str) -> Path | None:
        if self.root is None:
            return None
        path = self.root / name
        return path if path.is_dir() else None

    def exists(self, name: str) -> bool:
        return name in self.overrides or self.model_dir(name) is not None

    def lint(self, name: str) -> ModelReport:
        if name in self._reports:
            return self._reports[name]
        self._in_progress.add(name)
        try:
            report = self._lint(name)
        except OSError as exc:  # a folder without permission, removed mid-lint, ...
            report = ModelReport(name, str(self.model_dir(name) or name))
            report.diagnostics.append(_unreadable(report.path, exc))
        finally:
            self._in_progress.discard(name)
        self._reports[name] = report
        return report

    def _lint(self, name: str) -> ModelReport:
        model_dir = self.model_dir(name)
        config_path = (model_dir / CONFIG_NAME) if model_dir else Path(name) / CONFIG_NAME
        shown = str(config_path)
        report = ModelReport(name, shown)
        if name in self.overrides:
            text = self.overrides[name]
        elif model_dir is not None and (model_dir / CONFIG_NAME).exists():
            try:
                text = read_regular_text(model_dir / CONFIG_NAME)
            except OSError as exc:
                report.diagnostics.append(Diagnostic(shown, 0, 0, ERROR, str(exc)))
                return report
            except UnicodeDecodeError as exc:
                report.diagnostics.append(Diagnostic(shown, 0, 0, ERROR, not_utf8(exc)))
                return report
        else:
            text = ""  # no file: Triton auto-completes from scratch
        parsed = parse_config(text, shown)
        if parsed.config is None or parsed.locator is None:
            report.diagnostics = parsed.diagnostics
            return report
        locator = parsed.locator

        def place(findings: Iterable[Finding]) -> None:
            for f in findings:
                line, col = locator.find(f.where)
                report.diagnostics.append(Diagnostic(shown, line, col, f.severity, f.message))

        config, autofill_error = autofill.completed(parsed.config, name, model_dir)
        report.config = config
        if autofill_error:
            place([Finding(autofill_error)])
        place(validate_config(config, check_backend=not autofill_error))
        if self.target is not None:
            place(target_findings(parsed.config, config, self.target))
        if config.name != name and model_dir is not None:
            place(
                [
                    Finding(
                        f"unexpected directory name '{name}' for model '{config.name}', "
                        "directory name must equal model name",
                        ("name",),
                    )
                ]
            )
        if model_dir is not None:
            unsafe = model_problem(model_dir, text)  # triton-tui never loads it: say so too
            if unsafe is not None:
                place([Finding(unsafe, ("name",))])
            place(layout.check_layout(config, model_dir))
        report.decoupled = config.model_transaction_policy.decoupled
        if not report.errors and config.HasField("ensemble_scheduling"):
            findings, decoupled = self._check_ensemble(config, name)
            place(findings)
            report.decoupled = decoupled
        return report

    # ------------------------------------------------------------------ ensembles

    def _check_ensemble(self, config: pb.ModelConfig, name: str) -> tuple[list[Finding], bool]:
        steps = list(config.ensemble_scheduling.step)
        missing = sorted({s.model_name for s in steps if not self.exists(s.model_name)})
        if missing:
            where = _step_of(steps, missing[0])
            return [
                Finding(
                    f"ensemble {name} contains models that are not available or ambiguous: "
                    + ", ".join(missing),
                    where,
                )
            ], False
        cycle = self._cycle(name)
        if cycle:
            return [Finding(cycle, ("ensemble_scheduling",))], False
        composing: dict[str, Composing] = {}
        findings: list[Finding] = []
        for i, step in enumerate(steps):
            upstream = step.model_name
            if upstream in composing:
                part_config = composing[upstream].config
            else:
                part = self.lint(upstream)
                if part.config is None or part.errors:
                    first = part.errors[0].message if part.errors else "invalid configuration"
                    return [
                        Finding(
                            f"ensemble '{name}' depends on '{upstream}' which is not valid. "
                            f"Model '{upstream}' failed with error: {first}",
                            _step(i, "model_name"),
                        )
                    ], False
                part_config = part.config
                composing[upstream] = Composing(part_config, part.decoupled)
            if step.model_version != -1:
                loaded = autofill.versions_to_load(part_config, self.model_dir(upstream))
                if step.model_version not in loaded:
                    findings.append(
                        Finding(
                            f"ensemble '{name}' depends on '{upstream}' whose required version "
                            f"{step.model_version} is not loaded.",
                            _step(i, "model_version"),
                        )
                    )
        if findings:
            return findings, False
        unknown_io = [n for n, c in composing.items() if not c.config.input and not c.config.output]
        if unknown_io:
            return [
                Finding(
                    f"tensors of ensemble '{name}' not checked: model '{unknown_io[0]}' declares "
                    "no inputs or outputs (its backend may auto-complete them at load)",
                    _step_of(steps, unknown_io[0]),
                    "warning",
                )
            ], False
        return validate_steps(config, composing)

    def _cycle(self, start: str) -> str:
        """Triton's message for an ensemble that (indirectly) depends on itself, else ""."""
        seen: set[str] = set()

        def upstreams(model: str) -> list[str]:
            report = self._peek_config(model)
            if report is None or not report.HasField("ensemble_scheduling"):
                return []
            return [s.model_name for s in report.ensemble_scheduling.step]

        def visit(current: str) -> str:
            for upstream in upstreams(current):
                if upstream == start:
                    return (
                        f"circular dependency between ensembles: {start} -> ... -> {current} "
                        f"-> {start}"
                    )
                if upstream in seen:
                    continue
                seen.add(upstream)
                found = visit(upstream)
                if found:
                    return found
            return ""

        return visit(start)

    def _peek_config(self, name: str) -> pb.ModelConfig | None:
        """A model's parsed config without linting it (for the dependency graph)."""
        if name in self._reports:
            return self._reports[name].config
        if name in self.overrides:
            text = self.overrides[name]
        else:
            model_dir = self.model_dir(name)
            path = model_dir / CONFIG_NAME if model_dir else None
            if path is None or not path.is_file():
                return None
            try:
                text = read_regular_text(path)
            except (OSError, UnicodeDecodeError):
                return None
        return parse_config(text).config


def _step(i: int, *rest: object) -> tuple[object, ...]:
    return ("ensemble_scheduling", "step", i, *rest)


def _step_of(steps: list[pb.ModelEnsembling.Step], model: str) -> tuple[object, ...]:
    for i, step in enumerate(steps):
        if step.model_name == model:
            return _step(i, "model_name")
    return ("ensemble_scheduling",)


# ---------------------------------------------------------------------- entry points


def lint_text(
    text: str,
    model_dir: Path | str | None = None,
    *,
    path: str | None = None,
    target: Target | None = None,
) -> list[Diagnostic]:
    """Lint editor text. With `model_dir`, the folder's name, layout and siblings count too."""
    if model_dir is None:
        shown = path or CONFIG_NAME
        parsed = parse_config(text, shown)
        if parsed.config is None or parsed.locator is None:
            return parsed.diagnostics
        name = parsed.config.name or "model"
        config, error = autofill.completed(parsed.config, name, None)
        findings = [Finding(error)] if error else []
        findings.extend(validate_config(config, check_backend=not error))
        if target is not None:
            findings.extend(target_findings(parsed.config, config, target))
        return _placed(findings, parsed.locator, shown)
    folder = Path(model_dir)
    linter = RepositoryLinter(folder.parent, {folder.name: text}, target)
    report = linter.lint(folder.name)
    if path is not None:
        return [Diagnostic(path, d.line, d.col, d.severity, d.message) for d in report.diagnostics]
    return report.diagnostics


def _placed(findings: list[Finding], locator: Locator, shown: str) -> list[Diagnostic]:
    out = []
    for f in findings:
        line, col = locator.find(f.where)
        out.append(Diagnostic(shown, line, col, f.severity, f.message))
    return out


def lint_model_dir(model_dir: Path | str, target: Target | None = None) -> list[Diagnostic]:
    """Lint the model folder (config.pbtxt, layout, and for an ensemble its siblings)."""
    folder = Path(model_dir).resolve()
    return RepositoryLinter(folder.parent, target=target).lint(folder.name).diagnostics


def is_model_dir(path: Path) -> bool:
    return (path / CONFIG_NAME).exists() or bool(autofill.existing_versions(path))


def lint_repository(root: Path | str, target: Target | None = None) -> list[Diagnostic]:
    """Lint every model folder of a repository (hidden ones too: Triton loads them)."""
    folder = Path(root).resolve()
    linter = RepositoryLinter(folder, target=target)
    out: list[Diagnostic] = []
    children = sorted(p for p in folder.iterdir() if p.is_dir())
    if not children:
        message = (
            "no model here: a repository holds model folders, each with a config.pbtxt or "
            "a numeric version folder (1/)"
        )
        return [Diagnostic(str(root), 0, 0, ERROR, message)]
    for child in children:
        out.extend(linter.lint(child.name).diagnostics)
    return out


def _unreadable(path: str, exc: OSError) -> Diagnostic:
    reason = exc.strerror or str(exc)
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != path else ""
    return Diagnostic(path, 0, 0, ERROR, f"cannot be read: {reason.lower()}{where}")


def lint_path(path: Path | str, target: Target | None = None) -> list[Diagnostic]:
    """A config.pbtxt file, a model folder or a repository folder; one that cannot be read or
    decoded is one error in words (no permission, removed, not UTF-8), never an exception."""
    try:
        return _lint_path(path, target)
    except OSError as exc:
        return [_unreadable(str(path), exc)]
    except UnicodeDecodeError as exc:
        return [Diagnostic(str(path), 0, 0, ERROR, not_utf8(exc))]


def _lint_path(path: Path | str, target: Target | None = None) -> list[Diagnostic]:
    found = Path(path)
    kind = special_kind(found)
    if kind:  # a FIFO or a device: say so rather than block on it
        return [Diagnostic(str(path), 0, 0, ERROR, f"{kind}, not a file: not read")]
    if found.is_file():
        folder = found.resolve().parent
        if found.name == CONFIG_NAME:
            report = RepositoryLinter(folder.parent, target=target).lint(folder.name)
            diagnostics = report.diagnostics
        else:
            diagnostics = lint_text(read_regular_text(found), path=str(path), target=target)
        return [Diagnostic(str(path), d.line, d.col, d.severity, d.message) for d in diagnostics]
    if is_model_dir(found):
        return lint_model_dir(found, target)
    return lint_repository(found, target)

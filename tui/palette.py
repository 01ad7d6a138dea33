"""The command palette (ctrl+p or `:`): every console action, with fuzzy model names.

"load add" finds "load add_sub", "bench dense" finds "bench densenet_onnx"; "deploy PATH" offers to
deploy the file typed. Model names come from the repository pane's list as it is now. A new verb
on models is one line in MODEL_VERBS naming an app action that takes the model's name (e.g.
"tune": ("tune the model's batching and instances", "action_tune_model")).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.panes import PANES

if TYPE_CHECKING:
    from tui.actions import ModelActions

# verb -> (help, method name on ModelActions taking the model name)
MODEL_VERBS: dict[str, tuple[str, str]] = {
    "load": ("load the model on the server", "load"),
    "unload": ("unload the model (asks first)", "unload"),
    "reload": ("reload the model from the repository", "reload"),
    "bench": ("benchmark the model now with the last settings", "action_bench_model"),
    "probe": ("time the model's cold start (unloads it first)", "action_probe_model"),
    "config": ("edit the model's config.pbtxt", "action_edit_config"),
    "logs": ("show only the log lines naming the model", "action_model_logs"),
    "tune": ("find the model's best config (pane 6)", "action_tune_model"),
    "infer": ("send one request, see its outputs, curl and Python", "action_infer_model"),
    "verify": ("compare its outputs with onnxruntime's (Polygraphy)", "action_verify_model"),
    "doctor": ("why is it not faster? findings, each with a fix to try (w)", "action_doctor_model"),
}


class ConsoleCommands(Provider):
    """Commands of triton-tui, for Textual's command palette."""

    @property
    def console(self) -> ModelActions:
        from tui.actions import ModelActions

        app = self.app
        assert isinstance(app, ModelActions)
        return app

    def commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = self.console
        found: list[tuple[str, Callable[[], object], str]] = []
        for spec in PANES:
            found.append(
                (
                    f"go to {spec.title}",
                    partial(app.action_show_pane, spec.pane_id),
                    f"pane {spec.key}",
                )
            )
        found += [
            ("deploy a model file", app.action_deploy, "import → load → verify → measure"),
            ("export last benchmark as CSV", partial(app.action_export_bench, "csv"), ""),
            ("export last benchmark as JSON", partial(app.action_export_bench, "json"), ""),
            ("refresh everything", app.action_refresh_all, "re-read the server and the disk"),
            (
                "restart server",
                app.action_restart_server,
                "the server this console launched, same flags and ports (R when it died)",
            ),
            ("help", app.action_toggle_help, "keys and workflow of the pane in view"),
        ]
        for name in app.known_models():
            for verb, (help_text, method) in MODEL_VERBS.items():
                if method in ("load", "unload", "reload"):
                    call = partial(app.act_on_model, method, name)
                else:
                    call = partial(getattr(app, method), name)
                found.append((f"{verb} {name}", call, help_text))
        return found

    async def discover(self) -> Hits:
        """Before anything is typed: the commands that are not about one model."""
        models = set(self.console.known_models())
        for title, call, help_text in self.commands():
            if title.partition(" ")[2] not in models:
                yield DiscoveryHit(title, call, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, call, help_text in self.commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), call, help=help_text)
        verb, _, rest = query.strip().partition(" ")
        if verb == "deploy" and rest.strip():
            path = rest.strip()
            yield Hit(
                1.0,
                f"deploy {path}",
                partial(self.console.action_deploy, path),
                help="open the deploy screen on this file",
            )

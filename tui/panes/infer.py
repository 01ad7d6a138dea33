"""Infer and verify screen (`i` / `V` on the repository pane, palette "infer MODEL", "verify
MODEL"): one request to the selected model, its outputs, and the same request as curl and
tritonclient Python; or Polygraphy's comparison with onnxruntime. The work is the core's
(tui.core.workflows.infer, tui.core.workflows.verify): this screen only asks for the inputs
and shows the lines the CLI prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Select, Static

from tui.core.bench.inputs import InputError, parse_shapes
from tui.core.server.client import TritonError
from tui.core.workflows import infer, infer_report
from tui.core.workflows.verify import verdict_lines, verify_served
from tui.state import console
from tui.widgets.footer import KeyFooter
from tui.workers import ReportsWorkerFailures, work

if TYPE_CHECKING:
    from tui.core.modelconfig.served import ServedConfig


FILL_CHOICES = [
    ("random", "random"),
    ("zeros", "zero"),
    ("constant", "constant"),
    ("file", "file"),
    ("image", "image"),
]


@dataclass
class ModelRead(Message):
    metadata: dict[str, Any] | None
    config: ServedConfig | None
    error: str = ""


@dataclass
class Answered(Message):
    lines: list[str]
    ok: bool = True
    result: infer.InferResult | None = None
    not_ready: bool = False
    request: infer.InferRequest | None = None
    line: int = 0  # verify: the first config mismatch's line in config.pbtxt
    col: int = 0
    extra: list[str] = field(default_factory=list)  # the curl and Python lines
    steps: list[str] = field(default_factory=list)  # verify on an ensemble: its ONNX steps


class InferScreen(ReportsWorkerFailures, Screen[None]):
    """`verify` False: infer the model; True: verify it against onnxruntime."""

    HELP = """\
**Infer / verify** the model: pick how inputs are filled (random, zeros, a constant, a
perf_analyzer JSON file, or an image file (PNG, PPM, PGM) for inputs shaped like an image:
resized, RGB, floats scaled to [0,1]; the layout is said above the inputs), the batch size
and the sizes of variable dims, then Enter (or ctrl+s) sends it. `a` pages through every value
(PgUp/PgDn), `x` writes request.json, curl.sh, infer.py and run-infer.sh; f4 opens a config
the verify step found wrong; Esc closes.
"""

    DEFAULT_CSS = """
    InferScreen #infer { height: 1fr; }
    InferScreen #infer-title { padding: 0 1; }
    InferScreen #infer-form { height: 1; }
    InferScreen #infer-fill { width: 16; }
    InferScreen #infer-value { width: 1fr; }
    InferScreen #infer-batch { width: 10; }
    InferScreen #infer-shapes { width: 24; }
    InferScreen #infer-protocol { width: 10; }
    InferScreen #infer-body { height: 1fr; padding: 0 1; }
    InferScreen #infer-load { margin: 1 0; }
    InferScreen #infer-steps { height: auto; margin: 1 0; }
    InferScreen #infer-steps Button { margin-right: 1; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", priority=True),
        Binding("ctrl+s", "send", "Send", priority=True),
        Binding("x", "write", "Write"),
        Binding("a", "all_values", "All values"),
        Binding("f4", "edit_config", "Edit config", show=False, priority=True),
    ]

    def __init__(self, model: str, verify: bool = False) -> None:
        super().__init__()
        self.model = model
        self.verify = verify
        self.config: ServedConfig = {}
        self.request: infer.InferRequest | None = None
        self.mismatch: tuple[int, int] = (0, 0)
        self.result: infer.InferResult | None = None
        self.extra: list[str] = []
        self.all_values = False

    def compose(self) -> ComposeResult:
        what = "Verify" if self.verify else "Infer"
        with Vertical(id="infer"):
            yield Label(Text(f"{what} {self.model}"), id="infer-title")
            with Horizontal(id="infer-form"):
                yield Select(
                    FILL_CHOICES, value="random", allow_blank=False, id="infer-fill", compact=True
                )
                yield Input(
                    placeholder="constant value, or data or image file path",
                    id="infer-value",
                    compact=True,
                )
                yield Input(placeholder="batch", id="infer-batch", compact=True)
                yield Input(placeholder="NAME:d1,d2 sizes", id="infer-shapes", compact=True)
                yield Select(
                    [("HTTP", "http"), ("gRPC", "grpc")],
                    value="http",
                    allow_blank=False,
                    id="infer-protocol",
                    compact=True,
                )
                yield Button("Send", id="infer-send", variant="primary", compact=True)
            with VerticalScroll(id="infer-body"):
                yield Static("reading the model's metadata…", id="infer-out")
                yield Button(Text(f"Load {self.model}"), id="infer-load", compact=True)
                yield Horizontal(id="infer-steps")
        yield KeyFooter()

    def on_mount(self) -> None:
        for widget in ("#infer-batch", "#infer-shapes", "#infer-load"):
            self.query_one(widget).display = False
        self.read_model()

    # The model's metadata: which fields to ask -------------------------------------------------
    @work(thread=True, group="infer")
    def read_model(self) -> None:
        client = console(self).session.client
        try:
            infer.check_ready(client, self.model)
        except infer.NotReady as exc:
            self.post_message(Answered([str(exc)], False, not_ready=True))
            return
        try:
            metadata = client.model_metadata(self.model)
            config = client.model_config(self.model)
        except TritonError as exc:
            self.post_message(ModelRead(None, None, str(exc)))
            return
        self.post_message(ModelRead(metadata, config))

    @on(ModelRead)
    def _read(self, message: ModelRead) -> None:
        if not self.is_attached:  # closed while the worker read
            return
        if message.metadata is None or message.config is None:
            self._show([f"cannot read {self.model}: {message.error}"], ok=False)
            return
        self.config = message.config
        max_batch = int(message.config.get("max_batch_size", 0) or 0)
        if max_batch > 0:
            batch = self.query_one("#infer-batch", Input)
            batch.display = True
            batch.value = "1"
            batch.tooltip = f"batch size, 1 to {max_batch}"
        variable = infer.variable_inputs(message.metadata, message.config)
        if variable:
            shapes = self.query_one("#infer-shapes", Input)
            shapes.display = True
            shapes.value = " ".join(
                f"{name}:{','.join('1' if d < 0 else str(d) for d in dims)}"
                for name, dims in variable.items()
            )
        self.action_send()

    # Sending --------------------------------------------------------------------------------
    def _options(self) -> infer.InferOptions:
        fill = str(self.query_one("#infer-fill", Select).value)
        value = self.query_one("#infer-value", Input).value.strip()
        batch = self.query_one("#infer-batch", Input).value.strip() or "1"
        if not batch.isdigit():
            raise InputError(f"batch size {batch!r}: a whole number, please")
        shapes = self.query_one("#infer-shapes", Input).value.split()
        return infer.InferOptions(
            self.model,
            fill=fill,
            constant=value or "1",
            data_file=Path(value).expanduser() if fill == "file" and value else None,
            image_file=Path(value).expanduser() if fill == "image" and value else None,
            batch_size=int(batch),
            shapes=parse_shapes(shapes),
            protocol=str(self.query_one("#infer-protocol", Select).value),
        )

    @on(Input.Submitted)
    @on(Button.Pressed, "#infer-send")
    def action_send(self) -> None:
        try:
            options = self._options()
        except InputError as exc:
            self._show([str(exc)], ok=False)
            return
        self._show(["verifying against onnxruntime…" if self.verify else "sending…"])
        self.run_request(options)

    @work(thread=True, exclusive=True, group="infer")
    def run_request(self, options: infer.InferOptions) -> None:
        session = console(self).session
        client = session.client
        repo = session.repositories[0] if session.repositories else None
        try:
            if self.verify:
                verdict = verify_served(client, options, repo)
                first = next(
                    (p for p in (verdict.report.problems if verdict.report else []) if p.line),
                    None,
                )
                self.post_message(
                    Answered(
                        verdict_lines(verdict),
                        verdict.exit_code == 0,
                        request=verdict.request,
                        line=first.line if first else 0,
                        col=first.col if first else 0,
                        steps=verdict.steps,
                    )
                )
                return
            result = infer.run(client, options, self._grpc_url())
        except infer.NotReady as exc:
            self.post_message(Answered([str(exc)], False, not_ready=True))
            return
        except (TritonError, InputError) as exc:
            self.post_message(Answered([f"error: {exc}"], False))
            return
        try:
            request_file: Path | None = infer_report.keep_request(result.request)
        except OSError:
            request_file = None
        extra = infer_report.copy_lines(client.url, self.model, request_file)
        self.post_message(Answered([], result=result, request=result.request, extra=extra))

    def _grpc_url(self) -> str:
        """The launched server's gRPC endpoint; an attached one's at its host, port 8001."""
        session = console(self).session
        if session.server is not None:
            return str(session.server.grpc_url)
        return f"{session.client.host}:8001"

    def _result_lines(self) -> list[str]:
        assert self.result is not None
        repo = console(self).session.repositories
        model_dir = repo[0] / self.model if repo else None
        shown = infer_report.PAGED_VALUES if self.all_values else infer_report.SHOWN_VALUES
        lines = infer_report.result_lines(self.result, self.config, model_dir, shown)
        return lines + ([""] + self.extra if self.extra else [])

    def action_all_values(self) -> None:
        if self.result is None:
            return
        self.all_values = not self.all_values
        self._show(self._result_lines())

    @on(Answered)
    def _answered(self, message: Answered) -> None:
        if not self.is_attached:
            return
        self.request = message.request or self.request
        self.mismatch = (message.line, message.col)
        self.result, self.extra = message.result, message.extra
        lines = self._result_lines() if message.result is not None else message.lines
        self._show(lines, message.ok)
        self.query_one("#infer-load").display = message.not_ready
        steps = self.query_one("#infer-steps", Horizontal)
        steps.remove_children()
        steps.mount_all(
            Button(Text(f"Verify {step}"), name=step, classes="infer-step", compact=True)
            for step in message.steps
        )
        if message.line:
            self.notify("f4 opens the config at the first mismatch", timeout=5)
        self.query_one("#infer-body").focus()

    def _show(self, lines: list[str], ok: bool = True) -> None:
        self.query_one("#infer-out", Static).update(Text("\n".join(lines), "" if ok else "red"))

    # Keys -----------------------------------------------------------------------------------
    @on(Button.Pressed, "#infer-load")
    def _load(self) -> None:
        self.dismiss(None)
        self.app.call_later(self.app.run_action, f"model('load', {self.model!r})")

    @on(Button.Pressed, ".infer-step")
    def _verify_step(self, event: Button.Pressed) -> None:
        step = event.button.name or ""
        self.dismiss(None)
        self.app.call_later(self.app.run_action, f"verify_model({step!r})")

    def action_write(self) -> None:
        if self.request is None:
            self.notify("nothing sent yet", severity="warning")
            return
        try:
            folder = infer_report.export_request(console(self).session.client.url, self.request)
        except OSError as exc:
            self.notify(escape(f"cannot write: {exc}"), severity="error")
            return
        self.notify(
            escape(f"request.json, curl.sh, infer.py and run-infer.sh written to {folder}"),
            timeout=10,
        )

    def action_edit_config(self) -> None:
        line, col = self.mismatch
        if not line:
            return
        self.dismiss(None)
        console(self).edit_config(self.model, line, col)

    def action_close(self) -> None:
        self.dismiss(None)

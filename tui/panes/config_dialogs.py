"""Modal screens of the config editor: a question with a few answers, a pick list, a diff view.

Each one is driven by the keyboard alone (a letter per answer, arrows and enter in lists, escape
to back out) and fits an 80×24 terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from tui.core.modelconfig import ExternalChangeError
from tui.widgets.keys import VimOptionList


@dataclass(frozen=True)
class Choice:
    """One answer: `key` is the letter that picks it (shown underlined in its label)."""

    id: str
    label: str
    key: str
    variant: str = "default"  # a Button variant: "default", "primary", "warning", "error"


class ChoiceScreen(ModalScreen[str | None]):
    """Ask a question; dismisses with the chosen `Choice.id`, or None on escape."""

    DEFAULT_CSS = """
    ChoiceScreen { align: center middle; }
    ChoiceScreen > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ChoiceScreen .dialog-title { text-style: bold; margin-bottom: 1; }
    ChoiceScreen VerticalScroll { height: auto; max-height: 12; }
    ChoiceScreen Horizontal { height: auto; margin-top: 1; }
    ChoiceScreen Button { margin-right: 1; min-width: 10; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("left", "app.focus_previous", show=False),
        Binding("right", "app.focus_next", show=False),
    ]

    def __init__(
        self, title: str, message: str, choices: list[Choice], *, default: str | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.choices = choices
        self.default = default or choices[-1].id

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="dialog-title")
            with VerticalScroll():
                yield Static(Text(self.message), id="dialog-message")
            with Horizontal():
                for choice in self.choices:
                    label = Text(choice.label)
                    at = choice.label.lower().find(choice.key)
                    if at >= 0:
                        label.stylize("underline", at, at + 1)
                    yield Button(
                        label,
                        id=f"choice-{choice.id}",
                        variant=choice.variant,  # type: ignore[arg-type]
                        classes="default-choice" if choice.id == self.default else "",
                    )

    def on_mount(self) -> None:
        self._focus_default()

    def _focus_default(self) -> None:
        """The safe answer takes the focus (from whatever had it under the dialog). On a loaded
        machine Mount was seen before the buttons were there: then once they are."""
        for button in self.query(".default-choice"):
            button.focus()
            return
        if self.is_attached:
            self.call_after_refresh(self._focus_default)

    def on_key(self, event) -> None:  # noqa: ANN001 - textual.events.Key
        for choice in self.choices:
            if event.key == choice.key:
                event.stop()
                self.dismiss(choice.id)
                return

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def action_cancel(self) -> None:
        self.dismiss(None)


def confirm(
    title: str, message: str, yes: str, no: str = "Cancel", *, default: str = "no"
) -> ChoiceScreen:
    """A yes/no question whose answer ids are "yes" and "no" (the safe one, `default`, focused);
    escape answers None."""
    return ChoiceScreen(
        title,
        message,
        [Choice("yes", yes, yes[0].lower(), "warning"), Choice("no", no, no[0].lower())],
        default=default,
    )


def external_change_question(name: str, exc: ExternalChangeError) -> ChoiceScreen:
    """config.pbtxt changed on disk under the editor: overwrite, reload or cancel."""
    if not exc.current.exists:
        what = "was deleted"
    elif not exc.expected.exists:
        what = "was created"
    else:
        what = "changed"
    return ChoiceScreen(
        "Changed on disk",
        f"{name}/config.pbtxt {what} on disk since it was opened here.\n"
        "Overwrite it with this buffer, or reload it from disk (dropping these edits)?",
        [
            Choice("overwrite", "Overwrite", "o", "warning"),
            Choice("reload", "Reload from disk", "r"),
            Choice("cancel", "Cancel", "c"),
        ],
        default="cancel",
    )


def unsaved_edits_question(name: str, wanted: str = "") -> ChoiceScreen:
    """Before opening model `wanted` (save, discard, keep), or before quitting (no `wanted`)."""
    if wanted:
        message = f"{name}/config.pbtxt has unsaved edits. Open {wanted} instead?"
        choices = [
            Choice("save", "Save, then open", "s", "primary"),
            Choice("discard", "Discard edits", "d", "error"),
            Choice("keep", "Keep editing", "k"),
        ]
    else:
        message = f"{name}/config.pbtxt has unsaved edits."
        choices = [
            Choice("save", "Save and quit", "s", "primary"),
            Choice("discard", "Discard and quit", "d", "error"),
            Choice("cancel", "Cancel", "c"),
        ]
    return ChoiceScreen("Unsaved edits", message, choices, default=choices[-1].id)


class PickScreen(ModalScreen[str | None]):
    """Pick one item of a list (arrows and enter); dismisses with its id, None on escape."""

    DEFAULT_CSS = """
    PickScreen { align: center middle; }
    PickScreen > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    PickScreen .dialog-title { text-style: bold; }
    PickScreen OptionList { height: auto; max-height: 16; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, items: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.items = items

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="dialog-title")
            yield VimOptionList(*(Option(label, id=item) for item, label in self.items))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def render_diff(diff: str) -> Text:
    text = Text()
    for line in diff.splitlines():
        style = ""
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        text.append(line + "\n", style)
    return text


class DiffScreen(ModalScreen[None]):
    """A unified diff, scrolled with the arrows and page keys; escape (or q) closes it."""

    DEFAULT_CSS = """
    DiffScreen { align: center middle; }
    DiffScreen > Vertical {
        width: 100%; height: 100%; border: thick $primary; background: $surface;
    }
    DiffScreen .dialog-title { text-style: bold; padding: 0 1; }
    DiffScreen VerticalScroll { height: 1fr; padding: 0 1; }
    """

    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, title: str, diff: str) -> None:
        super().__init__()
        self.title_text = title
        self.diff = diff

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="dialog-title")
            with VerticalScroll(id="diff-scroll"):
                yield Static(render_diff(self.diff), id="diff-text")

    def on_mount(self) -> None:
        self.query_one("#diff-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)

"""One policy for background work, through Textual's public worker API.

Every worker the console starts is made with `exit_on_error=False` (this module's `work`, a thin
wrapper around Textual's decorator that always passes it), so a worker that raises ends in the
ERROR state instead of ending the app. Textual tells the worker's node with `Worker.StateChanged`,
which does not bubble: each node that starts workers mixes in `ReportsWorkerFailures`, whose one
handler hands the failure to the app as `WorkFailed`. The app holds the policy (say it, record it
to errors.log, keep running) in its `on_work_failed`.

`work` refuses to start a worker on a node without the mixin (a TypeError at the first start, in
any test that reaches it), so a new pane cannot forget the policy silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any

import textual
from textual.message import Message
from textual.worker import Worker, WorkerState


@dataclass
class WorkFailed(Message):
    """A worker raised: `error` is what it raised, `group` the worker's group."""

    error: Exception
    group: str


class ReportsWorkerFailures:
    """Mixin for every node that starts workers (the app, panes, screens): its one
    `on_worker_state_changed` handler forwards a failed worker to the app as `WorkFailed`."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.ERROR and isinstance(worker.error, Exception):
            app = self.app  # type: ignore[attr-defined]  # mixed into a DOMNode
            app.post_message(WorkFailed(worker.error, worker.group))


if TYPE_CHECKING:
    from textual import work as work
else:

    def work(method: Callable[..., Any] | None = None, /, **options: Any) -> Any:
        """Textual's `work`, with `exit_on_error=False` always and the mixin required."""
        options["exit_on_error"] = False
        decorate = textual.work(**options)

        def checked(method: Callable[..., Any]) -> Callable[..., Any]:
            start = decorate(method)

            @wraps(method)
            def start_checked(node: object, *args: Any, **kwargs: Any) -> Any:
                if not isinstance(node, ReportsWorkerFailures):
                    raise TypeError(
                        f"{type(node).__name__} starts workers but does not mix in "
                        "ReportsWorkerFailures: its failures would be lost"
                    )
                return start(node, *args, **kwargs)

            return start_checked

        return checked if method is None else checked(method)

"""Which model names may be handed to tritonserver.

Triton's python backend starts the stub of every model instance with `bash -c "exec <stub>
<repository>/<model>/<version>/model.py … <instance name>"`, the names unquoted, and our embedded
server runs ONNX models through the python backend too. So a model folder named `$(touch PWNED)`
runs code when the server loads it, and one whose name holds a space, a tab, a newline, a `;` or a
quote makes the stub fail to start, which leaves the server waiting on it until the start-up
timeout. We cannot change Triton, so we never hand it such a name:

- SAFE: letters and digits (any script: Python's `\\w`) and the marks in `SAFE_MARKS`
  (`_ - . + @ , : =`). None of them means anything to bash inside a word, whatever their place.
- Anything else is refused: the shell's own characters (`$ \\` ; & | < > ( ) { } [ ] * ? ! ~ #`,
  quotes, backslash), whitespace, and control characters (an escape sequence in a name).

The same holds for what a config.pbtxt puts on that command line: `default_model_filename` (the
file the stub is given; `/` allowed) and the instance groups' names (they name the instances).

The launcher loads only the model folders whose names, and whose ensembles' composing models'
names, are safe (never `--load-model=*`); `TritonHTTP.load` refuses an unsafe name; the
repository pane, `serve` and `config lint` say which folder and why. A model repository path that
is not safe is refused the same way (the python backend passes it to the shell with the name).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

SAFE_MARKS = "_-.+@,:="
_UNSAFE = re.compile(r"[^\w.+@,:=-]")  # \w: letters and digits of any script, and _
_UNSAFE_IN_PATH = re.compile(r"[^\w.+@,:=/-]")
# A config.pbtxt string literal (runs between escapes: no regex frame per character).
_STRING = re.compile(r""""[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'""")
_SPOKEN = {" ": "a space", "\t": "a tab", "\n": "a newline", "\r": "a carriage return"}
_SHOWN_LIMIT = 200  # characters of a name quoted in a message


def shown(text: str) -> str:
    """`text` with every character a terminal would act on written as an escape (`\\x1b`, `\\n`):
    safe to print, and still telling two folders apart (a long one is cut)."""
    cut = f"… ({len(text) - _SHOWN_LIMIT} more characters)" if len(text) > _SHOWN_LIMIT else ""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:_SHOWN_LIMIT]) + cut


def _unsafe_chars(text: str, pattern: re.Pattern[str] = _UNSAFE) -> list[str]:
    """The first five distinct characters of `text` that `pattern` finds, in order (a few passes
    in C, whatever the length)."""
    found: list[str] = []
    while len(found) < 5 and (match := pattern.search(text)):
        found.append(match.group())
        text = text.replace(match.group(), "")
    return found


def _spoken(char: str) -> str:
    if char in _SPOKEN:
        return _SPOKEN[char]
    if not char.isprintable():
        return f"the control character U+{ord(char):04X}"
    return f"'{char}'"


def _listed(chars: list[str]) -> str:
    words = [_spoken(c) for c in chars]
    if len(words) > 4:
        words = [*words[:4], "others"]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


_TO_SHELL = (
    "which Triton's python backend would hand to a shell (running it as a command or splitting "
    "the command)"
)


def name_problem(name: str) -> str | None:
    """Why the model name `name` must not reach the server, in words; None when it is safe."""
    if not name:
        return "an empty model name"
    bad = _unsafe_chars(name)
    if not bad:
        return None
    return (
        f"model '{shown(name)}' is not loaded: its name holds {_listed(bad)}, {_TO_SHELL}; "
        "rename the folder to letters, digits and " + " ".join(SAFE_MARKS)
    )


def fields_problem(default_model_filename: str, group_names: Iterable[str]) -> str | None:
    """Why a config's own strings that reach the stub's shell command (the model file's name,
    the instance groups' names, which name the instances) must not; None when they are safe."""
    fields = [("default_model_filename", default_model_filename)]
    fields += [("instance group name", name) for name in group_names]
    for what, value in fields:
        bad = _unsafe_chars(value, _UNSAFE_IN_PATH if what == "default_model_filename" else _UNSAFE)
        if bad:
            return (
                f"its {what} '{shown(value)}' holds {_listed(bad)}, {_TO_SHELL}; use letters, "
                "digits and " + " ".join(SAFE_MARKS)
            )
    return None


def config_problem(text: str) -> tuple[str | None, list[str]]:
    """For config.pbtxt `text`: why its own strings must not reach the server (`fields_problem`),
    and the composing models it loads with it when it is an ensemble. Parsed only when a string
    holds an unsafe character or it is an ensemble; one that does not parse is refused by the
    server, so nothing of it reaches a shell."""
    strings = (m.group()[1:-1] for m in _STRING.finditer(text))
    if "ensemble_scheduling" not in text and not any(map(_UNSAFE_IN_PATH.search, strings)):
        return None, []
    from tui.core.modelconfig.parse import parse_config

    config = parse_config(text).config
    if config is None:
        return None, []
    problem = fields_problem(config.default_model_filename, [g.name for g in config.instance_group])
    return problem, [step.model_name for step in config.ensemble_scheduling.step]


def json_config_problem(config: str) -> str | None:
    """`fields_problem` of a config sent with a load request (JSON, as the load API takes it)."""
    try:
        parsed = json.loads(config)
    except (ValueError, RecursionError):
        return None  # the server refuses it
    if not isinstance(parsed, dict):
        return None
    groups = parsed.get("instance_group")
    groups = groups if isinstance(groups, list) else []
    names = [str(g.get("name", "")) for g in groups if isinstance(g, dict)]
    return fields_problem(str(parsed.get("default_model_filename", "")), names)


def path_problem(root: Path) -> str | None:
    """Why no model of the repository at `root` may reach the server; None when its path is safe
    (the python backend puts the repository's path in the same shell command as the name)."""
    bad = _unsafe_chars(str(root), _UNSAFE_IN_PATH)
    if not bad:
        return None
    return (
        f"model repository path '{shown(str(root))}' holds {_listed(bad)}, which Triton's "
        "python backend would hand to a shell with every model's path: no model is loaded from "
        "it; move it to a path of letters, digits, / and " + " ".join(SAFE_MARKS)
    )


def model_folders(root: Path) -> list[Path]:
    """The entries of a repository tritonserver treats as models (every folder, hidden ones and
    symlinks to folders too); [] when the repository cannot be listed."""
    try:
        return sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return []


def _config_text(folder: Path) -> str:
    from tui.core.util.paths import read_regular_text

    try:
        return read_regular_text(folder / "config.pbtxt")
    except (OSError, UnicodeDecodeError):
        return ""  # none (auto-completed from safe defaults), or the server cannot read it either


def model_problem(
    folder: Path, text: str | None = None, seen: frozenset[str] = frozenset()
) -> str | None:
    """Why the model in `folder` must not be loaded: its name, its config's strings that reach
    the shell, or for an ensemble a model it loads with it (composing models are read from
    sibling folders, recursively). `text`: its config.pbtxt, when the caller has read it."""
    problem = name_problem(folder.name)
    if problem is not None:
        return problem
    fields, steps = config_problem(_config_text(folder) if text is None else text)
    if fields is not None:
        return f"model '{shown(folder.name)}' is not loaded: {fields}"
    seen = seen | {folder.name}
    for step in steps:
        if step in seen:
            continue  # a cycle: the server refuses it, and nothing new is loaded
        inner = model_problem(folder.parent / step, seen=seen)
        if inner is not None:
            return f"ensemble '{shown(folder.name)}' is not loaded: it loads {inner}"
    return None


def loadable(roots: Iterable[Path], check_paths: bool = True) -> tuple[list[str], list[str]]:
    """The model names of `roots` that are safe to load, and a refusal in words for each other
    folder. `check_paths`: the repository paths reach the server as they are (not inside a
    container, where the repository is mounted at a fixed safe path)."""
    names: list[str] = []
    refusals: list[str] = []
    for root in roots:
        problem = path_problem(root) if check_paths else None
        if problem is not None:
            refusals.append(problem)
            continue
        for folder in model_folders(root):
            problem = model_problem(folder)
            if problem is None:
                names.append(folder.name)
            else:
                refusals.append(f"{problem} (in {shown(str(root))})")
    return names, refusals


def load_problem(repositories: Iterable[Path], name: str) -> str | None:
    """Why the model `name` of one of `repositories` (those on this machine) must not be loaded;
    its name alone is checked when no repository holds it."""
    for root in repositories:
        if (root / name).is_dir():
            return path_problem(root.resolve()) or model_problem(root / name)
    return name_problem(name)


def load_args(names: Iterable[str]) -> list[str]:
    """tritonserver's flags to load exactly `names` at start-up (explicit model control)."""
    return ["--model-control-mode=explicit", *(f"--load-model={n}" for n in dict.fromkeys(names))]

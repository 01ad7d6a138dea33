"""Which model names may be handed to tritonserver.

Triton's python backend starts the stub of every model instance with `bash -c "exec <stub>
<repository>/<model>/<version>/model.py … <instance name>"`, the names unquoted, and our embedded
server runs ONNX models through the python backend too. So a model folder named `$(touch PWNED)`
runs code when the server loads it, and one whose name holds a space, a tab, a newline, a `;` or a
quote makes the stub fail to start, which leaves the server waiting on it until the start-up
timeout. We cannot change Triton, so we never hand it such a name:

- SAFE: letters and digits (any script) and the marks in `SAFE_MARKS` (`_ - . + @ , : =`). None
  of them means anything to bash inside a word, whatever their place.
- Anything else is refused: the shell's own characters (`$ \\` ; & | < > ( ) { } [ ] * ? ! ~ #`,
  quotes, backslash), whitespace, and control characters (an escape sequence in a name).

The launcher loads only the model folders whose names, and whose ensembles' composing models'
names, are safe (never `--load-model=*`); `TritonHTTP.load` refuses an unsafe name; the
repository pane, `serve` and `config lint` say which folder and why. A model repository path that
is not safe is refused the same way (the python backend passes it to the shell with the name).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

SAFE_MARKS = "_-.+@,:="
_SPOKEN = {" ": "a space", "\t": "a tab", "\n": "a newline", "\r": "a carriage return"}


def _safe_char(char: str) -> bool:
    return char.isalnum() or char in SAFE_MARKS


def shown(text: str) -> str:
    """`text` with every character a terminal would act on written as an escape (`\\x1b`, `\\n`):
    safe to print, and still telling two folders apart."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _spoken(char: str) -> str:
    if char in _SPOKEN:
        return _SPOKEN[char]
    if not char.isprintable():
        return f"the control character U+{ord(char):04X}"
    return f"'{char}'"


def _listed(chars: Iterable[str]) -> str:
    words = [_spoken(c) for c in dict.fromkeys(chars)]
    if len(words) > 4:
        words = [*words[:4], "others"]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def name_problem(name: str) -> str | None:
    """Why the model name `name` must not reach the server, in words; None when it is safe."""
    if not name:
        return "an empty model name"
    bad = [c for c in name if not _safe_char(c)]
    if not bad:
        return None
    return (
        f"model '{shown(name)}' is not loaded: its name holds {_listed(bad)}, which Triton's "
        "python backend would hand to a shell (running it as a command or splitting the "
        "command); rename the folder to letters, digits and " + " ".join(SAFE_MARKS)
    )


def path_problem(root: Path) -> str | None:
    """Why no model of the repository at `root` may reach the server; None when its path is safe
    (the python backend puts the repository's path in the same shell command as the name)."""
    bad = [c for c in str(root) if not (_safe_char(c) or c == "/")]
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


def steps_in(text: str) -> list[str]:
    """The composing models an ensemble's config.pbtxt `text` names (the server loads them with
    it); [] for any other model, or a config that does not parse (the server refuses it)."""
    if "ensemble_scheduling" not in text:
        return []
    from tui.core.modelconfig.parse import parse_config

    config = parse_config(text).config
    if config is None:
        return []
    return [step.model_name for step in config.ensemble_scheduling.step]


def ensemble_steps(folder: Path) -> list[str]:
    """`steps_in` of the folder's config.pbtxt; [] when it cannot be read."""
    from tui.core.paths import read_regular_text

    try:
        return steps_in(read_regular_text(folder / "config.pbtxt"))
    except (OSError, UnicodeDecodeError):
        return []


def model_problem(
    folder: Path, steps: list[str] | None = None, seen: frozenset[str] = frozenset()
) -> str | None:
    """Why the model in `folder` must not be loaded: its name, or for an ensemble the name of a
    model it loads with it (composing models are read from sibling folders, recursively).
    `steps`: the folder's own ensemble steps when the caller has read its config already."""
    problem = name_problem(folder.name)
    if problem is not None:
        return problem
    seen = seen | {folder.name}
    for step in ensemble_steps(folder) if steps is None else steps:
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

"""config.pbtxt: parse, lint with Triton's rules, generate from ONNX, snippets, save, diff.

No Textual import here: the headless `triton-tui config` command and the editor pane share it.
"""

from __future__ import annotations

from tui.core.modelconfig.diagnostics import Diagnostic, Severity, has_errors
from tui.core.modelconfig.diff import NormalizeError, config_diff, normalize_json, normalize_text
from tui.core.modelconfig.generate import (
    DEFAULT_MAX_BATCH_SIZE,
    GenerateError,
    config_from_onnx,
    find_onnx_model,
    generate_config,
)
from tui.core.modelconfig.lint import (
    ModelReport,
    RepositoryLinter,
    lint_model_dir,
    lint_path,
    lint_repository,
    lint_text,
)
from tui.core.modelconfig.parse import ModelConfig, ParseResult, parse_config
from tui.core.modelconfig.pretty import pretty
from tui.core.modelconfig.snippets import SNIPPETS
from tui.core.modelconfig.store import (
    ExternalChangeError,
    FileStamp,
    NoBackupError,
    OutsideRepositoryError,
    StoreError,
    backup_path,
    backup_paths,
    keep_backup,
    read_config,
    read_config_any,
    restore_backup,
    save_config,
)

__all__ = [
    "DEFAULT_MAX_BATCH_SIZE",
    "SNIPPETS",
    "Diagnostic",
    "ExternalChangeError",
    "FileStamp",
    "GenerateError",
    "ModelConfig",
    "ModelReport",
    "NoBackupError",
    "NormalizeError",
    "OutsideRepositoryError",
    "ParseResult",
    "RepositoryLinter",
    "Severity",
    "StoreError",
    "backup_path",
    "backup_paths",
    "config_diff",
    "config_from_onnx",
    "find_onnx_model",
    "generate_config",
    "has_errors",
    "keep_backup",
    "lint_model_dir",
    "lint_path",
    "lint_repository",
    "lint_text",
    "normalize_json",
    "normalize_text",
    "parse_config",
    "pretty",
    "read_config",
    "read_config_any",
    "restore_backup",
    "save_config",
]

"""Build the demo repository's ONNX files: `just setup` (`--densenet`: DenseNet-121 when missing
or stale) and `just models` (also the committed small files, which must come out unchanged).
The builders live in tools/models.py, shared with the tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.models import main  # noqa: E402

if __name__ == "__main__":
    main(sys.argv[1:])

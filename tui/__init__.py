"""triton-tui: a terminal console for NVIDIA Triton Inference Server."""

__version__ = "0.1.0"

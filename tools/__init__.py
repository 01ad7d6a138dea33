"""Developer tools the tests and the asset scripts (demo set-up, benchmarks) share, so that neither
tests/ nor assets/ imports the other: the ONNX model builders and the perf_analyzer installer.
Not part of the package (only tui* is installed)."""

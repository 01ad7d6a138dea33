"""Headless subcommands. Each module exposes `add_parser(subparsers)` and sets `func` on it."""

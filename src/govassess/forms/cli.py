"""Subcommands of this area (filled in by its own work)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """No subcommands yet."""

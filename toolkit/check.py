"""Kept for the CLI until it calls `toolkit.commands.check`."""

from toolkit.commands.check import CheckReport, check

__all__ = ["CheckReport", "check"]

"""Kept for the CLI until it calls `toolkit.commands.bootstrap`."""

from toolkit.commands.bootstrap import BootstrapReport, bootstrap, reset

__all__ = ["BootstrapReport", "bootstrap", "reset"]

"""The one place where core work runs, and where core failures become exit codes.

`run_core` runs a core coroutine with `asyncio.run` (after `--wait`, in the same event loop);
`resolve_settings` resolves the environment. Every `ToolkitError` either raises becomes a
`Failure`: a one-line message on stderr and the error's exit code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import click

from toolkit.errors import ToolkitError

if TYPE_CHECKING:
    from toolkit.settings import Settings

T = TypeVar("T")
EXIT_INTERRUPTED = 130


class Failure(click.ClickException):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # Click declares it on the class
        ctx = click.get_current_context(silent=True)
        self.as_json = bool(ctx is not None and ctx.params.get("as_json"))

    def show(self, file: Any = None) -> None:
        if self.as_json:
            # A script that asked for JSON gets its error as JSON too, on stdout.
            import json

            click.echo(json.dumps({"error": self.format_message(), "exit_code": self.exit_code}))
            return
        label = "Interrupted" if self.exit_code == EXIT_INTERRUPTED else "Error"
        click.echo(f"{label}: {self.format_message()}", err=True)


def _failure(exc: ToolkitError, settings: Settings | None = None) -> Failure:
    return Failure(_scrubbed(str(exc), settings), exc.exit_code)


def _scrubbed(message: str, settings: Settings | None) -> str:
    """The last line of defence: no password in any message, whatever raised it."""
    from toolkit.urls import scrub

    return scrub(message, settings)


def _unexpected(exc: Exception, settings: Settings | None) -> Failure:
    """A driver error no core module turned into a ToolkitError: the backend may know what
    it means (a read-only file, a full disk); otherwise say it plainly, in one line."""
    if settings is not None:
        from toolkit.backends import backend_for

        explained = backend_for(settings.database_url).explain(exc)
        if explained:
            return Failure(_scrubbed(explained, settings), 1)
    first = (str(exc) or "").strip().splitlines()
    message = f"unexpected {type(exc).__name__}: {first[0] if first else ''} (set TOOLKIT_DEBUG=1 to see the traceback)"
    return Failure(_scrubbed(message, settings), 1)


def run_core(make: Callable[[], Coroutine[Any, Any, T]], *, wait: bool = True) -> T:
    """Run one core coroutine; the single place where core errors become exit codes.

    With the global `--wait SECONDS`, the same event loop first waits for the database.
    """
    ctx = click.get_current_context(silent=True)
    obj = (ctx.find_root().obj if ctx else None) or {}
    settings, seconds = obj.get("settings"), obj.get("wait")

    async def main() -> T:
        if wait and settings is not None and seconds is not None:
            from toolkit.commands.wait import wait_for_database

            await wait_for_database(settings, seconds, progress=lambda m: say(ctx, m) if ctx else None)
        return await make()

    import asyncio  # here, not at the top: it costs `--help` more than click itself

    try:
        return asyncio.run(main())
    except ToolkitError as exc:
        raise _failure(exc, settings) from None
    except KeyboardInterrupt:
        raise Failure("interrupted", EXIT_INTERRUPTED) from None
    except Exception as exc:  # a bug or an unmapped driver error: still one line
        if os.environ.get("TOOLKIT_DEBUG"):
            raise
        raise _unexpected(exc, settings) from None


def root_obj(ctx: click.Context) -> dict[str, Any]:
    """The global options (and, once resolved, the settings), kept on the group's context."""
    return ctx.find_root().obj or {}


def resolve_settings(ctx: click.Context) -> Settings:
    from toolkit.settings import resolve

    obj = root_obj(ctx)
    try:
        settings = resolve(
            env=obj.get("env"), database_url=obj.get("database_url"), config=obj.get("config"), app=obj.get("app")
        )
    except ToolkitError as exc:
        raise _failure(exc) from None
    obj["settings"] = settings  # for `--wait`, in `run_core`
    return settings


def say(ctx: click.Context, message: str) -> None:
    """Progress on stderr, unless `--quiet`."""
    if not root_obj(ctx).get("quiet"):
        click.echo(message, err=True)


def confirm_on_terminal() -> Callable[[str], bool] | None:
    """Ask the user when stdin is a terminal; elsewhere (CI, scripts) refuse instead."""
    return _confirm if sys.stdin.isatty() else None


def _confirm(question: str) -> bool:
    try:
        return click.confirm(question, default=False, err=True)
    except click.Abort:  # Ctrl-C or end of input at the prompt: a "no"
        click.echo("", err=True)
        return False

"""The one exception family the core raises; `cli.py` turns it into a message and an exit code."""

from __future__ import annotations


class ToolkitError(Exception):
    """A failure the user can act on. The message is one line and says what to do."""

    exit_code = 1


class UsageError(ToolkitError):
    """The command line or the configuration asks for something impossible."""

    exit_code = 2


class ConfigError(UsageError):
    """The configuration file or environment is missing or inconsistent."""


class DatabaseUnavailable(ToolkitError):
    """The database server cannot be reached or the database does not exist."""

    @classmethod
    def unreachable(cls, label: str, where: str, reason: str) -> DatabaseUnavailable:
        return cls(
            f"cannot reach {label} at {where} ({reason.splitlines()[0]}); "
            "is the server running? check the database URL or DATABASE_URL"
        )

    @classmethod
    def refused(cls, label: str, where: str, user: str) -> DatabaseUnavailable:
        return cls(f"{label} at {where} refused user {user!r}; check the user and password in the database URL")


class NotMigrated(ToolkitError):
    """The schema the command needs is not there yet."""


class MigrationFailed(ToolkitError):
    """A migration file's SQL failed on the database."""


class LockTimeout(ToolkitError):
    """Another process holds the migration lock for longer than we were told to wait."""

    @classmethod
    def waited(cls, where: str, timeout: float) -> LockTimeout:
        return cls(
            f"another migration is running on {where} (waited {timeout:g}s for the migration "
            "lock); try again when it finishes, or raise --lock-timeout"
        )


class LockLost(ToolkitError):
    """The migration lock was lost while migrations ran (its connection died)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"lost the migration lock on {where} ({reason.splitlines()[0]})")
        self.where = where


class Interrupted(ToolkitError):
    """The user stopped the command (Ctrl-C) after the in-flight work was finished."""

    exit_code = 130

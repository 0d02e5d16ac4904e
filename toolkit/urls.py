"""Database URLs: which dialect a URL names, whether it is well formed, and how it is shown.

No message, JSON document or log line may contain a password, however malformed the URL:
`mask_url` hides everything between the scheme and the last `@` (or the whole string when
it can't be parsed), `scrub` removes every trace of a password from any text, and URLs are
checked before any driver sees them (a driver's own error would echo them whole).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import unquote, unquote_plus, urlsplit

from toolkit.errors import ConfigError

# URL scheme -> dialect. Tortoise and Aerich name PostgreSQL "postgres".
SCHEMES = {
    "sqlite": "sqlite",
    "postgres": "postgres",
    "postgresql": "postgres",
    "asyncpg": "postgres",
    "mysql": "mysql",
}


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
# A user name shown as is: nothing in it that could be the tail of a password.
_PLAIN_USER = re.compile(r"[^:/?#\[\]@\s]*")
# Query options that hold a secret: password=, sslpassword=, pass=, pwd=, ...token=, ...
_QUERY_SECRET = re.compile(
    r"([?&;][^?&;=#]*?(?:password|passwd|pass|pwd|secret|token)=)[^&;]*", re.IGNORECASE
)
_DELIMITERS = re.compile(r"[:/?#\[\]@!$&'()*+,;=%\s]+")
_ENCODE_HINT = (
    "percent-encode special characters in the user and password "
    "(%40 for @, %3A for :, %2F for /, %3F for ?, %23 for #, %25 for %)"
)


def _unparseable(url: str) -> str:
    # Only a scheme toolkit knows is shown: anything else may be part of the password.
    head = _SCHEME.match(url)
    scheme = head.group(0).lower() if head else ""
    return f"<unparseable {scheme} URL>" if scheme in SCHEMES else "<unparseable URL>"


def _mask_userinfo(userinfo: str) -> str:
    user, colon, _ = userinfo.partition(":")
    if _PLAIN_USER.fullmatch(user):
        return f"{user}:***" if colon else user
    return "***"


def mask_url(url: str) -> str:
    """Return `url` with its password replaced by `***`, safe to print or log.

    Robust to any string: everything between `://` and the last `@` is masked (the user
    name is kept when it is plainly one), so is the value of a `password=`-like query
    option, and a string with no `scheme://` or an authority that does not parse is
    replaced whole (`<unparseable URL>`).
    """
    scheme, sep, rest = url.partition("://")
    if not sep or not _SCHEME.fullmatch(scheme):
        return _unparseable(url)
    is_sqlite = scheme.lower() == "sqlite"
    if "@" in rest and not (is_sqlite and rest.startswith("/")):
        # The last `@`: a password may hold an unencoded `@`, a host never does.
        userinfo, _, after = rest.rpartition("@")
        rest = f"{_mask_userinfo(userinfo)}@{after}"
    elif not is_sqlite:
        # No `@`: `postgres://app:S3cret/db` reads as host `app`, port `S3cret`.
        try:
            urlsplit(url).port  # noqa: B018 - parsing it is the check
        except ValueError:
            return _unparseable(url)
    return f"{scheme}://" + _QUERY_SECRET.sub(r"\1***", rest)


def _secrets_of(url: str) -> set[str]:
    """Every form in which a password of `url` could show up in someone else's message."""
    scheme, sep, rest = url.partition("://")
    body = rest if sep else url
    found: set[str] = set()
    whole: set[str] = set()
    if scheme.lower() == "sqlite" and body.startswith("/"):
        pass  # a file path: an `@` in it is part of a file name
    elif "@" in body:
        userinfo = body.rpartition("@")[0]
        user, colon, password = userinfo.partition(":")
        if colon:
            whole.add(password)
        if not _PLAIN_USER.fullmatch(user):
            whole.add(userinfo)
    else:
        # No `@`: a non-numeric "port" may be a password that lost its `@`.
        netloc = body.split("/", 1)[0].split("?", 1)[0]
        port = netloc.rpartition(":")[2] if ":" in netloc else ""
        if port and not port.isdigit():
            whole.add(port)
    for match in _QUERY_SECRET.finditer(body):
        whole.add(match.group(0)[len(match.group(1)):])
    for secret in list(whole):
        whole |= {unquote(secret), unquote_plus(secret)}
    for secret in whole:
        if len(secret) >= 2:
            found |= {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]}
        if len(secret) >= 3:
            # Tortoise's own log masking keeps the first third: `hunter2` -> `hu***`.
            found.add(f"{secret[: len(secret) // 3]}***")
        # Pieces of a password split by a parser (`Port could not be cast ... 'Sup3r'`).
        found |= {piece for piece in _DELIMITERS.split(secret) if len(piece) >= 4}
    return {s for s in found if s}


def scrub(text: str, source: Any) -> str:
    """`text` with every trace of the password of `source` (a URL, or anything with a `database_url`, as `Settings`) removed.

    The last line of defence for text toolkit did not write (a driver's error, a bug's
    message): the URL itself becomes its masked form, then the password, its
    percent-decoded form and its longer pieces become `***` (unless the masked form shows
    them anyway, as a password equal to the user name).
    """
    url = source if source is None or isinstance(source, str) else source.database_url
    if not url or not text:
        return text
    shown = mask_url(url)
    text = text.replace(url, shown)
    for secret in sorted(_secrets_of(url), key=len, reverse=True):
        # What the masked URL shows is no secret (`postgres:postgres@`: the user name).
        if secret not in shown:
            text = text.replace(secret, "***")
    return text


# The loggers of the libraries toolkit drives. Tortoise's DEBUG startup line prints the
# connection URL with a percent-encoded password in full (it masks only the decoded form).
_LIBRARY_LOGGERS = (
    "tortoise", "tortoise.db_client", "tortoise.migrations.executor",
    "aerich", "asyncpg", "asyncpg.pool", "aiomysql", "asyncio",
)


class _ScrubLogRecords(logging.Filter):
    """Removes the passwords of every URL `resolve` returned from the libraries' log lines."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: dict[str, None] = {}  # ordered, no duplicates

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.urls:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a record whose args don't fit its format: leave it to logging
            return True
        cleaned = message
        for url in self.urls:
            cleaned = scrub(cleaned, url)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            for url in self.urls:
                text = scrub(text, url)
            record.exc_text = text
        return True


_LOG_SCRUBBER = _ScrubLogRecords()


def hide_from_logs(url: str) -> None:
    if not _secrets_of(url):
        return
    _LOG_SCRUBBER.urls[url] = None
    for name in _LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if _LOG_SCRUBBER not in logger.filters:
            logger.addFilter(_LOG_SCRUBBER)


def shown(url: str) -> str:
    """The masked URL as a message quotes it."""
    masked = mask_url(url)
    return masked if masked.startswith("<") else repr(masked)


def dialect_of(url: str) -> str:
    scheme, sep, _ = url.partition("://")
    known = ", ".join(f"{s}://" for s in SCHEMES)
    if sep and _SCHEME.fullmatch(scheme):
        try:
            return SCHEMES[scheme.lower()]
        except KeyError:
            raise ConfigError(
                f"unsupported database URL {shown(url)} ('{scheme}://'); use one of {known}"
            ) from None
    if not url.strip():
        raise ConfigError(f"the database URL is empty; use one of {known}")
    raise ConfigError(
        f"malformed database URL {shown(url)} (it does not start with scheme://); use one of {known}, "
        f"as in postgres://user:password@host:port/database, and {_ENCODE_HINT}"
    )


def malformed(url: str, reason: str) -> ConfigError:
    return ConfigError(
        f"malformed database URL {shown(url)} ({reason}); "
        f"use scheme://user:password@host:port/database and {_ENCODE_HINT}"
    )


def check_url(url: str) -> None:
    """Refuse a server URL that a driver would misread: what it reads as the host, port or
    database may be part of the password, and its error message would show it."""
    dialect = dialect_of(url)
    if dialect == "sqlite":
        return
    rest = url.partition("://")[2]
    if "#" in rest:
        raise malformed(url, "a '#', which ends a URL: one in the password?")
    if rest.count("@") > 1:
        raise malformed(url, "more than one '@': one in the password?")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise malformed(url, "a '[' or ']' outside an IPv6 host") from None
    if "@" in parts.path or "@" in parts.query:
        raise malformed(url, "an '@' after the host: a '/' or '?' in the password?")
    userinfo = parts.netloc.rpartition("@")[0]
    if "[" in userinfo or "]" in userinfo:
        raise malformed(url, "a '[' or ']' in the user or password")
    if re.search(r"%(?![0-9A-Fa-f]{2})", parts.netloc):
        raise malformed(url, "a '%' that is not a %XX escape")
    try:
        parts.port  # noqa: B018 - parsing it is the check
    except ValueError:
        missing_at = "" if "@" in parts.netloc else ", or the '@' after user:password is missing"
        raise malformed(url, f"the port is not a number from 0 to 65535{missing_at}") from None
    if dialect == "mysql" and not parts.path.strip("/"):
        raise ConfigError(
            f"the MySQL URL {shown(url)} names no database; use mysql://user:password@host:port/DATABASE"
        )

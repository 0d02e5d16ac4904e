"""A database migrated without naming an environment is recorded as "unknown", not as the
config's default, so a dev config pointed at a remote server stays guarded."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.conftest import Project, query_db


def _non_loopback_address() -> str | None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a source address
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


def _pipe(a: socket.socket, b: socket.socket) -> None:
    try:
        while data := a.recv(65536):
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def remote_pg_url(pg_url: str) -> Iterator[str]:
    """The test database reached through this machine's non-loopback address, as a remote
    server is: a small TCP relay to the local server."""
    address = _non_loopback_address()
    if address is None:
        pytest.fail("this machine has no non-loopback IPv4 address to stand in for a remote server")
    target = urlsplit(pg_url)
    listener = socket.create_server((address, 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((target.hostname, target.port or 5432))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield pg_url.replace(f"{target.hostname}:{target.port}", f"{address}:{port}")
    finally:
        listener.close()


def _recorded(url: str) -> list[tuple]:
    return query_db("SELECT value FROM toolkit_metadata", url=url)


def test_a_remote_database_migrated_without_an_environment_refuses_destructive_commands(
    project: Project, remote_pg_url: str, pg_url: str
) -> None:
    env = {"DATABASE_URL": remote_pg_url}
    # A deploy script's bare `toolkit migrate`, the config's default environment:
    result = project.cli("--database-url", remote_pg_url, "migrate", env=env)
    assert result.exit_code == 0, result.output
    assert _recorded(pg_url) == [("unknown",)]
    refused = project.cli("--database-url", remote_pg_url, "seed", "--count", "5", env=env)
    assert refused.exit_code == 2
    host = remote_pg_url.split("@", 1)[1].split("/", 1)[0]
    assert (
        f"this database on {host} was first migrated without naming an environment; "
        "run `toolkit --env NAME migrate` once to record whose it is; pass --force to run it anyway"
    ) in refused.output
    assert query_db("SELECT count(*) FROM users", url=pg_url) == [(0,)]


def test_the_first_named_environment_claims_an_unknown_database(project: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    assert project.cli("--database-url", pg_url, "migrate").exit_code == 0
    assert _recorded(pg_url) == [("unknown",)]
    # Local: the everyday loop of migrate then seed needs no --env.
    assert project.cli("--database-url", pg_url, "seed", "--count", "5").exit_code == 0
    assert project.cli("--env", "staging", "migrate", env=env).exit_code == 0
    assert _recorded(pg_url) == [("staging",)]
    refused = project.cli("--env", "test", "seed", "--count", "5", env=env)
    assert refused.exit_code == 2
    assert "first migrated by environment 'staging', not 'test'" in refused.output

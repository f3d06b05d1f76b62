"""PostgreSQL for the tests: one database per test run (random name, dropped at the end), one schema per
store, found through ``NEWSBOT_TEST_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``).

Where no server answers, the tests that need it skip with one line naming it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from bot.config import redact_url

if TYPE_CHECKING:
    from bot.store import Store

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def admin_url() -> str:
    """The server the tests may create databases on."""
    return os.environ.get("NEWSBOT_TEST_DATABASE_URL") or DEFAULT_URL


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def with_schema(url: str, schema: str) -> str:
    """``url`` whose connections work in ``schema`` (libpq ``options=-csearch_path=...``)."""
    parts = urlsplit(url)
    query = "&".join(q for q in [parts.query, "options=" + quote(f"-csearch_path={schema}")] if q)
    return urlunsplit(parts._replace(query=query))


class TestServer:
    """This run's own database on the test server, and schemas in it for stores."""

    def __init__(self) -> None:
        import psycopg

        self.admin = admin_url()
        self.name = f"newsbot_test_{secrets.token_hex(4)}"
        try:
            with psycopg.connect(self.admin, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ServerMissing(f"PostgreSQL not reachable at {redact_url(self.admin)} ({reason})") from None
        self.url = with_database(self.admin, self.name)

    def schema_url(self) -> tuple[str, str]:
        """A new empty schema and the URL that works in it."""
        import psycopg

        schema = f"s_{secrets.token_hex(4)}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        return schema, with_schema(self.url, schema)

    def drop_schema(self, schema: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class ServerMissing(Exception):
    """No PostgreSQL server for the tests; the message is the one skip line."""


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TestServer | ServerMissing]:
    """This run's database (created once, dropped at the end), or why there is none."""
    try:
        server = TestServer()
    except ServerMissing as missing:
        yield missing
        return
    try:
        yield server
    finally:
        server.drop()


@pytest.fixture
def postgres_url(postgres_server: TestServer | ServerMissing) -> Iterator[str]:
    """The URL of a fresh, empty schema for one test's store (dropped afterwards); skips without a server."""
    if isinstance(postgres_server, ServerMissing):
        pytest.skip(str(postgres_server))
    schema, url = postgres_server.schema_url()
    try:
        yield url
    finally:
        postgres_server.drop_schema(schema)


DIALECTS = ["sqlite", "postgresql"]


def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """An empty store for a fixture parametrized over :data:`DIALECTS`: a fresh SQLite file, or a fresh
    PostgreSQL schema (skipped, with one line, where no server answers)."""
    from bot.store import Store

    if request.param == "postgresql":
        return Store(request.getfixturevalue("postgres_url"))
    return Store(tmp_path / "db.sqlite3")


class TcpProxy:
    """A TCP relay to the PostgreSQL server that a test can cut and restore: the store sees its server go
    away (connections reset, new ones refused) and come back on the same address, as in a restart or a
    network outage, without touching the server others use."""

    def __init__(self, host: str, port: int) -> None:
        import socket

        self.target = (host, port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = __import__("threading").Lock()

    def start(self) -> TcpProxy:
        import socket
        import threading

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Refuse new connections and reset every open one."""
        import socket

        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: object) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = listener.accept()  # type: ignore[attr-defined]
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: object, dst: object) -> None:
        try:
            while data := src.recv(65536):  # type: ignore[attr-defined]
                dst.sendall(data)  # type: ignore[attr-defined]
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.close()  # type: ignore[attr-defined]
                except OSError:
                    pass

    def url(self, url: str) -> str:
        """``url`` going through this relay."""
        parts = urlsplit(url)
        auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        return urlunsplit(parts._replace(netloc=f"{auth}127.0.0.1:{self.port}"))

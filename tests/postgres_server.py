"""A real PostgreSQL server for the tests: Debian's postgresql package, started in a folder of
its own on a free loopback port, one per test session, with a fresh database per test made from
a migrated template (so each test starts empty and fast).

`make postgres` installs the package when it can (root with apt-get); without it, the tests
that need the server are skipped and say why."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from pipeline.store import Store

TEMPLATE = "dailybrief_template"


def find_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


class PostgresServer:
    """One running server; `database()` gives the address of a new, migrated database."""

    def __init__(self, bindir: Path, folder: Path, port: int) -> None:
        self.bindir = bindir
        self.folder = folder
        self.port = port
        self._names = itertools.count(1)
        self._ctl = [str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-w"]

    def start(self) -> None:
        """Start the server (again, after `stop`), waiting until it takes connections."""
        # no durability needed for a test's data: fsync off keeps CREATE DATABASE quick
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        options += " -c fsync=off -c full_page_writes=off"
        _run([*self._ctl, "-o", options, "-l", str(self.folder / "log"), "start"])

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` ends every session at once (what a restart does to clients)."""
        _run([*self._ctl, "-m", mode, "stop"])

    def url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement.encode())  # the tests' own statements, not user input

    def database(self) -> str:
        """A new database with the latest schema, empty."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        self.sql(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE}')
        return self.url(name)

    def empty_database(self) -> str:
        """A new database with no schema at all (a first start on a fresh server)."""
        name = f"empty_{os.getpid()}_{next(self._names)}"
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_owner(argv: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: as root, the server runs as the package's own user
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _run(argv: list[str]) -> None:
    subprocess.run(_as_owner(argv), check=True, capture_output=True, timeout=120)


@contextmanager
def running_server(port: int) -> Iterator[PostgresServer]:
    """Start a server on 127.0.0.1:`port`; stopped (and its folder removed) after the block."""
    bindir = find_bin()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL is not installed (make postgres installs it)")
    folder = Path(tempfile.mkdtemp(prefix="dailybrief-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    try:
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(folder / "data"),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ]
        )
        server = PostgresServer(bindir, folder, port)
        server.start()
        try:
            server.sql(f"CREATE DATABASE {TEMPLATE}")
            Store(folder, server.url(TEMPLATE)).close()
            yield server
        finally:
            server.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)

"""PostgreSQL as the state database: the same migrations and queries as SQLite, through a
connection that speaks the part of `sqlite3.Connection` the store uses.

The store's SQL is written once, in SQLite's dialect; `translate` rewrites the few spellings
PostgreSQL does not share (placeholders, `INSERT OR IGNORE`, `json_each`, the column types of a
CREATE TABLE, and the `rowid` every SQLite table has). Nothing else differs, and the store's
tests run every query against both. psycopg is an optional dependency (`dailybrief[postgres]`):
an installation on SQLite never imports it.

The password is never in sources.yaml: `brief.database` names the server and the database,
and libpq finds the password itself (`PGPASSWORD`, or `~/.pgpass`); `BRIEF_DATABASE_URL`, when
set, is the whole address, password included (what a container is given).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pipeline.errors import BriefError, StoreError

try:  # only an installation that uses PostgreSQL needs psycopg
    import psycopg
    from psycopg.pq import TransactionStatus
except ImportError:  # pragma: no cover - the tests run with it installed
    driver: ModuleType | None = None
else:
    driver = psycopg

ERRORS: tuple[type[Exception], ...] = (driver.Error,) if driver is not None else ()
CONNECT_TIMEOUT = 10  # seconds: an address that does not answer is an error, not a hang


def is_postgres(database: str | None) -> bool:
    """Whether `database` (brief.database) names a PostgreSQL server rather than SQLite."""
    return bool(database) and str(database).startswith(("postgresql://", "postgres://"))


def shown(url: str) -> str:
    """The database's address as it may be printed: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class Row:
    """One row, read by column name or by position, as `sqlite3.Row` is."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: dict[str, int], values: Sequence[Any]) -> None:
        self._names = names
        self._values = values

    def __getitem__(self, key: str | int) -> Any:
        return self._values[self._names[key] if isinstance(key, str) else key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    names = {d.name: i for i, d in enumerate(cursor.description or ())}
    return lambda values: Row(names, values)


class Cursor:
    """The result of one statement: rows, the count of rows changed, and the id a row was given."""

    def __init__(self, cursor: Any, connection: Any) -> None:
        self._cursor = cursor
        self._connection = connection

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    @property
    def lastrowid(self) -> int:
        """The id given by the last INSERT into a table with an `INTEGER PRIMARY KEY` (runs)."""
        row = self._connection.execute("SELECT lastval()").fetchone()
        return int(row[0])

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall()) if self._cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


def edition_schema(url: str) -> str:
    """The schema an edition's address names (`config._edition_database`), or ""."""
    found = re.search(r"options=-csearch_path%3D(edition_[a-z0-9_]+)$", url)
    return found.group(1) if found else ""


class Connection:
    """A psycopg connection in autocommit mode, so that `BEGIN` ... `COMMIT` are the store's own,
    as with SQLite's `isolation_level=None`. Values are bound on the client (psycopg's
    ClientCursor), as SQLite binds them: a parameter needs no type for the server to infer."""

    def __init__(self, url: str) -> None:
        if driver is None:
            raise StoreError(
                "brief.database names a PostgreSQL server and psycopg is not installed",
                hint="pip install 'dailybrief[postgres]'",
            )
        try:
            self._conn = driver.connect(
                url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT,
                cursor_factory=driver.ClientCursor,
                application_name=f"dailybrief {os.getpid()}",
            )
        except driver.Error as exc:
            raise store_error(exc, url) from exc
        self._conn.row_factory = _row_factory
        self.url = url
        schema = edition_schema(url)
        if schema:  # an edition's tables: made on its first use, beside the shared ones
            self._conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")

    @property
    def in_transaction(self) -> bool:
        return bool(self._conn.info.transaction_status != TransactionStatus.IDLE)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        cur = self._conn.cursor()
        cur.execute(translate(sql, bool(parameters)), tuple(parameters) or None)
        return Cursor(cur, self._conn)

    def execute_native(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        """SQL in PostgreSQL's own dialect (placeholders `%s`), not translated: for the task
        queue's tables, which SQLite never has."""
        return self._conn.execute(sql, parameters or None)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Cursor:
        cur = self._conn.cursor()
        rows = [tuple(r) for r in rows]
        if rows:
            cur.executemany(translate(sql, True), rows)
        return Cursor(cur, self._conn)

    def close(self) -> None:
        self._conn.close()


# -- the dialect -----------------------------------------------------------------------------

_TYPES = (
    # SQLite's INTEGER PRIMARY KEY is the table's rowid: numbered by the database
    (re.compile(r"\bINTEGER PRIMARY KEY\b"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),  # SQLite's REAL is 8 bytes, PostgreSQL's 4
    (re.compile(r"\bBLOB\b"), "BYTEA"),
)
_CREATE_TABLE = re.compile(r"^\s*CREATE TABLE (\w+) \(", re.IGNORECASE)
_ADD_COLUMN = re.compile(r"^\s*ALTER TABLE \w+ ADD COLUMN\b", re.IGNORECASE)
_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT OR IGNORE INTO\b", re.IGNORECASE)
_JSON_EACH = "SELECT value FROM json_each(?)"
_LITERAL_OR_MARK = re.compile(r"'(?:[^']|'')*'|\?|%")


@functools.lru_cache(maxsize=512)
def translate(sql: str, bound: bool) -> str:
    """SQLite's spelling of one statement of the store in PostgreSQL's (`bound`: it has
    parameters, so its `%` must be doubled for psycopg)."""
    if sql.strip().upper() == "BEGIN IMMEDIATE":
        return "BEGIN"
    if _INSERT_OR_IGNORE.match(sql):
        sql = _INSERT_OR_IGNORE.sub("INSERT INTO", sql) + " ON CONFLICT DO NOTHING"
    sql = sql.replace(_JSON_EACH, "SELECT value FROM json_array_elements_text(CAST(? AS json)) AS value")
    if _CREATE_TABLE.match(sql):
        sql = _create_table(sql)
    elif _ADD_COLUMN.match(sql):
        sql = _types(sql)

    def mark(found: re.Match[str]) -> str:
        text = found.group(0)
        if text == "?":
            return "%s"
        if text == "%":
            return "%%" if bound else "%"
        return text.replace("%", "%%") if bound else text  # a string literal keeps its marks

    return _LITERAL_OR_MARK.sub(mark, sql)


def _create_table(sql: str) -> str:
    """Column types PostgreSQL has, and a `rowid` (the order rows were added, which SQLite
    keeps for every table and the store sorts by) for a table without an INTEGER PRIMARY KEY."""
    has_rowid = "INTEGER PRIMARY KEY" in sql
    sql = _types(sql)
    if not has_rowid:
        sql = _CREATE_TABLE.sub(
            lambda m: f"{m.group(0)}\n    rowid BIGINT GENERATED ALWAYS AS IDENTITY,", sql, count=1
        )
    return sql


def _types(sql: str) -> str:
    for pattern, replacement in _TYPES:
        sql = pattern.sub(replacement, sql)
    return sql


# -- errors ----------------------------------------------------------------------------------


def store_error(exc: Exception, url: str) -> BriefError:
    """The BriefError a psycopg error is: the server unreachable or refusing us, its disk full,
    the database read-only; else a StoreError naming the database (never its password)."""
    where = shown(url)
    state = getattr(exc, "sqlstate", None) or ""
    text = str(exc).strip()
    if state == "53100":  # disk_full
        return StoreError(
            f"the PostgreSQL server of {where} has no space left: {text}",
            hint="free space on the server's disk (or give it a bigger one); the briefs already "
            "archived are intact",
        )
    if state == "25006":  # read_only_sql_transaction: a standby, or default_transaction_read_only
        return StoreError(
            f"the PostgreSQL database {where} is read-only: {text}",
            hint="point brief.database at the primary server, or let this user write",
        )
    # a refused connection has no SQLSTATE in psycopg: the server's words say which it was
    if state in ("28P01", "28000") or "authentication failed" in text or "no password supplied" in text:
        return StoreError(
            f"the PostgreSQL server refused dailybrief's login to {where}: {text}",
            hint="set PGPASSWORD (or ~/.pgpass) for that user, or BRIEF_DATABASE_URL with the password",
        )
    if state == "3D000" or re.search(r'database "[^"]*" does not exist', text):
        return StoreError(
            f"the PostgreSQL database of {where} does not exist: {text}",
            hint="create it (createdb NAME, owned by the user dailybrief logs in as)",
        )
    # the server ended our session (stopped, restarted, crashed), or the connection it had is gone
    if state in ("57P01", "57P02", "57P03") or (
        driver is not None and isinstance(exc, driver.OperationalError) and _lost(text)
    ):
        return StoreError(
            f"lost the connection to the PostgreSQL server of {where} (it stopped or restarted): {text}",
            hint="what was stored before is kept: run again once the server is back (the scheduler "
            "does at its next tick), and the run goes on from there",
        )
    if driver is not None and isinstance(exc, driver.OperationalError) and not state:
        return StoreError(
            f"cannot reach the PostgreSQL server of {where}: {text}",
            hint="check that the server runs and listens there, and that brief.database (or "
            "BRIEF_DATABASE_URL) names it",
        )
    return StoreError(f"the PostgreSQL database {where} failed: {text}")


def _lost(text: str) -> bool:
    """Whether psycopg's words say the connection was lost (they carry no SQLSTATE)."""
    return any(
        said in text
        for said in ("the connection is closed", "server closed the connection", "consuming input failed")
    )


# -- advisory locks --------------------------------------------------------------------------

LOCK_SPACE = 0x64627266  # "dbrf": the first key of every advisory lock dailybrief takes
LOCKS = {"run": 1, "scheduler": 2, "migration": 3}


class AdvisoryLock:
    """A session-level `pg_try_advisory_lock` on a connection of its own, held until `release`
    (or until the process dies and the server drops its connection: a crash leaves no stale
    lock). Its holder is found by the lock's pid in `pg_stat_activity`, whose application name
    carries the holder's own pid."""

    def __init__(self, url: str, what: str) -> None:
        self.url = url
        self.key = LOCKS[what]

    def acquire(self) -> tuple[bool, str]:
        """Take the lock if no one holds it; (False, the holder's pid) when someone does."""
        self._conn = Connection(self.url)
        try:
            got = self._conn.execute("SELECT pg_try_advisory_lock(?, ?)", (LOCK_SPACE, self.key)).fetchone()[
                0
            ]
        except ERRORS as exc:
            self._conn.close()
            raise store_error(exc, self.url) from exc
        if not got:
            holder = holder_pid(self._conn, self.key)
            self._conn.close()
            return False, holder
        return True, ""

    def release(self) -> None:
        """Let the lock go (closing the connection would too; this says so at once)."""
        try:
            self._conn.execute("SELECT pg_advisory_unlock(?, ?)", (LOCK_SPACE, self.key))
        except ERRORS:  # the server went away: it let go of the lock with the connection
            pass
        finally:
            self._conn.close()


def holder_pid(conn: Connection, key: int) -> str:
    """The pid of the dailybrief process holding lock `key` ("" when no one does)."""
    row = conn.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.classid = ? AND l.objid = ? AND l.objsubid = 2 "
        "AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (LOCK_SPACE, key),
    ).fetchone()
    if row is None:
        return ""
    return str(row[0]).removeprefix("dailybrief ").strip() or "?"


def lock_holder(url: str, what: str) -> str | None:
    """The pid of the process holding the `what` lock of the database at `url` (None: no one)."""
    conn = Connection(url)
    try:
        pid = holder_pid(conn, LOCKS[what])
    except ERRORS as exc:
        raise store_error(exc, url) from exc
    finally:
        conn.close()
    return pid or None

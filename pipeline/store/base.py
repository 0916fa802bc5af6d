"""What every area of the store shares: the connection, its transactions, and how times are kept.

The connection is SQLite's, or `postgres.Connection` speaking the same part of its interface:
every area's queries are written once, for both.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pipeline.errors import BriefError, CorruptStoreError, StoreError, storage_problem
from pipeline.store import postgres

ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, *postgres.ERRORS)  # what a query may raise


class Row(Protocol):
    """One row of a query: `sqlite3.Row`, or `postgres.Row`; read by column name or position."""

    def __getitem__(self, key: str | int, /) -> Any: ...


class Cursor(Protocol):
    """What a statement gives back, with SQLite or PostgreSQL."""

    @property
    def rowcount(self) -> int: ...
    @property
    def lastrowid(self) -> int | None: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Any: ...


class Connection(Protocol):
    """The part of `sqlite3.Connection` the store uses; `postgres.Connection` has it too."""

    @property
    def in_transaction(self) -> bool: ...
    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...
    def executemany(self, sql: str, parameters: Any, /) -> Cursor: ...
    def close(self) -> None: ...


class Database:
    """The open state database; each area of the store (feeds, articles, ...) adds its queries."""

    path: Path  # the SQLite file (with PostgreSQL: where it would be, in the state folder)
    url: str | None  # the PostgreSQL database's address; None for SQLite
    db: Connection

    @property
    def on_postgres(self) -> bool:
        """Whether the state is in PostgreSQL rather than SQLite."""
        return self.url is not None

    @property
    def where(self) -> str:
        """The database as a user should see it named: the SQLite file, or the server's
        address without its password."""
        return postgres.shown(self.url) if self.url is not None else str(self.path)

    def error(self, exc: Exception) -> BriefError:
        """The BriefError a database error is, for either engine."""
        if isinstance(exc, sqlite3.Error) or self.url is None:
            return store_error(exc, self.path)
        return postgres.store_error(exc, self.url)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One `BEGIN IMMEDIATE` transaction (PostgreSQL: `BEGIN`, read committed; a row two
        processes may both change is locked by the query that reads it): committed when the
        block ends, rolled back if it raises. A full, read-only or damaged database is raised as
        the BriefError it is.

        Inside another one, the block is part of it: several writes that must hold together
        (what a send records in the outbox and the slot ledger) are one transaction."""
        if self.db.in_transaction:
            yield self.db
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
            try:
                self.db.execute("COMMIT")
            except ERRORS:
                # a COMMIT SQLite did not roll back itself (busy, I/O): undone here, or every
                # later transaction on this connection would join this one and never commit
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        except ERRORS as exc:
            raise self.error(exc) from exc


def store_error(exc: Exception, path: Path) -> BriefError:
    """The BriefError a SQLite error of the state database at `path` is: the disk full, the
    file read-only or not ours, the file not a database or damaged; else a StoreError."""
    text = str(exc).lower()
    folder = path.parent
    if "disk is full" in text or "database or disk is full" in text:
        return storage_problem("full", folder, "state", str(exc))
    if "readonly" in text or "read-only" in text:
        return storage_problem("read-only", folder, "state", str(exc))
    if "unable to open" in text and folder.is_dir() and not os.access(folder, os.W_OK):
        return storage_problem("no permission", folder, "state", str(exc))
    if "unable to open" in text:
        return StoreError(
            f"cannot open the state database {path}: {exc}",
            hint=f"check that {path} is a file dailybrief can read and write",
        )
    if "not a database" in text or "malformed" in text or "disk image" in text:
        return CorruptStoreError(path, str(exc))
    if "disk i/o error" in text:  # SQLite's word for a write the disk refused: often, no room left
        if _free_bytes(folder) < LOW_ROOM:
            return storage_problem("full", folder, "state", str(exc))
        return StoreError(
            f"the state database {path} failed: {exc}",
            hint=f"the disk under {folder} refused a write: check that it has room and is healthy",
        )
    return StoreError(f"the state database {path} failed: {exc}")


LOW_ROOM = 1_000_000  # bytes: a disk with less than this free is full, for a database


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return LOW_ROOM


def to_text(value: datetime | None) -> str | None:
    """A time as stored: ISO 8601 in UTC, so that stored times sort as text."""
    return value.astimezone(UTC).isoformat() if value is not None else None


def from_text(value: str | None) -> datetime | None:
    """A stored time read back (None or "" is no time)."""
    return datetime.fromisoformat(value) if value else None

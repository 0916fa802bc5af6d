"""What every area of the store shares: the connection, its transactions, and how times are kept."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import BriefError, CorruptStoreError, StoreError, storage_problem


class Database:
    """The open state database; each area of the store (feeds, articles, ...) adds its queries."""

    path: Path
    db: sqlite3.Connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One `BEGIN IMMEDIATE` transaction: committed when the block ends, rolled back if it
        raises. A full, read-only or damaged database is raised as the BriefError it is.

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
            except sqlite3.Error:
                # a COMMIT SQLite did not roll back itself (busy, I/O): undone here, or every
                # later transaction on this connection would join this one and never commit
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise store_error(exc, self.path) from exc


def store_error(exc: sqlite3.Error, path: Path) -> BriefError:
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

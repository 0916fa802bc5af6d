"""What every area of the store shares: the connection, its transactions, and how times are kept."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


class Database:
    """The open state database; each area of the store (feeds, articles, ...) adds its queries."""

    path: Path
    db: sqlite3.Connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One `BEGIN IMMEDIATE` transaction: committed when the block ends, rolled back if it raises."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


def to_text(value: datetime | None) -> str | None:
    """A time as stored: ISO 8601 in UTC, so that stored times sort as text."""
    return value.astimezone(UTC).isoformat() if value is not None else None


def from_text(value: str | None) -> datetime | None:
    """A stored time read back (None or "" is no time)."""
    return datetime.fromisoformat(value) if value else None

"""The state database: SQLite in WAL mode, schema versioned with `PRAGMA user_version`; or,
when `brief.database` names one, a PostgreSQL database with the same schema and queries.

All SQL of dailybrief lives in this package, one module per area:

    schema.py    the numbered migrations
    feeds.py     feeds, their entries, paused hosts
    articles.py  articles, and which brief showed each
    threads.py   thread memberships, timelines, what each thread has shown
    ledger.py    runs, slots, deliveries, the service's heartbeat, archived briefs
    records.py   the states of runs, slots and deliveries, and the records the store returns
    pages.py     what the archive's pages show of each brief and thread
    subscribers.py  subscribers, and each one's message of each brief
    postgres.py  the PostgreSQL connection: SQLite's SQL in its dialect, errors, advisory locks

`Store` is all of them over one connection. Each write is one explicit `BEGIN IMMEDIATE`
transaction, so a crash loses at most the stage in flight. Queries return the frozen
dataclasses of `pipeline.models` and `records.py`, never database rows.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline.errors import StoreError, storage_error
from pipeline.store import postgres
from pipeline.store.articles import ArticleStore
from pipeline.store.base import ERRORS, store_error
from pipeline.store.feeds import FeedStore
from pipeline.store.ledger import Ledger
from pipeline.store.pages import ArchivePages
from pipeline.store.schema import MIGRATIONS, TABLES, migrate
from pipeline.store.subscribers import SubscriberStore
from pipeline.store.threads import ThreadStore

__all__ = ["MIGRATIONS", "Store"]


class Store(FeedStore, ArticleStore, ThreadStore, Ledger, ArchivePages, SubscriberStore):
    """Open (creating and migrating) the state database in `state_dir`, or the PostgreSQL
    database at `database` (a `postgresql://` address) when one is given."""

    def __init__(self, state_dir: Path, database: str | None = None) -> None:
        self.path = state_dir / "dailybrief.sqlite3"
        self.url = database if postgres.is_postgres(database) else None
        if self.url is not None:
            self.db = postgres.Connection(self.url)
        else:
            self.db = _open_sqlite(state_dir, self.path)
        try:
            migrate(self)
        except BaseException as exc:
            self.db.close()
            if isinstance(exc, ERRORS):
                raise self.error(exc) from exc
            raise

    def close(self) -> None:
        """Close the connection; the store is not used after."""
        self.db.close()

    def close_as_one_file(self) -> None:
        """Close, with everything in the database file itself (no -wal beside it): a file that
        can be moved into place whole (`brief recover`). The next open goes back to WAL. With
        PostgreSQL there is no file of ours: it only closes."""
        try:
            if not self.on_postgres:
                self.db.execute("PRAGMA journal_mode=DELETE")
        except ERRORS as exc:
            raise self.error(exc) from exc
        finally:
            self.db.close()

    def damage(self) -> str:
        """What the database's own check finds wrong ("" when nothing is): SQLite's quick_check;
        with PostgreSQL, whose pages the server checks itself, that every table reads."""
        try:
            if self.on_postgres:
                for table in TABLES:
                    self.db.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - constants
                return ""
            rows = [str(r[0]) for r in self.db.execute("PRAGMA quick_check").fetchall()]
        except ERRORS as exc:
            return str(exc)
        return "" if rows == ["ok"] else "; ".join(rows[:3])


def _open_sqlite(state_dir: Path, path: Path) -> sqlite3.Connection:
    """The SQLite file in the state folder, opened in WAL mode (made when it is not there)."""
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=5, isolation_level=None)
    except OSError as exc:
        found = storage_error(exc, {"state": state_dir})
        raise found or StoreError(f"cannot open the state database in {state_dir}: {exc}") from exc
    except sqlite3.Error as exc:
        raise store_error(exc, path) from exc
    try:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=5000")
    except sqlite3.Error as exc:
        db.close()
        raise store_error(exc, path) from exc
    return db

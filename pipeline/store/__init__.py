"""The state database: SQLite in WAL mode, schema versioned with `PRAGMA user_version`.

All SQL of dailybrief lives in this package, one module per area:

    schema.py    the numbered migrations
    feeds.py     feeds, their entries, paused hosts
    articles.py  articles, and which brief showed each
    threads.py   thread memberships, timelines, what each thread has shown
    ledger.py    runs, slots, deliveries, the service's heartbeat, archived briefs
    records.py   the states of runs, slots and deliveries, and the records the store returns
    pages.py     what the archive's pages show of each brief and thread
    subscribers.py  subscribers, and each one's message of each brief

`Store` is all of them over one connection. Each write is one explicit `BEGIN IMMEDIATE`
transaction, so a crash loses at most the stage in flight. Queries return the frozen
dataclasses of `pipeline.models` and `records.py`, never SQLite rows.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline.errors import StoreError, storage_error
from pipeline.store.articles import ArticleStore
from pipeline.store.base import store_error
from pipeline.store.feeds import FeedStore
from pipeline.store.ledger import Ledger
from pipeline.store.pages import ArchivePages
from pipeline.store.schema import MIGRATIONS, migrate
from pipeline.store.subscribers import SubscriberStore
from pipeline.store.threads import ThreadStore

__all__ = ["MIGRATIONS", "Store"]


class Store(FeedStore, ArticleStore, ThreadStore, Ledger, ArchivePages, SubscriberStore):
    """Open (creating and migrating) the state database in `state_dir`."""

    def __init__(self, state_dir: Path) -> None:
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            self.path = state_dir / "dailybrief.sqlite3"
            self.db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        except OSError as exc:
            found = storage_error(exc, {"state": state_dir})
            raise found or StoreError(f"cannot open the state database in {state_dir}: {exc}") from exc
        except sqlite3.Error as exc:
            raise store_error(exc, state_dir / "dailybrief.sqlite3") from exc
        try:
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA busy_timeout=5000")
            migrate(self)
        except BaseException as exc:
            self.db.close()
            if isinstance(exc, sqlite3.Error):
                raise store_error(exc, self.path) from exc
            raise

    def close(self) -> None:
        """Close the connection; the store is not used after."""
        self.db.close()

    def close_as_one_file(self) -> None:
        """Close, with everything in the database file itself (no -wal beside it): a file that
        can be moved into place whole (`brief recover`). The next open goes back to WAL."""
        try:
            self.db.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as exc:
            raise store_error(exc, self.path) from exc
        finally:
            self.db.close()

    def damage(self) -> str:
        """What SQLite's own check finds wrong in the database ("" when nothing is)."""
        try:
            rows = [str(r[0]) for r in self.db.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.Error as exc:
            return str(exc)
        return "" if rows == ["ok"] else "; ".join(rows[:3])

"""The schema: numbered migrations, each applied in its own transaction.

`PRAGMA user_version` (PostgreSQL: the one row of `schema_version`) is the number of
migrations applied. Opening a database made by an older dailybrief backs it up
(`dailybrief.v<N>.bak`; with PostgreSQL, whose DDL is transactional, a migration that fails
leaves nothing behind, and backups are the server's: pg_dump) and applies the missing ones in
order; one made by a newer dailybrief is refused. The migrations are SQLite's SQL, which
`postgres.translate` turns into PostgreSQL's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager

from pipeline.errors import StoreError
from pipeline.store import postgres
from pipeline.store.base import Connection, Database


def _migration_1(db: Connection) -> None:
    _script(
        db,
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            slot TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,          -- running | done | failed
            stats TEXT,
            error TEXT
        );
        CREATE TABLE feeds (
            url TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            last_attempt TEXT,
            last_success TEXT,
            last_error TEXT,
            last_error_kind TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE entries (
            feed_url TEXT NOT NULL REFERENCES feeds(url),
            entry_id TEXT NOT NULL,
            link TEXT NOT NULL,
            title TEXT NOT NULL,
            summary TEXT NOT NULL,
            published TEXT,
            author TEXT NOT NULL DEFAULT '',
            first_seen TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',   -- pending | done
            article_id TEXT,
            PRIMARY KEY (feed_url, entry_id)
        );
        CREATE INDEX entries_pending ON entries(status) WHERE status = 'pending';
        CREATE TABLE articles (
            id TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            canonical_url TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL,
            title TEXT NOT NULL,
            author TEXT NOT NULL,
            published TEXT,
            text TEXT NOT NULL,
            extracted INTEGER NOT NULL,
            found_at TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            stored_at TEXT NOT NULL
        );
        CREATE TABLE memberships (
            thread_id TEXT NOT NULL,
            article_id TEXT NOT NULL REFERENCES articles(id),
            thread_title TEXT NOT NULL,
            kind TEXT NOT NULL,
            score REAL NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            PRIMARY KEY (thread_id, article_id)
        );
        CREATE TABLE briefs (
            id TEXT PRIMARY KEY,
            slot TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            path TEXT NOT NULL,
            headline TEXT NOT NULL,
            threads TEXT NOT NULL,
            articles INTEGER NOT NULL,
            message_id TEXT,
            delivered TEXT,
            created_at TEXT NOT NULL
        );
        """,
    )


def _script(db: Connection, sql: str) -> None:
    # executescript() would COMMIT first; one statement at a time stays in our transaction
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def _migration_2(db: Connection) -> None:
    """Feed health (backoff, 410, permanent moves), host pauses, and flagged dates."""
    _script(
        db,
        """
        ALTER TABLE feeds ADD COLUMN next_attempt TEXT;
        ALTER TABLE feeds ADD COLUMN disabled TEXT;
        ALTER TABLE feeds ADD COLUMN moved_to TEXT;
        CREATE TABLE hosts (
            host TEXT PRIMARY KEY,
            paused_until TEXT NOT NULL,
            reason TEXT NOT NULL
        );
        ALTER TABLE entries ADD COLUMN date_note TEXT NOT NULL DEFAULT '';
        ALTER TABLE articles ADD COLUMN date_note TEXT NOT NULL DEFAULT ''
        """,
    )


def _migration_3(db: Connection) -> None:
    """The slot ledger, the delivery outbox, the scheduler's heartbeat, and which brief
    showed each article (so a brief rebuilt after a crash shows the same articles)."""
    _script(
        db,
        """
        ALTER TABLE articles ADD COLUMN brief_id TEXT;
        UPDATE articles SET brief_id = 'before-schema-3';
        CREATE INDEX articles_brief ON articles(brief_id);
        CREATE TABLE slots (
            slot TEXT PRIMARY KEY,             -- 2026-11-23T1500Z
            state TEXT NOT NULL,               -- running | built | delivered | failed | skipped
            brief_id TEXT,
            covered_by TEXT,                   -- for a skipped slot: the brief that covered it
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE deliveries (
            brief_id TEXT PRIMARY KEY,
            message_id TEXT NOT NULL,
            eml_path TEXT NOT NULL,
            state TEXT NOT NULL,               -- built | sending | sent | written | failed
            attempts INTEGER NOT NULL DEFAULT 0,
            sends INTEGER NOT NULL DEFAULT 0,  -- messages accepted by a server, over all time
            last_error TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE service (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )
        """,
    )


def _migration_4(db: Connection) -> None:
    """Keep each brief's data and message, so the archive can be rebuilt from the database."""
    _script(
        db,
        """
        ALTER TABLE briefs ADD COLUMN data TEXT;
        ALTER TABLE briefs ADD COLUMN message BLOB
        """,
    )


def _migration_5(db: Connection) -> None:
    """Each thread's timeline, so it grows across briefs."""
    _script(
        db,
        """
        CREATE TABLE events (
            thread_id TEXT NOT NULL,
            date TEXT NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            article_id TEXT NOT NULL,
            cited TEXT NOT NULL,
            PRIMARY KEY (thread_id, date, text)
        )
        """,
    )


def _migration_6(db: Connection) -> None:
    """What each thread has shown readers, so a later brief does not repeat it."""
    _script(
        db,
        """
        CREATE TABLE shown (
            thread_id TEXT NOT NULL,
            key TEXT NOT NULL,                 -- "figure:<value>" or "sentence:<normalised text>"
            brief_id TEXT NOT NULL,
            PRIMARY KEY (thread_id, key)
        )
        """,
    )


def _migration_7(db: Connection) -> None:
    """Drop the briefs' `message_id` and `delivered`, written and never read: the outbox's
    deliveries table is what says whether and how a brief was sent."""
    # the table is rebuilt rather than ALTER TABLE ... DROP COLUMN, which needs SQLite 3.35
    # (2021) and some distributions' Python still links an older one; no index, view or
    # trigger names the table, and no table refers to it
    _script(
        db,
        """
        CREATE TABLE briefs_v7 (
            id TEXT PRIMARY KEY,
            slot TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            path TEXT NOT NULL,
            headline TEXT NOT NULL,
            threads TEXT NOT NULL,
            articles INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            data TEXT,
            message BLOB
        );
        INSERT INTO briefs_v7 (id, slot, run_id, path, headline, threads, articles, created_at, data, message)
            SELECT id, slot, run_id, path, headline, threads, articles, created_at, data, message FROM briefs;
        DROP TABLE briefs;
        ALTER TABLE briefs_v7 RENAME TO briefs
        """,
    )


def _migration_8(db: Connection) -> None:
    """What the archive's lists show of each brief, and each thread's appearances, so a run
    writes the pages it changes without reading every brief kept."""
    _script(
        db,
        """
        ALTER TABLE briefs ADD COLUMN summarised INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX briefs_unsummarised ON briefs(id) WHERE data IS NOT NULL AND summarised = 0;
        CREATE TABLE summaries (
            brief_id TEXT PRIMARY KEY,
            slot TEXT NOT NULL,
            month TEXT NOT NULL,               -- 2026-04, UTC
            summary TEXT NOT NULL              -- what the index, month pages and feed show, as JSON
        );
        CREATE INDEX summaries_slot ON summaries(slot, brief_id);
        CREATE INDEX summaries_month ON summaries(month);
        CREATE TABLE appearances (
            brief_id TEXT NOT NULL,
            position INTEGER NOT NULL,         -- the digest's place on the brief's page
            thread_id TEXT NOT NULL,
            digest TEXT NOT NULL,              -- the thread's digest in that brief, as JSON
            PRIMARY KEY (brief_id, position)
        );
        CREATE INDEX appearances_thread ON appearances(thread_id)
        """,
    )


def _migration_9(db: Connection) -> None:
    """Why each article was filed under its thread, for `brief why`."""
    _script(db, "ALTER TABLE memberships ADD COLUMN why TEXT NOT NULL DEFAULT ''")


def _migration_10(db: Connection) -> None:
    """The role each person or organisation of a thread was given, kept for later briefs."""
    _script(
        db,
        """
        CREATE TABLE roles (
            thread_id TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            role TEXT NOT NULL,
            text TEXT NOT NULL,                -- the sentence the role is quoted from
            article_id TEXT NOT NULL,
            PRIMARY KEY (thread_id, name)
        )
        """,
    )


def _migration_11(db: Connection) -> None:
    """Each timeline event's title, so an event kept from an earlier brief keeps it."""
    _script(db, "ALTER TABLE events ADD COLUMN title TEXT NOT NULL DEFAULT ''")


def _migration_12(db: Connection) -> None:
    """Subscribers (seeded from `delivery.to`), and each one's message of each brief: one
    message per subscriber, delivered once each."""
    _script(
        db,
        """
        CREATE TABLE subscribers (
            key TEXT PRIMARY KEY,              -- the address in lower case: one subscriber per address
            address TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,              -- active | unsubscribed | bounced
            added_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE recipients (
            brief_id TEXT NOT NULL,
            key TEXT NOT NULL,
            address TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL,               -- pending | sent | deferred | failed | dropped
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (brief_id, key)
        )
        """,
    )


def _migration_13(db: Connection) -> None:
    """Double opt-in: a subscriber may be `pending` (asked, not confirmed), and the time the last
    confirmation mail went to each address, so the subscribe form mails one address at most
    once an hour whoever asks."""
    _script(db, "ALTER TABLE subscribers ADD COLUMN mailed_at TEXT")


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
    _migration_7,
    _migration_8,
    _migration_9,
    _migration_10,
    _migration_11,
    _migration_12,
    _migration_13,
)

# every table of the latest schema (what `brief check` reads through on PostgreSQL)
TABLES = (
    "runs", "feeds", "entries", "articles", "memberships", "briefs", "hosts", "slots", "deliveries",
    "service", "events", "shown", "summaries", "appearances", "roles", "subscribers", "recipients",
)  # fmt: skip


def migrate(database: Database) -> None:
    """Bring the open database to the latest schema, backing it up first if it had an older one."""
    with _alone(database):
        version = _version(database)
        if version > len(MIGRATIONS):
            raise StoreError(
                f"the state database is schema {version}, newer than this dailybrief ({len(MIGRATIONS)})",
                hint="upgrade dailybrief, or point brief.state (or brief.database) at another one",
            )
        if version < len(MIGRATIONS) and version > 0 and isinstance(database.db, sqlite3.Connection):
            backup = database.path.with_suffix(f".v{version}.bak")
            with closing(sqlite3.connect(backup)) as dst:
                database.db.backup(dst)
        for number in range(version, len(MIGRATIONS)):
            with database.transaction() as tx:
                MIGRATIONS[number](tx)
                _set_version(database, tx, number + 1)


def _version(database: Database) -> int:
    if not database.on_postgres:
        return int(database.db.execute("PRAGMA user_version").fetchone()[0])
    database.db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = database.db.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row is not None else 0


def _set_version(database: Database, tx: Connection, version: int) -> None:
    if not database.on_postgres:
        tx.execute(f"PRAGMA user_version = {version}")
        return
    tx.execute("DELETE FROM schema_version")
    tx.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))


@contextmanager
def _alone(database: Database) -> Iterator[None]:
    """Two processes opening a new PostgreSQL database at once migrate it once: the second
    waits for the first, then finds it done."""
    if not database.on_postgres:
        yield
        return
    lock = (postgres.LOCK_SPACE, postgres.LOCKS["migration"])
    database.db.execute("SELECT pg_advisory_lock(?, ?)", lock)
    try:
        yield
    finally:
        database.db.execute("SELECT pg_advisory_unlock(?, ?)", lock)

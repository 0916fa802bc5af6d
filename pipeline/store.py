"""The state database: SQLite in WAL mode, schema versioned with `PRAGMA user_version`.

All SQL of dailybrief lives here. Each write is one explicit `BEGIN IMMEDIATE` transaction, so a
crash loses at most the stage in flight: a feed's validators are committed together with its
new entries, and an entry stays `pending` until its article is stored.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .errors import StoreError
from .models import (
    ArchivedBrief,
    Article,
    FeedEntry,
    FeedHealth,
    FeedState,
    Sentence,
    Thread,
    TimelineEvent,
    Validators,
)


def _migration_1(db: sqlite3.Connection) -> None:
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


def _script(db: sqlite3.Connection, sql: str) -> None:
    # executescript() would COMMIT first; one statement at a time stays in our transaction
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def _migration_2(db: sqlite3.Connection) -> None:
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


def _migration_3(db: sqlite3.Connection) -> None:
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


def _migration_4(db: sqlite3.Connection) -> None:
    """Keep each brief's data and message, so the archive can be rebuilt from the database."""
    _script(
        db,
        """
        ALTER TABLE briefs ADD COLUMN data TEXT;
        ALTER TABLE briefs ADD COLUMN message BLOB
        """,
    )


def _migration_5(db: sqlite3.Connection) -> None:
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


def _migration_6(db: sqlite3.Connection) -> None:
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


def _migration_7(db: sqlite3.Connection) -> None:
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


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
    _migration_7,
)


def _ts(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class Store:
    """Open (creating and migrating) the state database in `state_dir`."""

    def __init__(self, state_dir: Path) -> None:
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            self.path = state_dir / "dailybrief.sqlite3"
            self.db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the state database in {state_dir}: {exc}") from exc
        try:
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except BaseException as exc:
            self.db.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot open the state database in {state_dir}: {exc}") from exc
            raise

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"the state database is schema {version}, newer than this dailybrief ({len(MIGRATIONS)})",
                hint="upgrade dailybrief, or point brief.state at another folder",
            )
        if version < len(MIGRATIONS) and version > 0:
            backup = self.path.with_suffix(f".v{version}.bak")
            with closing(sqlite3.connect(backup)) as dst:
                self.db.backup(dst)
        for number in range(version, len(MIGRATIONS)):
            with self.transaction() as db:
                MIGRATIONS[number](db)
                db.execute(f"PRAGMA user_version = {number + 1}")

    # -- runs ---------------------------------------------------------------------------------

    def start_run(self, slot: str, now: datetime) -> int:
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO runs (slot, started_at, status) VALUES (?, ?, 'running')",
                (slot, _ts(now)),
            )
            return int(cur.lastrowid or 0)

    def finish_run(
        self, run_id: int, now: datetime, status: str, stats: dict[str, object], error: str = ""
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, stats = ?, error = ? WHERE id = ?",
                (_ts(now), status, json.dumps(stats), error or None, run_id),
            )

    def last_run(self) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM runs WHERE status != 'running' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return row

    # -- feeds and entries ----------------------------------------------------------------------

    def feed_state(self, url: str) -> FeedState:
        """What the next fetch of a feed needs: validators, backoff, disabled, moved."""
        row = self.db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        if row is None:
            return FeedState()
        return FeedState(
            validators=Validators(row["etag"], row["last_modified"]),
            failures=int(row["consecutive_failures"]),
            next_attempt=_dt(row["next_attempt"]),
            disabled=row["disabled"],
            moved_to=row["moved_to"],
        )

    def paused_hosts(self, now: datetime) -> dict[str, tuple[datetime, str]]:
        """Hosts that asked us to wait (429/503 Retry-After), with until when and why."""
        rows = self.db.execute("SELECT * FROM hosts WHERE paused_until > ?", (_ts(now),)).fetchall()
        return {r["host"]: (datetime.fromisoformat(r["paused_until"]), r["reason"]) for r in rows}

    def pause_host(self, host: str, until: datetime, reason: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO hosts (host, paused_until, reason) VALUES (?, ?, ?) ON CONFLICT(host) "
                "DO UPDATE SET paused_until = excluded.paused_until, reason = excluded.reason",
                (host, _ts(until), reason),
            )

    def record_feed_moved(self, url: str, name: str, now: datetime, moved_to: str) -> None:
        """A permanent redirect: fetch `moved_to` from now on (the user is told to update)."""
        with self.transaction() as db:
            self._upsert_feed(db, url, name, now)
            db.execute("UPDATE feeds SET moved_to = ? WHERE url = ?", (moved_to, url))

    def _upsert_feed(self, db: sqlite3.Connection, url: str, name: str, now: datetime) -> None:
        db.execute(
            "INSERT INTO feeds (url, name, last_attempt) VALUES (?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET name = excluded.name, last_attempt = excluded.last_attempt",
            (url, name, _ts(now)),
        )

    def record_feed_success(
        self,
        url: str,
        name: str,
        now: datetime,
        validators: Validators | None,
        entries: Iterable[FeedEntry],
    ) -> list[FeedEntry]:
        """Store the feed's unseen entries and its validators in one transaction; return the new ones.

        `validators` None means "keep the stored ones" (a 304 without new validators).
        """
        new: list[FeedEntry] = []
        with self.transaction() as db:
            self._upsert_feed(db, url, name, now)
            for e in entries:
                cur = db.execute(
                    "INSERT OR IGNORE INTO entries (feed_url, entry_id, link, title, summary, "
                    "published, author, first_seen, date_note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        url,
                        e.entry_id,
                        e.link,
                        e.title,
                        e.summary,
                        _ts(e.published),
                        e.author,
                        _ts(now),
                        e.date_note,
                    ),
                )
                if cur.rowcount:
                    new.append(e)
            if validators is not None:
                db.execute(
                    "UPDATE feeds SET etag = ?, last_modified = ? WHERE url = ?",
                    (validators.etag, validators.last_modified, url),
                )
            db.execute(
                "UPDATE feeds SET last_success = ?, last_error = NULL, last_error_kind = NULL, "
                "consecutive_failures = 0, next_attempt = NULL WHERE url = ?",
                (_ts(now), url),
            )
        return new

    def record_feed_failure(
        self,
        url: str,
        name: str,
        now: datetime,
        error: str,
        kind: str,
        *,
        next_attempt: datetime | None = None,
        disabled: str | None = None,
    ) -> None:
        """Record a failed fetch or parse; entries already seen are kept (never pruned on error)."""
        with self.transaction() as db:
            self._upsert_feed(db, url, name, now)
            db.execute(
                "UPDATE feeds SET last_error = ?, last_error_kind = ?, next_attempt = ?, "
                "disabled = COALESCE(?, disabled), consecutive_failures = consecutive_failures + 1 "
                "WHERE url = ?",
                (error, kind, _ts(next_attempt), disabled, url),
            )

    def pending_entries(self) -> list[FeedEntry]:
        """Entries seen but not yet turned into an article (this run's, or a crashed run's)."""
        rows = self.db.execute(
            "SELECT * FROM entries WHERE status = 'pending' ORDER BY first_seen, rowid"
        ).fetchall()
        return [
            FeedEntry(
                feed_url=r["feed_url"],
                entry_id=r["entry_id"],
                link=r["link"],
                title=r["title"],
                summary=r["summary"],
                published=_dt(r["published"]),
                author=r["author"],
                date_note=r["date_note"],
            )
            for r in rows
        ]

    def feed_health(self) -> list[FeedHealth]:
        rows = self.db.execute(
            "SELECT f.*, (SELECT COUNT(*) FROM entries e WHERE e.feed_url = f.url) AS seen "
            "FROM feeds f ORDER BY f.name"
        ).fetchall()
        return [
            FeedHealth(
                url=r["url"],
                name=r["name"],
                last_success=_dt(r["last_success"]),
                last_error=r["last_error"],
                last_error_kind=r["last_error_kind"],
                entries_seen=int(r["seen"]),
                failures=int(r["consecutive_failures"]),
                next_attempt=_dt(r["next_attempt"]),
                disabled=r["disabled"],
                moved_to=r["moved_to"],
            )
            for r in rows
        ]

    # -- articles -------------------------------------------------------------------------------

    def known_canonical_urls(self, urls: Iterable[str]) -> dict[str, str]:
        """Map each already-stored canonical URL among `urls` to its article id."""
        rows = self.db.execute(
            "SELECT canonical_url, id FROM articles WHERE canonical_url IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(set(urls))),),
        )
        return {r["canonical_url"]: r["id"] for r in rows}

    def save_articles(
        self, articles: Iterable[Article], run_id: int, now: datetime, entries: dict[str, list[FeedEntry]]
    ) -> None:
        """Store articles and mark the entries they came from done, in one transaction.

        `entries` maps an article id to the feed entries it absorbed (itself and its duplicates).
        """
        with self.transaction() as db:
            for a in articles:
                db.execute(
                    "INSERT INTO articles (id, url, canonical_url, source, title, author, published, "
                    "text, extracted, found_at, run_id, stored_at, date_note) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET found_at = excluded.found_at",
                    (
                        a.id,
                        a.url,
                        a.canonical_url,
                        a.source,
                        a.title,
                        a.author,
                        _ts(a.published),
                        a.text,
                        int(a.extracted),
                        json.dumps([list(c) for c in a.found_at]),
                        run_id,
                        _ts(now),
                        a.date_note,
                    ),
                )
            self._mark_done(db, entries)

    def mark_entries_done(self, entries: dict[str, list[FeedEntry]]) -> None:
        """Mark entries whose article is already stored (a re-post of a known URL) as done."""
        with self.transaction() as db:
            self._mark_done(db, entries)

    @staticmethod
    def _mark_done(db: sqlite3.Connection, entries: dict[str, list[FeedEntry]]) -> None:
        for article_id, group in entries.items():
            for e in group:
                db.execute(
                    "UPDATE entries SET status = 'done', article_id = ? WHERE feed_url = ? AND entry_id = ?",
                    (article_id, e.feed_url, e.entry_id),
                )

    def articles(self, ids: Iterable[str]) -> list[Article]:
        out = []
        for article_id in ids:
            row = self.db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row:
                out.append(_article(row))
        return out

    def recent_articles(self, since: datetime, exclude_run: int) -> list[Article]:
        """Articles stored since `since` by earlier runs: context for dedupe and threading."""
        rows = self.db.execute(
            "SELECT * FROM articles WHERE stored_at >= ? AND run_id != ? ORDER BY stored_at",
            (_ts(since), exclude_run),
        ).fetchall()
        return [_article(r) for r in rows]

    # -- threads --------------------------------------------------------------------------------

    def thread_members(self) -> dict[str, list[str]]:
        """Article ids already filed under each thread, oldest first."""
        out: dict[str, list[str]] = {}
        for r in self.db.execute("SELECT thread_id, article_id FROM memberships ORDER BY rowid"):
            out.setdefault(r["thread_id"], []).append(r["article_id"])
        return out

    def save_memberships(self, threads: Iterable[Thread], run_id: int) -> None:
        with self.transaction() as db:
            for t in threads:
                scores = t.scores or tuple(1.0 for _ in t.article_ids)
                filed = [*zip(t.article_ids, scores, strict=True), *((i, 0.0) for i in t.joined)]
                for article_id, score in filed:
                    db.execute(
                        "INSERT OR IGNORE INTO memberships (thread_id, article_id, thread_title, kind, "
                        "score, run_id) VALUES (?, ?, ?, ?, ?, ?)",
                        (t.id, article_id, t.title, t.kind, score, run_id),
                    )

    def unbriefed_articles(self, brief_id: str) -> list[Article]:
        """Articles no brief has shown yet, and those this brief showed before (a rebuild)."""
        rows = self.db.execute(
            "SELECT * FROM articles WHERE brief_id IS NULL OR brief_id = ? ORDER BY stored_at, rowid",
            (brief_id,),
        ).fetchall()
        return [_article(r) for r in rows]

    def has_unbriefed_articles(self, brief_id: str) -> bool:
        """Whether `unbriefed_articles` would return any, without reading them."""
        row = self.db.execute(
            "SELECT 1 FROM articles WHERE brief_id IS NULL OR brief_id = ? LIMIT 1", (brief_id,)
        ).fetchone()
        return row is not None

    def mark_briefed(self, article_ids: Iterable[str], brief_id: str) -> None:
        with self.transaction() as db:
            for article_id in article_ids:
                db.execute("UPDATE articles SET brief_id = ? WHERE id = ?", (brief_id, article_id))

    def thread_events(self, thread_id: str) -> list[TimelineEvent]:
        """The thread's timeline as kept from earlier briefs, oldest first."""
        rows = self.db.execute(
            "SELECT * FROM events WHERE thread_id = ? ORDER BY date, rowid", (thread_id,)
        ).fetchall()
        return [
            TimelineEvent(
                date=r["date"],
                kind=r["kind"],
                text=Sentence(r["text"], r["article_id"]),
                cited=tuple((str(s), str(u)) for s, u in json.loads(r["cited"])),
            )
            for r in rows
        ]

    def save_thread_events(self, thread_id: str, events: Iterable[TimelineEvent]) -> None:
        with self.transaction() as db:
            for e in events:
                db.execute(
                    "INSERT INTO events (thread_id, date, kind, text, article_id, cited) "
                    "VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(thread_id, date, text) DO UPDATE SET cited = excluded.cited",
                    (
                        thread_id,
                        e.date,
                        e.kind,
                        e.text.text,
                        e.text.article_id,
                        json.dumps([list(c) for c in e.cited]),
                    ),
                )

    def shown_before(self, thread_id: str, brief_id: str) -> set[str]:
        """What earlier briefs showed of this thread (keys as `remember_shown` stored them)."""
        rows = self.db.execute(
            "SELECT key FROM shown WHERE thread_id = ? AND brief_id != ?", (thread_id, brief_id)
        ).fetchall()
        return {str(r["key"]) for r in rows}

    def remember_shown(self, thread_id: str, keys: Iterable[str], brief_id: str) -> None:
        with self.transaction() as db:
            for key in keys:
                db.execute(
                    "INSERT OR IGNORE INTO shown (thread_id, key, brief_id) VALUES (?, ?, ?)",
                    (thread_id, key, brief_id),
                )

    # -- the slot ledger ---------------------------------------------------------------------------

    def slot(self, slot: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute("SELECT * FROM slots WHERE slot = ?", (slot,)).fetchone()
        return row

    def set_slot(
        self,
        slot: str,
        state: str,
        now: datetime,
        *,
        brief_id: str | None = None,
        covered_by: str | None = None,
        error: str | None = None,
        attempt: bool = False,
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO slots (slot, state, brief_id, covered_by, attempts, error, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(slot) DO UPDATE SET state = excluded.state, "
                "brief_id = COALESCE(excluded.brief_id, brief_id), "
                "covered_by = COALESCE(excluded.covered_by, covered_by), "
                "attempts = attempts + excluded.attempts, error = excluded.error, "
                "updated_at = excluded.updated_at",
                (slot, state, brief_id, covered_by, int(attempt), error, _ts(now)),
            )

    def recent_slots(self, limit: int = 6) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM slots ORDER BY slot DESC LIMIT ?", (limit,)).fetchall()

    def last_delivered_slot(self) -> str | None:
        row = self.db.execute(
            "SELECT slot FROM slots WHERE state = 'delivered' ORDER BY slot DESC LIMIT 1"
        ).fetchone()
        return str(row["slot"]) if row else None

    # -- the delivery outbox -------------------------------------------------------------------------

    def delivery(self, brief_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM deliveries WHERE brief_id = ?", (brief_id,)
        ).fetchone()
        return row

    def set_delivery(
        self,
        brief_id: str,
        state: str,
        now: datetime,
        *,
        message_id: str | None = None,
        eml_path: str | None = None,
        error: str | None = None,
        attempt: bool = False,
        sent: bool = False,
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO deliveries (brief_id, message_id, eml_path, state, attempts, sends, last_error, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(brief_id) DO UPDATE SET "
                "message_id = COALESCE(NULLIF(excluded.message_id, ''), message_id), "
                "eml_path = COALESCE(NULLIF(excluded.eml_path, ''), eml_path), state = excluded.state, "
                "attempts = attempts + excluded.attempts, sends = sends + excluded.sends, "
                "last_error = excluded.last_error, updated_at = excluded.updated_at",
                (brief_id, message_id or "", eml_path or "", state, int(attempt), int(sent), error, _ts(now)),
            )

    def unfinished_deliveries(self) -> list[sqlite3.Row]:
        """Messages built but not known to be sent: a crash between 'built' and 'sent'."""
        return self.db.execute(
            "SELECT * FROM deliveries WHERE state IN ('built', 'sending') ORDER BY brief_id"
        ).fetchall()

    # -- the service ---------------------------------------------------------------------------------

    def set_service(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO service (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def service(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM service WHERE key = ?", (key,)).fetchone()
        return str(row["value"]) if row else None

    # -- briefs ---------------------------------------------------------------------------------

    def save_brief(self, entry: ArchivedBrief, run_id: int, now: datetime) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO briefs (id, slot, run_id, path, headline, threads, articles, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET run_id = excluded.run_id, "
                "path = excluded.path, headline = excluded.headline, threads = excluded.threads, "
                "articles = excluded.articles, created_at = excluded.created_at",
                (
                    entry.id,
                    _ts(entry.slot),
                    run_id,
                    entry.path,
                    entry.headline,
                    json.dumps(list(entry.threads)),
                    entry.articles,
                    _ts(now),
                ),
            )

    def save_brief_content(self, brief_id: str, data: str, message: bytes) -> None:
        """The brief as data (brief.json) and its message as built: what `brief rebuild` needs."""
        with self.transaction() as db:
            db.execute("UPDATE briefs SET data = ?, message = ? WHERE id = ?", (data, message, brief_id))

    def brief_contents(self) -> list[tuple[ArchivedBrief, str, bytes]]:
        """Every brief with its data and message, oldest first."""
        rows = self.db.execute("SELECT * FROM briefs WHERE data IS NOT NULL ORDER BY slot, id").fetchall()
        return [(_archived(r), str(r["data"]), bytes(r["message"] or b"")) for r in rows]

    def mark_delivered(self, brief_id: str, message_id: str, detail: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE briefs SET message_id = ?, delivered = ? WHERE id = ?",
                (message_id, detail, brief_id),
            )

    def briefs(self) -> list[ArchivedBrief]:
        """Every archived brief, newest first."""
        rows = self.db.execute("SELECT * FROM briefs ORDER BY slot DESC, id DESC").fetchall()
        return [_archived(r) for r in rows]

    def last_brief(self) -> ArchivedBrief | None:
        found = self.briefs()
        return found[0] if found else None

    # -- the archive's pages: what they show of each brief, read without parsing every brief ---
    # (the summaries and digests live apart from `briefs`, whose rows carry each brief's data:
    # a query over them never reads through that)

    def save_brief_pages(self, pages: Iterable[tuple[str, str, Iterable[tuple[str, str]]]]) -> set[str]:
        """For each (brief id, summary JSON, [(thread id, digest JSON)]) of a brief kept: keep
        the summary and replace the brief's thread appearances, all in one transaction. Returns
        the threads the briefs appeared in before (a brief made again may have left one)."""
        before: set[str] = set()
        with self.transaction() as db:
            for brief_id, summary, appearances in pages:
                rows = db.execute("SELECT thread_id FROM appearances WHERE brief_id = ?", (brief_id,))
                before.update(str(r["thread_id"]) for r in rows)
                db.execute("DELETE FROM appearances WHERE brief_id = ?", (brief_id,))
                db.executemany(
                    "INSERT INTO appearances (brief_id, position, thread_id, digest) VALUES (?, ?, ?, ?)",
                    [(brief_id, n, thread_id, digest) for n, (thread_id, digest) in enumerate(appearances)],
                )
                db.execute(
                    "INSERT OR REPLACE INTO summaries (brief_id, slot, month, summary) "
                    "SELECT id, slot, substr(slot, 1, 7), ? FROM briefs WHERE id = ?",
                    (summary, brief_id),
                )
                db.execute("UPDATE briefs SET summarised = 1 WHERE id = ?", (brief_id,))
        return before

    def briefs_without_summary(self) -> list[tuple[ArchivedBrief, str]]:
        """Briefs kept with their data but not summarised (kept before schema 7, or by a run
        that stopped in between), oldest first, with their data."""
        rows = self.db.execute(
            "SELECT * FROM briefs WHERE data IS NOT NULL AND summarised = 0 ORDER BY slot, id"
        ).fetchall()
        return [(_archived(r), str(r["data"])) for r in rows]

    def brief_months(self) -> list[tuple[str, int]]:
        """Each month with briefs ("2026-04", UTC), newest first, with its number of briefs."""
        rows = self.db.execute(
            "SELECT month, count(*) AS n FROM summaries GROUP BY month ORDER BY month DESC"
        ).fetchall()
        return [(str(r["month"]), int(r["n"])) for r in rows]

    def brief_summaries(
        self, months: Iterable[str] = (), limit: int | None = None
    ) -> list[tuple[ArchivedBrief, str]]:
        """The briefs of `months` (of every month when none is given), newest first, at most
        `limit`, each with its summary JSON."""
        wanted = list(months)
        where = f"WHERE s.month IN ({', '.join('?' * len(wanted))})" if wanted else ""
        rows = self.db.execute(
            f"SELECT {_ENTRY}, s.summary FROM summaries s JOIN briefs b ON b.id = s.brief_id {where} "  # noqa: S608 - placeholders only
            "ORDER BY s.slot DESC, s.brief_id DESC LIMIT ?",
            (*wanted, -1 if limit is None else limit),
        ).fetchall()
        return [(_archived(r), str(r["summary"])) for r in rows]

    def brief_neighbours(self, brief_id: str) -> tuple[ArchivedBrief | None, ArchivedBrief | None]:
        """The briefs kept just before and just after `brief_id`, in the archive's order."""
        row = self.db.execute("SELECT slot FROM summaries WHERE brief_id = ?", (brief_id,)).fetchone()
        if row is None:
            return None, None
        key = (row["slot"], brief_id)
        found = []
        for sql in (
            "(s.slot, s.brief_id) < (?, ?) ORDER BY s.slot DESC, s.brief_id DESC",
            "(s.slot, s.brief_id) > (?, ?) ORDER BY s.slot, s.brief_id",
        ):
            near = self.db.execute(
                f"SELECT {_ENTRY} FROM summaries s JOIN briefs b ON b.id = s.brief_id WHERE {sql} LIMIT 1",  # noqa: S608 - constants
                key,
            ).fetchone()
            found.append(_archived(near) if near else None)
        return found[0], found[1]

    def brief_data(self, brief_id: str) -> str | None:
        """One brief's data (brief.json), or None."""
        row = self.db.execute("SELECT data FROM briefs WHERE id = ?", (brief_id,)).fetchone()
        return str(row["data"]) if row and row["data"] is not None else None

    def thread_appearances(self, thread_id: str) -> list[tuple[ArchivedBrief, str]]:
        """The briefs one thread appeared in, newest first, each with the thread's digest JSON."""
        rows = self.db.execute(
            f"SELECT {_ENTRY}, a.digest FROM appearances a JOIN summaries s ON s.brief_id = a.brief_id "  # noqa: S608 - constant
            "JOIN briefs b ON b.id = a.brief_id WHERE a.thread_id = ? "
            "ORDER BY s.slot DESC, s.brief_id DESC, a.position",
            (thread_id,),
        ).fetchall()
        return [(_archived(r), str(r["digest"])) for r in rows]

    def appearing_threads(self) -> list[str]:
        """Every thread that appeared in a brief kept."""
        rows = self.db.execute("SELECT DISTINCT thread_id FROM appearances ORDER BY thread_id").fetchall()
        return [str(r["thread_id"]) for r in rows]


_ENTRY = "b.id, b.slot, b.path, b.headline, b.threads, b.articles"  # what `_archived` reads


def _archived(row: sqlite3.Row) -> ArchivedBrief:
    return ArchivedBrief(
        id=row["id"],
        slot=datetime.fromisoformat(row["slot"]),
        path=row["path"],
        headline=row["headline"],
        threads=tuple(json.loads(row["threads"])),
        articles=row["articles"],
    )


def _article(row: sqlite3.Row) -> Article:
    return Article(
        id=row["id"],
        url=row["url"],
        canonical_url=row["canonical_url"],
        source=row["source"],
        title=row["title"],
        text=row["text"],
        published=_dt(row["published"]),
        author=row["author"],
        extracted=bool(row["extracted"]),
        found_at=tuple((str(s), str(u)) for s, u in json.loads(row["found_at"])),
        date_note=row["date_note"],
    )

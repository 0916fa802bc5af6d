"""The feeds read, the entries they gave, and the hosts that asked us to wait.

A feed's validators are committed together with its new entries; an entry stays `pending`
until its article is stored (see `articles.py`), so a crash loses no entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pipeline.models import FeedEntry, FeedHealth, FeedState, Validators
from pipeline.store.base import Connection, Database, Row, from_text, to_text


class FeedStore(Database):
    """Feeds, their entries, and paused hosts."""

    def feed_state(self, url: str) -> FeedState:
        """What the next fetch of a feed needs: validators, backoff, disabled, moved."""
        row = self.db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        if row is None:
            return FeedState()
        return FeedState(
            validators=Validators(row["etag"], row["last_modified"]),
            failures=int(row["consecutive_failures"]),
            next_attempt=from_text(row["next_attempt"]),
            disabled=row["disabled"],
            moved_to=row["moved_to"],
        )

    def paused_hosts(self, now: datetime) -> dict[str, tuple[datetime, str]]:
        """Hosts that asked us to wait (429/503 Retry-After), with until when and why."""
        rows = self.db.execute("SELECT * FROM hosts WHERE paused_until > ?", (to_text(now),)).fetchall()
        return {r["host"]: (datetime.fromisoformat(r["paused_until"]), r["reason"]) for r in rows}

    def pause_host(self, host: str, until: datetime, reason: str) -> None:
        """Leave `host` alone until `until` (what it said, e.g. "HTTP 429", is kept as `reason`)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO hosts (host, paused_until, reason) VALUES (?, ?, ?) ON CONFLICT(host) "
                "DO UPDATE SET paused_until = excluded.paused_until, reason = excluded.reason",
                (host, to_text(until), reason),
            )

    def record_feed_moved(self, url: str, name: str, now: datetime, moved_to: str) -> None:
        """A permanent redirect: fetch `moved_to` from now on (the user is told to update)."""
        with self.transaction() as db:
            self._upsert_feed(db, url, name, now)
            db.execute("UPDATE feeds SET moved_to = ? WHERE url = ?", (moved_to, url))

    def _upsert_feed(self, db: Connection, url: str, name: str, now: datetime) -> None:
        db.execute(
            "INSERT INTO feeds (url, name, last_attempt) VALUES (?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET name = excluded.name, last_attempt = excluded.last_attempt",
            (url, name, to_text(now)),
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
                        to_text(e.published),
                        e.author,
                        to_text(now),
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
                (to_text(now), url),
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
                (error, kind, to_text(next_attempt), disabled, url),
            )

    def pending_entries(self, feeds: Sequence[str] = ()) -> list[FeedEntry]:
        """Entries seen but not yet turned into an article (this run's, or a crashed run's), in
        the order they were stored; with `feeds` (their addresses), those first seen at once in
        the order of their feeds there, as one process stores them: the workers of queue mode
        store a run's feeds in whatever order they finish (`pipeline/ingest/queue.py`)."""
        rows = self.db.execute(
            "SELECT * FROM entries WHERE status = 'pending' ORDER BY first_seen, rowid"
        ).fetchall()
        if feeds:
            place = {url: i for i, url in enumerate(feeds)}
            rows = sorted(rows, key=lambda r: (r["first_seen"], place.get(r["feed_url"], len(place))))
        return [_entry(r) for r in rows]

    def entry(self, feed_url: str, entry_id: str) -> FeedEntry | None:
        """One entry by its feed and id (what a worker is handed), or None when unknown."""
        row = self.db.execute(
            "SELECT * FROM entries WHERE feed_url = ? AND entry_id = ?", (feed_url, entry_id)
        ).fetchone()
        return _entry(row) if row is not None else None

    def feed_health(self) -> list[FeedHealth]:
        """Every feed ever read, by name: last success, last error, entries seen, backoff."""
        rows = self.db.execute(
            "SELECT f.*, (SELECT COUNT(*) FROM entries e WHERE e.feed_url = f.url) AS seen "
            "FROM feeds f ORDER BY f.name"
        ).fetchall()
        return [
            FeedHealth(
                url=r["url"],
                name=r["name"],
                last_success=from_text(r["last_success"]),
                last_error=r["last_error"],
                last_error_kind=r["last_error_kind"],
                entries_seen=int(r["seen"]),
                failures=int(r["consecutive_failures"]),
                next_attempt=from_text(r["next_attempt"]),
                disabled=r["disabled"],
                moved_to=r["moved_to"],
            )
            for r in rows
        ]


def _entry(r: Row) -> FeedEntry:
    return FeedEntry(
        feed_url=r["feed_url"],
        entry_id=r["entry_id"],
        link=r["link"],
        title=r["title"],
        summary=r["summary"],
        published=from_text(r["published"]),
        author=r["author"],
        date_note=r["date_note"],
    )

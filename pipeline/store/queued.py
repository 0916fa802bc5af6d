"""The task queue's tables in PostgreSQL: Procrastinate's own schema, applied once by whoever
starts first; what its workers hand back to the run that asked (each feed's error and warning,
each page's article), kept until that run takes them; and the messages its workers send, kept
while they are being sent.

Only a run in queue mode (`brief.queue`) and `brief worker` use these; SQLite never has them.
Nothing here is pickled: a job's arguments are plain ids and strings (the entry it names is read
from `entries`), and an article is kept as JSON. A page read twice (a job retried after its
worker died) is kept once: the first copy stays; a feed read twice is recorded once (its row is
claimed in the transaction that records it). A message is the bytes the run archived
(`message.eml`), so a worker on another machine needs no copy of the archive to send it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from pathlib import Path

from pipeline.models import Article
from pipeline.store.articles import article_of, article_row
from pipeline.store.feeds import FeedStore
from pipeline.store.postgres import ERRORS, LOCK_SPACE, Connection, store_error

QUEUE_LOCK = 4  # the advisory lock under which the queue's schema is applied (see postgres.LOCKS)

_ARTICLES = (
    "CREATE TABLE IF NOT EXISTS queued_articles ("
    " run_id BIGINT NOT NULL, entry_index INTEGER NOT NULL, failed BOOLEAN NOT NULL,"
    " article JSONB NOT NULL, PRIMARY KEY (run_id, entry_index))"
)
_FEEDS = (
    "CREATE TABLE IF NOT EXISTS queued_feeds ("
    " run_id BIGINT NOT NULL, feed_url TEXT NOT NULL, error TEXT, warning TEXT,"
    " PRIMARY KEY (run_id, feed_url))"
)
_MESSAGES = (
    "CREATE TABLE IF NOT EXISTS queued_messages ("
    " edition TEXT NOT NULL, brief_id TEXT NOT NULL, raw BYTEA NOT NULL, PRIMARY KEY (edition, brief_id))"
)
# the table of the first queue mode, whose articles were pickled: its rows only ever lived
# for one run, so it is dropped rather than read
_PICKLED = "DROP TABLE IF EXISTS queued_pages"


def apply_queue_schema(url: str, procrastinate_schema: str) -> None:
    """Create Procrastinate's schema and our articles table unless they exist: idempotent, and
    safe when several workers and the scheduler start together (an advisory lock orders them)."""
    conn = Connection(url)
    try:
        conn.execute("SELECT pg_advisory_lock(?, ?)", (LOCK_SPACE, QUEUE_LOCK))
        present = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()[0]
        if not present:
            conn.execute_native(procrastinate_schema)  # its own SQL, in its own dialect: not translated
        conn.execute_native(_ARTICLES)
        conn.execute_native(_FEEDS)
        conn.execute_native(_MESSAGES)
        conn.execute_native(_PICKLED)
        conn.execute("SELECT pg_advisory_unlock(?, ?)", (LOCK_SPACE, QUEUE_LOCK))
    except ERRORS as exc:
        raise store_error(exc, url) from exc
    finally:
        conn.close()


class QueuedJobs:
    """Where the queue's jobs stand, on a connection of its own."""

    def __init__(self, url: str) -> None:
        self.server = url
        self.conn = Connection(url)

    def close(self) -> None:
        self.conn.close()

    def jobs_left(self, job_ids: Sequence[int]) -> list[int]:
        """Those of these jobs still waiting or running (not done, failed for good or cancelled)."""
        try:
            rows = self.conn.execute_native(
                "SELECT id FROM procrastinate_jobs WHERE id = ANY(%s) AND status IN ('todo', 'doing')",
                (list(job_ids),),
            ).fetchall()
        except ERRORS as exc:
            raise store_error(exc, self.server) from exc
        return [int(r[0]) for r in rows]


class QueuedPages(QueuedJobs, FeedStore):
    """The feeds and articles workers have read for runs; with the feeds' queries and records
    (an entry by its id, a feed's state, the hosts that asked us to wait), which a worker needs
    too."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url
        self.path = Path()  # no SQLite file: errors name the server (`Database.error`)
        self.db = self.conn  # the feeds' queries use `db`; the queue's, `conn`

    def put(self, run_id: int, index: int, failed: bool, article: Article) -> None:
        """Keep a page's article for run `run_id`; a second copy of one page is dropped."""
        try:
            self.conn.execute_native(
                "INSERT INTO queued_articles (run_id, entry_index, failed, article) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (run_id, entry_index) DO NOTHING",
                (run_id, index, failed, json.dumps(article_row(article))),
            )
        except ERRORS as exc:
            raise store_error(exc, self.server) from exc

    def taken(self, run_id: int, known: Collection[int] = ()) -> dict[int, tuple[bool, Article]]:
        """Every page read so far for `run_id` but the `known` ones: index -> (failed, article).
        A run looks every fraction of a second: each article is read and parsed once."""
        try:
            rows = self.conn.execute_native(
                "SELECT entry_index, failed, article FROM queued_articles"
                " WHERE run_id = %s AND NOT (entry_index = ANY(%s))",
                (run_id, list(known)),
            ).fetchall()
        except ERRORS as exc:
            raise store_error(exc, self.server) from exc
        return {int(r[0]): (bool(r[1]), article_of(r[2])) for r in rows}

    def claim_feed(self, run_id: int, feed_url: str) -> bool:
        """In the transaction that records the feed: whether this job is the first to record
        `feed_url` for run `run_id`. A copy of the job running at once waits here until the
        first commits, and is told no."""
        try:
            cursor = self.conn.execute_native(
                "INSERT INTO queued_feeds (run_id, feed_url) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (run_id, feed_url),
            )
        except ERRORS as exc:
            raise store_error(exc, self.server) from exc
        return bool(cursor.rowcount == 1)

    def put_feed(self, run_id: int, feed_url: str, error: str | None, warning: str | None) -> None:
        """Keep what recording a feed claimed (`claim_feed`) gave: its error and its warning."""
        try:
            self.conn.execute_native(
                "UPDATE queued_feeds SET error = %s, warning = %s WHERE run_id = %s AND feed_url = %s",
                (error, warning, run_id, feed_url),
            )
        except ERRORS as exc:
            raise store_error(exc, self.server) from exc

    def feeds_read(self, run_id: int) -> dict[str, tuple[str | None, str | None]]:
        """Every feed recorded so far for `run_id`: its address -> (error, warning)."""
        try:
            rows = self.conn.execute_native(
                "SELECT feed_url, error, warning FROM queued_feeds WHERE run_id = %s", (run_id,)
            ).fetchall()
        except ERRORS as exc:
            raise store_error(exc, self.server) from exc
        return {str(r[0]): (r[1], r[2]) for r in rows}

    def forget(self, run_id: int) -> None:
        """Drop what the workers kept for `run_id` once the run has taken it, and any they kept
        for an earlier run after that run had stopped waiting (one run at a time: the run lock)."""
        try:
            self.conn.execute_native("DELETE FROM queued_articles WHERE run_id <= %s", (run_id,))
            self.conn.execute_native("DELETE FROM queued_feeds WHERE run_id <= %s", (run_id,))
        except ERRORS as exc:
            raise store_error(exc, self.server) from exc


class QueuedMessages(QueuedJobs):
    """The message of each brief being sent by workers, by edition and brief id."""

    def put(self, edition: str, brief_id: str, raw: bytes) -> None:
        """Keep the message `raw` of `brief_id` for the workers (in place of one kept before)."""
        try:
            self.conn.execute_native(
                "INSERT INTO queued_messages (edition, brief_id, raw) VALUES (%s, %s, %s) "
                "ON CONFLICT (edition, brief_id) DO UPDATE SET raw = excluded.raw",
                (edition, brief_id, raw),
            )
        except ERRORS as exc:
            raise store_error(exc, self.server) from exc

    def get(self, edition: str, brief_id: str) -> bytes | None:
        try:
            row = self.conn.execute_native(
                "SELECT raw FROM queued_messages WHERE edition = %s AND brief_id = %s", (edition, brief_id)
            ).fetchone()
        except ERRORS as exc:
            raise store_error(exc, self.server) from exc
        return bytes(row[0]) if row is not None else None

    def forget(self, edition: str, brief_id: str) -> None:
        """Drop the message once its run has said where its slot stands: a later send (the
        scheduler's resume) keeps it again."""
        try:
            self.conn.execute_native(
                "DELETE FROM queued_messages WHERE edition = %s AND brief_id = %s", (edition, brief_id)
            )
        except ERRORS as exc:
            raise store_error(exc, self.server) from exc

"""The task queue's tables in PostgreSQL: Procrastinate's own schema, applied once by whoever
starts first, and the pages its workers read, kept until the run that asked for them takes them.

Only a run in queue mode (`brief.queue`) and `brief worker` use these; SQLite never has them.
A page read twice (a job retried after its worker died) is kept once: the first copy stays.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.store.postgres import ERRORS, LOCK_SPACE, Connection, store_error

QUEUE_LOCK = 4  # the advisory lock under which the queue's schema is applied (see postgres.LOCKS)

_PAGES = (
    "CREATE TABLE IF NOT EXISTS queued_pages ("
    " run_id BIGINT NOT NULL, entry_index INTEGER NOT NULL, failed BOOLEAN NOT NULL,"
    " article BYTEA NOT NULL, PRIMARY KEY (run_id, entry_index))"
)


def apply_queue_schema(url: str, procrastinate_schema: str) -> None:
    """Create Procrastinate's schema and our pages table unless they exist: idempotent, and
    safe when several workers and the scheduler start together (an advisory lock orders them)."""
    conn = Connection(url)
    try:
        conn.execute("SELECT pg_advisory_lock(?, ?)", (LOCK_SPACE, QUEUE_LOCK))
        present = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()[0]
        if not present:
            conn.execute_native(procrastinate_schema)  # its own SQL, in its own dialect: not translated
        conn.execute_native(_PAGES)
        conn.execute("SELECT pg_advisory_unlock(?, ?)", (LOCK_SPACE, QUEUE_LOCK))
    except ERRORS as exc:
        raise store_error(exc, url) from exc
    finally:
        conn.close()


class QueuedPages:
    """The pages workers have read for runs, on a connection of its own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn = Connection(url)

    def close(self) -> None:
        self.conn.close()

    def put(self, run_id: int, index: int, failed: bool, article: bytes) -> None:
        """Keep a page's article for run `run_id`; a second copy of one page is dropped."""
        try:
            self.conn.execute_native(
                "INSERT INTO queued_pages (run_id, entry_index, failed, article) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (run_id, entry_index) DO NOTHING",
                (run_id, index, failed, article),
            )
        except ERRORS as exc:
            raise store_error(exc, self.url) from exc

    def taken(self, run_id: int) -> dict[int, tuple[bool, bytes]]:
        """Every page read so far for `run_id`: index -> (failed, article)."""
        try:
            rows = self.conn.execute_native(
                "SELECT entry_index, failed, article FROM queued_pages WHERE run_id = %s", (run_id,)
            ).fetchall()
        except ERRORS as exc:
            raise store_error(exc, self.url) from exc
        return {int(r[0]): (bool(r[1]), bytes(r[2])) for r in rows}

    def jobs_left(self, job_ids: Sequence[int]) -> int:
        """How many of these jobs are still waiting or running (not done, failed for good or
        cancelled)."""
        try:
            row = self.conn.execute_native(
                "SELECT count(*) FROM procrastinate_jobs WHERE id = ANY(%s) AND status IN ('todo', 'doing')",
                (list(job_ids),),
            ).fetchone()
        except ERRORS as exc:
            raise store_error(exc, self.url) from exc
        return int(row[0])

    def forget(self, run_id: int) -> None:
        """Drop the pages of `run_id` once its articles are stored."""
        try:
            self.conn.execute_native("DELETE FROM queued_pages WHERE run_id = %s", (run_id,))
        except ERRORS as exc:
            raise store_error(exc, self.url) from exc

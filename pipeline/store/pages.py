"""The archive's pages: what they show of each brief and each thread, stored apart from the
briefs' own data, so a run writes the pages it changes without reading every brief kept."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pipeline.models import ArchivedBrief
from pipeline.store.base import Database, to_text
from pipeline.store.ledger import archived_brief

_ENTRY = "b.id, b.slot, b.path, b.headline, b.threads, b.articles"  # what `archived_brief` reads


class ArchivePages(Database):
    """The summaries of briefs kept (index, month pages, feed) and each thread's appearances."""

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
                    "INSERT INTO summaries (brief_id, slot, month, summary) "
                    "SELECT id, slot, substr(slot, 1, 7), ? FROM briefs WHERE id = ? "
                    "ON CONFLICT(brief_id) DO UPDATE SET slot = excluded.slot, month = excluded.month, "
                    "summary = excluded.summary",
                    (summary, brief_id),
                )
                db.execute("UPDATE briefs SET summarised = 1 WHERE id = ?", (brief_id,))
        return before

    def briefs_without_summary(self) -> list[tuple[ArchivedBrief, str]]:
        """Briefs kept with their data but not summarised (kept before schema 8, or by a run
        that stopped in between), oldest first, with their data."""
        rows = self.db.execute(
            "SELECT * FROM briefs WHERE data IS NOT NULL AND summarised = 0 ORDER BY slot, id"
        ).fetchall()
        return [(archived_brief(r), str(r["data"])) for r in rows]

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
            "ORDER BY s.slot DESC, s.brief_id DESC" + ("" if limit is None else " LIMIT ?"),
            (*wanted, *(() if limit is None else (limit,))),
        ).fetchall()
        return [(archived_brief(r), str(r["summary"])) for r in rows]

    def brief_neighbours(
        self, brief_id: str, slot: datetime | None = None
    ) -> tuple[ArchivedBrief | None, ArchivedBrief | None]:
        """The briefs kept just before and just after `brief_id`, in the archive's order; with
        `slot`, also for a brief not kept yet (its place is known by its slot)."""
        if slot is not None:
            key = (to_text(slot), brief_id)
        else:
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
            found.append(archived_brief(near) if near else None)
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
        return [(archived_brief(r), str(r["digest"])) for r in rows]

    def appearing_threads(self) -> list[str]:
        """Every thread that appeared in a brief kept."""
        rows = self.db.execute("SELECT DISTINCT thread_id FROM appearances ORDER BY thread_id").fetchall()
        return [str(r["thread_id"]) for r in rows]

"""The articles stored, and which brief showed each.

An article is stored together with the feed entries it came from being marked done, in one
transaction: an entry is `pending` exactly until its article is kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pipeline.models import Article, FeedEntry
from pipeline.store.base import Connection, Database, Row, from_text, to_text


class ArticleStore(Database):
    """Articles, and the briefed mark that says which brief showed each."""

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
        """Store articles and mark the entries they came from done, in one transaction. An
        article stored from its feed's summary takes the text a copy extracted from a page.

        `entries` maps an article id to the feed entries it absorbed (itself and its duplicates).
        """
        with self.transaction() as db:
            for a in articles:
                db.execute(
                    "INSERT INTO articles (id, url, canonical_url, source, title, author, published, "
                    "text, extracted, found_at, run_id, stored_at, date_note) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    # stored before: its links grow, and when it was only its feed's summary, the
                    # text a merged copy extracted from a page replaces it (the rule of dedupe)
                    "ON CONFLICT(id) DO UPDATE SET found_at = excluded.found_at, text = CASE WHEN "
                    "excluded.extracted > articles.extracted THEN excluded.text ELSE articles.text END, "
                    "extracted = CASE WHEN excluded.extracted > articles.extracted THEN excluded.extracted "
                    "ELSE articles.extracted END",
                    (
                        a.id,
                        a.url,
                        a.canonical_url,
                        a.source,
                        a.title,
                        a.author,
                        to_text(a.published),
                        a.text,
                        int(a.extracted),
                        json.dumps([list(c) for c in a.found_at]),
                        run_id,
                        to_text(now),
                        a.date_note,
                    ),
                )
            self._mark_done(db, entries)

    def mark_entries_done(self, entries: dict[str, list[FeedEntry]]) -> None:
        """Mark entries whose article is already stored (a re-post of a known URL) as done."""
        with self.transaction() as db:
            self._mark_done(db, entries)

    @staticmethod
    def _mark_done(db: Connection, entries: dict[str, list[FeedEntry]]) -> None:
        for article_id, group in entries.items():
            for e in group:
                db.execute(
                    "UPDATE entries SET status = 'done', article_id = ? WHERE feed_url = ? AND entry_id = ?",
                    (article_id, e.feed_url, e.entry_id),
                )

    def articles(self, ids: Iterable[str]) -> list[Article]:
        """The stored articles among `ids`, in that order; unknown ids are left out."""
        out = []
        for article_id in ids:
            row = self.db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row:
                out.append(article_of(row))
        return out

    def filed_links(self, start: str) -> list[tuple[str, str]]:
        """(link, article id) of the filed feed entries whose link begins with `start`: the
        article of an entry may be known by another address (a redirect, a merged copy)."""
        pattern = start.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.db.execute(
            "SELECT link, article_id FROM entries WHERE link LIKE ? ESCAPE '\\' AND article_id IS NOT NULL "
            "ORDER BY first_seen DESC",
            (pattern,),
        ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]

    def all_articles(self) -> list[Article]:
        """Every stored article, in the order they were stored."""
        rows = self.db.execute("SELECT * FROM articles ORDER BY stored_at, rowid").fetchall()
        return [article_of(r) for r in rows]

    def article_count(self) -> int:
        """How many articles are stored."""
        return int(self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def recent_articles(self, since: datetime, exclude_run: int) -> list[Article]:
        """Articles stored since `since` by earlier runs: context for dedupe and threading."""
        rows = self.db.execute(
            "SELECT * FROM articles WHERE stored_at >= ? AND run_id != ? ORDER BY stored_at, rowid",
            (to_text(since), exclude_run),
        ).fetchall()
        return [article_of(r) for r in rows]

    def stored_since(self, since: datetime) -> list[Article]:
        """Every article stored since `since`, by any run: what the shared reading of several
        editions gives each of them to take in."""
        rows = self.db.execute(
            "SELECT * FROM articles WHERE stored_at >= ? ORDER BY stored_at, rowid", (to_text(since),)
        ).fetchall()
        return [article_of(r) for r in rows]

    def unbriefed_articles(self, brief_id: str, covers: Sequence[str] = ()) -> list[Article]:
        """Articles no brief has shown yet, and those this brief showed before (a rebuild) or a
        brief of a slot it `covers` did (built, never delivered: a preview no one sent)."""
        ids = (brief_id, *covers)
        marks = ", ".join("?" for _ in ids)
        rows = self.db.execute(  # (only placeholders are formatted in)
            f"SELECT * FROM articles WHERE brief_id IS NULL OR brief_id IN ({marks}) "  # noqa: S608
            "ORDER BY stored_at, rowid",
            ids,
        ).fetchall()
        return [article_of(r) for r in rows]

    def has_unbriefed_articles(self, brief_id: str, covers: Sequence[str] = ()) -> bool:
        """Whether `unbriefed_articles` would return any, without reading them."""
        ids = (brief_id, *covers)
        marks = ", ".join("?" for _ in ids)
        row = self.db.execute(  # (only placeholders are formatted in)
            f"SELECT 1 FROM articles WHERE brief_id IS NULL OR brief_id IN ({marks}) LIMIT 1",  # noqa: S608
            ids,
        ).fetchone()
        return row is not None

    def mark_briefed(self, article_ids: Iterable[str], brief_id: str) -> None:
        """Record that brief `brief_id` showed these articles (a later brief leaves them out)."""
        with self.transaction() as db:
            for article_id in article_ids:
                db.execute("UPDATE articles SET brief_id = ? WHERE id = ?", (brief_id, article_id))


def article_of(row: Row) -> Article:
    """An article from its row (or from `article_row`'s values, kept elsewhere as JSON)."""
    return Article(
        id=row["id"],
        url=row["url"],
        canonical_url=row["canonical_url"],
        source=row["source"],
        title=row["title"],
        text=row["text"],
        published=from_text(row["published"]),
        author=row["author"],
        extracted=bool(row["extracted"]),
        found_at=tuple((str(s), str(u)) for s, u in json.loads(row["found_at"])),
        date_note=row["date_note"],
    )


def article_row(a: Article) -> dict[str, Any]:
    """The values of an article's row, as `article_of` reads them: plain JSON values."""
    return {
        "id": a.id,
        "url": a.url,
        "canonical_url": a.canonical_url,
        "source": a.source,
        "title": a.title,
        "text": a.text,
        "published": to_text(a.published),
        "author": a.author,
        "extracted": a.extracted,
        "found_at": json.dumps([list(pair) for pair in a.found_at]),
        "date_note": a.date_note,
    }

"""What each thread holds and has said: its articles, its timeline, and what it has shown."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from pipeline.models import Involved, Sentence, Thread, TimelineEvent
from pipeline.store.base import Database
from pipeline.store.records import Membership

# what a thread keeps of its own, by table: the columns copied when it adopts a story
_ADOPTED = {
    "events": "date, kind, text, article_id, cited, title",
    "roles": "name, kind, role, text, article_id",
    "shown": "key, brief_id",
}


class ThreadStore(Database):
    """Thread memberships, timelines, roles, and the keys of what each thread has shown readers."""

    def thread_members(self, kind: str | None = None) -> dict[str, list[str]]:
        """Article ids already filed under each thread, oldest first; only threads of `kind`
        ("configured" or "emergent") when it is given."""
        out: dict[str, list[str]] = {}
        rows = self.db.execute(
            "SELECT thread_id, article_id FROM memberships WHERE ? IS NULL OR kind = ? ORDER BY rowid",
            (kind, kind),
        )
        for r in rows:
            out.setdefault(r["thread_id"], []).append(r["article_id"])
        return out

    def save_memberships(self, threads: Iterable[Thread], run_id: int) -> None:
        """File each thread's articles (and those it joined) under it, with the score and the
        reason of each; a filing is never undone."""
        with self.transaction() as db:
            for t in threads:
                scores = t.scores or tuple(1.0 for _ in t.article_ids)
                reasons = t.why or tuple("" for _ in t.article_ids)
                filed = [
                    *zip(t.article_ids, scores, reasons, strict=True),
                    *((i, 0.0, "an earlier article of the story it gathered") for i in t.joined),
                ]
                for article_id, score, why in filed:
                    db.execute(
                        "INSERT OR IGNORE INTO memberships (thread_id, article_id, thread_title, kind, "
                        "score, run_id, why) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (t.id, article_id, t.title, t.kind, score, run_id, why),
                    )

    def memberships_of(self, article_id: str) -> list[Membership]:
        """Every thread the article was filed under, first filed first, with its score and why."""
        rows = self.db.execute(
            "SELECT thread_id, thread_title, kind, score, why, run_id FROM memberships "
            "WHERE article_id = ? ORDER BY rowid",
            (article_id,),
        ).fetchall()
        return [
            Membership(r["thread_id"], r["thread_title"], r["kind"], float(r["score"]), r["why"], r["run_id"])
            for r in rows
        ]

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
                title=r["title"],
            )
            for r in rows
        ]

    def save_thread_events(self, thread_id: str, events: Iterable[TimelineEvent]) -> None:
        """Add events to the thread's timeline; an event kept already gets the new citations."""
        with self.transaction() as db:
            for e in events:
                db.execute(
                    "INSERT INTO events (thread_id, date, kind, text, article_id, cited, title) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(thread_id, date, text) DO UPDATE SET cited = excluded.cited",
                    (
                        thread_id,
                        e.date,
                        e.kind,
                        e.text.text,
                        e.text.article_id,
                        json.dumps([list(c) for c in e.cited]),
                        e.title,
                    ),
                )

    def thread_roles(self, thread_id: str) -> list[Involved]:
        """The roles the thread's people and organisations were given in earlier briefs, each
        with the sentence it is quoted from (as `context`)."""
        rows = self.db.execute(
            "SELECT * FROM roles WHERE thread_id = ? ORDER BY rowid", (thread_id,)
        ).fetchall()
        return [Involved(r["name"], r["kind"], r["role"], Sentence(r["text"], r["article_id"])) for r in rows]

    def save_thread_roles(self, thread_id: str, involved: Iterable[Involved]) -> None:
        """Keep each name's role for the thread, with where it is quoted from; a newer role
        replaces an older one, a name shown without one keeps its old one."""
        with self.transaction() as db:
            for i in involved:
                if not i.role:
                    continue
                said = i.role_from or i.context
                db.execute(
                    "INSERT INTO roles (thread_id, name, kind, role, text, article_id) "
                    "VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(thread_id, name) DO UPDATE SET role = excluded.role, text = excluded.text, "
                    "article_id = excluded.article_id",
                    (thread_id, i.name, i.kind, i.role, said.text, said.article_id),
                )

    def adopt_story(self, thread_id: str, story_id: str) -> None:
        """Give a configured thread that follows an emerging story (`ThreadSpec.story`) what
        the story had kept: its timeline, its roles and what briefs showed of it, so following
        a story neither repeats it as new nor starts its timeline again. What the thread has
        of its own is kept; adopting again adds nothing."""
        with self.transaction() as db:
            for table, columns in _ADOPTED.items():
                db.execute(  # (table and column names are the constants above)
                    f"INSERT INTO {table} (thread_id, {columns}) "  # noqa: S608
                    f"SELECT ?, {columns} FROM {table} WHERE thread_id = ? "
                    "ON CONFLICT DO NOTHING",
                    (thread_id, story_id),
                )

    def shown_before(self, thread_id: str, brief_id: str, covers: Sequence[str] = ()) -> set[str]:
        """What earlier briefs showed of this thread (keys as `remember_shown` stored them),
        but for the briefs of the slots `brief_id` covers (built, never delivered)."""
        ids = (brief_id, *covers)
        marks = ", ".join("?" for _ in ids)
        rows = self.db.execute(  # (only placeholders are formatted in)
            f"SELECT key FROM shown WHERE thread_id = ? AND brief_id NOT IN ({marks})",  # noqa: S608
            (thread_id, *ids),
        ).fetchall()
        return {str(r["key"]) for r in rows}

    def remember_shown(self, thread_id: str, keys: Iterable[str], brief_id: str) -> None:
        """Record what brief `brief_id` showed of the thread, so later briefs do not repeat it."""
        with self.transaction() as db:
            for key in keys:
                db.execute(
                    "INSERT OR IGNORE INTO shown (thread_id, key, brief_id) VALUES (?, ?, ?)",
                    (thread_id, key, brief_id),
                )

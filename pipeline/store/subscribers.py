"""Subscribers, and the outbox's row for each (brief, subscriber): who gets the brief, and
where each one's message stands.

An address is one subscriber whatever its case (`key` is it in lower case). `delivery.to` in
sources.yaml only seeds: a seeded address already known is left as it is, so one who
unsubscribed is never made active again by the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime

from pipeline.store.base import Database, to_text
from pipeline.store.records import RecipientRecord, RecipientState, Subscriber, SubscriberStatus


class SubscriberStore(Database):
    """The subscribers table and the recipients of each brief."""

    def seed_subscribers(self, people: Iterable[tuple[str, str]], now: datetime) -> int:
        """Add each (name, address) not known yet as active; return how many were added."""
        added = 0
        with self.transaction() as db:
            for name, address in people:
                cur = db.execute(
                    "INSERT INTO subscribers (key, address, name, status, added_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
                    (address.lower(), address, name, SubscriberStatus.ACTIVE, to_text(now), to_text(now)),
                )
                added += cur.rowcount
        return added

    def subscribers(self, status: SubscriberStatus | None = None) -> list[Subscriber]:
        """Every subscriber (or those of `status`), in the order they were added."""
        rows = self.db.execute(
            "SELECT * FROM subscribers WHERE ? IS NULL OR status = ? ORDER BY rowid", (status, status)
        ).fetchall()
        return [_subscriber(r) for r in rows]

    def set_subscriber_status(self, address: str, status: SubscriberStatus, now: datetime) -> bool:
        """Set a subscriber's status; False when the address is not a subscriber."""
        with self.transaction() as db:
            cur = db.execute(
                "UPDATE subscribers SET status = ?, updated_at = ? WHERE key = ?",
                (status, to_text(now), address.lower()),
            )
            return cur.rowcount > 0

    # -- the recipients of a brief ----------------------------------------------------------------

    def add_recipients(self, brief_id: str, people: Sequence[Subscriber], now: datetime) -> None:
        """The brief's recipients, once: those already listed stay as they are."""
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO recipients (brief_id, key, address, name, state, attempts, updated_at) "
                "VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT(brief_id, key) DO NOTHING",
                [
                    (brief_id, p.address.lower(), p.address, p.name, RecipientState.PENDING, to_text(now))
                    for p in people
                ],
            )

    def clear_recipients(self, brief_id: str) -> None:
        """Forget the brief's recipients: a new message was built for its slot."""
        with self.transaction() as db:
            db.execute("DELETE FROM recipients WHERE brief_id = ?", (brief_id,))

    def recipients(self, brief_id: str) -> list[RecipientRecord]:
        """The brief's recipients in the order they were listed."""
        rows = self.db.execute(
            "SELECT * FROM recipients WHERE brief_id = ? ORDER BY rowid", (brief_id,)
        ).fetchall()
        return [_recipient(r) for r in rows]

    def set_recipient(
        self, brief_id: str, address: str, state: RecipientState, now: datetime, *, error: str | None = None
    ) -> None:
        """Move one recipient's message of the brief to `state`, counting one more try."""
        with self.transaction() as db:
            db.execute(
                "UPDATE recipients SET state = ?, error = ?, attempts = attempts + 1, updated_at = ? "
                "WHERE brief_id = ? AND key = ?",
                (state, error, to_text(now), brief_id, address.lower()),
            )

    def recipient_counts(self, brief_id: str) -> dict[RecipientState, int]:
        """How many of the brief's recipients are in each state."""
        rows = self.db.execute(
            "SELECT state, COUNT(*) AS n FROM recipients WHERE brief_id = ? GROUP BY state", (brief_id,)
        ).fetchall()
        return {RecipientState(r["state"]): int(r["n"]) for r in rows}


def _subscriber(row: sqlite3.Row) -> Subscriber:
    return Subscriber(
        address=row["address"],
        name=row["name"],
        status=SubscriberStatus(row["status"]),
        added_at=datetime.fromisoformat(row["added_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def _recipient(row: sqlite3.Row) -> RecipientRecord:
    return RecipientRecord(
        brief_id=row["brief_id"],
        address=row["address"],
        name=row["name"],
        state=RecipientState(row["state"]),
        attempts=int(row["attempts"]),
        error=row["error"],
    )

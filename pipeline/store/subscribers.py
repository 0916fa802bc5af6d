"""Subscribers, and the outbox's row for each (brief, subscriber): who gets the brief, and
where each one's message stands.

An address is one subscriber whatever its case (`key` is it in lower case). `delivery.to` in
sources.yaml only seeds: a seeded address already known is left as it is, so one who
unsubscribed is never made active again by the file. Nothing here deletes an unsubscribed
subscriber: their row is what keeps them from being mailed again.

Double opt-in (`publish.subscriptions`): a request makes a new address `pending` and records
the confirmation mail (`mailed_at`, one an hour at most per address); only a confirmation
makes a subscriber `active`, and one who left must confirm a request made after they left.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from pipeline.store.base import Database, Row, to_text
from pipeline.store.records import RecipientRecord, RecipientState, Subscriber, SubscriberStatus


class SubscriberStore(Database):
    """The subscribers table and the recipients of each brief."""

    def seed_subscribers(self, people: Iterable[tuple[str, str]], now: datetime) -> int:
        """Add each (name, address) not known yet as active, and make a pending one active (the
        file vouches for them: a stranger's request through the form must not hold back an
        address the admin listed); return how many were added or activated. An unsubscribed
        or bounced one is left as it is."""
        added = 0
        with self.transaction() as db:
            for name, address in people:
                cur = db.execute(
                    "INSERT INTO subscribers (key, address, name, status, added_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET status = excluded.status, "
                    "updated_at = excluded.updated_at, "
                    "name = COALESCE(NULLIF(excluded.name, ''), subscribers.name) "
                    "WHERE subscribers.status = ?",
                    (
                        address.lower(),
                        address,
                        name,
                        SubscriberStatus.ACTIVE,
                        to_text(now),
                        to_text(now),
                        SubscriberStatus.PENDING,
                    ),
                )
                added += cur.rowcount
        return added

    def subscribers(self, status: SubscriberStatus | None = None) -> list[Subscriber]:
        """Every subscriber (or those of `status`), in the order they were added."""
        rows = self.db.execute(
            "SELECT * FROM subscribers WHERE ? IS NULL OR status = ? ORDER BY rowid", (status, status)
        ).fetchall()
        return [_subscriber(r) for r in rows]

    def subscriber(self, address: str) -> Subscriber | None:
        """The subscriber of `address` (in any case), or None."""
        row = self.db.execute("SELECT * FROM subscribers WHERE key = ?", (address.lower(),)).fetchone()
        return _subscriber(row) if row is not None else None

    def claim_confirmation_mail(
        self, address: str, name: str, now: datetime, every: timedelta
    ) -> Subscriber | None:
        """Record that a confirmation mail is going to `address` now, adding it as pending when
        it is new (a pending or departed one takes the name given); None, and nothing changed,
        when one went to it less than `every` ago. Returns the subscriber as they now stand."""
        with self.transaction() as db:
            row = db.execute("SELECT * FROM subscribers WHERE key = ?", (address.lower(),)).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO subscribers (key, address, name, status, added_at, updated_at, mailed_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (address.lower(), address, name, SubscriberStatus.PENDING, *[to_text(now)] * 3),
                )
            else:
                last = row["mailed_at"]
                if last is not None and timedelta(0) <= now - datetime.fromisoformat(last) < every:
                    return None
                keep_name = row["status"] == SubscriberStatus.ACTIVE or not name
                db.execute(
                    "UPDATE subscribers SET mailed_at = ?, name = ? WHERE key = ?",
                    (to_text(now), row["name"] if keep_name else name, address.lower()),
                )
            found = db.execute("SELECT * FROM subscribers WHERE key = ?", (address.lower(),)).fetchone()
            return _subscriber(found)

    def confirmation_mails_since(self, since: datetime) -> int:
        """How many addresses were sent a confirmation mail at `since` or later."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM subscribers WHERE mailed_at >= ?", (to_text(since),)
        ).fetchone()
        return int(row[0])

    def release_confirmation_mail(self, address: str) -> None:
        """Forget the confirmation mail recorded for `address`: it could not be sent."""
        with self.transaction() as db:
            db.execute("UPDATE subscribers SET mailed_at = NULL WHERE key = ?", (address.lower(),))

    def confirm_subscriber(self, address: str, asked_at: datetime, now: datetime) -> bool:
        """Make the subscriber of `address` active, on a confirmation asked for at `asked_at`:
        a pending one, or one who left before asking again (never on a request older than their
        leaving). True when they are active now."""
        with self.transaction() as db:
            row = db.execute("SELECT * FROM subscribers WHERE key = ?", (address.lower(),)).fetchone()
            if row is None:
                return False
            status = SubscriberStatus(row["status"])
            if status == SubscriberStatus.ACTIVE:
                return True
            if status != SubscriberStatus.PENDING and datetime.fromisoformat(row["updated_at"]) > asked_at:
                return False
            db.execute(
                "UPDATE subscribers SET status = ?, updated_at = ? WHERE key = ?",
                (SubscriberStatus.ACTIVE, to_text(now), address.lower()),
            )
            return True

    def unsubscribe_subscriber(self, address: str, now: datetime) -> SubscriberStatus | None:
        """Mark `address` unsubscribed, adding it so when it is unknown (so neither `delivery.to`
        nor an admin's add makes it active again); one already unsubscribed is left as it is.
        Returns the status it had (None: unknown)."""
        with self.transaction() as db:
            row = db.execute("SELECT status FROM subscribers WHERE key = ?", (address.lower(),)).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO subscribers (key, address, name, status, added_at, updated_at) "
                    "VALUES (?, ?, '', ?, ?, ?)",
                    (address.lower(), address, SubscriberStatus.UNSUBSCRIBED, to_text(now), to_text(now)),
                )
                return None
            if row["status"] != SubscriberStatus.UNSUBSCRIBED:
                db.execute(
                    "UPDATE subscribers SET status = ?, updated_at = ? WHERE key = ?",
                    (SubscriberStatus.UNSUBSCRIBED, to_text(now), address.lower()),
                )
            return SubscriberStatus(row["status"])

    def add_subscriber(self, address: str, name: str, now: datetime) -> SubscriberStatus | None:
        """An admin's add: a new or pending address becomes active (with `name`, when given).
        Returns the status it had (None: new); one unsubscribed or bounced is left as it is."""
        with self.transaction() as db:
            row = db.execute("SELECT status FROM subscribers WHERE key = ?", (address.lower(),)).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO subscribers (key, address, name, status, added_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (address.lower(), address, name, SubscriberStatus.ACTIVE, to_text(now), to_text(now)),
                )
                return None
            if row["status"] == SubscriberStatus.PENDING:
                db.execute(
                    "UPDATE subscribers SET status = ?, updated_at = ? WHERE key = ?",
                    (SubscriberStatus.ACTIVE, to_text(now), address.lower()),
                )
            if name and row["status"] in (SubscriberStatus.PENDING, SubscriberStatus.ACTIVE):
                db.execute("UPDATE subscribers SET name = ? WHERE key = ?", (name, address.lower()))
            return SubscriberStatus(row["status"])

    def forget_subscriber(self, address: str) -> bool:
        """Delete everything kept of `address`: its subscriber row and its rows in the briefs'
        recipients, overwritten on disk (secure_delete, and the write-ahead log checkpointed and
        emptied), not only unlinked. False when it was not known. With PostgreSQL the rows are
        deleted and the two tables vacuumed; overwriting the freed bytes is the server's."""
        if self.on_postgres:
            with self.transaction() as db:
                gone = db.execute("DELETE FROM subscribers WHERE key = ?", (address.lower(),)).rowcount
                gone += db.execute("DELETE FROM recipients WHERE key = ?", (address.lower(),)).rowcount
            self.db.execute("VACUUM subscribers, recipients")
            return gone > 0
        self.db.execute("PRAGMA secure_delete = ON")
        try:
            with self.transaction() as db:
                gone = db.execute("DELETE FROM subscribers WHERE key = ?", (address.lower(),)).rowcount
                gone += db.execute("DELETE FROM recipients WHERE key = ?", (address.lower(),)).rowcount
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.db.execute("PRAGMA secure_delete = OFF")
        return gone > 0

    def prune_pending(self, before: datetime) -> int:
        """Delete the pending subscribers last mailed before `before` (their link has expired:
        no one confirmed); return how many. Only pending rows: a departed one is kept."""
        with self.transaction() as db:
            cur = db.execute(
                "DELETE FROM subscribers WHERE status = ? AND (mailed_at IS NULL OR mailed_at < ?)",
                (SubscriberStatus.PENDING, to_text(before)),
            )
            return cur.rowcount

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

    @contextmanager
    def claim_recipient(self, brief_id: str, address: str) -> Iterator[RecipientState | None]:
        """The state of one recipient's message of the brief, held for the block (its send and
        what is recorded of it): None when another process holds it now.

        With PostgreSQL, where processes on several machines may deliver the same brief, the
        row is locked (`FOR UPDATE SKIP LOCKED`) until the block's writes commit: a second
        process skips it, and finds it sent once the first is done; a process that dies lets
        go of it with its connection, unsent. With SQLite the run lock keeps every other process
        out already, and a transaction held across an SMTP exchange would stall every other
        writer: the state is read, nothing held."""
        sql = "SELECT state FROM recipients WHERE brief_id = ? AND key = ?"
        if not self.on_postgres:
            row = self.db.execute(sql, (brief_id, address.lower())).fetchone()
            yield RecipientState(row["state"]) if row is not None else None
            return
        with self.transaction() as db:
            row = db.execute(sql + " FOR UPDATE SKIP LOCKED", (brief_id, address.lower())).fetchone()
            yield RecipientState(row["state"]) if row is not None else None

    def recipient_counts(self, brief_id: str) -> dict[RecipientState, int]:
        """How many of the brief's recipients are in each state."""
        rows = self.db.execute(
            "SELECT state, COUNT(*) AS n FROM recipients WHERE brief_id = ? GROUP BY state", (brief_id,)
        ).fetchall()
        return {RecipientState(r["state"]): int(r["n"]) for r in rows}


def _subscriber(row: Row) -> Subscriber:
    return Subscriber(
        address=row["address"],
        name=row["name"],
        status=SubscriberStatus(row["status"]),
        added_at=datetime.fromisoformat(row["added_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        mailed_at=datetime.fromisoformat(row["mailed_at"]) if row["mailed_at"] else None,
    )


def _recipient(row: Row) -> RecipientRecord:
    return RecipientRecord(
        brief_id=row["brief_id"],
        address=row["address"],
        name=row["name"],
        state=RecipientState(row["state"]),
        attempts=int(row["attempts"]),
        error=row["error"],
    )

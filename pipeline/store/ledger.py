"""The ledger: runs, scheduled slots, the delivery outbox, the service's heartbeat, and the
archived briefs with their content (what `brief rebuild` writes the archive from).

The slot ledger, not the scheduler, says whether a slot is done; the outbox (`outbox.py`) is
the only writer of a delivery's state.
"""

from __future__ import annotations

import json
from datetime import datetime

from pipeline.models import ArchivedBrief
from pipeline.store.base import Database, Row, from_text, to_text
from pipeline.store.records import DeliveryRecord, DeliveryState, RunRecord, RunStatus, SlotRecord, SlotState


class Ledger(Database):
    """Runs, slots, deliveries, the service's keys, and archived briefs."""

    # -- runs ---------------------------------------------------------------------------------

    def start_run(self, slot: str, now: datetime) -> int:
        """Record a run of `slot` starting now; return its id."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO runs (slot, started_at, status) VALUES (?, ?, ?)",
                (slot, to_text(now), RunStatus.RUNNING),
            )
            return int(cur.lastrowid or 0)

    def finish_run(
        self, run_id: int, now: datetime, status: RunStatus, stats: dict[str, object], error: str = ""
    ) -> None:
        """Record how run `run_id` ended, with its figures (RunStats as a dict)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, stats = ?, error = ? WHERE id = ?",
                (to_text(now), status, json.dumps(stats), error or None, run_id),
            )

    def last_run(self) -> RunRecord | None:
        """The latest run that has ended (a run in progress does not count)."""
        row = self.db.execute(
            "SELECT * FROM runs WHERE status != ? ORDER BY id DESC LIMIT 1", (RunStatus.RUNNING,)
        ).fetchone()
        return _run(row) if row is not None else None

    # -- the slot ledger ---------------------------------------------------------------------------

    def slot(self, slot: str) -> SlotRecord | None:
        """The ledger's entry for `slot` ("2026-11-23T1500Z"), or None if it was never run."""
        row = self.db.execute("SELECT * FROM slots WHERE slot = ?", (slot,)).fetchone()
        return _slot(row) if row is not None else None

    def set_slot(
        self,
        slot: str,
        state: SlotState,
        now: datetime,
        *,
        brief_id: str | None = None,
        covered_by: str | None = None,
        error: str | None = None,
        attempt: int = 0,
    ) -> None:
        """Move `slot` to `state`; `brief_id` and `covered_by` are kept when not given, `error`
        is replaced, and `attempt` counts that many more runs of it (True: one)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO slots (slot, state, brief_id, covered_by, attempts, error, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(slot) DO UPDATE SET state = excluded.state, "
                "brief_id = COALESCE(excluded.brief_id, slots.brief_id), "
                "covered_by = COALESCE(excluded.covered_by, slots.covered_by), "
                "attempts = slots.attempts + excluded.attempts, error = excluded.error, "
                "updated_at = excluded.updated_at",
                (slot, state, brief_id, covered_by, int(attempt), error, to_text(now)),
            )

    def recent_slots(self, limit: int = 6) -> list[SlotRecord]:
        """The latest `limit` slots of the ledger, newest first."""
        rows = self.db.execute("SELECT * FROM slots ORDER BY slot DESC LIMIT ?", (limit,)).fetchall()
        return [_slot(r) for r in rows]

    def slots(self) -> list[SlotRecord]:
        """Every slot of the ledger, newest first."""
        return [_slot(r) for r in self.db.execute("SELECT * FROM slots ORDER BY slot DESC").fetchall()]

    def last_delivered_slot(self) -> str | None:
        """The latest slot whose brief was delivered."""
        row = self.db.execute(
            "SELECT slot FROM slots WHERE state = ? ORDER BY slot DESC LIMIT 1", (SlotState.DELIVERED,)
        ).fetchone()
        return str(row["slot"]) if row else None

    # -- the delivery outbox -------------------------------------------------------------------------

    def delivery(self, brief_id: str) -> DeliveryRecord | None:
        """The outbox's entry for the brief's message, or None if none was built."""
        row = self.db.execute("SELECT * FROM deliveries WHERE brief_id = ?", (brief_id,)).fetchone()
        return _delivery(row) if row is not None else None

    def set_delivery(
        self,
        brief_id: str,
        state: DeliveryState,
        now: datetime,
        *,
        message_id: str | None = None,
        eml_path: str | None = None,
        error: str | None = None,
        attempt: bool = False,
        sent: int = 0,
    ) -> None:
        """Move the brief's message to `state` (only the outbox calls this). `message_id` and
        `eml_path` are kept when not given, `error` is replaced; `attempt` counts one more try
        and `sent` that many more messages a server accepted (True: one)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO deliveries (brief_id, message_id, eml_path, state, attempts, sends, last_error, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(brief_id) DO UPDATE SET "
                "message_id = COALESCE(NULLIF(excluded.message_id, ''), deliveries.message_id), "
                "eml_path = COALESCE(NULLIF(excluded.eml_path, ''), deliveries.eml_path), "
                "state = excluded.state, "
                "attempts = deliveries.attempts + excluded.attempts, "
                "sends = deliveries.sends + excluded.sends, "
                "last_error = excluded.last_error, updated_at = excluded.updated_at",
                (
                    brief_id,
                    message_id or "",
                    eml_path or "",
                    state,
                    int(attempt),
                    int(sent),
                    error,
                    to_text(now),
                ),
            )

    def unfinished_deliveries(self) -> list[DeliveryRecord]:
        """Messages built but not known to be sent: a crash between 'built' and 'sent', or a
        server that refused them for now."""
        rows = self.db.execute(
            "SELECT * FROM deliveries WHERE state IN (?, ?, ?) ORDER BY brief_id",
            (DeliveryState.BUILT, DeliveryState.SENDING, DeliveryState.DEFERRED),
        ).fetchall()
        return [_delivery(r) for r in rows]

    def deliveries(self) -> list[DeliveryRecord]:
        """Every brief's message in the outbox, newest brief first."""
        rows = self.db.execute("SELECT * FROM deliveries ORDER BY brief_id DESC").fetchall()
        return [_delivery(r) for r in rows]

    # -- the service ---------------------------------------------------------------------------------

    def set_service(self, key: str, value: str) -> None:
        """Keep a value of the service (its "heartbeat": when it last checked the slots)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO service (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def service(self, key: str) -> str | None:
        """A value kept by `set_service`, or None."""
        row = self.db.execute("SELECT value FROM service WHERE key = ?", (key,)).fetchone()
        return str(row["value"]) if row else None

    # -- briefs ---------------------------------------------------------------------------------

    def save_brief(self, entry: ArchivedBrief, run_id: int, now: datetime) -> None:
        """Record an archived brief (made again: its entry is replaced, its content kept)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO briefs (id, slot, run_id, path, headline, threads, articles, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET run_id = excluded.run_id, "
                "path = excluded.path, headline = excluded.headline, threads = excluded.threads, "
                "articles = excluded.articles, created_at = excluded.created_at, summarised = 0",
                (
                    entry.id,
                    to_text(entry.slot),
                    run_id,
                    entry.path,
                    entry.headline,
                    json.dumps(list(entry.threads)),
                    entry.articles,
                    to_text(now),
                ),
            )

    def save_brief_content(self, brief_id: str, data: str, message: bytes) -> None:
        """The brief as data (brief.json) and its message as built: what `brief rebuild` needs."""
        with self.transaction() as db:
            db.execute("UPDATE briefs SET data = ?, message = ? WHERE id = ?", (data, message, brief_id))

    def brief_contents(self) -> list[tuple[ArchivedBrief, str, bytes]]:
        """Every brief with its data and message, oldest first."""
        rows = self.db.execute("SELECT * FROM briefs WHERE data IS NOT NULL ORDER BY slot, id").fetchall()
        return [(archived_brief(r), str(r["data"]), bytes(r["message"] or b"")) for r in rows]

    def briefs(self) -> list[ArchivedBrief]:
        """Every archived brief, newest first."""
        rows = self.db.execute("SELECT * FROM briefs ORDER BY slot DESC, id DESC").fetchall()
        return [archived_brief(r) for r in rows]

    def last_brief(self) -> ArchivedBrief | None:
        """The newest archived brief, or None."""
        found = self.briefs()
        return found[0] if found else None


def _run(row: Row) -> RunRecord:
    return RunRecord(
        id=int(row["id"]),
        slot=row["slot"],
        started_at=datetime.fromisoformat(row["started_at"]),
        finished_at=from_text(row["finished_at"]),
        status=RunStatus(row["status"]),
        stats=json.loads(row["stats"]) if row["stats"] else {},
        error=row["error"],
    )


def _slot(row: Row) -> SlotRecord:
    return SlotRecord(
        slot=row["slot"],
        state=SlotState(row["state"]),
        attempts=int(row["attempts"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        error=row["error"],
        covered_by=row["covered_by"],
        brief_id=row["brief_id"],
    )


def _delivery(row: Row) -> DeliveryRecord:
    return DeliveryRecord(
        brief_id=row["brief_id"],
        state=DeliveryState(row["state"]),
        message_id=row["message_id"],
        eml_path=row["eml_path"],
        attempts=int(row["attempts"]),
        sends=int(row["sends"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        error=row["last_error"],
    )


def archived_brief(row: Row) -> ArchivedBrief:
    return ArchivedBrief(
        id=row["id"],
        slot=datetime.fromisoformat(row["slot"]),
        path=row["path"],
        headline=row["headline"],
        threads=tuple(json.loads(row["threads"])),
        articles=row["articles"],
    )

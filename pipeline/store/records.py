"""The ledger's vocabulary: the states of runs, slots and deliveries, and the records the
store returns for them (never SQLite rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RunStatus(StrEnum):
    """How a run of the pipeline ended (stored in the runs table as these strings)."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STOPPED = "stopped"  # asked to stop (SIGTERM) between two stages


class SlotState(StrEnum):
    """Where a scheduled slot stands in the ledger (stored as these strings)."""

    RUNNING = "running"
    INTERRUPTED = "interrupted"  # its run was stopped; the next start makes it
    FAILED = "failed"  # its run or its delivery failed (error says which)
    BUILT = "built"  # archived and its message built, not yet delivered
    SENDING = "sending"  # its message is with the SMTP server, or waits to try again (error says)
    DEFERRED = "deferred"  # refused for now past the retries: the scheduler sends it again
    DELIVERED = "delivered"
    SKIPPED = "skipped"  # missed, and made up by a later brief (covered_by)
    UNSURE = "unsure"  # its message may have been sent and its bytes are gone: a person decides


class DeliveryState(StrEnum):
    """Where a brief's message stands in the outbox: built → sending → sent | failed."""

    BUILT = "built"
    HELD = "held"  # not sent on purpose (--no-send)
    WRITTEN = "written"  # no server or no recipients: the .eml in the archive is the delivery
    SENDING = "sending"  # a crash here is resumed by sending the same bytes again
    DEFERRED = "deferred"  # refused for now (4xx, no answer) past the retries: sent again later
    SENT = "sent"
    FAILED = "failed"  # refused for good, or the .eml went missing: shown, not retried
    COVERED = "covered"  # never sent: a later brief took its news in (the slot's covered_by)
    LOST = "lost"  # was being sent when its .eml went missing: never sent again on its own


@dataclass(frozen=True)
class RunRecord:
    """One run as the ledger keeps it."""

    id: int
    slot: str
    started_at: datetime
    finished_at: datetime | None
    status: RunStatus
    stats: dict[str, object]  # RunStats as a dict; empty for a run that did not finish
    error: str | None


@dataclass(frozen=True)
class SlotRecord:
    """One scheduled slot as the ledger keeps it."""

    slot: str  # "2026-11-23T1500Z"
    state: SlotState
    attempts: int  # runs started for it
    updated_at: datetime
    error: str | None = None
    covered_by: str | None = None  # for a skipped slot: the brief that made it up
    brief_id: str | None = None


@dataclass(frozen=True)
class DeliveryRecord:
    """One brief's message as the outbox keeps it."""

    brief_id: str
    state: DeliveryState
    message_id: str
    eml_path: str
    attempts: int  # times the outbox started sending it
    sends: int  # messages a server accepted, over all time (resends included)
    updated_at: datetime
    error: str | None = None


@dataclass(frozen=True)
class Membership:
    """One filing of an article under a thread: its score and what decided it."""

    thread_id: str
    thread_title: str
    kind: str  # "configured" or "emergent"
    score: float
    why: str
    run_id: int


class SubscriberStatus(StrEnum):
    """Whether a subscriber receives the brief (stored as these strings)."""

    PENDING = "pending"  # asked to subscribe and has not confirmed: receives nothing
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"  # asked to leave: `delivery.to` never makes them active again
    BOUNCED = "bounced"  # their address does not take mail: set by hand for now


class RecipientState(StrEnum):
    """Where one subscriber's message of a brief stands: pending → sent | deferred | failed."""

    PENDING = "pending"  # not handed to a server yet (or a crash came before its 250 was kept)
    SENT = "sent"
    DEFERRED = "deferred"  # refused for now (4xx) past the retries: sent again with the slot
    FAILED = "failed"  # refused for good (5xx): shown, not retried
    DROPPED = "dropped"  # no longer active when its turn came: not sent


@dataclass(frozen=True)
class Subscriber:
    """One subscriber as the state database keeps them."""

    address: str
    name: str
    status: SubscriberStatus
    added_at: datetime
    updated_at: datetime  # when the status last changed (or the name was given)
    mailed_at: datetime | None = None  # the last confirmation mail sent to the address


@dataclass(frozen=True)
class RecipientRecord:
    """One subscriber's message of one brief, as the outbox keeps it (its bytes are the brief's
    message.eml made theirs by `mail.personalise`, so they are never stored twice)."""

    brief_id: str
    address: str
    name: str
    state: RecipientState
    attempts: int
    error: str | None = None

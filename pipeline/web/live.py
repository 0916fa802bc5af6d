"""What the pipeline is doing now, as `brief status` says it: the live line, the recent slots
and their delivery, the health of each feed. Read from the state database on every request.
`brief status` and this page say the state by one rule (`operate.schedule.pipeline_state`).

The status page is public, and a subscriber's address is not: without the admin's login a
slot's delivery is counts only ("delivered to 2 of 3; 1 refused"), with no address and no
error text (an SMTP server's reply names the address it refused, and a run's error may quote
one); the admin sees both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from pipeline.config import Config
from pipeline.ingest.health import describe
from pipeline.models import FeedHealth
from pipeline.operate.lock import ServiceLock
from pipeline.operate.schedule import next_slot, parse_slot, pipeline_state, status_line
from pipeline.publish.outbox import recipient_counts, recipients_line
from pipeline.store import Store
from pipeline.store.records import RecipientRecord, RecipientState, SlotRecord

# what a visitor without the login reads in place of an error
ERROR_HIDDEN = "the error is shown to the admin only"
_FAILED_AT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC(?=: )")  # as service._note_failure writes it
# the states a public line counts beside the delivered, with what it calls them
_COUNTED = (
    (RecipientState.FAILED, "refused"),
    (RecipientState.DEFERRED, "retrying"),
    (RecipientState.PENDING, "not sent yet"),
    (RecipientState.DROPPED, "left before their turn"),
)


@dataclass(frozen=True)
class SlotRow:
    slot: str
    state: str
    detail: str  # covered by, the error, where the subscribers stand


@dataclass(frozen=True)
class FeedRow:
    name: str
    url: str
    last_success: str
    entries: int
    state: str
    ok: bool
    error: str


@dataclass(frozen=True)
class Live:
    """The status page's content; `line` is the header of every page of the app."""

    state: str  # Active, Stopped, Failing
    line: str  # "Pipeline Active · Last: 15:00 UTC | Next: 21:00 UTC"
    reason: str
    last_brief: str  # "2026-04-10T1500Z (13 articles)", or ""
    next_due: str
    slots: tuple[SlotRow, ...]
    feeds: tuple[FeedRow, ...]


def live_line(config: Config, now: datetime) -> str:
    """Only the live line: what every page's header shows. For a file with editions, theirs
    together: the last brief of any, the next slot of any, Failing when one is."""
    said = [_state_and_last(e) for e in config.editions or (config,)]
    state = "Failing" if any(s == "Failing" for s, _ in said) else said[0][0]
    last = max((at for _, at in said if at is not None), default=None)
    return status_line(last, now, config.schedule, state=state)


def _state_and_last(config: Config) -> tuple[str, datetime | None]:
    """The pipeline's state for one brief (an edition's: the one lock they share) and its last slot."""
    store = Store(config.state_dir, config.database)
    try:
        slots = store.recent_slots(6)
        heartbeat = store.service("heartbeat")
        failure = store.service("last_failure") or ""
        delivered = store.last_delivered_slot()
        last = store.last_brief() if delivered is None else None
    finally:
        store.close()
    state, _ = pipeline_state(slots, heartbeat, ServiceLock.held(*config.shared_state), failure)
    return state, parse_slot(delivered) if delivered else (last.slot if last else None)


def live(config: Config, now: datetime, *, admin: bool) -> Live:
    """Everything `brief status` shows, as data for the status page; without `admin`, no
    address and no error text (see the module's docstring)."""
    store = Store(config.state_dir, config.database)
    try:
        last = store.last_brief()
        slots = store.recent_slots(6)
        heartbeat = store.service("heartbeat")
        failure = store.service("last_failure") or ""
        delivered = store.last_delivered_slot()
        people = {e.slot: store.recipients(e.brief_id or e.slot) for e in slots}
    finally:
        store.close()
    health = {h.url: h for h in _feed_health(config)}
    if not admin:
        slots, failure = [_without_error(e) for e in slots], _when_only(failure)
    state, reason = pipeline_state(slots, heartbeat, ServiceLock.held(*config.shared_state), failure)
    last_slot = parse_slot(delivered) if delivered else (last.slot if last else None)
    rows = []
    for entry in slots:
        detail = f"covered by {entry.covered_by}" if entry.covered_by else ""
        parts = [detail, entry.error if admin and entry.error else ""]
        if people[entry.slot]:
            line_of = recipients_line if admin else counts_line
            parts.append(line_of(people[entry.slot]))
        rows.append(SlotRow(entry.slot, str(entry.state), " · ".join(p for p in parts if p)))
    feeds = []
    for feed in config.feeds:
        h = health.get(feed.url)
        said = describe(h, now)
        feeds.append(
            FeedRow(
                name=feed.name,
                url=feed.url,
                last_success=h.last_success.strftime("%Y-%m-%d %H:%M") if h and h.last_success else "never",
                entries=h.entries_seen if h else 0,
                state=said,
                ok=said == "ok",
                error=f"[{h.last_error_kind}] {h.last_error}" if h and h.last_error else "",
            )
        )
    return Live(
        state=state,
        line=status_line(last_slot, now, config.schedule, state=state),
        reason=reason,
        last_brief=f"{last.id} ({last.articles} articles)" if last else "",
        next_due=f"{next_slot(now, config.schedule):%Y-%m-%d %H:%M} UTC",
        slots=tuple(rows),
        feeds=tuple(feeds),
    )


def _feed_health(config: Config) -> list[FeedHealth]:
    """How each feed fares: an edition's feeds are read for every edition, in the shared store."""
    store = Store(*config.shared_state)
    try:
        return store.feed_health()
    finally:
        store.close()


def counts_line(people: list[RecipientRecord]) -> str:
    """Where a brief's recipients stand, in numbers only: "delivered to 2 of 3; 1 refused"."""
    counts = recipient_counts(people)
    total = len(people) - counts[RecipientState.DROPPED]
    said = [f"delivered to {counts[RecipientState.SENT]:,} of {total:,}"]
    return "; ".join(said + [f"{counts[s]:,} {word}" for s, word in _COUNTED if counts[s]])


def _without_error(entry: SlotRecord) -> SlotRecord:
    return replace(entry, error=ERROR_HIDDEN) if entry.error else entry


def _when_only(failure: str) -> str:
    """The scheduler's last failure as `service._note_failure` keeps it ("2026-11-24 15:00 UTC:
    what failed"), cut to when; any other text, none of it (it may quote an address)."""
    when = _FAILED_AT.match(failure)
    return when.group(0) if when else (ERROR_HIDDEN if failure else "")

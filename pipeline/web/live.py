"""What the pipeline is doing now, as `brief status` says it: the live line, the recent slots
and their delivery, the health of each feed. Read from the state database on every request.
`brief status` and this page say the state by one rule (`operate.schedule.pipeline_state`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipeline.config import Config
from pipeline.ingest.health import describe
from pipeline.operate.lock import ServiceLock
from pipeline.operate.schedule import next_slot, parse_slot, pipeline_state, status_line
from pipeline.publish.outbox import recipients_line
from pipeline.store import Store


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
    """Only the live line: what every page's header shows."""
    store = Store(config.state_dir, config.database)
    try:
        slots = store.recent_slots(6)
        heartbeat = store.service("heartbeat")
        failure = store.service("last_failure") or ""
        delivered = store.last_delivered_slot()
        last = store.last_brief() if delivered is None else None
    finally:
        store.close()
    state, _ = pipeline_state(slots, heartbeat, ServiceLock.held(config.state_dir, config.database), failure)
    last_slot = parse_slot(delivered) if delivered else (last.slot if last else None)
    return status_line(last_slot, now, config.schedule, state=state)


def live(config: Config, now: datetime) -> Live:
    """Everything `brief status` shows, as data for the status page."""
    store = Store(config.state_dir, config.database)
    try:
        last = store.last_brief()
        slots = store.recent_slots(6)
        heartbeat = store.service("heartbeat")
        failure = store.service("last_failure") or ""
        health = {h.url: h for h in store.feed_health()}
        delivered = store.last_delivered_slot()
        people = {e.slot: store.recipients(e.brief_id or e.slot) for e in slots}
    finally:
        store.close()
    state, reason = pipeline_state(
        slots, heartbeat, ServiceLock.held(config.state_dir, config.database), failure
    )
    last_slot = parse_slot(delivered) if delivered else (last.slot if last else None)
    rows = []
    for entry in slots:
        detail = f"covered by {entry.covered_by}" if entry.covered_by else ""
        parts = [detail, entry.error or ""]
        if people[entry.slot]:
            parts.append(recipients_line(people[entry.slot]))
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

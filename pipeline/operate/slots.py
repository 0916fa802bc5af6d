"""Which slot is due, by the slot ledger: the rules that make every slot delivered exactly once.

The ledger in the state database is the source of truth, not APScheduler's job store (whose
3.x misfire handling drops a missed run when jobs are re-added on start). The latest slot that
is due is made unless the ledger says it is done; a slot whose run failed is tried again, a few
times, some minutes apart; slots missed while the machine was off are made up once, by the
one brief of the current slot, which says which slots it covers (a slot whose message a server
refused for now is sent again by the outbox until then; the covering brief takes its news in).
Time only moves forward for delivery: a slot older than the newest one delivered (the clock set
back) is never sent; it is recorded as skipped, with the reason. A slot previewed with
`--no-send` and still not sent when a later slot is due is made up by that slot's brief, which
takes its articles in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from pipeline.operate.schedule import current_slot, parse_slot, slot_id
from pipeline.store import Store
from pipeline.store.records import DeliveryState, SlotState

DONE = (SlotState.DELIVERED, SlotState.SKIPPED)
# not made again on its own: the outbox sends its message (a crash left it, or a server refused
# it for now), or a person decides (its message may have left and is gone)
NOT_REMADE = (*DONE, SlotState.SENDING, SlotState.DEFERRED, SlotState.UNSURE)
MAX_ATTEMPTS = 3  # a slot whose run failed is tried this often...
RETRY_AFTER = timedelta(minutes=10)  # ...this far apart
LOOKBACK = timedelta(days=2)  # missed slots older than this are not named in a catch-up brief


@dataclass(frozen=True)
class DueSlot:
    """The slot to make now, and the missed slots its brief makes up."""

    slot: datetime
    covers: tuple[str, ...]


def due_slot(store: Store, now: datetime, times: Sequence[time]) -> DueSlot | None:
    """The slot to make at `now`, or None when the ledger says there is nothing to do."""
    slot = current_slot(now, times)
    ledger = store.slot(slot_id(slot))
    if ledger is not None and ledger.state in NOT_REMADE:
        return None
    last = store.last_delivered_slot()
    if last is not None and slot_id(slot) < last:
        # the clock went back: time only moves forward for delivery, so an older slot than
        # one already delivered is never sent; the ledger says why
        store.set_slot(
            slot_id(slot),
            SlotState.SKIPPED,
            now,
            error=f"not sent: the clock reads {slot_id(slot)}, before {last}, which was already delivered",
        )
        return None
    if ledger is not None and ledger.state == SlotState.FAILED:
        delivery = store.delivery(slot_id(slot))
        if delivery is not None and delivery.state == DeliveryState.FAILED:
            return None  # the server refused the message for good: shown, not retried
        if ledger.attempts >= MAX_ATTEMPTS or now - ledger.updated_at < RETRY_AFTER:
            return None
    return DueSlot(slot, covered_slots(store, slot, times))


def covered_slots(store: Store, slot: datetime, times: Sequence[time]) -> tuple[str, ...]:
    """The older slots whose news the brief of `slot` takes in: those missed since the last one
    delivered, and those whose news never reached the reader (previewed with --no-send and never
    sent, refused by the server, their run failed or stopped; a message refused for now and
    overtaken by a newer delivered brief too, within LOOKBACK: it is never sent after it)."""
    last = store.last_delivered_slot()
    covers = tuple(
        s
        for s in missed_slots(last, slot, times)
        if (r := store.slot(s)) is None or r.state not in (*DONE, SlotState.UNSURE)
    )
    oldest = slot_id(slot - LOOKBACK)
    held = tuple(
        r.slot
        for r in store.slots()
        if r.slot < slot_id(slot)
        and (
            (
                r.state in (SlotState.FAILED, SlotState.DEFERRED, SlotState.INTERRUPTED)
                and r.slot > (last or "")
            )
            or (r.state == SlotState.DEFERRED and r.slot >= oldest)
            or (
                r.state == SlotState.BUILT
                and (d := store.delivery(r.slot)) is not None
                and d.state == DeliveryState.HELD
            )
        )
    )
    return tuple(sorted({*covers, *held}))


def missed_slots(last_done: str | None, current: datetime, times: Sequence[time]) -> tuple[str, ...]:
    """Scheduled slots after the last one done and before `current`, within LOOKBACK."""
    if last_done is None:
        return ()
    start = max(parse_slot(last_done), current - LOOKBACK)
    out: list[str] = []
    day = start.date()
    while day <= current.date():
        for t in times:
            at = datetime.combine(day, t, tzinfo=UTC)
            if start < at < current and slot_id(at) != last_done:
                out.append(slot_id(at))
        day += timedelta(days=1)
    return tuple(sorted(out))

"""Slots: the UTC times of day a brief is due, their ids and folders, and the line that says where we are."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from pipeline.store.records import SlotRecord, SlotState


def slot_id(slot: datetime) -> str:
    """ "2026-11-23T1500Z": the id of a brief, its folder and its Message-ID."""
    return slot.astimezone(UTC).strftime("%Y-%m-%dT%H%MZ")


def brief_folder(slot: datetime) -> str:
    """ "2026/11/23/1500": where the brief of a slot is kept, relative to the archive."""
    return slot.astimezone(UTC).strftime("%Y/%m/%d/%H%M")


def parse_slot(text: str) -> datetime:
    """Parse "2026-11-23T15:00Z", "2026-11-23T1500Z" or any ISO time (taken as UTC)."""
    cleaned = text.strip().upper().removesuffix("Z")
    if len(cleaned) == 15 and cleaned[10] == "T" and cleaned[11:].isdigit():  # 2026-11-23T1500
        cleaned = f"{cleaned[:13]}:{cleaned[13:]}"
    value = datetime.fromisoformat(cleaned)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def current_slot(now: datetime, times: Sequence[time]) -> datetime:
    """The latest scheduled slot at or before `now`."""
    now = now.astimezone(UTC)
    candidates = [
        datetime.combine(now.date() - timedelta(days=back), t, tzinfo=UTC) for back in (0, 1) for t in times
    ]
    return max(c for c in candidates if c <= now)


def next_slot(now: datetime, times: Sequence[time]) -> datetime:
    """The first scheduled slot strictly after `now`."""
    now = now.astimezone(UTC)
    candidates = [
        datetime.combine(now.date() + timedelta(days=ahead), t, tzinfo=UTC) for ahead in (0, 1) for t in times
    ]
    return min(c for c in candidates if c > now)


def status_line(last: datetime | None, now: datetime, times: Sequence[time], state: str = "Active") -> str:
    """ "Pipeline Active · Last: 15:00 UTC | Next: 21:00 UTC": the live state, for `brief status`
    (a brief says what was true when it was made instead: `made_line`)."""
    last_text = last.astimezone(UTC).strftime("%H:%M UTC") if last else "never"
    return f"Pipeline {state} · Last: {last_text} | Next: {next_slot(now, times).strftime('%H:%M UTC')}"


def made_line(slot: datetime, made: datetime, times: Sequence[time], *, by_hand: bool = False) -> str:
    """What a brief says of itself, true whenever it is read: "Brief of Tue 24 Nov, 15:00 UTC ·
    next brief at 21:00 UTC" (the schedule's slot after this one), or "· made by hand at
    16:42 UTC" for a brief made by `brief run`, when nothing says the schedule is running. A
    time on another day than the brief's slot is given with its date."""
    slot = slot.astimezone(UTC)
    if by_hand:
        then = made.astimezone(UTC)
        after = f"made by hand {_at(then, slot)}"
    else:
        after = f"next brief {_at(next_slot(slot, times), slot)}"
    return f"Brief of {slot:%a %d %b, %H:%M} UTC · {after}"


def _at(when: datetime, day_of: datetime) -> str:
    """ "at 21:00 UTC" on the day of `day_of`, else "on Wed 25 Nov at 15:00 UTC"."""
    day = "" if when.date() == day_of.date() else f"on {when:%a %d %b} "
    return f"{day}at {when:%H:%M} UTC"


def pipeline_state(
    slots: list[SlotRecord], heartbeat: str | None, running: bool, failure: str = ""
) -> tuple[str, str]:
    """Active (a scheduler holds its lock now), Stopped (none does), or Failing (the last slot
    failed, or the scheduler's last tick failed before it could make one); with a line on a slot
    that waits for a retry or for a person."""
    latest = next((r for r in slots if r.state != SlotState.SKIPPED), None)
    if latest is not None and latest.state == SlotState.FAILED:
        return "Failing", f"Slot {latest.slot} failed: {latest.error}"
    if running and failure:
        return "Failing", f"The scheduler's last try failed at {failure}"
    waiting = ""
    if latest is not None and latest.state in (SlotState.SENDING, SlotState.DEFERRED):
        waiting = f"Slot {latest.slot} is not delivered yet: {latest.error or 'being sent'}"
        if not running and latest.state == SlotState.DEFERRED:
            waiting += " (when `brief schedule` runs, or now with `brief run`)"
    if latest is not None and latest.state == SlotState.UNSURE:
        waiting = f"Slot {latest.slot} needs you: {latest.error}"
    if running:
        return "Active", waiting
    beat = datetime.fromisoformat(heartbeat) if heartbeat else None  # "" when stopped cleanly
    since = f" (last seen {beat:%Y-%m-%d %H:%M} UTC)" if beat else ""
    stopped = f"The scheduler is not running{since}: start it with `brief schedule`."
    return "Stopped", "\n".join(line for line in (waiting, stopped) if line)

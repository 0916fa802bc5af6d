"""Every slot delivered exactly once: the due-slot check, and the `brief schedule` service.

The slot ledger in the state database is the source of truth, not APScheduler's job store
(whose 3.x misfire handling drops a missed run when jobs are re-added on start).
`run_due_slots` is idempotent: it finishes any delivery a crash left half-done, then makes
the latest slot that is due unless the ledger says it is done. Slots missed while the
machine was off are made up once, by that one brief, which says which slots it covers.
The service calls it at start, at each scheduled time, and every 60 s (so a machine that
wakes from sleep catches up within a minute).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, timedelta
from types import FrameType

from .config import Config, SmtpSettings
from .errors import BriefError, BusyError, StoppedError
from .llm import llm_from_env
from .lock import RunLock, ServiceLock
from .models import DeliveryState, SlotState
from .outbox import SendPolicy, resume_deliveries
from .run import Progress, RunOptions, RunResult, run_brief
from .schedule import current_slot, parse_slot, slot_id
from .store import Store

log = logging.getLogger(__name__)

DONE = (SlotState.DELIVERED, SlotState.SKIPPED)
MAX_ATTEMPTS = 3  # a slot whose run failed is tried this often...
RETRY_AFTER = timedelta(minutes=10)  # ...this far apart
LOOKBACK = timedelta(days=2)  # missed slots older than this are not named in a catch-up brief
HEARTBEAT_SECONDS = 60


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


def run_due_slots(
    config: Config,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    smtp: SmtpSettings | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    policy: SendPolicy | None = None,
) -> RunResult | None:
    """Finish unfinished deliveries, then make the slot that is due if it is not done.

    Returns the run's result, or None when there was nothing to do. Raises BusyError when
    another run holds the lock.
    """
    policy = policy or SendPolicy()
    with RunLock(config.state_dir):
        now = clock()
        store = Store(config.state_dir)
        try:
            store.set_service("heartbeat", now.isoformat())
            resume_deliveries(store, config, smtp, now, policy)
            slot = current_slot(now, config.schedule)
            ledger = store.slot(slot_id(slot))
            if ledger is not None and ledger.state in DONE:
                return None
            if ledger is not None and ledger.state == SlotState.FAILED:
                delivery = store.delivery(slot_id(slot))
                if delivery is not None and delivery.state == DeliveryState.FAILED:
                    return None  # the server refused the message for good: shown, not retried
                if ledger.attempts >= MAX_ATTEMPTS or now - ledger.updated_at < RETRY_AFTER:
                    return None
            covers = tuple(
                s
                for s in missed_slots(store.last_delivered_slot(), slot, config.schedule)
                if (r := store.slot(s)) is None or r.state not in DONE
            )
        finally:
            store.close()
        options = RunOptions(covers=covers, should_stop=should_stop, send_policy=policy, llm=llm_from_env())
        return run_brief(config, slot=slot, clock=clock, smtp=smtp, progress=progress, options=options)


def serve(config: Config, smtp: SmtpSettings | None) -> None:
    """Run until SIGTERM or SIGINT: a cron trigger per scheduled time plus a 60 s heartbeat,
    all calling run_due_slots. A stop request lets the stage in flight finish."""
    with ServiceLock(config.state_dir):
        try:
            _serve(config, smtp)
        finally:
            store = Store(config.state_dir)
            try:
                store.set_service("heartbeat", "")  # stopped: `brief status` says so at once
            finally:
                store.close()


def _serve(config: Config, smtp: SmtpSettings | None) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    stop = threading.Event()
    scheduler = BlockingScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )

    def tick() -> None:
        if stop.is_set():
            return
        try:
            result = run_due_slots(config, smtp=smtp, should_stop=stop.is_set, policy=policy)
        except BusyError:
            log.info("a run is already in progress; this tick leaves it alone")
            return
        except StoppedError as exc:
            log.warning("%s; the next start finishes the slot", exc)
            return
        except BriefError as exc:
            log.error("the run failed: %s", exc)
            return
        if result is not None:
            log.warning("brief %s: %s", result.brief_id, result.delivery.detail)

    def pause(seconds: float) -> None:
        # a retry's pause ends early on SIGTERM; the message stays 'sending' and the next
        # start sends it
        if stop.wait(seconds):
            raise StoppedError("stopped while waiting to retry a delivery")

    policy = SendPolicy(sleep=pause)

    for t in config.schedule:
        scheduler.add_job(tick, CronTrigger(hour=t.hour, minute=t.minute, timezone=UTC), id=f"slot-{t:%H%M}")
    scheduler.add_job(
        tick, IntervalTrigger(seconds=HEARTBEAT_SECONDS), id="heartbeat", next_run_time=datetime.now(UTC)
    )

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.warning("stopping after the stage in flight (%s)", signal.Signals(signum).name)
        stop.set()
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.warning("dailybrief schedule: briefs at %s UTC", ", ".join(f"{t:%H:%M}" for t in config.schedule))
    scheduler.start()

"""The `brief schedule` service: every slot delivered exactly once, whatever the clock does.

`run_due_slots` is idempotent: through `run_slot` it finishes any delivery a crash left
half-done, then makes the latest slot that is due unless the slot ledger says it is done
(the rules are in `pipeline/operate/slots.py`). The service calls it at start, at each scheduled time,
and every 60 s (so a machine that wakes from sleep catches up within a minute).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from pipeline.config import Config, SmtpSettings
from pipeline.errors import BriefError, BusyError, StoppedError
from pipeline.operate.lock import ServiceLock
from pipeline.operate.progress import Progress
from pipeline.publish.outbox import SendPolicy
from pipeline.run import RunOptions, RunResult, run_editions, run_slot
from pipeline.store import Store
from pipeline.understand.llm import llm_from_env

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 60


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
    options = RunOptions(
        should_stop=should_stop, send_policy=policy or SendPolicy(), llm=llm_from_env(), heartbeat=True
    )
    try:
        if config.several:  # each edition due at its own times; those due now read the feeds once
            made = run_editions(config, clock=clock, smtp=smtp, progress=progress, options=options)
            results = [o.result for o in made.values() if o.result is not None]
            for r in results[:-1]:
                log.warning("brief %s: %s", r.brief_dir, r.delivery.detail)
            result = results[-1] if results else None
            failed = [f"edition {e}: {o.error}" for e, o in made.items() if o.error is not None]
            if failed:  # the others were made: `brief status` says Failing, with which and why
                _note_failure(config, f"{clock():%Y-%m-%d %H:%M} UTC: " + "; ".join(failed))
                return result
        else:
            result = run_slot(config, clock=clock, smtp=smtp, progress=progress, options=options).result
    except (BusyError, StoppedError):
        raise
    except BriefError as exc:
        # a tick that fails before any slot is recorded (a full or read-only folder): `brief
        # status` says Failing, not Active, until a tick gets through
        _note_failure(config, f"{clock():%Y-%m-%d %H:%M} UTC: {exc}")
        raise
    _note_failure(config, "")
    return result


def _note_failure(config: Config, said: str) -> None:
    """Keep what the last tick failed on ("" once one gets through), as far as the state folder
    can take it: a state that cannot be written is said by the run's own error."""
    try:
        store = Store(config.state_dir, config.database)
        try:
            if (store.service("last_failure") or "") != said:
                store.set_service("last_failure", said)
        finally:
            store.close()
    except (BriefError, OSError):
        log.debug("could not record the tick's failure", exc_info=True)


def serve(config: Config, smtp: SmtpSettings | None) -> None:
    """Run until SIGTERM or SIGINT: a cron trigger per scheduled time plus a 60 s heartbeat,
    all calling run_due_slots. A stop request lets the stage in flight finish."""
    with ServiceLock(config.state_dir, config.database):
        try:
            _serve(config, smtp)
        finally:
            store = Store(config.state_dir, config.database)
            try:
                store.set_service("heartbeat", "")  # stopped: `brief status` says so at once
            finally:
                store.close()


def _serve(config: Config, smtp: SmtpSettings | None) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler

    stop = threading.Event()
    scheduler = BlockingScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
    _add_jobs(scheduler, lambda: config, smtp, stop)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.warning("stopping after the stage in flight (%s)", signal.Signals(signum).name)
        stop.set()
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.warning("dailybrief schedule: briefs at %s UTC", ", ".join(f"{t:%H:%M}" for t in config.schedule))
    scheduler.start()


JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


class BackgroundService:
    """The scheduler in threads beside another server (`brief serve --schedule`): the same jobs
    as `brief schedule`, the same lock; `stop` lets the stage in flight finish. Each tick runs
    with `current()`, the config as it is then (the web app's, read again when sources.yaml
    changes); the times of the schedule are those at start."""

    def __init__(
        self, config: Config, smtp: SmtpSettings | None, current: Callable[[], Config] | None = None
    ) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        self.config = config
        self._lock = ServiceLock(config.state_dir, config.database)
        self._stop = threading.Event()
        self._scheduler = BackgroundScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
        _add_jobs(self._scheduler, current or (lambda: config), smtp, self._stop)

    def start(self) -> None:
        """Take the scheduler's lock (BusyError when another scheduler has it) and start."""
        self._lock.__enter__()
        log.warning(
            "dailybrief schedule: briefs at %s UTC", ", ".join(f"{t:%H:%M}" for t in self.config.schedule)
        )
        self._scheduler.start()

    def tick(self) -> None:
        """One tick now, in this thread, as the scheduler's own: what a test waits on."""
        self._scheduler.get_job("heartbeat").func()

    def stopping(self) -> None:
        """No tick starts from now on, a run in flight stops after its stage (a signal came)."""
        self._stop.set()

    def stop(self) -> None:
        """Stop (waiting for a run in flight to end its stage) and let go of the lock."""
        self._stop.set()
        try:
            self._scheduler.shutdown(wait=True)
        finally:
            store = Store(self.config.state_dir, self.config.database)
            try:
                store.set_service("heartbeat", "")  # stopped: `brief status` says so at once
            finally:
                store.close()
            self._lock.__exit__(None, None, None)


def _add_jobs(
    scheduler: Any, current: Callable[[], Config], smtp: SmtpSettings | None, stop: threading.Event
) -> None:
    """A cron trigger per scheduled time and a 60 s heartbeat, all calling run_due_slots with
    `current()`; `stop` set, a tick does nothing and a retry's pause ends."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    def tick() -> None:
        if stop.is_set():
            return
        try:
            result = run_due_slots(current(), smtp=smtp, should_stop=stop.is_set, policy=policy)
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

    for t in current().schedule:
        scheduler.add_job(tick, CronTrigger(hour=t.hour, minute=t.minute, timezone=UTC), id=f"slot-{t:%H%M}")
    scheduler.add_job(
        tick, IntervalTrigger(seconds=HEARTBEAT_SECONDS), id="heartbeat", next_run_time=datetime.now(UTC)
    )

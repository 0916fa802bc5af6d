"""A brief delivered by `brief worker` processes: queue mode's delivery (`brief.queue`).

The run makes the brief and records its message as a run on one machine does; then, instead of
sending it itself, it marks it as being sent (its recipients recorded: `outbox.begin_sending`)
and defers a few `deliver` jobs, one per `PER_JOB` recipients waiting (at most `MAX_JOBS`).
Each job sends the stored message to the recipients no other process holds
(`outbox.send_waiting`: each recipient is claimed `FOR UPDATE SKIP LOCKED` as it is sent, so
jobs on any machines split them and none gets two), over the SMTP server of the worker's own
environment (`BRIEF_SMTP_*`, `BRIEF_SECRET`: secrets never go into a job). The message is the
archived `message.eml`, kept in the database while it is sent (`queued_messages`), so a worker
needs no copy of the archive. The run waits for its jobs, as it waits for its pages, and then
says where the slot stands from the recipients themselves (`outbox.finish_sending`): a job that
died is tried again by the engine, and those its worker had not sent are still waiting for the
next job or the scheduler's next resume.

    run ─ begin_sending, keep the message, defer deliver ×K ─▶ procrastinate_jobs ◀─ brief worker
      ◀── recipients (each sent once, claimed as it is sent) ──┘ ─▶ finish_sending

Every send of a slot's message goes this way in queue mode: a run's, and the scheduler's
resume of one deferred or left unfinished (`outbox.resume_deliveries`, `outbox.deliver_built`).
`brief send` (a resend on purpose, to every subscriber) sends from where it is run.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.config import Config, SmtpSettings, smtp_from_env
from pipeline.errors import DeliveryError, StoppedError
from pipeline.models import Delivery
from pipeline.publish.outbox import WAITING, Sender, SendPolicy, begin_sending, finish_sending, send_waiting
from pipeline.store import Store
from pipeline.store.queued import QueuedJobs, QueuedMessages
from pipeline.store.records import DeliveryState

QUEUE = "deliveries"
TASK = "brief:deliver"
PER_JOB = 100  # recipients waiting per job deferred: a thousand subscribers are sent by up to 8 at once
MAX_JOBS = 8
ATTEMPTS = 3  # a job is tried this many times (a worker that died counts as one)
POLL = 0.2  # seconds between two looks at the jobs left


def add_delivery_task(app: Any, engine: Any) -> None:
    """Give a Procrastinate app the `deliver` task (a worker's: the run defers it by name)."""
    app.task(
        name=TASK,
        queue=QUEUE,
        pass_context=True,
        retry=engine.RetryStrategy(max_attempts=ATTEMPTS - 1, wait=5),
    )(_deliver_task)


async def _deliver_task(context: Any, edition: str, brief_id: str) -> None:
    config: Config = context.additional_context["config"]
    await asyncio.to_thread(send_for_run, config.for_edition(edition or None), brief_id)


def send_for_run(config: Config, brief_id: str, smtp: SmtpSettings | None = None) -> None:
    """In a worker: send the message of `brief_id` (of `config`'s edition) to the recipients still
    waiting that no other process holds. A slot no longer being sent is left as it is (settled,
    or its job run twice). Raises DeliveryError when this worker cannot send (no SMTP server,
    no secret for the links): the engine tries the job again, on any worker."""
    smtp = smtp or smtp_from_env()
    if smtp is None:
        raise DeliveryError(
            "this worker has no SMTP server to send with (BRIEF_SMTP_HOST is not set)",
            hint="give every `brief worker` the BRIEF_SMTP_* and BRIEF_SECRET of the service",
            temporary=True,
        )
    store = Store(config.state_dir, config.database)
    try:
        record = store.delivery(brief_id)
        if record is None or record.state != DeliveryState.SENDING:
            return
        raw = _message(config, brief_id, Path(record.eml_path))
        now = datetime.now(UTC)
        broken = send_waiting(store, brief_id, raw, config, smtp, now, SendPolicy())
        if broken is not None:  # kept where the run looks, and the job tried again
            store.set_delivery(brief_id, DeliveryState.SENDING, now, error=f"a worker: {broken}")
            raise broken
    finally:
        store.close()


def _message(config: Config, brief_id: str, eml: Path) -> bytes:
    """The message the run kept for the workers; the archive's file when it kept none (a job
    deferred by a dailybrief from before the messages were kept, on a worker beside the archive)."""
    kept = QueuedMessages(config.shared_state[1])
    try:
        raw = kept.get(config.edition, brief_id)
    finally:
        kept.close()
    if raw is not None:
        return raw
    try:
        return eml.read_bytes()
    except OSError as exc:
        raise DeliveryError(
            f"brief {brief_id}'s message is neither in the queue's database nor readable here ({exc})",
            hint="the scheduler keeps it again when it resumes the delivery",
            temporary=True,
        ) from exc


def sender(app_of: Callable[[], Any], wait: float, should_stop: Callable[[], bool] = lambda: False) -> Sender:
    """The `Sender` of queue mode: keep the message, defer the jobs, wait for them (at most
    `wait` seconds), and say where the slot stands. `app_of` makes the queue's app, when there
    is something to send."""

    def deliver(
        store: Store,
        brief_id: str,
        eml: Path,
        message_id: str,
        config: Config,
        smtp: SmtpSettings,
        now: datetime,
        policy: SendPolicy,
    ) -> Delivery:
        refused = begin_sending(store, brief_id, eml, message_id, config, now)
        if refused is not None:
            return refused
        waiting = sum(1 for r in store.recipients(brief_id) if r.state in WAITING)
        count = min(MAX_JOBS, max(1, math.ceil(waiting / PER_JOB)))
        app = app_of()
        kept = QueuedMessages(config.shared_state[1])
        try:
            kept.put(config.edition, brief_id, eml.read_bytes())
            task = app.configure_task(name=TASK, queue=QUEUE)
            with app.open():
                jobs = [task.defer(edition=config.edition, brief_id=brief_id) for _ in range(count)]
            policy.tell(f"brief {brief_id}: {waiting:,} subscribers, sent by {count} worker job(s)")
            left = _wait(kept, jobs, wait, should_stop)  # stopped: the jobs go on with the message
            said = store.delivery(brief_id)
            broken = None
            if left:
                late = f"{left} of the workers' jobs not done after {wait:.0f} s"
                broken = DeliveryError(late, temporary=True)
            elif said is not None and said.error:  # what broke a worker's connection
                broken = DeliveryError(said.error, temporary=True)
            delivery = finish_sending(store, brief_id, eml, message_id, config, smtp, now, broken)
            kept.forget(config.edition, brief_id)  # a job that starts now finds the slot settled
            return delivery
        finally:
            kept.close()

    return deliver


def _wait(queued: QueuedJobs, jobs: list[int], wait: float, should_stop: Callable[[], bool]) -> int:
    """Until none of `jobs` is waiting or running, or `wait` seconds have passed; how many are."""
    ends = time.monotonic() + wait
    while (left := len(queued.jobs_left(jobs))) and time.monotonic() < ends:
        if should_stop():
            raise StoppedError("stopped while the workers sent the brief (they go on)")
        time.sleep(POLL)
    return left

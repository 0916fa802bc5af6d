"""Run now: a run of the current slot in a background thread, as `brief run` makes it, with its
progress recorded stage by stage for the page that watches it. With editions, as `brief run
--edition ID` makes one edition's brief, or `brief run` every edition's (the feeds read once).

One run at a time, whoever starts it: `start` refuses while this app's run is going or while
any process holds the run lock (`brief run` in a shell, the scheduler); a run that loses the
race for the lock all the same ends `refused` with the lock's message, having done nothing.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pipeline.config import Config, SmtpSettings
from pipeline.errors import BriefError, BusyError, StoppedError
from pipeline.operate.lock import RunLock
from pipeline.operate.schedule import current_slot, slot_id
from pipeline.publish.tokens import edition_path

if TYPE_CHECKING:
    from pipeline.run import SlotOutcome

log = logging.getLogger(__name__)

KEPT = 20  # runs remembered for their pages


@dataclass
class Stage:
    name: str
    total: int | None
    done: int = 0


@dataclass
class Job:
    """One Run now, as its page shows it; changed by the run's thread, read by requests."""

    id: str
    slot: str
    started: datetime
    edition: str = ""  # the edition it makes; "" for the brief of a file without editions, or all
    state: str = "running"  # running, done, failed, refused
    stages: list[Stage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)  # what `brief run` would print at the end
    error: str = ""
    hint: str = ""
    brief_path: str = ""  # the brief's page in the app ("/2026/11/24/1500/", "/e/coast/2026/...")
    finished: datetime | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"


class _Recorder:
    """The run's Progress: each stage and note goes into the job as it comes."""

    def __init__(self, job: Job, lock: threading.Lock) -> None:
        self.job = job
        self.lock = lock

    def stage(self, name: str, total: int | None = None) -> None:
        with self.lock:
            if self.job.stages and self.job.stages[-1].total:
                self.job.stages[-1].done = self.job.stages[-1].total or 0
            self.job.stages.append(Stage(name, total))

    def advance(self, detail: str = "") -> None:
        with self.lock:
            if self.job.stages:
                self.job.stages[-1].done += 1

    def note(self, message: str) -> None:
        with self.lock:
            self.job.notes.append(message)


class RunNow:
    """The app's runs: start one, look one up by id."""

    def __init__(self, config: Config, smtp: SmtpSettings | None, clock: Callable[[], datetime]) -> None:
        self.config = config
        self.smtp = smtp
        self.clock = clock
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    def start(self, edition: str = "") -> Job:
        """Start a run of the current slot (with editions: of `edition`'s, or of every one's);
        BusyError while a run is going, here or elsewhere (BriefError while the server stops)."""
        with self._lock:
            if self._stopping.is_set():
                raise BriefError("the server is stopping", hint="start it again, then run")
            going = next((j for j in self._jobs.values() if j.running), None)
            if going is not None:
                raise BusyError(str(os.getpid()))
            holder = RunLock.holder(self.config.state_dir, self.config.database)
            if holder is not None:
                raise BusyError(holder)
            now = self.clock()
            job = Job(secrets.token_urlsafe(8), _slots(self.config, edition, now), now, edition)
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT:
                del self._jobs[next(iter(self._jobs))]
            thread = threading.Thread(target=self._run, args=(job,), name=f"run-now-{job.id}", daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def latest(self, edition: str = "") -> Job | None:
        """The last run started that made `edition` (every edition's runs among them)."""
        with self._lock:
            return next((j for j in reversed(self._jobs.values()) if j.edition in ("", edition)), None)

    def latest_shown(self, edition: str = "") -> Job | None:
        """A snapshot of `latest(edition)`, for a page to show."""
        latest = self.latest(edition)
        return self.snapshot(latest) if latest else None

    def snapshot(self, job: Job) -> Job:
        """A copy of the job that its thread does not change while a page renders it."""
        with self._lock:
            return Job(
                id=job.id,
                slot=job.slot,
                started=job.started,
                edition=job.edition,
                state=job.state,
                stages=[Stage(s.name, s.total, s.done) for s in job.stages],
                notes=list(job.notes),
                summary=list(job.summary),
                error=job.error,
                hint=job.hint,
                brief_path=job.brief_path,
                finished=job.finished,
            )

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the runs in flight (a test, or the app shutting down)."""
        for thread in list(self._threads):
            thread.join(timeout)

    def stopping(self) -> None:
        """The server is stopping: no run starts, the one in flight stops after its stage."""
        self._stopping.set()

    def stop(self) -> None:
        """Stop, and wait for the run in flight to have stopped."""
        self._stopping.set()
        self.wait()

    def _run(self, job: Job) -> None:
        from pipeline.run import RunOptions, run_editions, run_slot
        from pipeline.understand.llm import llm_from_env

        progress = _Recorder(job, self._lock)
        config = self.config
        try:
            options = RunOptions(llm=llm_from_env(), manual=True, should_stop=self._stopping.is_set)
            if config.several:  # as `brief run [--edition ID]`: each at its current slot, read once
                made = run_editions(
                    config,
                    [job.edition] if job.edition else [],
                    clock=self.clock,
                    smtp=self.smtp,
                    progress=progress,
                    options=options,
                    current=True,
                )
                said, state, path = _said_editions(made, config)
            else:
                slot = current_slot(job.started, config.schedule)
                outcome = run_slot(
                    config, slot=slot, clock=self.clock, smtp=self.smtp, progress=progress, options=options
                )
                said, state, path = _said(outcome.result, config)
        except BusyError as exc:
            said, state, path = [], "refused", ""
            self._end(job, state, said, path, str(exc), exc.hint or "")
            return
        except StoppedError as exc:
            self._end(
                job, "failed", [], "", f"{exc}: the server was stopped", "the next run finishes the slot"
            )
            return
        except BriefError as exc:
            self._end(job, "failed", [], "", str(exc), exc.hint or "")
            return
        except Exception as exc:  # the thread's boundary: said on the page and in the log, never lost
            log.exception("Run now failed")
            self._end(job, "failed", [], "", f"the run failed: {type(exc).__name__}: {exc}", "see the log")
            return
        self._end(job, state, said, path, "", "")

    def _end(self, job: Job, state: str, said: list[str], path: str, error: str, hint: str) -> None:
        with self._lock:
            if job.stages and job.stages[-1].total and state == "done":
                job.stages[-1].done = job.stages[-1].total or 0
            job.state, job.summary, job.brief_path = state, said, path
            job.error, job.hint, job.finished = error, hint, self.clock()


def _slots(config: Config, edition: str, now: datetime) -> str:
    """The slot a run makes ("2026-11-24T1500Z"); with editions, each one's ("coast
    2026-11-24T1500Z, valley 2026-11-24T1200Z")."""
    if not config.several:
        return slot_id(current_slot(now, config.schedule))
    chosen = [config.for_edition(edition)] if edition else config.editions
    return ", ".join(f"{e.edition} {slot_id(current_slot(now, e.schedule))}" for e in chosen)


def _said_editions(made: Mapping[str, SlotOutcome], config: Config) -> tuple[list[str], str, str]:
    """`_said` of each edition's run, each line saying whose; the brief's page when one was made."""
    lines, states, paths = [], [], []
    for eid, outcome in made.items():
        said, state, path = _said(outcome.result, config.for_edition(eid))
        lines += [f"Edition {eid}: {line}" for line in said]
        states.append(state)
        paths += [path] if path else []
    return lines, "failed" if "failed" in states else "done", paths[0] if len(paths) == 1 else ""


def _said(result: object, config: Config) -> tuple[list[str], str, str]:
    """What `brief run` prints of a result, the job's end state, and the brief's page."""
    from pipeline.run import RunResult

    if not isinstance(result, RunResult):
        return ["Nothing was made."], "done", ""
    try:
        folder = result.brief_dir.relative_to(config.output_dir).as_posix()
        path = f"{edition_path(config)}/{folder}/"
    except ValueError:
        path = ""
    if result.already_delivered:
        return [f"Brief {result.brief_id} was already delivered; nothing to do."], "done", path
    lines = []
    if result.as_built:
        lines.append(
            f"Brief {result.brief_id} was built before (--no-send): its message goes as it was built."
        )
    else:
        s = result.stats
        lines.append(
            f"Brief {result.brief_id}: {s.articles_new} new articles ({s.duplicates} duplicates merged), "
            f"{len(result.threads)} threads, {s.feeds_ok}/{s.feeds_total} feeds read, {result.seconds:.1f} s"
        )
        lines += [f"Feed failed: {name}: {error}" for name, error in result.feed_errors]
    lines.append(f"Email: {result.delivery.detail}")
    return lines, "failed" if result.delivery.failed else "done", path

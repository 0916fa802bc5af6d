"""Pages read by `brief worker` processes on any machine: the queue mode (`brief.queue`).

The engine is Procrastinate: its jobs are rows in the same PostgreSQL database as the state,
so there is no broker to run, and retries, locks and the workers' heartbeats are its own. A
run defers one job per page (`read_page`), waits for them until `brief.queue_wait` has passed,
and takes the articles the workers kept (`pipeline/store/queued.py`); then it merges and stores
them as a run on one machine does (`reading.read_articles`). A worker fetches and extracts a
page with the very functions of that path (`fetch_all`, `page_of`, `extract_article`).

    run   ─ defer read_page ×N ─▶ procrastinate_jobs ◀─ brief worker (×M, any machine)
      ◀── queued_articles (one article per page, kept once, as JSON) ──┘

A job's arguments are plain JSON: the run, the entry's feed and id (the entry itself is read
from the store), its publisher and the time its run stops waiting. Nothing is pickled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.config import Config
from pipeline.errors import BriefError, StoppedError
from pipeline.ingest.extract import extract_article
from pipeline.ingest.fetch import fetch_all
from pipeline.ingest.reading import RunContext, fetch_settings, keep_pause, origins, page_of, skip_known
from pipeline.ingest.urls import host_of
from pipeline.models import Article, FeedEntry, FetchRequest
from pipeline.store.queued import QueuedPages, apply_queue_schema

try:
    import procrastinate
except ImportError:  # the optional extra: a single machine never needs it
    procrastinate = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

QUEUE = "pages"
POLL = 0.2  # seconds between two looks at the jobs left
ATTEMPTS = 3  # a page's job is tried this many times (a worker that died counts as one)
STALLED_AFTER = 30.0  # seconds without a worker's heartbeat before its jobs are tried again
LOOK_FOR_JOBS = 1.0  # seconds between a worker's looks for jobs that became due (a host's wait)


def _engine() -> Any:
    if procrastinate is None:
        raise BriefError(
            "brief.queue needs the task queue's engine, Procrastinate, and it is not installed",
            hint="pip install 'dailybrief[postgres]'",
        )
    return procrastinate


TaskAdder = Callable[[Any, Any], None]  # gives an app (and its engine) a task of another stage


def queue_app(config: Config, more: Sequence[TaskAdder] = ()) -> Any:
    """The Procrastinate app of this installation's database, its schema applied if missing:
    the pages' tasks, and those `more` adds (a worker's app has every task a run defers)."""
    engine = _engine()
    database = config.shared_state[1]  # the jobs are the installation's, not an edition's
    app = engine.App(connector=engine.PsycopgConnector(conninfo=database))
    _add_tasks(app, engine)
    for add in more:
        add(app, engine)
    apply_queue_schema(database, engine.schema.SchemaManager.get_schema())
    return app


class _Later(Exception):
    """The page's host asked us to wait (Retry-After) until `at`, before its run stops waiting:
    the job is tried again then."""

    def __init__(self, host: str, at: datetime) -> None:
        super().__init__(f"{host} asked us to wait until {at:%H:%M:%S} UTC")
        self.at = at


def _read_page(
    config: Config, run_id: int, index: int, feed_url: str, entry_id: str, source: str, until: str
) -> None:
    """Fetch and extract one page, as a run on one machine does, and keep its article; raise
    `_Later` when its host asked us to wait and its run still waits then.

    A host's wait is the single-process fetcher's own: a pause the store holds (written by any
    worker or run, so every worker sees it) makes `fetch_all` answer PAUSED without a request,
    and a 429 or 503 is read by `failures.retry_after` and stored by `reading.keep_pause`. The
    clock is the wall's: the job's `scheduled_at` is compared with the database's time."""
    ends = datetime.fromisoformat(until)
    now = datetime.now(UTC)
    if now >= ends:  # its run goes on without it: the entry stays pending for the next run
        return
    pages = QueuedPages(config.database)
    try:
        entry = pages.entry(feed_url, entry_id)
        if entry is None:  # the entry is gone (the state recovered from the archive): nothing to read
            return
        host = host_of(entry.link)
        paused = {h: at for h, (at, _) in pages.paused_hosts(now).items() if h == host}
        if host in paused and paused[host] <= ends:
            raise _Later(host, paused[host])
        (result,) = fetch_all([FetchRequest(entry.link, kind="page")], fetch_settings(config), paused=paused)
        asked = keep_pause(pages, result)
        if asked is not None and asked[1] <= ends:
            raise _Later(*asked)
        page = page_of(entry, result)  # a wait past the run's end: a failed page, as on one machine
        pages.put(run_id, index, page.error is not None, extract_article(page, source))
    finally:
        pages.close()


async def _read_page_task(context: Any, **job: Any) -> None:
    config = context.additional_context["config"]
    await asyncio.to_thread(_read_page, config, **job)


async def _retry_stalled(context: Any, timestamp: int) -> None:
    """Jobs of a worker that stopped sending its heartbeat (killed, its machine gone) are tried
    again: Procrastinate's own recipe for stalled jobs, run every few seconds by a worker."""
    manager = context.app.job_manager
    stalled_after = context.additional_context["stalled_after"]
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        await manager.retry_job(job)


def _add_tasks(app: Any, engine: Any) -> None:
    class PageRetry(engine.BaseRetryStrategy):  # type: ignore[misc]
        """A host's wait: tried again when it ends; any other failure: up to ATTEMPTS tries."""

        tries = engine.RetryStrategy(max_attempts=ATTEMPTS - 1, wait=1)

        def get_retry_decision(self, *, exception: BaseException, job: Any) -> Any:
            if isinstance(exception, _Later):
                return engine.RetryDecision(retry_at=exception.at)
            return self.tries.get_retry_decision(exception=exception, job=job)

    app.task(name="brief:read_page", queue=QUEUE, pass_context=True, retry=PageRetry())(_read_page_task)
    app.periodic(cron="* * * * * */5", periodic_id="retry_stalled")(
        app.task(name="brief:retry_stalled", queue=QUEUE, queueing_lock="retry_stalled", pass_context=True)(
            _retry_stalled
        )
    )


def run_worker(
    config: Config,
    concurrency: int,
    stalled_after: float = STALLED_AFTER,
    more: Sequence[tuple[str, TaskAdder]] = (),
) -> None:
    """Run a worker until SIGINT or SIGTERM: it reads pages for every run that defers them, and
    does the jobs of the other queues `more` names (each with what adds its task). A worker
    silent for `stalled_after` seconds is taken for dead, and its jobs tried again.

    A worker outlives its database: when the server goes away (stopped, restarted, out of
    reach), Procrastinate's worker ends; this one says so, waits `RECONNECT` seconds and starts
    it again, until the server is back. The jobs it held are tried again as stalled."""
    app = queue_app(config, [add for _, add in more])
    queues = [QUEUE, *(name for name, _ in more)]
    asyncio.run(_work(app, config, queues, concurrency, stalled_after))


RECONNECT = 2.0  # seconds between a worker's tries to reach its database again


async def _work(app: Any, config: Config, queues: list[str], concurrency: int, stalled_after: float) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    while not stopping.is_set():
        try:
            async with app.open_async():
                working = asyncio.ensure_future(
                    app.run_worker_async(
                        queues=queues,
                        concurrency=concurrency,
                        additional_context={"config": config, "stalled_after": stalled_after},
                        stalled_worker_timeout=stalled_after,
                        update_heartbeat_interval=stalled_after / 3,
                        fetch_job_polling_interval=LOOK_FOR_JOBS,
                        install_signal_handlers=False,
                    )
                )
                stop = asyncio.ensure_future(stopping.wait())
                await asyncio.wait({working, stop}, return_when=asyncio.FIRST_COMPLETED)
                if stop.done():  # a graceful stop: the pages in hand are finished first
                    working.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await working
                    return
                stop.cancel()
                working.result()  # what ended it, raised
                log.warning("the worker stopped without being asked to; starting it again")
        except Exception as exc:  # the database gone: Procrastinate's error, or psycopg's
            log.warning("the worker lost its database (%s); trying again in %.0f s", exc, RECONNECT)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), RECONNECT)


def defer_pages(
    app: Any, config: Config, run_id: int, pending: Sequence[FeedEntry], until: datetime
) -> list[int]:
    """A job per entry with a link, for run `run_id` (the app open), read only before `until`;
    their ids.

    The per-host limit (`fetch.per_host`) is Procrastinate's `lock`: the k-th page of a host
    takes the lock `host:<host>:<k mod per_host>`, and the queue's unique index on the lock of
    running jobs lets one job hold a lock at a time, on every worker of every machine. So no
    host has more than `per_host` pages in flight, with no lock or counter of ours to keep (a
    dead worker's job lets its lock go when it is retried as stalled). We chose it over advisory
    locks taken by each job (any free slot, but a job finding none must be retried later, again
    and again, for as long as the host is busy) for that: nothing polls. Its cost: a lane is
    chosen when the job is deferred, so a slow page holds the pages behind it in its lane."""
    names = {f.url: f.name for f in config.feeds}
    task = app.tasks["brief:read_page"]
    per_host = max(1, config.per_host)
    lanes: Counter[str] = Counter()
    jobs = []
    for i, e in enumerate(pending):
        if not e.link:
            continue
        host = host_of(e.link)
        lane = lanes[host] % per_host
        lanes[host] += 1
        jobs.append(
            task.configure(lock=f"host:{host}:{lane}").defer(
                run_id=run_id,
                index=i,
                feed_url=e.feed_url,
                entry_id=e.entry_id,
                source=names.get(e.feed_url, e.feed_url),
                until=until.isoformat(),
            )
        )
    return jobs


def articles_by_workers(
    ctx: RunContext, pending: Sequence[FeedEntry]
) -> tuple[list[Article], dict[str, list[FeedEntry]], int]:
    """`reading.read_articles`'s reader in queue mode: defer a job per page, wait for the
    workers (showing progress) until every job is done or `brief.queue_wait` seconds have
    passed, and return (articles, entries per article id, pages that failed).

    A page not read in time is left out and said (a note naming it): its entry stays pending,
    so the next run reads it; the jobs still waiting are cancelled."""
    pending = skip_known(ctx, pending)
    ctx.stage("Fetching and extracting articles (workers)", len(pending))
    wait = ctx.config.queue_wait
    app = queue_app(ctx.config)
    pages = QueuedPages(ctx.config.database)
    found: dict[int, tuple[bool, Article]] = {}

    def take() -> None:
        for index, kept in pages.taken(ctx.run_id).items():
            if index not in found:
                found[index] = kept
                ctx.progress.advance(pending[index].title)

    try:
        with app.open():
            until = datetime.now(UTC) + timedelta(seconds=wait)
            jobs = defer_pages(app, ctx.config, ctx.run_id, pending, until)
            ends = time.monotonic() + wait
            while True:
                take()
                left = pages.jobs_left(jobs)
                if not left or time.monotonic() > ends:
                    break
                if ctx.should_stop():
                    raise StoppedError("stopped while the workers read the articles")
                time.sleep(POLL)
            for job_id in left:  # a job running goes on; its article is dropped with the run's
                app.job_manager.cancel_job_by_id(job_id)
        take()
        pages.forget(ctx.run_id)
    finally:
        pages.close()
    for index, entry in enumerate(pending):
        if not entry.link:  # as on one machine: the feed's summary is its article
            found[index] = (True, extract_article(page_of(entry, None), _source(ctx.config, entry)))
            ctx.progress.advance(entry.title)
    unread = [e for i, e in enumerate(pending) if i not in found]
    if unread:
        ctx.progress.note(
            f"{len(unread)} pages not read by the workers within brief.queue_wait ({wait} s); the next "
            "run reads them: " + "; ".join(f"{e.title or e.link} ({e.link})" for e in unread)
        )
    read = sorted(found)
    articles = [found[i][1] for i in read]
    return articles, origins([pending[i] for i in read], articles), sum(found[i][0] for i in read)


def _source(config: Config, entry: FeedEntry) -> str:
    return next((f.name for f in config.feeds if f.url == entry.feed_url), entry.feed_url)

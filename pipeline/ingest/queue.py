"""Feeds and pages read by `brief worker` processes on any machine: the queue mode (`brief.queue`).

The engine is Procrastinate: its jobs are rows in the same PostgreSQL database as the state,
so there is no broker to run, and retries, locks and the workers' heartbeats are its own. A
run defers one job per due feed (`read_feed`) and waits for them; a worker fetches the feed
with its stored validators and records it as a run on one machine does (`reading.record_feed`:
its entries, its failure and rest, its move), and hands back its error and warning, which the
run shows as that run would (`reading.read_feeds`). Then the run defers one job per new page
(`read_page`), waits for them, and takes the articles the workers kept; it merges and stores
them as a run on one machine does (`reading.read_articles`). A worker fetches and extracts a
page with the very functions of that path (`fetch_all`, `page_of`, `extract_article`). Each
wait lasts at most `brief.queue_wait`; what is not read by then is named, and read by the
next run.

    run ─ defer read_feed ×F ─▶ procrastinate_jobs ◀─ brief worker (×M, any machine)
      ◀── entries (the store's), queued_feeds (each feed's error, kept once) ──┘
    run ─ defer read_page ×N ─▶ procrastinate_jobs ◀─ brief worker
      ◀── queued_articles (one article per page, kept once, as JSON) ──┘

A job's arguments are plain JSON: the run, the feed (its address and name; its validators are
read from the store), or the entry's feed and id (the entry itself is read from the store), and
the time its run stops waiting. Nothing is pickled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.config import Config, FeedSource
from pipeline.errors import BriefError, StoppedError
from pipeline.ingest.extract import extract_article
from pipeline.ingest.fetch import fetch_all
from pipeline.ingest.reading import (
    FeedOutcome,
    RunContext,
    fetch_settings,
    keep_pause,
    origins,
    page_of,
    record_feed,
    skip_known,
)
from pipeline.ingest.urls import host_of
from pipeline.models import Article, FeedEntry, FeedState, FetchRequest, FetchResult
from pipeline.store.queued import QueuedPages, apply_queue_schema

try:
    import procrastinate
except ImportError:  # the optional extra: a single machine never needs it
    procrastinate = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

QUEUE = "pages"
FEEDS = "feeds"  # a queue of its own: a worker may be given the feeds only (`brief worker` serves both)
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
    `_Later` when its host asked us to wait and its run still waits then."""
    ends = datetime.fromisoformat(until)
    if datetime.now(UTC) >= ends:  # its run goes on without it: the entry stays pending for the next run
        return
    pages = QueuedPages(config.database)
    try:
        entry = pages.entry(feed_url, entry_id)
        if entry is None:  # the entry is gone (the state recovered from the archive): nothing to read
            return
        result = _fetch(config, pages, FetchRequest(entry.link, kind="page"), ends)
        page = page_of(entry, result)  # a wait past the run's end: a failed page, as on one machine
        pages.put(run_id, index, page.error is not None, extract_article(page, source))
    finally:
        pages.close()


def _read_feed(
    config: Config, run_id: int, feed_url: str, name: str, now: str, seed: int, until: str
) -> None:
    """Fetch one feed with its stored validators, as a run on one machine does, and record it as
    that run would (`reading.record_feed`, at the run's time `now`, its backoff's jitter drawn
    from `seed`, which the run drew from its slot's), keeping its error and warning for the run;
    raise `_Later` when its host asked us to wait and its run still waits then.

    A job run twice (retried after its worker died, or taken for stalled while it ran) records
    the feed once: the outcome's row is claimed in the transaction that records the feed, so the
    second finds it claimed and records nothing (its entries would be kept once anyway: the
    store ignores an entry it has)."""
    ends = datetime.fromisoformat(until)
    if datetime.now(UTC) >= ends:  # its run named it not read in time: the next run reads it
        return
    feeds = QueuedPages(config.database)
    try:
        state = feeds.feed_state(feed_url)
        result = _fetch(
            config, feeds, FetchRequest(state.moved_to or feed_url, state.validators, kind="feed"), ends
        )
        with feeds.transaction():
            if feeds.claim_feed(run_id, feed_url):
                feed = FeedSource(feed_url, name)
                at, rng = datetime.fromisoformat(now), random.Random(seed)
                error, warning = record_feed(feeds, feed, state, result, at, rng, config.max_entries_per_feed)
                feeds.put_feed(run_id, feed_url, error, warning)
    finally:
        feeds.close()


def _fetch(config: Config, store: QueuedPages, request: FetchRequest, ends: datetime) -> FetchResult:
    """Fetch `request` as the single-process fetcher does, or raise `_Later` when its host asked
    us to wait until a time before `ends`.

    A host's wait is the single-process fetcher's own: a pause the store holds (written by any
    worker or run, so every worker sees it) makes `fetch_all` answer PAUSED without a request,
    and a 429 or 503 is read by `failures.retry_after` and stored by `reading.keep_pause`. The
    clock is the wall's: the job's `scheduled_at` is compared with the database's time."""
    host = host_of(request.url)
    paused = {h: at for h, (at, _) in store.paused_hosts(datetime.now(UTC)).items() if h == host}
    if host in paused and paused[host] <= ends:
        raise _Later(host, paused[host])
    (result,) = fetch_all([request], fetch_settings(config), paused=paused)
    asked = keep_pause(store, result)
    if asked is not None and asked[1] <= ends:
        raise _Later(*asked)
    return result  # a wait past the run's end: a PAUSED failure, as on one machine


async def _read_page_task(context: Any, **job: Any) -> None:
    config = context.additional_context["config"]
    await asyncio.to_thread(_read_page, config, **job)


async def _read_feed_task(context: Any, **job: Any) -> None:
    config = context.additional_context["config"]
    await asyncio.to_thread(_read_feed, config, **job)


async def _retry_stalled(context: Any, timestamp: int) -> None:
    """Jobs of a worker that stopped sending its heartbeat (killed, its machine gone) are tried
    again: Procrastinate's own recipe for stalled jobs, run every few seconds by a worker."""
    manager = context.app.job_manager
    stalled_after = context.additional_context["stalled_after"]
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        await manager.retry_job(job)


def _add_tasks(app: Any, engine: Any) -> None:
    """The reading's tasks, feeds' and pages': here rather than added by the caller as the
    deliveries' are (`run_worker`'s `more`), because this module defers and serves them both,
    and a run that defers feeds always defers pages next."""

    class PageRetry(engine.BaseRetryStrategy):  # type: ignore[misc]
        """A host's wait: tried again when it ends; any other failure: up to ATTEMPTS tries."""

        tries = engine.RetryStrategy(max_attempts=ATTEMPTS - 1, wait=1)

        def get_retry_decision(self, *, exception: BaseException, job: Any) -> Any:
            if isinstance(exception, _Later):
                return engine.RetryDecision(retry_at=exception.at)
            return self.tries.get_retry_decision(exception=exception, job=job)

    app.task(name="brief:read_page", queue=QUEUE, pass_context=True, retry=PageRetry())(_read_page_task)
    app.task(name="brief:read_feed", queue=FEEDS, pass_context=True, retry=PageRetry())(_read_feed_task)
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
    """Run a worker until SIGINT or SIGTERM: it reads feeds and pages for every run that defers
    them, and does the jobs of the other queues `more` names (each with what adds its task). A worker
    silent for `stalled_after` seconds is taken for dead, and its jobs tried again.

    A worker outlives its database: when the server goes away (stopped, restarted, out of
    reach), Procrastinate's worker ends; this one says so, waits `RECONNECT` seconds and starts
    it again, until the server is back. The jobs it held are tried again as stalled."""
    app = queue_app(config, [add for _, add in more])
    queues = [FEEDS, QUEUE, *(name for name, _ in more)]
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
                if stop.done():  # a graceful stop: the jobs in hand are finished first
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
    linked = [(i, e) for i, e in enumerate(pending) if e.link]
    return [
        task.configure(lock=lock).defer(
            run_id=run_id,
            index=i,
            feed_url=e.feed_url,
            entry_id=e.entry_id,
            source=names.get(e.feed_url, e.feed_url),
            until=until.isoformat(),
        )
        for (i, e), lock in zip(
            linked, _host_locks((e.link for _, e in linked), config.per_host), strict=True
        )
    ]


def defer_feeds(
    app: Any, ctx: RunContext, due: Sequence[tuple[FeedSource, FeedState]], until: datetime
) -> list[int]:
    """A job per due feed, for `ctx`'s run (the app open), read only before `until`; their ids.
    A feed's host takes a lane of the same locks as its pages (`defer_pages`): the per-host limit
    holds for feeds too. Each job is given a seed for its backoff's jitter, drawn from the run's
    (seeded by its slot), so a slot run again rests a failing feed for as long."""
    task = app.tasks["brief:read_feed"]
    urls = [state.moved_to or feed.url for feed, state in due]
    return [
        task.configure(lock=lock).defer(
            run_id=ctx.run_id,
            feed_url=feed.url,
            name=feed.name,
            now=ctx.now.isoformat(),
            seed=ctx.rng.getrandbits(32),
            until=until.isoformat(),
        )
        for (feed, _), lock in zip(due, _host_locks(urls, ctx.config.per_host), strict=True)
    ]


def _host_locks(urls: Iterable[str], per_host: int) -> list[str]:
    """The lock of each of `urls` in turn: the k-th of a host takes `host:<host>:<k mod per_host>`."""
    lanes: Counter[str] = Counter()
    locks = []
    for url in urls:
        host = host_of(url)
        locks.append(f"host:{host}:{lanes[host] % max(1, per_host)}")
        lanes[host] += 1
    return locks


def _wait_for(
    app: Any, queued: QueuedPages, jobs: Sequence[int], ctx: RunContext, take: Callable[[], None], doing: str
) -> None:
    """`take` what the workers kept, every POLL seconds, until none of `jobs` is waiting or
    running or `brief.queue_wait` has passed; then cancel the jobs still waiting (one running
    goes on: what it keeps is dropped with the run's) and take what came meanwhile. A stop
    request raises StoppedError, saying what the workers were `doing`."""
    ends = time.monotonic() + ctx.config.queue_wait
    while True:
        take()
        left = queued.jobs_left(jobs)
        if not left or time.monotonic() > ends:
            break
        if ctx.should_stop():
            raise StoppedError(f"stopped while the workers {doing}")
        time.sleep(POLL)
    for job_id in left:
        app.job_manager.cancel_job_by_id(job_id)
    take()


def feeds_by_workers(
    ctx: RunContext, due: Sequence[tuple[FeedSource, FeedState]]
) -> list[FeedOutcome | None]:
    """`reading.read_feeds`'s fetcher in queue mode: defer a job per due feed, wait for the
    workers (showing progress) until every job is done or `brief.queue_wait` seconds have
    passed, and return each feed's outcome as the workers recorded it (None: not read in time).

    A feed not read in time is said (a note naming it), and its job cancelled: it is fetched by
    the next run, which finds it due still."""
    ctx.stage("Fetching feeds (workers)", len(due))
    app = queue_app(ctx.config)
    feeds = QueuedPages(ctx.config.database)
    found: dict[str, FeedOutcome] = {}

    def take() -> None:
        for url, outcome in feeds.feeds_read(ctx.run_id).items():
            if url not in found:
                found[url] = outcome
                ctx.progress.advance(url)

    try:
        with app.open():
            until = datetime.now(UTC) + timedelta(seconds=ctx.config.queue_wait)
            jobs = defer_feeds(app, ctx, due, until)
            _wait_for(app, feeds, jobs, ctx, take, "read the feeds")
        feeds.forget(ctx.run_id)
    finally:
        feeds.close()
    unread = [feed for feed, _ in due if feed.url not in found]
    if unread:
        wait = ctx.config.queue_wait
        ctx.progress.note(
            f"{len(unread)} feeds not read by the workers within brief.queue_wait ({wait} s); "
            "the next run reads them: " + "; ".join(f"{f.name} ({f.url})" for f in unread)
        )
    return [found.get(feed.url) for feed, _ in due]


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
        for index, kept in pages.taken(ctx.run_id, found.keys()).items():
            found[index] = kept
            ctx.progress.advance(pending[index].title)

    try:
        with app.open():
            until = datetime.now(UTC) + timedelta(seconds=wait)
            jobs = defer_pages(app, ctx.config, ctx.run_id, pending, until)
            _wait_for(app, pages, jobs, ctx, take, "read the articles")
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

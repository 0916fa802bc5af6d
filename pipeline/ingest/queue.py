"""Pages read by `brief worker` processes on any machine: the queue mode (`brief.queue`).

The engine is Procrastinate: its jobs are rows in the same PostgreSQL database as the state,
so there is no broker to run, and retries, locks and the workers' heartbeats are its own. A
run defers one job per page (`read_page`), waits for them with a deadline, and takes the
articles the workers kept (`pipeline/store/queued.py`); then it merges and stores them as a
run on one machine does (`reading.read_articles`). A worker fetches and extracts a page with
the very functions of that path (`fetch_all`, `page_of`, `extract_article`).

    run   ─ defer read_page ×N ─▶ procrastinate_jobs ◀─ brief worker (×M, any machine)
      ◀── queued_pages (one article per page, kept once) ──┘
"""

from __future__ import annotations

import asyncio
import base64
import pickle
import time
from collections.abc import Sequence
from typing import Any

from pipeline.config import Config
from pipeline.errors import BriefError, StoppedError
from pipeline.ingest.extract import extract_article
from pipeline.ingest.fetch import fetch_all
from pipeline.ingest.reading import RunContext, fetch_settings, origins, page_of, skip_known
from pipeline.ingest.urls import host_of
from pipeline.models import Article, FeedEntry, FetchRequest, Page
from pipeline.store.queued import QueuedPages, apply_queue_schema

try:
    import procrastinate
except ImportError:  # the optional extra: a single machine never needs it
    procrastinate = None  # type: ignore[assignment]

QUEUE = "pages"
WAIT_FOR_PAGES = 1800.0  # seconds a run waits for its pages before it counts the rest as failed
POLL = 0.2  # seconds between two looks at the jobs left
ATTEMPTS = 3  # a page's job is tried this many times (a worker that died counts as one)
STALLED_AFTER = 30.0  # seconds without a worker's heartbeat before its jobs are tried again


def _engine() -> Any:
    if procrastinate is None:
        raise BriefError(
            "brief.queue needs the task queue's engine, Procrastinate, and it is not installed",
            hint="pip install 'dailybrief[postgres]'",
        )
    return procrastinate


def queue_app(config: Config) -> Any:
    """The Procrastinate app of this installation's database, its schema applied if missing."""
    engine = _engine()
    app = engine.App(connector=engine.PsycopgConnector(conninfo=config.database))
    _add_tasks(app, engine)
    apply_queue_schema(config.database, engine.schema.SchemaManager.get_schema())
    return app


def _pack(value: object) -> str:
    return base64.b64encode(pickle.dumps(value)).decode("ascii")


def _unpack(text: str | bytes) -> Any:
    return pickle.loads(base64.b64decode(text))  # noqa: S301 - written by our own processes only


def _read_page(config: Config, run_id: int, index: int, entry: FeedEntry, source: str) -> None:
    """Fetch and extract one page, as a run on one machine does, and keep its article."""
    (result,) = fetch_all([FetchRequest(entry.link, kind="page")], fetch_settings(config))
    page = page_of(entry, result)
    article = extract_article(page, source)
    pages = QueuedPages(config.database)
    try:
        pages.put(run_id, index, page.error is not None, pickle.dumps(article))
    finally:
        pages.close()


async def _read_page_task(context: Any, run_id: int, index: int, entry: str, source: str) -> None:
    config = context.additional_context["config"]
    await asyncio.to_thread(_read_page, config, run_id, index, _unpack(entry), source)


async def _retry_stalled(context: Any, timestamp: int) -> None:
    """Jobs of a worker that stopped sending its heartbeat (killed, its machine gone) are tried
    again: Procrastinate's own recipe for stalled jobs, run every few seconds by a worker."""
    manager = context.app.job_manager
    stalled_after = context.additional_context["stalled_after"]
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        await manager.retry_job(job)


def _add_tasks(app: Any, engine: Any) -> None:
    app.task(
        name="brief:read_page",
        queue=QUEUE,
        pass_context=True,
        retry=engine.RetryStrategy(max_attempts=ATTEMPTS - 1, wait=1),
    )(_read_page_task)
    app.periodic(cron="* * * * * */5", periodic_id="retry_stalled")(
        app.task(name="brief:retry_stalled", queue=QUEUE, queueing_lock="retry_stalled", pass_context=True)(
            _retry_stalled
        )
    )


def run_worker(config: Config, concurrency: int, stalled_after: float = STALLED_AFTER) -> None:
    """Run a worker until SIGINT or SIGTERM: it reads pages for every run that defers them. A
    worker silent for `stalled_after` seconds is taken for dead, and its jobs tried again."""
    app = queue_app(config)
    with app.open():
        app.run_worker(
            queues=[QUEUE],
            concurrency=concurrency,
            additional_context={"config": config, "stalled_after": stalled_after},
            stalled_worker_timeout=stalled_after,
            update_heartbeat_interval=stalled_after / 3,
        )


def defer_pages(app: Any, config: Config, run_id: int, pending: Sequence[FeedEntry]) -> list[int]:
    """A job per entry with a link, for run `run_id` (the app open); their ids. Each takes one
    of `fetch.per_host` locks of its host, so no host has more pages in flight at once across
    all the workers than a run on one machine gives it."""
    names = {f.url: f.name for f in config.feeds}
    task = app.tasks["brief:read_page"]
    per_host = max(1, config.per_host)
    return [
        task.configure(lock=f"host:{host_of(e.link)}:{i % per_host}").defer(
            run_id=run_id, index=i, entry=_pack(e), source=names.get(e.feed_url, e.feed_url)
        )
        for i, e in enumerate(pending)
        if e.link
    ]


def articles_by_workers(
    ctx: RunContext, pending: Sequence[FeedEntry], deadline: float = WAIT_FOR_PAGES
) -> tuple[list[Article], dict[str, list[FeedEntry]], int]:
    """`reading.read_articles`'s reader in queue mode: defer a job per page, wait for the
    workers (showing progress) until every job is done or `deadline` seconds have passed, and
    return (articles, entries per article id, pages that failed). A page not read in time
    is a failed page: its entry keeps the feed's summary, as when a fetch fails."""
    pending = skip_known(ctx, pending)
    names = {f.url: f.name for f in ctx.config.feeds}
    ctx.stage("Fetching and extracting articles (workers)", len(pending))
    app = queue_app(ctx.config)
    pages = QueuedPages(ctx.config.database)
    found: dict[int, tuple[bool, Article]] = {}
    try:
        with app.open():
            jobs = defer_pages(app, ctx.config, ctx.run_id, pending)
        ends = time.monotonic() + deadline
        while True:
            for index, (bad, blob) in pages.taken(ctx.run_id).items():
                if index not in found:
                    found[index] = (bad, pickle.loads(blob))  # noqa: S301 - our own workers' rows
                    ctx.progress.advance(pending[index].title)
            if not pages.jobs_left(jobs) or time.monotonic() > ends:
                break
            if ctx.should_stop():
                raise StoppedError("stopped while the workers read the articles")
            time.sleep(POLL)
        for index, (bad, blob) in pages.taken(ctx.run_id).items():
            found.setdefault(index, (bad, pickle.loads(blob)))  # noqa: S301
        pages.forget(ctx.run_id)
    finally:
        pages.close()
    articles: list[Article] = []
    failed = 0
    for index, entry in enumerate(pending):
        if index not in found:  # no link, or its job did not end in time (or failed for good)
            reason = "no link" if not entry.link else "not read by a worker in time"
            page = Page(entry, entry.link, b"", error=reason)
            found[index] = (True, extract_article(page, names.get(entry.feed_url, entry.feed_url)))
            ctx.progress.advance(entry.title)
        failed += found[index][0]
        articles.append(found[index][1])
    return articles, origins(pending, articles), failed

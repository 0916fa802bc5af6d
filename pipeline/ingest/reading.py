"""The reading half of a run: the due feeds and their new pages become stored articles.

Part of the orchestrator (`pipeline/run.py` calls it): it runs the fetch, feeds, extract and
dedupe stages in turn and owns their error policy. A feed or a page that fails is recorded
with its reason and skipped; a feed that keeps failing rests (`health.backoff`); a host that
asked us to wait (Retry-After) is left alone until then, in this run and the next.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime

from pipeline.config import Config, FeedSource
from pipeline.errors import StoppedError
from pipeline.ingest.dedupe import dedupe
from pipeline.ingest.feeds import parse_feed, parse_job
from pipeline.ingest.fetch import DEFAULT_USER_AGENT, FetchSettings, fetch_all, fetch_each
from pipeline.ingest.health import backoff
from pipeline.ingest.pool import ExtractPool, Helpers
from pipeline.ingest.urls import canonical_url, host_of
from pipeline.models import (
    Article,
    ErrorKind,
    FeedEntry,
    FeedState,
    FetchRequest,
    FetchResult,
    Page,
    ParsedFeed,
)
from pipeline.operate.progress import Progress
from pipeline.store import Store
from pipeline.store.feeds import FeedStore


def fetch_settings(config: Config) -> FetchSettings:
    """How a run fetches, from the config: the one place `brief run` and `brief check` share."""
    return FetchSettings(
        user_agent=config.user_agent or DEFAULT_USER_AGENT,
        concurrency=config.concurrency,
        per_host=config.per_host,
        allow=config.network_allow,
    )


@dataclass(frozen=True)
class FeedCheck:
    """One feed as `brief check` sees it: fetched and parsed as a run would, nothing stored."""

    feed: FeedSource
    result: FetchResult
    parsed: ParsedFeed | None  # None when the fetch failed


def check_feeds(config: Config, now: datetime) -> list[FeedCheck]:
    """Fetch and parse every configured feed through the run's own code, storing nothing."""
    requests = [FetchRequest(f.url, kind="feed") for f in config.feeds]
    results = fetch_all(requests, fetch_settings(config))
    return [
        FeedCheck(
            feed, result, None if result.error else parse_feed(result, now, config.max_entries_per_feed)
        )
        for feed, result in zip(config.feeds, results, strict=True)
    ]


@dataclass(frozen=True)
class RunContext:
    """What every step of one run needs: passed explicitly, never global."""

    config: Config
    store: Store
    run_id: int
    now: datetime
    progress: Progress
    settings: FetchSettings
    paused: dict[str, datetime]  # hosts that asked us to wait, and until when
    rng: random.Random
    should_stop: Callable[[], bool]  # checked between stages and between pages (SIGTERM)
    manual: bool = False  # a run by hand: failing feeds are tried again now, not after their rest

    def stage(self, name: str, total: int | None = None) -> None:
        """Start a stage, unless the run was asked to stop: then stop here, between two."""
        if self.should_stop():
            raise StoppedError(f"stopped before {name.lower()}")
        self.progress.stage(name, total)


def read_feeds(ctx: RunContext, fetcher: FeedFetcher | None = None) -> tuple[int, list[tuple[str, str]]]:
    """Fetch and parse every feed that is due, storing new entries; return (feeds read, errors).

    A disabled feed (410 Gone), one backing off after failures, or one on a host that asked
    us to wait is not fetched, and is listed with the reason. `fetcher` fetches and records the
    due ones (by default here; `pipeline/ingest/queue.py` has workers do it).
    """
    store, now = ctx.store, ctx.now
    feeds = ctx.config.feeds
    errors: list[tuple[str, str]] = []
    due: list[tuple[FeedSource, FeedState]] = []
    for feed in feeds:
        state = store.feed_state(feed.url)
        if state.disabled:
            errors.append((feed.name, f"disabled ({state.disabled}): remove it from sources.yaml"))
        elif state.next_attempt is not None and state.next_attempt > now and not ctx.manual:
            errors.append(
                (
                    feed.name,
                    f"resting after {state.failures} failures, until {state.next_attempt:%Y-%m-%d %H:%M} UTC",
                )
            )
        else:
            due.append((feed, state))
    for (feed, _), outcome in zip(due, (fetcher or _feeds_read_here)(ctx, due), strict=True):
        if outcome is None:  # not read in time by the workers (`queue.py`, which said so)
            errors.append((feed.name, "not read by the workers in time: the next run reads it"))
            continue
        error, warning = outcome
        if warning:
            ctx.progress.note(f"{feed.name}: {warning}")
        if error:
            errors.append((feed.name, error))
            ctx.progress.note(f"feed failed: {feed.name}: {error}")
    return len(feeds) - len(errors), errors


FeedOutcome = tuple[str | None, str | None]  # a feed read and recorded: (its error, its warning)
# who fetches the due feeds and records each (`record_feed`): this process, or the workers of
# `queue.py`, whose None is a feed they did not read in time
FeedFetcher = Callable[[RunContext, Sequence[tuple[FeedSource, FeedState]]], list[FeedOutcome | None]]


# due feeds from which they are parsed in a helper process too, beside the run's: a helper
# costs about 0.5 s of CPU to start (feedparser's import), and a feed of 20 entries ~20 ms
PARSED_BESIDE_FROM = 64


def _feeds_read_here(
    ctx: RunContext, due: Sequence[tuple[FeedSource, FeedState]]
) -> list[FeedOutcome | None]:
    ctx.stage("Fetching feeds", len(due))
    requests = [FetchRequest(s.moved_to or f.url, s.validators, kind="feed") for f, s in due]
    beside = ctx.config.extract_workers if len(due) >= PARSED_BESIDE_FROM else 0
    # the helper starts while the feeds are fetched
    with Helpers(beside, preload=[parse_job.__module__]) as helpers:
        fetched = fetch_all(
            requests, ctx.settings, on_done=lambda r: ctx.progress.advance(r.url), paused=ctx.paused
        )
        bodies = [k for k, result in enumerate(fetched) if _has_entries(result)]
        max_entries = ctx.config.max_entries_per_feed
        jobs = [(fetched[k], ctx.now, max_entries) for k in bodies]
        parsed = dict(zip(bodies, helpers.map(parse_job, jobs), strict=True))
    outcomes: list[FeedOutcome | None] = []
    for k, ((feed, state), result) in enumerate(zip(due, fetched, strict=True)):
        note_pause(ctx, result)
        outcomes.append(
            record_feed(ctx.store, feed, state, result, ctx.now, ctx.rng, max_entries, parsed.get(k))
        )
    return outcomes


def _has_entries(result: FetchResult) -> bool:
    """Whether `record_feed` parses this fetch's body: a feed that came, changed."""
    return not (result.error or not result.ok) and not result.not_modified


def note_pause(ctx: RunContext, result: FetchResult) -> None:
    """Remember a host's Retry-After, so the next runs leave it alone until then too."""
    paused = keep_pause(ctx.store, result)
    if paused is not None:
        ctx.paused[paused[0]] = paused[1]


def keep_pause(store: FeedStore, result: FetchResult) -> tuple[str, datetime] | None:
    """Store a host's Retry-After (a run's, or a worker's: `queue.py`); (host, until), or None
    when the answer asked for no wait."""
    host = host_of(result.final_url)
    if result.retry_after is None or not host:
        return None
    store.pause_host(host, result.retry_after, f"HTTP {result.status}")
    return host, result.retry_after


Reader = Callable[[RunContext, Sequence[FeedEntry]], tuple[list[Article], dict[str, list[FeedEntry]], int]]


def read_articles(
    ctx: RunContext, pending: Sequence[FeedEntry], recent: Sequence[Article], reader: Reader | None = None
) -> tuple[int, int, int]:
    """Read the pending entries' articles, merge duplicates (among them, and into `recent`
    stored ones) and store them; return (articles read, pages that failed, articles kept).
    The articles are not returned: the brief reads what is stored, and the texts read here
    are freed before it does. `reader` reads the pages (by default here, with the extraction
    pool; `pipeline/ingest/queue.py` has workers read them)."""
    articles, origin, pages_failed = (reader or _articles)(ctx, pending)
    deduped = dedupe(articles, recent)
    for dup, kept in deduped.merged_into.items():
        origin.setdefault(kept, []).extend(origin.pop(dup, []))
    ctx.store.save_articles([*deduped.unique, *deduped.known.values()], ctx.run_id, ctx.now, origin)
    return len(articles), pages_failed, len(deduped.unique)


def _articles(
    ctx: RunContext, pending: Sequence[FeedEntry]
) -> tuple[list[Article], dict[str, list[FeedEntry]], int]:
    """Fetch and extract the pages of pending entries; return (articles, entries per article
    id, pages that failed)."""
    pending = skip_known(ctx, pending)
    return _articles_read_here(ctx, pending, {f.url: f.name for f in ctx.config.feeds})


def skip_known(ctx: RunContext, pending: Sequence[FeedEntry]) -> Sequence[FeedEntry]:
    """The pending entries left to read: one whose link is an article already stored (the same
    story under a new GUID) is marked done without being fetched or shown again."""
    known = ctx.store.known_canonical_urls(canonical_url(e.link) for e in pending if e.link)
    if known:
        repeats: dict[str, list[FeedEntry]] = {}
        for e in pending:
            if e.link and canonical_url(e.link) in known:
                repeats.setdefault(known[canonical_url(e.link)], []).append(e)
        ctx.store.mark_entries_done(repeats)
        pending = [e for e in pending if not (e.link and canonical_url(e.link) in known)]
    return pending


def origins(pending: Sequence[FeedEntry], articles: Sequence[Article]) -> dict[str, list[FeedEntry]]:
    """The entries each article was read for, by article id."""
    origin: dict[str, list[FeedEntry]] = {}
    for entry, article in zip(pending, articles, strict=True):
        origin.setdefault(article.id, []).append(entry)
    return origin


def _articles_read_here(
    ctx: RunContext, pending: Sequence[FeedEntry], names: dict[str, str]
) -> tuple[list[Article], dict[str, list[FeedEntry]], int]:
    with_link = [i for i, e in enumerate(pending) if e.link]
    ctx.stage("Fetching and extracting articles", len(pending))
    found: dict[int, Article] = {}
    failed = 0

    def take(ready: Iterator[tuple[int, Article]]) -> None:
        for index, article in ready:
            found[index] = article
            ctx.progress.advance(pending[index].title)

    def extract(index: int, result: FetchResult | None) -> None:
        nonlocal failed
        entry = pending[index]
        page = page_of(entry, result)
        failed += page.error is not None
        pool.submit(index, page, names.get(entry.feed_url, entry.feed_url))
        take(pool.done())

    # each page is extracted as soon as it arrives (in worker processes: `pipeline/ingest/pool.py`)
    # and its bytes dropped: fetching goes on meanwhile, and only a window of pages is held
    requests = [FetchRequest(pending[i].link, kind="page") for i in with_link]
    with ExtractPool(ctx.config.extract_workers) as pool:
        with closing(fetch_each(requests, ctx.settings, paused=ctx.paused)) as fetched:
            for k, result in fetched:
                if ctx.should_stop():  # a long stage: a stop is not kept waiting for every page
                    raise StoppedError("stopped while fetching and extracting articles")
                note_pause(ctx, result)
                extract(with_link[k], result)
        for index in sorted(set(range(len(pending))) - set(with_link)):
            extract(index, None)
        take(pool.rest())
    articles = [found[i] for i in range(len(pending))]
    return articles, origins(pending, articles), failed


def record_feed(
    store: FeedStore,
    feed: FeedSource,
    state: FeedState,
    result: FetchResult,
    now: datetime,
    rng: random.Random,
    max_entries: int,
    parsed: ParsedFeed | None = None,
) -> FeedOutcome:
    """Record one feed's fetch (`state`: what the fetch was made with): its move, its entries
    and validators, or its failure and rest; return (the error shown to the user, a warning).
    A run and a worker (`queue.py`) both record a feed with it. `parsed`: its body, parsed
    already (in a helper process)."""
    if result.moved_to and result.moved_to != state.moved_to:
        store.record_feed_moved(feed.url, feed.name, now, result.moved_to)
    if result.error or not result.ok:
        error = result.error or f"HTTP {result.status}"
        kind = str(result.error_kind or "http")
        if result.status == 410:
            store.record_feed_failure(feed.url, feed.name, now, error, kind, disabled="HTTP 410 Gone")
            return f"{error}: the feed is gone and will not be fetched again", None
        # a host that asked us to wait is not the feed's failure: no backoff on top
        rest = None if result.error_kind == ErrorKind.PAUSED else now + backoff(state.failures + 1, rng)
        store.record_feed_failure(feed.url, feed.name, now, error, kind, next_attempt=rest)
        return error, None
    if result.not_modified:
        store.record_feed_success(feed.url, feed.name, now, result.validators, [])
        return None, None
    if parsed is None:
        parsed = parse_feed(result, now, max_entries)
    if parsed.error:
        # validators are not stored: the next run must fetch the body again
        rest = now + backoff(state.failures + 1, rng)
        store.record_feed_failure(
            feed.url, feed.name, now, parsed.error, str(parsed.error_kind or "parse"), next_attempt=rest
        )
        return parsed.error, None
    store.record_feed_success(feed.url, feed.name, now, result.validators, parsed.entries)
    return None, parsed.warning or None


def page_of(entry: FeedEntry, result: FetchResult | None) -> Page:
    """The page of `entry` as fetched (`result`; None: the entry has no link)."""
    if result is None:
        return Page(entry, entry.link, b"", error="no link")
    if result.error or result.status != 200:
        return Page(
            entry, result.final_url, b"", result.headers, error=result.error or f"HTTP {result.status}"
        )
    return Page(entry, result.final_url, result.body, result.headers)

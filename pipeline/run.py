"""One run of the pipeline, start to finish. The only module that calls the stages.

    feeds ─ fetch ─▶ parse ─▶ new entries ─ fetch pages ─▶ extract ─▶ dedupe ─▶ store
          ─▶ threads ─▶ summarize ─▶ render ─▶ message ─▶ archive ─▶ deliver

It owns the error policy: a feed or a page that fails is recorded and skipped; the run fails
only when nothing at all could be read. Each stage's results are committed before the next
starts, so a crash loses only the stage in flight and the next run picks up what is pending.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from . import archive, publish
from .config import Config, FeedSource, SmtpSettings
from .dedupe import dedupe
from .digest import connections, only_new, shown_keys
from .errors import NothingToDoError, StoppedError
from .facts import extract_facts
from .feeds import parse_feed
from .fetch import DEFAULT_USER_AGENT, FetchSettings, fetch_all, fetch_each
from .health import backoff
from .llm import LlmSettings, rewrite_all
from .models import (
    Article,
    Brief,
    Delivery,
    ErrorKind,
    FeedEntry,
    FeedState,
    FetchRequest,
    FetchResult,
    Page,
    RunStats,
    SourceRef,
    Thread,
)
from .outbox import SendPolicy, deliver_brief
from .pool import ExtractPool
from .schedule import slot_id, status_line
from .store import Store
from .summarize import summarize_thread
from .threads import assign_threads
from .urls import canonical_url, host_of

log = logging.getLogger(__name__)

CONTEXT_WINDOW = timedelta(days=3)  # earlier articles used to dedupe and thread new ones
MEMBERS_PER_THREAD = 40  # most recent members of a thread used as its context
OLDEST = datetime.min.replace(tzinfo=UTC)  # sorts undated articles last
MAX_OTHERS = 15  # articles in no thread listed at the end of a brief


class Progress(Protocol):
    """What a run reports while it works; the CLI draws it, tests ignore it."""

    def stage(self, name: str, total: int | None = None) -> None: ...
    def advance(self, detail: str = "") -> None: ...
    def note(self, message: str) -> None: ...


class QuietProgress:
    def stage(self, name: str, total: int | None = None) -> None:
        log.info("%s%s", name, f" ({total})" if total else "")

    def advance(self, detail: str = "") -> None:
        pass

    def note(self, message: str) -> None:
        log.info("%s", message)


@dataclass(frozen=True)
class RunResult:
    brief_id: str
    brief_dir: Path
    stats: RunStats
    delivery: Delivery
    threads: tuple[str, ...]
    feed_errors: tuple[tuple[str, str], ...]
    already_delivered: bool = False  # nothing was done: the slot was delivered before


@dataclass(frozen=True)
class RunOptions:
    """How to run a slot, beyond which slot it is."""

    send: bool = True  # False: write the brief and its message, send nothing (--no-send)
    force: bool = False  # make and send the slot again although it was delivered
    covers: tuple[str, ...] = ()  # earlier slots that were missed and that this brief makes up
    should_stop: Callable[[], bool] = lambda: False  # checked between stages (SIGTERM)
    llm: LlmSettings | None = None  # a model that may rewrite overviews, grounded (None: offline)
    manual: bool = False  # `brief run` by hand: failing feeds are tried again now, not after their rest
    send_policy: SendPolicy = field(default_factory=SendPolicy)


def run_brief(
    config: Config,
    *,
    slot: datetime,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    smtp: SmtpSettings | None = None,
    send: bool = True,
    progress: Progress | None = None,
    fetch_settings: FetchSettings | None = None,
    options: RunOptions | None = None,
) -> RunResult:
    """Make the brief of `slot` from the configured feeds, archive it, and deliver it.

    The caller holds the run lock. A slot already delivered is left alone unless forced.
    """
    options = options or RunOptions(send=send)
    progress = progress or QuietProgress()
    settings = fetch_settings or FetchSettings(
        user_agent=config.user_agent or DEFAULT_USER_AGENT,
        concurrency=config.concurrency,
        per_host=config.per_host,
        allow=config.network_allow,
    )
    started = time.monotonic()
    now = clock()
    sid = slot_id(slot)
    store = Store(config.state_dir)
    try:
        ledger = store.slot(sid)
        if ledger is not None and ledger["state"] == "delivered" and not options.force:
            return _already_delivered(config, store, sid, slot)
        archive.clean_staging(config.output_dir)
        run_id = store.start_run(sid, now)
        store.set_slot(sid, "running", now, attempt=True)
        paused = {host: until for host, (until, _) in store.paused_hosts(now).items()}
        ctx = _Context(config, store, run_id, now, progress, settings, paused, random.Random(), options)
        try:
            result = _run(ctx, slot, smtp, started)
        except StoppedError as exc:
            store.finish_run(run_id, clock(), "stopped", {}, error=str(exc))
            store.set_slot(sid, "interrupted", clock(), error=str(exc))
            raise
        except BaseException as exc:
            error = str(exc) or type(exc).__name__
            store.finish_run(run_id, clock(), "failed", {}, error=error)
            store.set_slot(sid, "failed", clock(), error=error)
            raise
        store.finish_run(run_id, clock(), "done", asdict(result.stats))
        return result
    finally:
        store.close()
        _release_memory()  # `brief schedule` stays up between runs: small, not as big as its last run


@dataclass(frozen=True)
class _Context:
    """What every step of one run needs: passed explicitly, never global."""

    config: Config
    store: Store
    run_id: int
    now: datetime
    progress: Progress
    settings: FetchSettings
    paused: dict[str, datetime]  # hosts that asked us to wait, and until when
    rng: random.Random
    options: RunOptions

    def stage(self, name: str, total: int | None = None) -> None:
        """Start a stage, unless the run was asked to stop: then stop here, between two."""
        if self.options.should_stop():
            raise StoppedError(f"stopped before {name.lower()}")
        self.progress.stage(name, total)


def _run(ctx: _Context, slot: datetime, smtp: SmtpSettings | None, started: float) -> RunResult:
    config, store, now = ctx.config, ctx.store, ctx.now
    sid = slot_id(slot)
    feeds_ok, feed_errors = _read_feeds(ctx)
    pending = store.pending_entries()
    if feeds_ok == 0 and not pending and not store.has_unbriefed_articles(sid):
        raise NothingToDoError(
            f"none of the {len(config.feeds)} feeds could be read",
            hint="; ".join(f"{n}: {e}" for n, e in feed_errors[:5]) or None,
        )
    recent = store.recent_articles(now - CONTEXT_WINDOW, exclude_run=ctx.run_id)
    read, pages_failed, kept = _ingest(ctx, pending, recent)
    # what this brief shows: every article no brief has shown yet (this run's, and any a
    # crashed or stopped run stored), or this slot's own when it is made again
    unique = store.unbriefed_articles(sid)
    showing = {a.id for a in unique}
    recent = [a for a in recent if a.id not in showing]

    ctx.stage("Filing into threads")
    _release_memory()  # what fetching and extracting freed, before the stage that needs the most
    memberships = store.thread_members()
    members = {
        t.id: [
            a for a in store.articles(memberships.get(t.id, [])[-MEMBERS_PER_THREAD:]) if a.id not in showing
        ]
        for t in config.threads
    }
    threaded = {a for ids in memberships.values() for a in ids}
    unthreaded = [a for a in recent if a.id not in threaded]
    threads = assign_threads(
        unique, config.threads, members, unthreaded, _stories(memberships, recent, config)
    )
    store.save_memberships(threads, ctx.run_id)

    by_id = {a.id: a for a in unique}
    ranked = _rank(threads, by_id)[: config.max_threads]
    in_brief = [by_id[i] for t in ranked for i in t.article_ids]
    ctx.stage("Reading the facts", len(in_brief))
    facts = {a.id: extract_facts(a) for a in in_brief}  # only what the digests will show

    ctx.stage("Summarizing", len(ranked))
    keywords = {s.id: s.keywords for s in config.threads}
    digests = tuple(
        summarize_thread(
            t,
            [by_id[i] for i in t.article_ids],
            facts=facts,
            keywords=keywords.get(t.id, ()),
            earlier_events=store.thread_events(t.id),
        )
        for t in ranked
    )
    for d in digests:
        store.save_thread_events(d.thread_id, d.timeline)
    previous = next((b for b in store.briefs() if b.slot < slot), None)
    since = f"New since {previous.slot:%a %d %b, %H:%M} UTC" if previous else ""
    digests = tuple(only_new(d, store.shown_before(d.thread_id, sid), since) for d in digests)
    if config.unchanged_threads == "drop":
        digests = tuple(d for d in digests if not d.unchanged)
    if ctx.options.llm is not None:
        ctx.stage("Rewriting with the model", len(digests))
        digests = rewrite_all(digests, by_id, ctx.options.llm)
    shown = {i for t in ranked for i in t.article_ids}
    others = _others([a for a in unique if a.id not in shown])

    stats = RunStats(
        feeds_total=len(config.feeds),
        feeds_ok=feeds_ok,
        feeds_failed=len(feed_errors),
        entries_new=len(pending),
        pages_fetched=read - pages_failed,
        pages_failed=pages_failed,
        articles_new=len(unique),
        duplicates=read - kept,
        seconds=round(time.monotonic() - started, 2),
    )
    brief = Brief(
        id=sid,
        slot=slot,
        title=config.title,
        audience=config.audience,
        generated_at=now,
        status_line=status_line(slot, now, config.schedule),
        digests=digests,
        stats=stats,
        feed_errors=tuple(feed_errors),
        others=others,
        covers=ctx.options.covers,
        connections=connections(digests, by_id, facts),
        publishers=len({source for a in unique for source, _ in a.found_at}),
        reading_minutes=sum(d.reading_minutes for d in digests),
    )
    ctx.stage("Writing the brief")
    published = publish.write_brief(brief, config, store, now=now, run_id=ctx.run_id, force=ctx.options.force)
    folder, message_id = published.folder, published.message_id
    store.mark_briefed(showing, sid)
    for d in digests:
        store.remember_shown(d.thread_id, shown_keys(d), sid)
    store.set_slot(sid, "built", now, brief_id=sid)
    for covered in ctx.options.covers:
        store.set_slot(covered, "skipped", now, covered_by=sid)
    ctx.stage("Sending")
    delivery = deliver_brief(
        store,
        sid,
        folder / "message.eml",
        message_id,
        config,
        smtp,
        now,
        send=ctx.options.send,
        policy=ctx.options.send_policy,
    )
    if not delivery.sent and delivery.detail.startswith("delivery failed"):
        ctx.progress.note(delivery.detail)
    store.mark_delivered(sid, message_id, delivery.detail)
    return RunResult(
        brief_id=sid,
        brief_dir=folder,
        stats=stats,
        delivery=delivery,
        threads=tuple(d.thread_id for d in digests),
        feed_errors=tuple(feed_errors),
    )


def _already_delivered(config: Config, store: Store, sid: str, slot: datetime) -> RunResult:
    row = store.delivery(sid)
    folder = archive.brief_dir(config.output_dir, slot)
    delivery = Delivery(
        message_id=row["message_id"] if row else "",
        eml_path=str(folder / "message.eml"),
        sent=False,
        detail="already delivered",
    )
    stats = RunStats(len(config.feeds), 0, 0, 0, 0, 0, 0, 0)
    return RunResult(sid, folder, stats, delivery, (), (), already_delivered=True)


def _read_feeds(ctx: _Context) -> tuple[int, list[tuple[str, str]]]:
    """Fetch and parse every feed that is due, storing new entries; return (feeds read, errors).

    A disabled feed (410 Gone), one backing off after failures, or one on a host that asked
    us to wait is not fetched, and is listed with the reason.
    """
    store, now = ctx.store, ctx.now
    feeds = ctx.config.feeds
    errors: list[tuple[str, str]] = []
    due: list[tuple[FeedSource, FeedState]] = []
    for feed in feeds:
        state = store.feed_state(feed.url)
        if state.disabled:
            errors.append((feed.name, f"disabled ({state.disabled}): remove it from sources.yaml"))
        elif state.next_attempt is not None and state.next_attempt > now and not ctx.options.manual:
            errors.append(
                (
                    feed.name,
                    f"resting after {state.failures} failures, until {state.next_attempt:%Y-%m-%d %H:%M} UTC",
                )
            )
        else:
            due.append((feed, state))
    ctx.stage("Fetching feeds", len(due))
    requests = [FetchRequest(s.moved_to or f.url, s.validators, kind="feed") for f, s in due]
    fetched = fetch_all(
        requests, ctx.settings, on_done=lambda r: ctx.progress.advance(r.url), paused=ctx.paused
    )
    for (feed, state), result in zip(due, fetched, strict=True):
        _note_pause(ctx, result)
        if result.moved_to and result.moved_to != state.moved_to:
            store.record_feed_moved(feed.url, feed.name, now, result.moved_to)
        error = _read_feed(ctx, feed, state, result)
        if error:
            errors.append((feed.name, error))
            ctx.progress.note(f"feed failed: {feed.name}: {error}")
    return len(feeds) - len(errors), errors


def _note_pause(ctx: _Context, result: FetchResult) -> None:
    """Remember a host's Retry-After, so the next runs leave it alone until then too."""
    host = host_of(result.final_url)
    if result.retry_after is not None and host:
        ctx.paused[host] = result.retry_after
        ctx.store.pause_host(host, result.retry_after, f"HTTP {result.status}")


def _ingest(ctx: _Context, pending: Sequence[FeedEntry], recent: Sequence[Article]) -> tuple[int, int, int]:
    """Read the pending entries' articles, merge duplicates (among them, and into `recent`
    stored ones) and store them; return (articles read, pages that failed, articles kept).
    The articles are not returned: the brief reads what is stored, and the texts read here
    are freed before it does."""
    articles, origin, pages_failed = _articles(ctx, pending)
    deduped = dedupe(articles, recent)
    for dup, kept in deduped.merged_into.items():
        origin.setdefault(kept, []).extend(origin.pop(dup, []))
    ctx.store.save_articles([*deduped.unique, *deduped.known.values()], ctx.run_id, ctx.now, origin)
    return len(articles), pages_failed, len(deduped.unique)


def _articles(
    ctx: _Context, pending: Sequence[FeedEntry]
) -> tuple[list[Article], dict[str, list[FeedEntry]], int]:
    """Fetch and extract the pages of pending entries; return (articles, entries per article
    id, pages that failed). An entry whose link is an article already stored (the same story
    under a new GUID) is marked done without being fetched or shown again."""
    known = ctx.store.known_canonical_urls(canonical_url(e.link) for e in pending if e.link)
    if known:
        repeats: dict[str, list[FeedEntry]] = {}
        for e in pending:
            if e.link and canonical_url(e.link) in known:
                repeats.setdefault(known[canonical_url(e.link)], []).append(e)
        ctx.store.mark_entries_done(repeats)
        pending = [e for e in pending if not (e.link and canonical_url(e.link) in known)]
    names = {f.url: f.name for f in ctx.config.feeds}
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
        page = _page(entry, result)
        failed += page.error is not None
        pool.submit(index, page, names.get(entry.feed_url, entry.feed_url))
        take(pool.done())

    # each page is extracted as soon as it arrives (in worker processes: `pipeline/pool.py`)
    # and its bytes dropped: fetching goes on meanwhile, and only a window of pages is held
    requests = [FetchRequest(pending[i].link, kind="page") for i in with_link]
    with ExtractPool(ctx.config.extract_workers) as pool:
        with closing(fetch_each(requests, ctx.settings, paused=ctx.paused)) as fetched:
            for k, result in fetched:
                if ctx.options.should_stop():  # a long stage: a stop is not kept waiting for every page
                    raise StoppedError("stopped while fetching and extracting articles")
                _note_pause(ctx, result)
                extract(with_link[k], result)
        for index in sorted(set(range(len(pending))) - set(with_link)):
            extract(index, None)
        take(pool.rest())
    articles = [found[i] for i in range(len(pending))]
    origin: dict[str, list[FeedEntry]] = {}
    for entry, article in zip(pending, articles, strict=True):
        origin.setdefault(article.id, []).append(entry)
    return articles, origin, failed


def _read_feed(ctx: _Context, feed: FeedSource, state: FeedState, result: FetchResult) -> str | None:
    """Record one feed's fetch; return the error shown to the user, or None."""
    store, now = ctx.store, ctx.now
    if result.error or not result.ok:
        error = result.error or f"HTTP {result.status}"
        kind = str(result.error_kind or "http")
        if result.status == 410:
            store.record_feed_failure(feed.url, feed.name, now, error, kind, disabled="HTTP 410 Gone")
            return f"{error}: the feed is gone and will not be fetched again"
        # a host that asked us to wait is not the feed's failure: no backoff on top
        rest = None if result.error_kind == ErrorKind.PAUSED else now + backoff(state.failures + 1, ctx.rng)
        store.record_feed_failure(feed.url, feed.name, now, error, kind, next_attempt=rest)
        return error
    if result.not_modified:
        store.record_feed_success(feed.url, feed.name, now, result.validators, [])
        return None
    parsed = parse_feed(result, now, ctx.config.max_entries_per_feed)
    if parsed.error:
        # validators are not stored: the next run must fetch the body again
        rest = now + backoff(state.failures + 1, ctx.rng)
        store.record_feed_failure(
            feed.url, feed.name, now, parsed.error, str(parsed.error_kind or "parse"), next_attempt=rest
        )
        return parsed.error
    store.record_feed_success(feed.url, feed.name, now, result.validators, parsed.entries)
    if parsed.warning:
        ctx.progress.note(f"{feed.name}: {parsed.warning}")
    return None


def _page(entry: FeedEntry, result: FetchResult | None) -> Page:
    if result is None:
        return Page(entry, entry.link, b"", error="no link")
    if result.error or result.status != 200:
        return Page(
            entry, result.final_url, b"", result.headers, error=result.error or f"HTTP {result.status}"
        )
    return Page(entry, result.final_url, result.body, result.headers)


def _release_memory() -> None:
    """Give freed memory back to the system: glibc keeps freed blocks for reuse, so a process
    would stay as big as its biggest stage so far (at ~5,000 articles the peak is ~15 MB lower).
    No garbage collection first: it took 0.1 s, and memory held only in cycles is rare."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc() -> Any:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None  # glibc only
    except OSError:
        return None


_LIBC = _libc()


def _stories(
    memberships: Mapping[str, Sequence[str]], recent: Sequence[Article], config: Config
) -> dict[str, list[Article]]:
    """The recent articles of each emergent thread, so a story that goes on keeps its thread
    (and its id, its "new since" memory and its page) instead of starting a new one."""
    configured = {t.id for t in config.threads}
    by_id = {a.id: a for a in recent}
    out: dict[str, list[Article]] = {}
    for thread_id, ids in memberships.items():
        if thread_id.startswith("story-") and thread_id not in configured:
            found = [by_id[i] for i in ids[-MEMBERS_PER_THREAD:] if i in by_id]
            if found:
                out[thread_id] = found
    return out


def _rank(threads: Sequence[Thread], articles: dict[str, Article]) -> list[Thread]:
    """Configured threads with news first, then by importance: distinct sources, growth since
    the last brief (new articles), and recency (the newest article)."""

    def key(t: Thread) -> tuple[int, int, int, float]:
        sources = {s for i in t.article_ids for s, _ in articles[i].found_at}
        newest = max((articles[i].published or OLDEST for i in t.article_ids), default=OLDEST)
        return (0 if t.kind == "configured" else 1, -len(sources), -len(t.article_ids), -newest.timestamp())

    return sorted(threads, key=key)


def _others(articles: Sequence[Article]) -> tuple[SourceRef, ...]:
    """New articles in no thread shown, newest first: a list of links under the threads."""
    newest = sorted(articles, key=lambda a: a.published or OLDEST, reverse=True)[:MAX_OTHERS]
    return tuple(SourceRef.of(n, a) for n, a in enumerate(newest, start=1))

"""One run of the pipeline, start to finish. The only module that calls the stages.

    feeds ─ fetch ─▶ parse ─▶ new entries ─ fetch pages ─▶ extract ─▶ dedupe ─▶ store
          ─▶ threads ─▶ summarize ─▶ render ─▶ message ─▶ archive ─▶ deliver

It owns the error policy: a feed or a page that fails is recorded and skipped; the run fails
only when nothing at all could be read. Each stage's results are committed before the next
starts, so a crash loses only the stage in flight and the next run picks up what is pending.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from . import archive, deliver, render
from .config import Config, FeedSource, SmtpSettings
from .dedupe import dedupe
from .errors import DeliveryError, NothingToDoError
from .extract import extract_article
from .feeds import parse_feed
from .fetch import DEFAULT_USER_AGENT, FetchSettings, fetch_all
from .health import backoff
from .models import (
    ArchivedBrief,
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
from .schedule import slot_id, status_line
from .store import Store
from .summarize import summarize_thread
from .threads import assign_threads
from .urls import canonical_url

log = logging.getLogger(__name__)

CONTEXT_WINDOW = timedelta(days=3)  # earlier articles used to dedupe and thread new ones
MEMBERS_PER_THREAD = 40  # most recent members of a thread used as its context
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


def run_brief(
    config: Config,
    *,
    slot: datetime,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    smtp: SmtpSettings | None = None,
    send: bool = True,
    progress: Progress | None = None,
    fetch_settings: FetchSettings | None = None,
) -> RunResult:
    """Make the brief of `slot` from the configured feeds, archive it, and deliver it."""
    progress = progress or QuietProgress()
    settings = fetch_settings or FetchSettings(
        user_agent=config.user_agent or DEFAULT_USER_AGENT,
        concurrency=config.concurrency,
        per_host=config.per_host,
        allow=config.network_allow,
    )
    started = time.monotonic()
    now = clock()
    store = Store(config.state_dir)
    try:
        archive.clean_staging(config.output_dir)
        run_id = store.start_run(slot_id(slot), now)
        try:
            result = _run(config, store, run_id, slot, now, smtp, send, progress, settings, started)
        except BaseException as exc:
            store.finish_run(run_id, clock(), "failed", {}, error=str(exc) or type(exc).__name__)
            raise
        store.finish_run(run_id, clock(), "done", asdict(result.stats))
        return result
    finally:
        store.close()


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


def _run(
    config: Config,
    store: Store,
    run_id: int,
    slot: datetime,
    now: datetime,
    smtp: SmtpSettings | None,
    send: bool,
    progress: Progress,
    settings: FetchSettings,
    started: float,
) -> RunResult:
    paused = {host: until for host, (until, _) in store.paused_hosts(now).items()}
    ctx = _Context(config, store, run_id, now, progress, settings, paused, random.Random())
    feeds_ok, feed_errors = _read_feeds(ctx)
    pending = store.pending_entries()
    if feeds_ok == 0 and not pending:
        raise NothingToDoError(
            f"none of the {len(config.feeds)} feeds could be read",
            hint="; ".join(f"{n}: {e}" for n, e in feed_errors[:5]) or None,
        )
    articles, origin, pages_failed = _articles(ctx, pending)

    recent = store.recent_articles(now - CONTEXT_WINDOW, exclude_run=run_id)
    deduped = dedupe(articles, recent)
    for dup, kept in deduped.merged_into.items():
        origin.setdefault(kept, []).extend(origin.pop(dup, []))
    store.save_articles([*deduped.unique, *deduped.known.values()], run_id, now, origin)
    unique = list(deduped.unique)

    progress.stage("Filing into threads")
    memberships = store.thread_members()
    members = {t.id: store.articles(memberships.get(t.id, [])[-MEMBERS_PER_THREAD:]) for t in config.threads}
    threaded = {a for ids in memberships.values() for a in ids}
    unthreaded = [a for a in recent if a.id not in threaded]
    threads = assign_threads(unique, config.threads, members, unthreaded)
    store.save_memberships(threads, run_id)

    progress.stage("Summarizing", len(threads))
    by_id = {a.id: a for a in unique}
    ranked = _rank(threads, by_id)[: config.max_threads]
    digests = tuple(summarize_thread(t, [by_id[i] for i in t.article_ids]) for t in ranked)
    shown = {i for t in ranked for i in t.article_ids}
    others = _others([a for a in unique if a.id not in shown])

    stats = RunStats(
        feeds_total=len(config.feeds),
        feeds_ok=feeds_ok,
        feeds_failed=len(feed_errors),
        entries_new=len(pending),
        pages_fetched=len(articles) - pages_failed,
        pages_failed=pages_failed,
        articles_new=len(unique),
        duplicates=len(articles) - len(unique),
        seconds=round(time.monotonic() - started, 2),
    )
    brief = Brief(
        id=slot_id(slot),
        slot=slot,
        title=config.title,
        audience=config.audience,
        generated_at=now,
        status_line=status_line(slot, now, config.schedule),
        digests=digests,
        stats=stats,
        feed_errors=tuple(feed_errors),
        others=others,
    )
    folder, raw, message_id = _write(ctx, brief)
    delivery = _deliver(raw, message_id, folder, config, smtp, send, progress)
    store.mark_delivered(brief.id, message_id, delivery.detail)
    return RunResult(
        brief_id=brief.id,
        brief_dir=folder,
        stats=stats,
        delivery=delivery,
        threads=tuple(d.thread_id for d in digests),
        feed_errors=tuple(feed_errors),
    )


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
        elif state.next_attempt is not None and state.next_attempt > now:
            errors.append(
                (
                    feed.name,
                    f"resting after {state.failures} failures, until {state.next_attempt:%Y-%m-%d %H:%M} UTC",
                )
            )
        else:
            due.append((feed, state))
    ctx.progress.stage("Fetching feeds", len(due))
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
    host = (urlsplit(result.final_url).hostname or "").lower()
    if result.retry_after is not None and host:
        ctx.paused[host] = result.retry_after
        ctx.store.pause_host(host, result.retry_after, f"HTTP {result.status}")


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
    with_link = [e for e in pending if e.link]
    ctx.progress.stage("Fetching articles", len(with_link))
    results = fetch_all(
        [FetchRequest(e.link, kind="page") for e in with_link],
        ctx.settings,
        on_done=lambda r: ctx.progress.advance(r.url),
        paused=ctx.paused,
    )
    for result in results:
        _note_pause(ctx, result)
    by_entry = {id(e): r for e, r in zip(with_link, results, strict=True)}
    ctx.progress.stage("Extracting", len(pending))
    articles: list[Article] = []
    origin: dict[str, list[FeedEntry]] = {}
    failed = 0
    for entry in pending:
        page = _page(entry, by_entry.get(id(entry)))
        failed += page.error is not None
        article = extract_article(page, names.get(entry.feed_url, entry.feed_url))
        origin.setdefault(article.id, []).append(entry)
        articles.append(article)
        ctx.progress.advance(entry.title)
    return articles, origin, failed


def _write(ctx: _Context, brief: Brief) -> tuple[Path, bytes, str]:
    """Render the brief, build its message, archive both; return (folder, message, Message-ID)."""
    config = ctx.config
    ctx.progress.stage("Writing the brief")
    rendered = render.render_brief(brief, config.path.parent / "templates")
    raw, message_id = deliver.build_message(
        subject=rendered.subject,
        text=rendered.email_txt,
        html=rendered.email_html,
        mail_from=config.mail_from,
        mail_to=config.mail_to,
        brief_id=brief.id,
        when=ctx.now,
    )
    files = {
        "index.html": rendered.page_html.encode(),
        "email.html": rendered.email_html.encode(),
        "email.txt": rendered.email_txt.encode(),
        "brief.json": rendered.brief_json.encode(),
        "message.eml": raw,
    }
    folder = archive.write_brief(config.output_dir, brief.slot, files)
    archived = ArchivedBrief(
        id=brief.id,
        slot=brief.slot,
        path=folder.relative_to(config.output_dir).as_posix() + "/index.html",
        headline=brief.digests[0].headline.text if brief.digests else "No new stories",
        threads=tuple(d.title for d in brief.digests),
        articles=brief.stats.articles_new,
    )
    ctx.store.save_brief(archived, ctx.run_id, ctx.now)
    index = render.render_index(
        ctx.store.briefs(), config.title, brief.status_line, config.path.parent / "templates"
    )
    archive.write_file(config.output_dir, "index.html", index.encode())
    return folder, raw, message_id


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
    return None


def _page(entry: FeedEntry, result: FetchResult | None) -> Page:
    if result is None:
        return Page(entry, entry.link, b"", error="no link")
    if result.error or result.status != 200:
        return Page(
            entry, result.final_url, b"", result.headers, error=result.error or f"HTTP {result.status}"
        )
    return Page(entry, result.final_url, result.body, result.headers)


def _rank(threads: Sequence[Thread], articles: dict[str, Article]) -> list[Thread]:
    """Configured threads with news first, then emerging stories by distinct sources."""

    def key(t: Thread) -> tuple[int, int, int]:
        sources = {s for i in t.article_ids for s, _ in articles[i].found_at}
        return (0 if t.kind == "configured" else 1, -len(sources), -len(t.article_ids))

    return sorted(threads, key=key)


def _others(articles: Sequence[Article]) -> tuple[SourceRef, ...]:
    """New articles in no thread shown, newest first: a list of links under the threads."""
    oldest = datetime.min.replace(tzinfo=UTC)
    newest = sorted(articles, key=lambda a: a.published or oldest, reverse=True)[:MAX_OTHERS]
    return tuple(
        SourceRef(
            number=n,
            article_id=a.id,
            title=a.title,
            source=a.source,
            url=a.url,
            published=a.published,
            extracted=a.extracted,
        )
        for n, a in enumerate(newest, start=1)
    )


def _deliver(
    raw: bytes,
    message_id: str,
    folder: Path,
    config: Config,
    smtp: SmtpSettings | None,
    send: bool,
    progress: Progress,
) -> Delivery:
    eml = str(folder / "message.eml")
    if not send:
        return Delivery(message_id, eml, False, "not sent (--no-send)")
    if smtp is None:
        return Delivery(
            message_id, eml, False, "no SMTP server configured (BRIEF_SMTP_HOST); message written"
        )
    if not config.mail_to:
        return Delivery(message_id, eml, False, "no recipients (delivery.to); message written")
    progress.stage("Sending")
    try:
        detail = deliver.send_message(raw, config.mail_from, config.mail_to, smtp)
    except DeliveryError as exc:
        # the brief is archived; a failed send is reported, not fatal
        progress.note(f"delivery failed: {exc}")
        return Delivery(message_id, eml, False, f"delivery failed: {exc}")
    return Delivery(message_id, eml, True, detail)

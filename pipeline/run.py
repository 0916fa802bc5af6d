"""One run of the pipeline, start to finish: the only module that calls the stages, in order.

    run_slot: the run lock, deliveries a crash left half-done, the slot that is due
      reading   feeds ─ fetch ─▶ parse ─▶ new entries ─ fetch pages ─▶ extract ─▶ dedupe ─▶ store
      threads   configured + emergent ─▶ rank ─▶ facts of the articles shown
      digests   summarize + digest fields + disagreements ─▶ what's new ─▶ (a model's rewrite)
      publish   compose the email to its budget ─▶ render ─▶ archive
      deliver   the outbox: built ─▶ sending ─▶ sent | failed

It owns the error policy: a feed or a page that fails is recorded and skipped (`reading.py`);
the run fails only when nothing at all could be read. Each stage's results are committed
before the next starts, so a crash loses only the stage in flight and the next run picks up
what is pending.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

from pipeline.config import Config, SmtpSettings
from pipeline.errors import BriefError, NothingToDoError, StoppedError
from pipeline.ingest.fetch import FetchSettings
from pipeline.ingest.pool import Helpers
from pipeline.ingest.queue import articles_by_workers, feeds_by_workers, queue_app
from pipeline.ingest.reading import (
    FeedFetcher,
    Reader,
    RunContext,
    fetch_settings,
    read_articles,
    read_feeds,
)
from pipeline.models import (
    Article,
    Brief,
    Delivery,
    FeedEntry,
    Involved,
    KeyFigure,
    RunStats,
    Thread,
    ThreadDigest,
    TimelineEvent,
)
from pipeline.operate.lock import RunLock
from pipeline.operate.memory import release_memory
from pipeline.operate.progress import Progress, QuietProgress
from pipeline.operate.room import check_room, storage_fault
from pipeline.operate.schedule import current_slot, made_line, slot_id
from pipeline.operate.slots import covered_slots, due_slot
from pipeline.publish import archive, compose, queued
from pipeline.publish.outbox import (
    DELIVERED,
    UNDELIVERED,
    Sender,
    SendPolicy,
    deliver_brief,
    deliver_built,
    record_built,
    resend_brief,
    resume_deliveries,
)
from pipeline.publish.serialize import brief_from_json, digest_from_json
from pipeline.store import Store
from pipeline.store.records import DeliveryRecord, DeliveryState, RunStatus, SlotState
from pipeline.understand.clustering import events_of
from pipeline.understand.disagreements import disagreements
from pipeline.understand.facts import ArticleFacts, extract_facts
from pipeline.understand.fields import connections, digest_fields, title_words
from pipeline.understand.llm import LlmSettings, rewrite_all
from pipeline.understand.novelty import only_new, shown_keys
from pipeline.understand.once import each_once, top_of_brief
from pipeline.understand.rank import others, rank_threads
from pipeline.understand.summarize import SummaryTuning, summarize_thread
from pipeline.understand.threads import TUNING, assign_threads

log = logging.getLogger(__name__)

CONTEXT_WINDOW = timedelta(days=3)  # earlier articles used to dedupe and thread new ones
MEMBERS_PER_THREAD = 40  # most recent members of a thread used as its context
FACTS_PER_THREAD = SummaryTuning().max_articles  # articles of a thread whose facts its digest reads


@dataclass(frozen=True)
class RunResult:
    brief_id: str
    brief_dir: Path
    stats: RunStats
    delivery: Delivery
    threads: tuple[str, ...]
    feed_errors: tuple[tuple[str, str], ...]
    already_delivered: bool = False  # nothing was done: the slot was delivered before
    as_built: bool = False  # the slot's message was built before (--no-send): delivered as it was
    seconds: float = 0.0  # how long the run took (kept in the runs table, not in the brief)


@dataclass(frozen=True)
class RunOptions:
    """How to run a slot, beyond which slot it is."""

    send: bool = True  # False: write the brief and its message, send nothing (--no-send)
    force: bool = False  # make and send the slot again although it was delivered
    rebuild: bool = False  # make a slot built before and not delivered again, new Message-ID
    covers: tuple[str, ...] = ()  # earlier slots that were missed and that this brief makes up
    should_stop: Callable[[], bool] = lambda: False  # checked between stages (SIGTERM)
    llm: LlmSettings | None = None  # a model that may rewrite overviews, grounded (None: offline)
    manual: bool = False  # `brief run` by hand: failing feeds are tried again now, not after their rest
    send_policy: SendPolicy = field(default_factory=SendPolicy)
    heartbeat: bool = False  # the scheduler calls: record that it is alive (`brief status`)
    fetch: FetchSettings | None = None  # limits and timeouts of fetching (None: from the config)
    reading: Reading | None = None  # an edition's: the slot's reading, shared by its editions


@dataclass(frozen=True)
class Reading:
    """What one reading of the feeds of several editions gave (`run_editions`): each edition's
    brief takes in its own feeds' articles from it rather than fetching them again."""

    feed_errors: tuple[tuple[str, str], ...]
    entries_new: int
    read: int
    pages_failed: int
    kept: int
    articles: tuple[Article, ...]  # what the shared store holds from the context window

    def of(self, config: Config) -> tuple[list[Article], list[tuple[str, str]]]:
        """The articles found in `config`'s feeds, and those feeds' errors."""
        names = {f.name for f in config.feeds}
        mine = [a for a in self.articles if a.source in names or any(s in names for s, _ in a.found_at)]
        return mine, [e for e in self.feed_errors if e[0] in names]


@dataclass(frozen=True)
class SlotOutcome:
    """What `run_slot` did: deliveries it finished first, then the run or the resend."""

    resumed: tuple[Delivery, ...] = ()
    result: RunResult | None = None  # None: nothing was due (or the slot was only resent)
    resent: Delivery | None = None
    error: Exception | None = None  # an edition's failure (`run_editions`): the others went on


def run_slot(
    config: Config,
    *,
    slot: datetime | None = None,
    resend: bool = False,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    smtp: SmtpSettings | None = None,
    progress: Progress | None = None,
    options: RunOptions | None = None,
) -> SlotOutcome:
    """The start of every run, `brief run`, `brief send` and the scheduler alike: take the run
    lock, then, with `resend`, send the archived brief of `slot` again with a new Message-ID;
    otherwise finish the deliveries a crash left half-done (each told to `progress` as it is
    done) and make `slot` (None: the slot that is due, if the ledger says it is not done).
    Raises BusyError when another run holds the lock, StorageError when a folder is full,
    read-only or not writable."""
    options = options or RunOptions()
    try:
        return _run_slot(config, slot, resend, clock, smtp, progress, options)
    except OSError as exc:  # a folder full, read-only or not ours, met mid-run: said as such
        found = storage_fault(config, exc)
        if found is None:
            raise
        raise found from exc


def _run_slot(
    config: Config,
    slot: datetime | None,
    resend: bool,
    clock: Callable[[], datetime],
    smtp: SmtpSettings | None,
    progress: Progress | None,
    options: RunOptions,
) -> SlotOutcome:
    with RunLock(*config.shared_state):  # an edition's: the one lock of every edition and the reading
        planned = _plan(config, slot, resend, clock, smtp, progress, options)
        if isinstance(planned, SlotOutcome):
            return planned
        resumed, slot, options = planned
        result = run_brief(config, slot=slot, clock=clock, smtp=smtp, progress=progress, options=options)
        return SlotOutcome(resumed, result)


def run_editions(
    config: Config,
    editions: Sequence[str] = (),
    *,
    slot: datetime | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    smtp: SmtpSettings | None = None,
    progress: Progress | None = None,
    options: RunOptions | None = None,
    current: bool = False,
) -> dict[str, SlotOutcome]:
    """`run_slot` for the editions of a file that has them (`editions`: their ids; none: all),
    under the one run lock: the feeds of the editions with a brief to make are read once, into
    the shared state, then each makes its own brief (its slot, threads, archive and ledger) from
    its feeds' articles. The archive's top page lists the editions. `slot` None: each edition's
    due slot, or with `current` (a run by hand) each edition's current slot.

    One edition failing does not stop the others: its error is its outcome's `error` (and its
    slot is recorded failed in its own ledger, by `run_brief`), said to `progress`, and the next
    edition is made. A stop request (StoppedError) and the reading's own failure stop them all."""
    options = options or RunOptions()
    chosen = [config.for_edition(e) for e in editions] or list(config.editions)
    told = progress or QuietProgress()
    outcomes: dict[str, SlotOutcome] = {}
    try:
        with RunLock(config.state_dir, config.database):
            plans = []
            for edition in chosen:
                at = current_slot(clock(), edition.schedule) if current and slot is None else slot
                with _edition_failure(edition, outcomes, told):
                    planned = _plan(edition, at, False, clock, smtp, progress, options)
                    if isinstance(planned, SlotOutcome):
                        outcomes[edition.edition] = planned
                    else:
                        plans.append((edition, planned))
            if plans:
                reading = _read_shared(config, [e for e, _ in plans], clock, progress, options)
                for edition, (resumed, at, planned_options) in plans:
                    outcomes[edition.edition] = SlotOutcome(resumed)  # until its brief is made
                    with _edition_failure(edition, outcomes, told):
                        result = run_brief(
                            edition,
                            slot=at,
                            clock=clock,
                            smtp=smtp,
                            progress=progress,
                            options=replace(planned_options, reading=reading),
                        )
                        outcomes[edition.edition] = SlotOutcome(resumed, result)
            archive.write_file(config.output_dir, "index.html", editions_index(config))
    except OSError as exc:
        found = storage_fault(config, exc)
        if found is None:
            raise
        raise found from exc
    return {e.edition: outcomes[e.edition] for e in chosen}


@contextmanager
def _edition_failure(edition: Config, outcomes: dict[str, SlotOutcome], told: Progress) -> Iterator[None]:
    """An edition's step: what makes it fail becomes its outcome's error, said to `told`."""
    try:
        yield
    except StoppedError:
        raise
    except Exception as exc:  # any failure of one edition: the next ones are still made
        if isinstance(exc, OSError):
            exc = storage_fault(edition, exc) or exc
        outcomes[edition.edition] = replace(outcomes.get(edition.edition, SlotOutcome()), error=exc)
        told.note(f"edition {edition.edition} failed: {exc}")
        log.error("edition %s failed: %s", edition.edition, exc, exc_info=not isinstance(exc, BriefError))


def editions_index(config: Config) -> bytes:
    """The archive's top page when there are editions: a link to each one's own archive."""
    items = "".join(
        f'<li><a href="{escape(e.edition)}/index.html">{escape(e.title)}</a> '
        f"<small>({escape(e.audience)})</small></li>"
        for e in config.editions
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(config.title)}</title></head><body><h1>{escape(config.title)}</h1>"
        f"<ul>{items}</ul></body></html>\n"
    ).encode()


def _fetcher(config: Config) -> FeedFetcher | None:
    """Who fetches the feeds: `brief worker`s in queue mode (brief.queue), else this process."""
    return feeds_by_workers if config.queue else None


def _pending(config: Config, store: Store) -> list[FeedEntry]:
    """The entries to read, in the order one process stores them, workers or not."""
    return store.pending_entries([f.url for f in config.feeds] if config.queue else ())


def _reader(config: Config) -> Reader | None:
    """Who reads the pages: `brief worker`s in queue mode (brief.queue), else this process."""
    return articles_by_workers if config.queue else None


def _sender(config: Config, should_stop: Callable[[], bool]) -> Sender | None:
    """Who sends the brief: `brief worker`s in queue mode (brief.queue), else this process. The
    queue's app is made only when there is something to send."""
    if not config.queue:
        return None
    return queued.sender(lambda: queue_app(config), config.queue_wait, should_stop)


def _read_shared(
    config: Config,
    editions: Sequence[Config],
    clock: Callable[[], datetime],
    progress: Progress | None,
    options: RunOptions,
) -> Reading:
    """Read the feeds of `editions` (each once, however many read it) into the shared state."""
    now = clock()
    feeds = tuple({f.url: f for e in editions for f in e.feeds}.values())
    reader = replace(config, feeds=feeds)
    store = Store(config.state_dir, config.database)
    try:
        run_id = store.start_run(slot_id(now), now)
        paused = {host: until for host, (until, _) in store.paused_hosts(now).items()}
        ctx = RunContext(
            reader,
            store,
            run_id,
            now,
            progress or QuietProgress(),
            replace(options.fetch or fetch_settings(config), clock=clock),
            paused,
            random.Random(slot_id(now)),
            options.should_stop,
            options.manual,
        )
        try:
            _, feed_errors = read_feeds(ctx, _fetcher(config))
            entries = _pending(reader, store)
            recent = store.recent_articles(now - CONTEXT_WINDOW, exclude_run=run_id)
            read, pages_failed, kept = read_articles(ctx, entries, recent, _reader(config))
        except BaseException as exc:
            try:
                store.finish_run(run_id, clock(), RunStatus.FAILED, {}, error=str(exc) or type(exc).__name__)
            except BriefError as lost:  # the state itself failed: the reading's own error is said
                log.warning("the reading's end could not be recorded: %s", lost)
            raise
        store.finish_run(run_id, clock(), RunStatus.DONE, {"pages": read, "kept": kept})
        return Reading(
            tuple(feed_errors),
            len(entries),
            read,
            pages_failed,
            kept,
            tuple(store.stored_since(now - CONTEXT_WINDOW)),
        )
    finally:
        store.close()


def _plan(
    config: Config,
    slot: datetime | None,
    resend: bool,
    clock: Callable[[], datetime],
    smtp: SmtpSettings | None,
    progress: Progress | None,
    options: RunOptions,
) -> SlotOutcome | tuple[tuple[Delivery, ...], datetime, RunOptions]:
    """Under the run lock: what a run of `config` does first (a resend, the deliveries a crash
    left), then the slot it is to make and how, or its outcome when there is none to make."""
    now = clock()
    store = Store(config.state_dir, config.database)
    try:
        compose.guard_lost_state(config, store)  # the archive is the record: never from an empty state
        if options.heartbeat:
            store.set_service("heartbeat", now.isoformat())
        # room first: a send the state folder cannot record would be sent again by each start
        check_room(config)
        told = (progress or QuietProgress()).note  # a retry's pause says what it waits for
        options = replace(options, send_policy=replace(options.send_policy, tell=told))
        if resend:  # the one brief asked for, on purpose; what a crash left waits for a run
            if slot is None or smtp is None:
                raise BriefError("a resend needs a slot and an SMTP server")
            return SlotOutcome(resent=_resend(store, config, slot, smtp, now, options))
        sender = _sender(config, options.should_stop)
        resumed = tuple(
            resume_deliveries(store, config, smtp, now, options.send_policy, options.should_stop, sender)
        )
        for done in resumed:  # said now: the run that follows may fail
            (progress or QuietProgress()).note(
                f"finished an interrupted delivery: {done.detail} ({done.eml_path})"
            )
        if slot is None:
            due = due_slot(store, now, config.schedule)
            if due is None:
                return SlotOutcome(resumed)
            slot, options = due.slot, replace(options, covers=due.covers)
        elif slot == current_slot(now, config.schedule):
            # made by hand, the current slot's brief makes up for the older ones as the
            # scheduler's would: their news is not lost because a person ran it
            options = replace(options, covers=covered_slots(store, slot, config.schedule))
        return resumed, slot, options
    finally:
        store.close()


def _resend(
    store: Store, config: Config, slot: datetime, smtp: SmtpSettings, now: datetime, options: RunOptions
) -> Delivery:
    wanted = slot_id(slot)
    found = next((b for b in store.briefs() if b.id == wanted), None)
    if found is None:
        raise BriefError(f"no brief {wanted!r}; `brief list` shows them")
    eml = config.output_dir / Path(found.path).parent / "message.eml"
    return resend_brief(store, wanted, eml, config, smtp, now, options.send_policy)


def run_brief(
    config: Config,
    *,
    slot: datetime,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    smtp: SmtpSettings | None = None,
    progress: Progress | None = None,
    options: RunOptions | None = None,
) -> RunResult:
    """Make the brief of `slot` from the configured feeds, archive it, and deliver it.

    The caller holds the run lock. A slot already delivered is left alone unless forced; a slot
    whose message was built and not delivered (`--no-send`) sends that message, byte for byte,
    unless it is to be made again (`rebuild`, or `force`), under a new Message-ID: a message
    built for a slot is the only one sent under its Message-ID.
    """
    options = options or RunOptions()
    started = time.monotonic()
    now = clock()
    sid = slot_id(slot)
    store = Store(config.state_dir, config.database)
    try:
        ledger = store.slot(sid)
        built = store.delivery(sid)
        if built is not None and built.state in DELIVERED and not options.force:
            if ledger is None or ledger.state != SlotState.DELIVERED:  # a state from before one transaction
                store.set_slot(sid, SlotState.DELIVERED, now, brief_id=sid)
            return _already_delivered(config, store, sid, slot)
        if ledger is not None and ledger.state == SlotState.DELIVERED and not options.force:
            return _already_delivered(config, store, sid, slot)
        if ledger is not None and ledger.state == SlotState.UNSURE and not (options.rebuild or options.force):
            raise BriefError(
                f"slot {sid} may have been sent already and its message is gone: {ledger.error}",
                hint=f"`brief run --slot {sid} --rebuild` sends a new brief, under a new Message-ID",
            )
        check_room(config)  # before any work: a full or read-only folder stops the run here
        if built is not None and built.state in UNDELIVERED and not (options.rebuild or options.force):
            return _as_built(config, store, built, slot, smtp, now, options)
        archive.clean_staging(config.output_dir)
        run_id = store.start_run(sid, now)
        store.set_slot(sid, SlotState.RUNNING, now, attempt=True)
        # a message was built for the slot before (or may have been: one made again on purpose
        # after the state was recovered without it): this one is another, under another id (the
        # slot's runs are counted, so each run's is new)
        counted = store.slot(sid)
        again = built is not None or options.force or options.rebuild
        nonce = f"b{counted.attempts}" if again and counted is not None else ""
        paused = {host: until for host, (until, _) in store.paused_hosts(now).items()}
        ctx = RunContext(
            config,
            store,
            run_id,
            now,
            progress or QuietProgress(),
            replace(options.fetch or fetch_settings(config), clock=clock),  # Retry-After from the run's clock
            paused,
            random.Random(sid),  # the feeds' backoff jitter: the same for the same slot, run again
            options.should_stop,
            options.manual,
        )
        try:
            result = _run(ctx, slot, smtp, options, nonce)
        except StoppedError as exc:
            _record_end(store, run_id, sid, clock(), str(exc), stopped=True)
            raise
        except BaseException as exc:
            said = storage_fault(config, exc) if isinstance(exc, OSError) else None
            error = str(said or exc) or type(exc).__name__
            _record_end(store, run_id, sid, clock(), error)
            if said is not None:
                raise said from exc
            raise
        result = replace(result, seconds=round(time.monotonic() - started, 2))
        store.finish_run(run_id, clock(), RunStatus.DONE, {**asdict(result.stats), "seconds": result.seconds})
        return result
    finally:
        store.close()
        release_memory()  # `brief schedule` stays up between runs: small, not as big as its last run


def _run(
    ctx: RunContext, slot: datetime, smtp: SmtpSettings | None, options: RunOptions, nonce: str
) -> RunResult:
    config, store, now = ctx.config, ctx.store, ctx.now
    sid = slot_id(slot)
    if options.reading is None:
        feeds_ok, feed_errors = read_feeds(ctx, _fetcher(config))
        entries = _pending(config, store)
        pending = len(entries)
        if feeds_ok == 0 and not entries and not store.has_unbriefed_articles(sid, options.covers):
            raise _nothing_read(config, feed_errors)
        recent = store.recent_articles(now - CONTEXT_WINDOW, exclude_run=ctx.run_id)
        read, pages_failed, kept = read_articles(ctx, entries, recent, _reader(config))
    else:  # an edition: its feeds were read with the other editions'; it takes in their articles
        mine, feed_errors = options.reading.of(config)
        feeds_ok = len(config.feeds) - len(feed_errors)
        pending = options.reading.entries_new
        read, pages_failed, kept = options.reading.read, options.reading.pages_failed, options.reading.kept
        recent = store.recent_articles(now - CONTEXT_WINDOW, exclude_run=ctx.run_id)
        store.save_articles(mine, ctx.run_id, now, {})
        if feeds_ok == 0 and not store.has_unbriefed_articles(sid, options.covers):
            raise _nothing_read(config, feed_errors)
    # what this brief shows: every article no brief has shown yet (this run's, and any a
    # crashed or stopped run stored), or this slot's own when it is made again, or what a brief
    # of a slot it makes up for showed without being delivered (a preview never sent)
    unique = store.unbriefed_articles(sid, options.covers)
    by_id = {a.id: a for a in unique}
    # processes to read the facts in start now, so they are ready when filing is done
    with Helpers(config.extract_workers if unique else 0, preload=[extract_facts.__module__]) as helpers:
        threads = _file_threads(ctx, unique, [a for a in recent if a.id not in by_id])
        ranked = rank_threads(threads, by_id)[: config.max_threads]
        # the facts of the articles each digest reads, its most central first (as its summary):
        # a story of hundreds of articles costs the facts of `FACTS_PER_THREAD`, not of each
        in_brief = list({i: by_id[i] for t in ranked for i in t.article_ids[:FACTS_PER_THREAD]}.values())
        ctx.stage("Reading the facts", len(in_brief))
        # only what the digests will show, shared between those processes and this one
        facts = dict(zip((a.id for a in in_brief), helpers.map(extract_facts, in_brief), strict=True))
    ctx.stage("Summarizing", len(ranked))
    digests = _digests(ctx, ranked, by_id, facts, slot, options.covers)
    if options.llm is not None:
        ctx.stage("Rewriting with the model", len(digests))
        digests = rewrite_all(digests, by_id, options.llm)
    shown = {i for t in ranked for i in t.article_ids}
    stats = RunStats(
        feeds_total=len(config.feeds),
        feeds_ok=feeds_ok,
        feeds_failed=len(feed_errors),
        entries_new=pending,
        pages_fetched=read - pages_failed,
        pages_failed=pages_failed,
        articles_new=len(unique),
        duplicates=read - kept,
    )
    top, shown_digests = top_of_brief(digests)  # the top's sentences move there from their threads
    # each sentence once in the brief, in the first place it is read
    shown_digests, links = each_once(top, shown_digests, connections(digests, by_id, facts))
    brief = Brief(
        id=sid,
        slot=slot,
        title=config.title,
        audience=config.audience,
        generated_at=now,
        status_line=made_line(slot, now, config.schedule, by_hand=options.manual),
        digests=shown_digests,
        stats=stats,
        feed_errors=tuple(feed_errors),
        others=others([a for a in unique if a.id not in shown], threads),
        covers=options.covers,
        connections=links,
        publishers=len({source for a in unique for source, _ in a.found_at}),
        reading_minutes=sum(d.reading_minutes for d in digests),
        top=top,
    )
    ctx.stage("Writing the brief")
    published = compose.write_brief(brief, config, store, now=now, run_id=ctx.run_id, nonce=nonce)
    folder, message_id = published.folder, published.message_id
    # a slot delivered before and made again only to look at (--force --no-send) stays
    # delivered: the scheduler must not send it a second time on its own
    prior = store.delivery(sid)
    preview_of_delivered = not options.send and prior is not None and prior.sends > 0
    # what the brief shows and the slot's message from now on, in one transaction: a run stopped
    # before sending leaves that message to be sent as it is, and what it shows is taken back
    # in by a later brief if it is never delivered (`covers`)
    with store.transaction():
        store.mark_briefed(by_id, sid)
        for d in digests:
            store.remember_shown(d.thread_id, shown_keys(d), sid)
        record_built(store, sid, folder / "message.eml", message_id, now, held=not options.send)
        store.set_slot(
            sid, SlotState.DELIVERED if preview_of_delivered else SlotState.BUILT, now, brief_id=sid
        )
        for covered in options.covers:
            store.set_slot(covered, SlotState.SKIPPED, now, covered_by=sid)
            left = store.delivery(covered)
            if left is not None and left.state in (DeliveryState.BUILT, DeliveryState.DEFERRED):
                store.set_delivery(covered, DeliveryState.COVERED, now, error=f"its news went out in {sid}")
    ctx.stage("Sending")
    delivery = deliver_brief(
        store,
        sid,
        folder / "message.eml",
        message_id,
        config,
        smtp,
        now,
        send=options.send,
        policy=options.send_policy,
        sender=_sender(config, ctx.should_stop),
    )
    if delivery.failed:
        ctx.progress.note(delivery.detail)
    return RunResult(sid, folder, stats, delivery, tuple(d.thread_id for d in digests), tuple(feed_errors))


def _record_end(
    store: Store, run_id: int, sid: str, when: datetime, error: str, stopped: bool = False
) -> None:
    """Record that the run failed (or was stopped) with `error`, as far as the state can take it:
    when the state itself is what failed (the database went away mid-run), the run's own error
    is the one to say, and the slot, left `running`, is made by the next run."""
    try:
        store.finish_run(run_id, when, RunStatus.STOPPED if stopped else RunStatus.FAILED, {}, error=error)
        store.set_slot(sid, SlotState.INTERRUPTED if stopped else SlotState.FAILED, when, error=error)
    except BriefError as lost:
        log.warning("the run's end could not be recorded: %s", lost)


def _nothing_read(config: Config, feed_errors: Sequence[tuple[str, str]]) -> NothingToDoError:
    return NothingToDoError(
        f"none of the {len(config.feeds)} feeds could be read",
        hint="; ".join(f"{n}: {e}" for n, e in feed_errors[:5]) or None,
    )


def _file_threads(
    ctx: RunContext, unique: Sequence[Article], recent: Sequence[Article]
) -> tuple[Thread, ...]:
    """File this brief's articles into the configured threads and emergent stories, with the
    threads' recent members (and the recent unthreaded articles) as context; store them."""
    ctx.stage("Filing into threads")
    release_memory()  # what fetching and extracting freed, before the stage that needs the most
    showing = {a.id for a in unique}
    memberships = ctx.store.thread_members()
    members = {
        t.id: [
            a
            for a in ctx.store.articles(memberships.get(t.id, [])[-MEMBERS_PER_THREAD:])
            if a.id not in showing
        ]
        for t in ctx.config.threads
    }
    threaded = {a for ids in memberships.values() for a in ids}
    unthreaded = [a for a in recent if a.id not in threaded]
    stories = _stories(memberships, recent, ctx.config)
    threads = assign_threads(unique, ctx.config.threads, members, unthreaded, stories, muted=ctx.config.muted)
    ctx.store.save_memberships(threads, ctx.run_id)
    return threads


def _digests(
    ctx: RunContext,
    ranked: Sequence[Thread],
    articles: Mapping[str, Article],
    facts: Mapping[str, ArticleFacts],
    slot: datetime,
    covers: Sequence[str] = (),
) -> tuple[ThreadDigest, ...]:
    """Each ranked thread's digest, without what earlier briefs of the thread already showed
    (but for the briefs of slots it `covers`: built, never delivered)."""
    store = ctx.store
    keywords = {s.id: s.keywords for s in ctx.config.threads}
    followed = {s.id: s.story for s in ctx.config.threads if s.story}
    for thread_id, story_id in followed.items():
        store.adopt_story(thread_id, story_id)
    digests = []
    above: set[str] = set()  # what the threads above show: a thread sharing an article takes others
    for t in ranked:
        digest = digest_thread(
            t,
            [articles[i] for i in t.article_ids],
            facts,
            keywords.get(t.id, ()),
            store.thread_events(t.id),
            ctx.config.audience,
            _earlier_roles(store, t.id),
            _earlier_figures(store, (t.id, followed.get(t.id, "")), slot),
            above,
        )
        above |= {s.text for s in (*digest.overview, *digest.why_it_matters, *digest.tldr)}
        store.save_thread_events(digest.thread_id, digest.timeline)
        store.save_thread_roles(digest.thread_id, (*digest.people, *digest.orgs))
        digests.append(digest)
    previous = next((b for b in store.briefs() if b.slot < slot and b.id not in covers), None)
    since = f"New since {previous.slot:%a %d %b, %H:%M} UTC" if previous else ""
    sid = slot_id(slot)
    fresh = tuple(only_new(d, store.shown_before(d.thread_id, sid, covers), since) for d in digests)
    if ctx.config.unchanged_threads == "drop":
        fresh = tuple(d for d in fresh if not d.unchanged)
    return fresh


def _earlier_roles(store: Store, thread_id: str) -> tuple[Involved, ...]:
    """The roles the thread's people and organisations were given before, each with the
    publisher and address of the article it is quoted from (a later brief cites it there)."""
    roles = store.thread_roles(thread_id)
    origin = {a.id: (a.source, a.url) for a in store.articles({i.context.article_id for i in roles})}
    return tuple(replace(i, role_cited=origin.get(i.context.article_id, ())) for i in roles)


def _earlier_figures(store: Store, thread_ids: Sequence[str], slot: datetime) -> tuple[KeyFigure, ...]:
    """The key figures of the thread's last brief before `slot`, each with the date of the
    brief that first showed it, so a later brief keeps the thread's headline figures. A thread
    that follows a story (its id, then the story's in `thread_ids`) has the story's before its own
    first brief."""
    earlier = (a for thread_id in thread_ids if thread_id for a in store.thread_appearances(thread_id))
    for entry, data in earlier:
        if entry.slot < slot:
            day = entry.slot.date().isoformat()
            digest = digest_from_json(data)
            refs = {s.article_id: (s.source, s.url) for s in digest.sources}
            kept = (
                replace(f, earlier=f.earlier or day, cited=f.cited or refs.get(f.context.article_id, ()))
                for f in digest.figures
            )
            return tuple(f for f in kept if f.cited)
    return ()


def digest_thread(
    thread: Thread,
    articles: Sequence[Article],
    facts: Mapping[str, ArticleFacts],
    keywords: Sequence[str] = (),
    earlier_events: Sequence[TimelineEvent] = (),
    audience: str = "readers",
    earlier_roles: Sequence[Involved] = (),
    earlier_figures: Sequence[KeyFigure] = (),
    above: Collection[str] = (),
) -> ThreadDigest:
    """One thread's digest: its summary, its fields from the articles' facts (the summary's
    sentences not repeated), and where its sources disagree. `earlier_events` are the
    thread's events from earlier briefs, so its timeline grows; `audience` is who the brief
    is for; `earlier_roles` the roles earlier briefs learnt, kept for the thread's people and
    organisations; `earlier_figures` the key figures of its last brief, kept while they are
    still its headline figures; `above` the sentences threads above it in the brief show (it
    takes others)."""
    summary = summarize_thread(thread, articles, shown=above)
    shown = [s.text for s in summary.sentences()]
    fields = digest_fields(
        articles,
        facts,
        keywords or title_words(thread.title),
        shown,
        earlier_events,
        audience,
        earlier_roles=earlier_roles,
        earlier_figures=earlier_figures,
        central=FACTS_PER_THREAD,
    )
    events = events_of(articles, TUNING)  # sources are compared within one event only
    return ThreadDigest.assemble(summary, fields, disagreements(articles, facts, earlier_events, events))


def _already_delivered(config: Config, store: Store, sid: str, slot: datetime) -> RunResult:
    outbox = store.delivery(sid)
    folder = archive.brief_dir(config.output_dir, slot)
    delivery = Delivery(
        message_id=outbox.message_id if outbox else "",
        eml_path=str(folder / "message.eml"),
        sent=False,
        detail="already delivered",
    )
    stats = RunStats(len(config.feeds), 0, 0, 0, 0, 0, 0, 0)
    return RunResult(sid, folder, stats, delivery, (), (), already_delivered=True)


def _as_built(
    config: Config,
    store: Store,
    built: DeliveryRecord,
    slot: datetime,
    smtp: SmtpSettings | None,
    now: datetime,
    options: RunOptions,
) -> RunResult:
    """The run of a slot whose message was built before and not delivered: that message is
    delivered (or, with `--no-send` again, left as it is), the brief it was built from said."""
    delivery = deliver_built(
        store,
        built,
        config,
        smtp,
        now,
        send=options.send,
        policy=options.send_policy,
        sender=_sender(config, options.should_stop),
    )
    data = store.brief_data(built.brief_id)
    kept = brief_from_json(data) if data is not None else None
    stats = kept.stats if kept is not None else RunStats(len(config.feeds), 0, 0, 0, 0, 0, 0, 0)
    return RunResult(
        built.brief_id,
        archive.brief_dir(config.output_dir, slot),
        stats,
        delivery,
        tuple(d.thread_id for d in kept.digests) if kept is not None else (),
        kept.feed_errors if kept is not None else (),
        as_built=True,
    )


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

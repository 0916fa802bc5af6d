"""Queue mode (issue 21, item 3): pages read by `brief worker` processes through Procrastinate,
in the PostgreSQL database the tests start, make the same briefs as one process on SQLite."""

from __future__ import annotations

import base64
import contextlib
import pickle
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import SMTP
from functools import partial
from pathlib import Path

import psycopg
import pytest
from conftest import (
    STORIES,
    LoopbackSite,
    Reply,
    SeenRequest,
    SmtpServer,
    article_page,
    brief_cli,
    brief_process,
    brief_workers,
    ledger,
    publish_news,
    rss_feed,
    rss_item,
    story_item,
    write_sources,
)
from test_editions import EDITIONS
from test_editions import SLOT as EDITION_SLOT
from test_editions import _publish as publish_editions
from test_editions import _sources as edition_sources

from pipeline.config import SmtpSettings, load_config
from pipeline.demo import DEMO_SLOTS, CorpusServer, demo_config_text, serve_corpus, slot_clock, smtp_sink
from pipeline.errors import ConfigError, NothingToDoError
from pipeline.ingest.queue import queue_app
from pipeline.operate.schedule import parse_slot
from pipeline.publish.outbox import begin_sending, seed_subscribers
from pipeline.publish.queued import send_for_run
from pipeline.run import RunOptions, run_brief, run_editions
from pipeline.store import Store
from pipeline.store.queued import QueuedMessages, QueuedPages
from pipeline.store.records import DeliveryState, RecipientState, SlotState

Brief = tuple[str, str, str]
AT_1500 = datetime(2026, 11, 10, 15, 0, 30, tzinfo=UTC)
AT_2100 = AT_1500.replace(hour=21)


def demo_folder(server: CorpusServer, folder: Path, database: str | None, queue: bool) -> Path:
    folder.mkdir()
    text = demo_config_text(server, folder / "output", folder / "state")
    if database:
        text = text.replace("brief:\n", f"brief:\n  database: {database}\n" + ("  queue: true\n" * queue), 1)
    (folder / "sources.yaml").write_text(text, encoding="utf-8")
    return folder / "sources.yaml"


def demo_briefs(server: CorpusServer, smtp: SmtpSettings, sources: Path) -> list[Brief]:
    made = []
    config = load_config(sources)
    for slot in [parse_slot(s) for s in DEMO_SLOTS[:2]]:
        server.now = slot_clock(slot)
        result = run_brief(config, slot=slot, clock=partial(slot_clock, slot), smtp=smtp)
        data = (result.brief_dir / "brief.json").read_text(encoding="utf-8")
        made.append((result.brief_id, data, (result.brief_dir / "email.txt").read_text(encoding="utf-8")))
    return made


def test_two_workers_make_the_same_briefs_as_one_process_on_sqlite(postgres_url: str, tmp_path: Path) -> None:
    with serve_corpus(slot_clock(parse_slot(DEMO_SLOTS[0]))) as server, smtp_sink() as sink:
        smtp = SmtpSettings("127.0.0.1", sink.port, None, None, "none")
        on_sqlite = demo_briefs(server, smtp, demo_folder(server, tmp_path / "sqlite", None, False))
        sources = demo_folder(server, tmp_path / "queue", postgres_url, True)
        sends = {"BRIEF_SMTP_HOST": "127.0.0.1", "BRIEF_SMTP_PORT": str(sink.port), "BRIEF_SMTP_TLS": "none"}
        with brief_workers(sources, 2, env=sends) as started:  # they send the briefs too
            on_queue = demo_briefs(server, smtp, sources)
            assert all(w.poll() is None for w in started), "a worker stopped during the runs"

    assert [b[0] for b in on_queue] == [b[0] for b in on_sqlite]
    for (brief_id, data, text), (_, their_data, their_text) in zip(on_queue, on_sqlite, strict=True):
        assert text == their_text, f"the email of {brief_id}"
        assert data == their_data, f"the brief.json of {brief_id}"
    assert not (tmp_path / "queue" / "state" / "dailybrief.sqlite3").exists()


def test_the_queue_needs_a_postgresql_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRIEF_DATABASE_URL", raising=False)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "brief:\n  title: T\n  queue: true\nfeeds:\n  - url: http://127.0.0.1:9/feed\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"brief\.queue needs a PostgreSQL database") as raised:
        load_config(sources)
    assert raised.value.line == 3
    worker = brief_cli("worker", "--config", str(sources))
    assert worker.code != 0 and "brief.queue needs a PostgreSQL database" in worker.out + worker.err


def test_a_worker_refuses_an_install_without_the_queue(postgres_url: str, tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"brief:\n  title: T\n  database: {postgres_url}\nfeeds:\n  - url: http://127.0.0.1:9/feed\n",
        encoding="utf-8",
    )
    worker = brief_cli("worker", "--config", str(sources))
    assert worker.code != 0 and "brief.queue is off" in worker.out + worker.err


@contextlib.contextmanager
def a_worker_killed_mid_request(
    sources: Path, reached: threading.Event, release: threading.Event
) -> Iterator[list[subprocess.Popen[str]]]:
    """A worker (`--stalled-after 2`) killed outright once `reached` is set (it is then in the
    middle of a request the test holds), and another started in its place; then `release` is
    set. Yields [the first, the second once started]; both are stopped after the block."""
    first = brief_process("worker", "--config", str(sources), "--stalled-after", "2")
    started = [first]

    def kill_then_replace() -> None:
        if reached.wait(120):
            first.send_signal(signal.SIGKILL)
            first.wait()
            started.append(brief_process("worker", "--config", str(sources), "--stalled-after", "2"))
        release.set()

    killer = threading.Thread(target=kill_then_replace, daemon=True)
    killer.start()
    try:
        yield started
    finally:
        release.set()
        killer.join()
        for worker in started:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
            worker.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL and len(started) == 2, (
        "the first worker was killed mid-request"
    )


def held_once(reply: Reply) -> tuple[Callable[[SeenRequest], Reply], threading.Event, threading.Event]:
    """An answer held the first time it is asked for until `release` is set (`reached` says it
    was asked for), then `reply`; (the answer, reached, release)."""
    reached, release = threading.Event(), threading.Event()

    def answer(seen: SeenRequest) -> Reply:
        if not reached.is_set():
            reached.set()
            release.wait(60)  # the worker fetching it is killed meanwhile
        return reply

    return answer, reached, release


def test_a_worker_killed_mid_page_has_its_page_read_again_and_stored_once(
    postgres_url: str, tmp_path: Path, site: LoopbackSite
) -> None:
    when = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    items = [story_item(site, key, when) for key in ("dredging", "ferry", "lighthouse")]
    title, text = STORIES["orchard"]
    page, reached, release = held_once(
        Reply(body=article_page(title, text), content_type="text/html; charset=utf-8")
    )
    site.serve("/orchard", page)
    items.append(rss_item(title, site.url("/orchard"), "orchard", when, text.split(". ")[0] + "."))
    site.serve("/feed.xml", rss_feed(*items))
    config = load_config(queue_sources(tmp_path, site, postgres_url))
    with a_worker_killed_mid_request(config.path, reached, release):
        result = run_brief(config, slot=AT_1500, clock=lambda: AT_1500)

    assert site.hits("/orchard") == 2, "the killed worker's page was read again"
    assert result.stats.pages_failed == 0
    store = Store(config.state_dir, config.database)
    try:
        rows = store.db.execute("SELECT count(*) FROM articles WHERE url = ?", (site.url("/orchard"),))
        assert rows.fetchone()[0] == 1
    finally:
        store.close()
    email = (result.brief_dir / "email.txt").read_text(encoding="utf-8")
    assert email.count(title) >= 1


# -- what a job carries, the per-host limit, a host's wait, the run's wait (issue 21, queue gaps) --


def queue_sources(
    root: Path,
    site: LoopbackSite,
    database: str | None,
    *extra: str,
    allow: tuple[str, ...] = (),
    feeds: tuple[str, ...] = ("/feed.xml",),
) -> Path:
    """A sources.yaml in queue mode reading `site`'s `feeds`; `extra` lines go under brief:.
    `database` None: the same file without the queue, on SQLite."""
    sources = write_sources(root, [site.url(f) for f in feeds], [site.allow(), *allow], to=())
    if database is None:
        return sources
    lines = "".join(f"  {line}\n" for line in (f"database: {database}", "queue: true", *extra))
    sources.write_text(sources.read_text(encoding="utf-8").replace("brief:\n", "brief:\n" + lines, 1))
    return sources


def publish_stories(site: LoopbackSite, keys: tuple[str, ...], feed: LoopbackSite | None = None) -> None:
    """STORIES[key] for each key, their pages on `site`, their feed on `feed` (default `site`)."""
    when = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    (feed or site).serve("/feed.xml", rss_feed(*(story_item(site, key, when) for key in keys)))


class Recorded:
    """A run's progress, its notes kept."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, detail: str = "") -> None:
        pass

    def note(self, message: str) -> None:
        self.notes.append(message)


def queued_jobs(database: str) -> list[tuple[str, dict[str, object]]]:
    store = Store(Path("."), database)
    try:
        rows = store.db.execute("SELECT task_name, args FROM procrastinate_jobs ORDER BY id").fetchall()
        return [(str(r[0]), dict(r[1])) for r in rows]
    finally:
        store.close()


def test_a_job_carries_plain_json_and_a_pickle_in_the_queue_is_never_loaded(
    postgres_url: str, tmp_path: Path, site: LoopbackSite
) -> None:
    publish_stories(site, ("dredging", "ferry"))
    sources = queue_sources(tmp_path, site, postgres_url)
    with brief_workers(sources, 1):
        result = run_brief(load_config(sources), slot=AT_1500, clock=lambda: AT_1500)
        # a job as the first queue mode made it: its entry a pickle, which here would leave a file
        marker = tmp_path / "unpickled"
        app = queue_app(load_config(sources))
        with app.open():
            hostile = base64.b64encode(pickle.dumps(_Touch(marker))).decode()
            job = app.tasks["brief:read_page"].defer(run_id=1, index=0, entry=hostile, source="x")
        pages = QueuedPages(postgres_url)
        try:
            while pages.jobs_left([job]):
                time.sleep(0.1)
        finally:
            pages.close()

    assert result.stats.pages_fetched == 2 and result.stats.pages_failed == 0
    reads = [args for task, args in queued_jobs(postgres_url) if task == "brief:read_page"][:2]
    assert [sorted(a) for a in reads] == [["entry_id", "feed_url", "index", "run_id", "source", "until"]] * 2
    assert all(isinstance(v, int | str) for a in reads for v in a.values())
    assert {a["entry_id"] for a in reads} == {"dredging", "ferry"}
    assert not marker.exists(), "a worker unpickled what the queue held"
    (feed,) = [args for task, args in queued_jobs(postgres_url) if task == "brief:read_feed"]
    assert sorted(feed) == ["feed_url", "name", "now", "run_id", "seed", "until"]
    assert all(isinstance(v, int | str) for v in feed.values())


class _Touch:
    """A pickle that, loaded, creates a file: what a worker must never do with the queue's data."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.path),))


def test_the_per_host_limit_holds_across_every_worker(
    postgres_url: str, tmp_path: Path, site: LoopbackSite
) -> None:
    keys = ("dredging", "ferry", "lighthouse", "orchard", "library", "glacier")
    publish_stories(site, keys)
    gate = threading.Lock()
    now_in, most = [0], [0]

    def slow(reply: Reply) -> Callable[[SeenRequest], Reply]:
        def answer(seen: SeenRequest) -> Reply:
            with gate:
                now_in[0] += 1
                most[0] = max(most[0], now_in[0])
            try:
                time.sleep(0.5)  # the host is slow: pages in flight overlap
                return reply
            finally:
                with gate:
                    now_in[0] -= 1

        return answer

    for key in keys:
        page = site.routes[f"/{key}"]
        assert isinstance(page, Reply)
        site.serve(f"/{key}", slow(page))
    sources = queue_sources(tmp_path, site, postgres_url)
    assert load_config(sources).per_host == 2
    with brief_workers(sources, 3):  # 12 pages at once between them
        result = run_brief(load_config(sources), slot=AT_1500, clock=lambda: AT_1500)

    assert result.stats.pages_fetched == len(keys)
    assert most[0] == 2, f"at most fetch.per_host pages of the host at once, and that many: {most[0]}"


def test_a_host_that_asks_the_workers_to_wait_is_read_when_it_said(
    postgres_url: str, tmp_path: Path, make_site: Callable[[], LoopbackSite]
) -> None:
    site, feeds = make_site(), make_site()  # the pages on 127.0.0.1, the feed on localhost
    keys = ("dredging", "ferry", "lighthouse", "orchard")
    publish_stories(site, keys, feed=feeds)
    asked: list[float] = []  # when the host said 429 first
    early: list[str] = []  # requests that came while it said to wait
    fetched: dict[str, float] = {}

    def busy(reply: Reply, path: str) -> Callable[[SeenRequest], Reply]:
        def answer(seen: SeenRequest) -> Reply:
            now = time.monotonic()
            if not asked:
                asked.append(now)
            if now < asked[0] + 2:
                if now > asked[0]:
                    early.append(path)
                return Reply(429, b"slow down", "text/plain", headers={"Retry-After": "2"})
            fetched[path] = now
            return reply

        return answer

    for key in keys:
        page = site.routes[f"/{key}"]
        assert isinstance(page, Reply)
        site.serve(f"/{key}", busy(page, f"/{key}"))
    sources = write_sources(
        tmp_path, [feeds.url("/feed.xml", host="localhost")], [site.allow(), feeds.allow("localhost")], to=()
    )
    sources.write_text(
        sources.read_text(encoding="utf-8").replace(
            "brief:\n", f"brief:\n  database: {postgres_url}\n  queue: true\n", 1
        )
    )
    with brief_workers(sources, 1):
        result = run_brief(load_config(sources), slot=AT_1500, clock=lambda: AT_1500)

    assert result.stats.pages_failed == 0 and set(fetched) == {f"/{k}" for k in keys}
    assert min(fetched.values()) >= asked[0] + 2, "no page read before the time the host named"
    assert len(early) <= 1, f"only a page already in flight (per_host 2) is asked again early: {early}"
    store = Store(tmp_path / "state", postgres_url)
    try:
        stored = store.stored_since(AT_1500.replace(day=1))
        assert len(stored) == len(keys) and all(a.extracted for a in stored), "read from their pages"
        assert "127.0.0.1" in store.paused_hosts(AT_1500), "the host's wait is kept for the next runs"
    finally:
        store.close()


def test_pages_the_workers_do_not_read_in_time_are_named_and_read_by_the_next_run(
    postgres_url: str, tmp_path: Path, site: LoopbackSite
) -> None:
    keys = ("dredging", "ferry", "lighthouse")
    publish_stories(site, keys)
    release = threading.Event()
    ferry = site.routes["/ferry"]
    assert isinstance(ferry, Reply)

    def held_until_released(seen: SeenRequest) -> Reply:
        release.wait(120)
        return ferry

    site.serve("/ferry", held_until_released)
    sources = queue_sources(tmp_path, site, postgres_url, "queue_wait: 3")
    config = load_config(sources)
    assert config.queue_wait == 3
    progress = Recorded()
    at_2100 = AT_1500.replace(hour=21)
    with brief_workers(sources, 1):
        try:
            first = run_brief(config, slot=AT_1500, clock=lambda: AT_1500, progress=progress)
        finally:
            release.set()
        second = run_brief(config, slot=at_2100, clock=lambda: at_2100)

    assert first.stats.pages_fetched == 2 and first.stats.pages_failed == 0
    said = [n for n in progress.notes if "not read by the workers" in n]
    assert said and site.url("/ferry") in said[0] and "the next run reads them" in said[0]
    assert STORIES["ferry"][0] not in (first.brief_dir / "email.txt").read_text(encoding="utf-8")
    assert site.hits("/ferry") == 2 and second.stats.pages_fetched == 1
    second_email = (second.brief_dir / "email.txt").read_text(encoding="utf-8")
    assert STORIES["ferry"][0] in second_email
    store = Store(tmp_path / "state", postgres_url)
    try:
        assert store.pending_entries() == []
        (article,) = [a for a in store.stored_since(AT_1500.replace(day=1)) if a.url == site.url("/ferry")]
        assert article.extracted, "read from its page, not the feed's summary"
    finally:
        store.close()


# -- feeds read by the workers ----------------------------------------------------------------------


def test_a_run_with_no_worker_fetches_no_feed_and_names_it(
    postgres_url: str, tmp_path: Path, site: LoopbackSite
) -> None:
    """The run's own process fetches no feed in queue mode: with no worker up, no request
    reaches the feed, the run says which feeds were not read in time, and cancels their jobs."""
    publish_stories(site, ("dredging",))
    config = load_config(queue_sources(tmp_path, site, postgres_url, "queue_wait: 1"))
    progress = Recorded()
    with pytest.raises(NothingToDoError, match="none of the 1 feeds could be read") as raised:
        run_brief(config, slot=AT_1500, clock=lambda: AT_1500, progress=progress)

    assert site.hits() == 0, "the run fetched a feed itself"
    assert raised.value.hint == "Karsholm Courier: not read by the workers in time: the next run reads it"
    (said,) = [n for n in progress.notes if "feeds not read by the workers" in n]
    assert "brief.queue_wait (1 s)" in said and site.url("/feed.xml") in said
    assert _job_states(postgres_url, "brief:read_feed") == ["cancelled"]


def etag_feed(body: bytes, etag: str = '"v1"') -> Callable[[SeenRequest], Reply]:
    """A feed that answers 304 to a request that names its ETag."""

    def answer(seen: SeenRequest) -> Reply:
        if seen.headers.get("if-none-match") == etag:
            return Reply(304, b"", None, headers={"ETag": etag})
        return Reply(body=body, headers={"ETag": etag})

    return answer


def test_a_failing_feed_is_told_and_rested_as_without_the_queue_and_a_304_keeps_nothing_new(
    postgres_url: str, tmp_path: Path, site: LoopbackSite
) -> None:
    when = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    site.serve("/feed.xml", etag_feed(rss_feed(*(story_item(site, k, when) for k in ("dredging", "ferry")))))
    site.serve("/broken.xml", Reply(500, b"down", "text/plain"))
    feeds = ("/feed.xml", "/broken.xml")
    made = {}
    soon = AT_1500 + timedelta(minutes=10)
    for name, database in (("sqlite", None), ("queue", postgres_url)):
        (tmp_path / name).mkdir()
        config = load_config(queue_sources(tmp_path / name, site, database, feeds=feeds))
        progress = Recorded()
        with contextlib.ExitStack() as workers:
            if database is not None:
                workers.enter_context(brief_workers(config.path, 1))
            result = run_brief(config, slot=AT_1500, clock=lambda: AT_1500, progress=progress)
            store = Store(config.state_dir, config.database)
            try:
                (broken,) = [h for h in store.feed_health() if h.url == site.url("/broken.xml")]
            finally:
                store.close()
            # the next slot's brief, made early by hand: the broken feed is still resting
            again = run_brief(config, slot=AT_2100, clock=lambda: soon)
        made[name] = (result, progress.notes, broken, again)

    (one, one_notes, one_broken, _), (queued, notes, broken, again) = made["sqlite"], made["queue"]
    assert queued.feed_errors == one.feed_errors == (("Feed 1", "HTTP 500 Internal Server Error"),)
    assert notes == one_notes and "feed failed: Feed 1: HTTP 500 Internal Server Error" in notes
    brief = (queued.brief_dir / "email.txt").read_text(encoding="utf-8")
    assert brief == (one.brief_dir / "email.txt").read_text(encoding="utf-8")
    assert (
        (broken.failures, broken.last_error)
        == (one_broken.failures, one_broken.last_error)
        == (1, "HTTP 500 Internal Server Error")
    )
    assert (
        broken.next_attempt is not None
        and 24 * 60 <= (broken.next_attempt - AT_1500).total_seconds() <= 36 * 60
    )
    # the next slot: the broken feed rests (not fetched), the good one answers 304, nothing new
    assert site.hits("/broken.xml") == 2, "once per path, none while resting"
    assert again.feed_errors[0][0] == "Feed 1" and again.feed_errors[0][1].startswith(
        "resting after 1 failures"
    )
    assert again.stats.entries_new == 0 and again.stats.feeds_ok == 1
    asked = [r.headers.get("if-none-match") for r in site.requests if r.path == "/feed.xml"]
    assert asked == [None, '"v1"', None, '"v1"'], "each path's second fetch was conditional"


def test_a_feed_job_retried_after_its_worker_died_stores_its_entries_once(
    postgres_url: str, tmp_path: Path, site: LoopbackSite
) -> None:
    when = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    keys = ("dredging", "ferry", "lighthouse")
    feed, reached, release = held_once(Reply(body=rss_feed(*(story_item(site, k, when) for k in keys))))
    site.serve("/feed.xml", feed)
    config = load_config(queue_sources(tmp_path, site, postgres_url))
    with a_worker_killed_mid_request(config.path, reached, release):
        result = run_brief(config, slot=AT_1500, clock=lambda: AT_1500)

    assert site.hits("/feed.xml") == 2, "the killed worker's feed was read again"
    assert result.feed_errors == () and result.stats.entries_new == len(keys)
    assert result.stats.pages_fetched == len(keys)
    store = Store(config.state_dir, config.database)
    try:
        rows = store.db.execute("SELECT entry_id, count(*) FROM entries GROUP BY entry_id").fetchall()
        assert {str(r[0]): int(r[1]) for r in rows} == dict.fromkeys(keys, 1)
    finally:
        store.close()


def test_a_feed_job_done_twice_records_the_feed_once(
    postgres_url: str, tmp_path: Path, site: LoopbackSite
) -> None:
    """Two copies of one feed's job (a job taken for stalled while its worker still ran it)
    both fetch the feed; its failure is counted, and its rest drawn, once."""
    site.serve("/broken.xml", Reply(500, b"down", "text/plain"))
    config = load_config(queue_sources(tmp_path, site, postgres_url, feeds=("/broken.xml",)))
    app = queue_app(config)
    job = {
        "run_id": 7,
        "feed_url": site.url("/broken.xml"),
        "name": "Karsholm Courier",
        "now": AT_1500.isoformat(),
        "seed": 1,
        "until": datetime(2100, 1, 1, tzinfo=UTC).isoformat(),
    }
    with brief_workers(config.path, 1):
        with app.open():
            task = app.tasks["brief:read_feed"]
            jobs = [task.defer(**job), task.defer(**job)]
        pages = QueuedPages(postgres_url)
        try:
            while pages.jobs_left(jobs):
                time.sleep(0.1)
            kept = pages.feeds_read(7)
            (health,) = pages.feed_health()
        finally:
            pages.close()

    assert site.hits("/broken.xml") == 2 and _job_states(postgres_url, "brief:read_feed") == ["succeeded"] * 2
    assert kept == {site.url("/broken.xml"): ("HTTP 500 Internal Server Error", None)}
    assert health.failures == 1


# -- delivery by the workers ------------------------------------------------------------------------


def test_workers_send_a_queued_brief_each_subscriber_once_over_their_own_smtp(
    postgres_env: str,
    tmp_path: Path,
    site: LoopbackSite,
    make_smtp: Callable[..., SmtpServer],
) -> None:
    """In queue mode the run sends nothing itself: its jobs (two for 150 subscribers), on the
    workers, send each subscriber one message over the workers' own SMTP server, each job over a
    connection of its own; the run then says the slot is delivered. (That jobs sending at once
    split the subscribers is tests/test_postgres.py's two senders.)"""
    everyone = [f"reader{i:03d}@town{i % 5}.example" for i in range(150)]
    workers_smtp, runs_smtp = make_smtp(), make_smtp()
    sources = in_queue_mode(
        write_sources(tmp_path, [publish_news(site)], [site.allow()], to=everyone, delivery="pace: 0")
    )
    config = load_config(sources)
    with brief_workers(sources, 2, env=workers_smtp.env()) as started:
        made = run_brief(config, slot=AT_1500, clock=lambda: AT_1500, smtp=runs_smtp.settings())
        assert all(w.poll() is None for w in started), "a worker stopped"

    assert Counter(e for (e,) in workers_smtp.mailbox.envelopes) == Counter(everyone), "every subscriber once"
    assert _job_states(postgres_env, "brief:deliver") == ["succeeded", "succeeded"], "two jobs, both done"
    assert not runs_smtp.mailbox.data, "the run's own process sent nothing"
    assert made.delivery.sent and "150 subscribers" in made.delivery.detail
    slots, deliveries = ledger(tmp_path / "state")
    assert slots["2026-11-10T1500Z"].state == SlotState.DELIVERED
    assert deliveries["2026-11-10T1500Z"].state == DeliveryState.SENT


def _job_states(database: str, task: str) -> list[str]:
    with psycopg.connect(database) as conn:
        rows = conn.execute("SELECT status FROM procrastinate_jobs WHERE task_name = %s", (task,)).fetchall()
    return sorted(str(r[0]) for r in rows)


def test_a_brief_built_without_sending_is_sent_later_by_the_workers_not_the_run(
    postgres_env: str,
    tmp_path: Path,
    site: LoopbackSite,
    make_smtp: Callable[..., SmtpServer],
) -> None:
    """A slot's message built and held (`--no-send`), then sent by a later run of the slot, goes
    out as the run's own would in queue mode: through the workers, over their SMTP server; and
    the message they sent from is no longer kept in the queue's database once the slot is settled."""
    workers_smtp, runs_smtp = make_smtp(), make_smtp()
    sources = in_queue_mode(
        write_sources(tmp_path, [publish_news(site)], [site.allow()], to=["reader@town.example"])
    )
    config = load_config(sources)
    with brief_workers(sources, 1, env=workers_smtp.env()):
        held = run_brief(config, slot=AT_1500, clock=lambda: AT_1500, options=RunOptions(send=False))
        sent = run_brief(config, slot=AT_1500, clock=lambda: AT_1500, smtp=runs_smtp.settings())

    assert not held.delivery.sent and sent.as_built and sent.delivery.sent, sent.delivery.detail
    assert workers_smtp.mailbox.envelopes == [["reader@town.example"]]
    assert not runs_smtp.mailbox.data, "the run's own process sent nothing"
    assert _job_states(postgres_env, "brief:deliver") == ["succeeded"]
    assert _kept_messages(postgres_env) == 0
    slots, _ = ledger(tmp_path / "state")
    assert slots["2026-11-10T1500Z"].state == SlotState.DELIVERED


def test_a_worker_without_the_archive_sends_the_message_the_run_kept_in_the_database(
    postgres_env: str,
    tmp_path: Path,
    site: LoopbackSite,
    make_smtp: Callable[..., SmtpServer],
) -> None:
    """A worker on another machine has no copy of `output/`: it sends the bytes the run archived,
    from the database, to the recipients the run recorded."""
    smtp = make_smtp()
    sources = write_sources(tmp_path, [publish_news(site)], [site.allow()], to=["reader@town.example"])
    config = load_config(sources)  # made on one machine; sent as queue mode sends it
    held = run_brief(config, slot=AT_1500, clock=lambda: AT_1500, options=RunOptions(send=False))
    eml = held.brief_dir / "message.eml"
    raw = eml.read_bytes()
    queued = replace(config, queue=True)
    queue_app(queued)  # the queue's tables
    store = Store(config.state_dir, config.database)
    kept = QueuedMessages(postgres_env)
    try:
        seed_subscribers(store, queued, AT_1500)  # as a run that sends does first
        assert begin_sending(store, held.brief_id, eml, "", queued, AT_1500) is None
        kept.put(queued.edition, held.brief_id, raw)
        shutil.rmtree(config.output_dir)  # the worker's machine has no archive

        send_for_run(queued, held.brief_id, smtp.settings())

        recipients = store.recipients(held.brief_id)
    finally:
        kept.close()
        store.close()
    assert smtp.mailbox.envelopes == [["reader@town.example"]]
    assert [r.state for r in recipients] == [RecipientState.SENT]
    subject = message_from_bytes(raw, policy=SMTP)["Subject"]
    assert message_from_bytes(smtp.mailbox.data[0], policy=SMTP)["Subject"] == subject


def in_queue_mode(sources: Path) -> Path:
    """`sources` with `brief.queue: true` (its database from BRIEF_DATABASE_URL)."""
    sources.write_text(sources.read_text(encoding="utf-8").replace("brief:\n", "brief:\n  queue: true\n", 1))
    return sources


def _kept_messages(database: str) -> int:
    with psycopg.connect(database) as conn:
        (count,) = conn.execute("SELECT count(*) FROM queued_messages").fetchall()
    return int(count[0])


def test_editions_in_queue_mode_read_each_page_once_and_the_workers_send_each_its_own_brief(
    postgres_env: str,
    tmp_path: Path,
    site: LoopbackSite,
    make_smtp: Callable[..., SmtpServer],
) -> None:
    """Two editions sharing a feed, in queue mode: the workers fetch every feed and page once for
    both, and send each edition's subscribers that edition's brief (one message each, two briefs
    of one slot kept apart in the queue's database)."""
    publish_editions(site)
    sources = in_queue_mode(edition_sources(tmp_path, site, EDITIONS))
    config = load_config(sources)
    workers_smtp, runs_smtp = make_smtp(), make_smtp()
    with brief_workers(sources, 2, env=workers_smtp.env()):
        outcomes = run_editions(
            config, slot=EDITION_SLOT, clock=lambda: EDITION_SLOT, smtp=runs_smtp.settings()
        )

    for path in ("/sea.xml", "/land.xml", "/dredging", "/ferry", "/lighthouse", "/orchard", "/library"):
        assert site.hits(path) == 1, path
    made = {name: o.result for name, o in outcomes.items()}
    assert all(r is not None and r.delivery.sent for r in made.values()), outcomes
    assert not runs_smtp.mailbox.data, "the run's own process sent nothing"
    subjects = {
        tuple(to): str(message_from_bytes(data, policy=SMTP)["Subject"])
        for to, data in zip(workers_smtp.mailbox.envelopes, workers_smtp.mailbox.data, strict=True)
    }
    assert set(subjects) == {("coast@harbour.example",), ("valley@harbour.example",)}
    assert "Coast Brief" in subjects[("coast@harbour.example",)]
    assert "Valley Brief" in subjects[("valley@harbour.example",)]
    assert _kept_messages(postgres_env) == 0

"""Feeds that misbehave over several runs: empty answers, 304s, 404, 410, 429/503 with and
without Retry-After, 5xx, permanent moves, and a feed that fails and comes back.

Each test runs the real pipeline more than once against a loopback site and looks at what a
user sees: `brief status`, the brief of each run, and which requests the site received. The
run that `brief status` is read after happens at the real time, since status reads the clock.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    STORIES,
    LoopbackSite,
    Newsroom,
    Reply,
    SeenRequest,
    article_page,
    rss_feed,
    rss_item,
    story_item,
)

from pipeline.config import load_config
from pipeline.errors import NothingToDoError, StoppedError
from pipeline.ingest.health import BACKOFF_CAP, backoff
from pipeline.ingest.pool import Helpers
from pipeline.run import RunOptions, RunResult, run_brief
from pipeline.store import Store

STATUS_TIME = "%Y-%m-%d %H:%M"


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def status_row(newsroom: Newsroom, name: str) -> tuple[int, str]:
    """(entries seen, state and last error) of a feed in `brief status`."""
    line = newsroom.feed_line(name)
    match = re.fullmatch(r".{28} .{16} +(?P<seen>\d+)  (?P<state>.*)", line)
    assert match, line
    return int(match["seen"]), match["state"]


def backing_off_until(state: str, failures: int) -> datetime:
    """The time in "backing off until 2026-11-23 15:31 UTC (1 failures)"."""
    match = re.match(rf"backing off until (\d{{4}}-\d\d-\d\d \d\d:\d\d) UTC \({failures} failures\)", state)
    assert match, state
    return datetime.strptime(match[1], STATUS_TIME).replace(tzinfo=UTC)


def minute(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0)


def good_feed(site: LoopbackSite, when: datetime) -> tuple[str, str]:
    site.serve("/good.xml", rss_feed(story_item(site, "library", when - timedelta(hours=1))))
    return ("Good Feed", site.url("/good.xml"))


# -- 16. an empty answer --------------------------------------------------------------------------------


def test_an_empty_answer_is_an_error_and_the_entries_seen_are_kept(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    t = now()
    site.serve(
        "/feed.xml",
        rss_feed(
            story_item(site, "dredging", t - timedelta(hours=3)),
            story_item(site, "ferry", t - timedelta(hours=3)),
        ),
    )
    newsroom.configure([("Harbour News", site.url("/feed.xml")), good_feed(site, t)], allow=[site.allow()])
    newsroom.run(t - timedelta(hours=2))
    assert status_row(newsroom, "Harbour News") == (2, "ok")

    site.serve("/feed.xml", Reply(200, b"", "application/rss+xml"))
    result = newsroom.run(t)

    seen, state = status_row(newsroom, "Harbour News")
    assert seen == 2
    assert state.startswith("backing off until") and state.endswith("(1 failures) · [empty] empty response")
    assert ("Harbour News", "empty response") in result.feed_errors
    assert "Harbour News: empty response" in (result.brief_dir / "email.txt").read_text()


# -- 17. 304 Not Modified -------------------------------------------------------------------------------


def test_a_304_is_a_success_and_validators_go_back_verbatim(newsroom: Newsroom, site: LoopbackSite) -> None:
    t = now()
    etag = 'W/"harbour-1, with a comma"'
    modified = "Mon, 23 Nov 2026 08:00:00 GMT"
    feed = rss_feed(story_item(site, "dredging", t - timedelta(hours=5)))
    answers = [
        Reply(200, feed, headers={"ETag": etag, "Last-Modified": modified}),
        Reply(304, b"", None, {"ETag": '"harbour-2"'}),
        Reply(304, b"", None),
        Reply(304, b"", None),
    ]
    site.serve("/feed.xml", lambda request: answers.pop(0))
    newsroom.configure([("Harbour News", site.url("/feed.xml"))], allow=[site.allow()])

    results = [newsroom.run(t - timedelta(hours=3 - n)) for n in range(4)]

    sent = [
        (r.headers.get("if-none-match"), r.headers.get("if-modified-since"))
        for r in site.requests
        if r.path == "/feed.xml"
    ]
    assert sent == [(None, None), (etag, modified), ('"harbour-2"', modified), ('"harbour-2"', modified)]
    assert [r.stats.articles_new for r in results] == [1, 0, 0, 0]
    assert all(r.feed_errors == () for r in results)
    assert site.hits("/dredging") == 1  # nothing re-parsed, no page fetched again
    assert status_row(newsroom, "Harbour News") == (1, "ok")
    assert (
        "Lindqvist approves northern channel dredging"
        not in (results[-1].brief_dir / "email.txt").read_text()
    )


# -- 18. 404 --------------------------------------------------------------------------------------------


def test_a_404_backs_off_and_keeps_the_entries(newsroom: Newsroom, site: LoopbackSite) -> None:
    t = now()
    site.serve("/feed.xml", rss_feed(story_item(site, "dredging", t - timedelta(hours=3))))
    newsroom.configure([("Harbour News", site.url("/feed.xml")), good_feed(site, t)], allow=[site.allow()])
    newsroom.run(t - timedelta(hours=2))

    site.serve("/feed.xml", Reply(404, b"no such feed", "text/plain"))
    result = newsroom.run(t)

    seen, state = status_row(newsroom, "Harbour News")
    assert seen == 1
    assert state.endswith(" · [http-4xx] HTTP 404 Not Found")
    until = backing_off_until(state, 1)
    assert minute(t + timedelta(minutes=24)) <= until <= t + timedelta(minutes=36)
    assert ("Harbour News", "HTTP 404 Not Found") in result.feed_errors

    newsroom.run(t + timedelta(minutes=10))  # still resting: not asked again
    assert site.hits("/feed.xml") == 2


# -- 19. 410 Gone ---------------------------------------------------------------------------------------


def test_a_410_disables_the_feed_for_good(newsroom: Newsroom, site: LoopbackSite) -> None:
    t = now()
    site.serve("/gone.xml", Reply(410, b"gone", "text/plain"))
    newsroom.configure([("Closed Paper", site.url("/gone.xml")), good_feed(site, t)], allow=[site.allow()])
    newsroom.run(t - timedelta(days=2))

    result = newsroom.run(t)  # two days later: long past any backoff

    assert site.hits("/gone.xml") == 1
    _, state = status_row(newsroom, "Closed Paper")
    assert state.startswith("disabled (HTTP 410 Gone): remove it from sources.yaml")
    assert ("Closed Paper", "disabled (HTTP 410 Gone): remove it from sources.yaml") in result.feed_errors
    assert "Closed Paper: disabled (HTTP 410 Gone)" in (result.brief_dir / "email.txt").read_text()


# -- 20. 429 and 503: a host that asks us to wait -------------------------------------------------------


def localhost_feed(other: LoopbackSite, when: datetime) -> tuple[str, str]:
    """A healthy feed on another host name (localhost), so that pausing 127.0.0.1 leaves it be."""
    title, text = STORIES["orchard"]
    other.serve("/orchard", Reply(body=article_page(title, text), content_type="text/html"))
    link = other.url("/orchard", host="localhost")
    other.serve("/feed.xml", rss_feed(rss_item(title, link, "orchard", when - timedelta(hours=1), "Frost.")))
    return ("Valley Post", other.url("/feed.xml", host="localhost"))


@pytest.mark.parametrize(
    ("status", "retry_after"),
    [(429, "seconds"), (503, "seconds"), (429, "date"), (503, "date"), (429, None)],
)
def test_a_host_that_asks_to_wait_is_left_alone_until_then(
    newsroom: Newsroom, make_site: Callable[[], LoopbackSite], status: int, retry_after: str | None
) -> None:
    site, other = make_site(), make_site()
    t = now()
    headers: dict[str, str] = {}
    if retry_after == "seconds":
        headers["Retry-After"] = "7200"
        earliest, latest = minute(t + timedelta(hours=2)), t + timedelta(hours=2, minutes=1)
    elif retry_after == "date":
        when = minute(t) + timedelta(hours=3)
        headers["Retry-After"] = format_datetime(when, usegmt=True)
        earliest = latest = when
    else:  # a 429 that names no time: one hour
        earliest, latest = minute(t + timedelta(hours=1)), t + timedelta(hours=1, minutes=1)
    site.serve("/first.xml", Reply(status, b"slow down", "text/plain", headers))
    site.serve("/second.xml", rss_feed(story_item(site, "ferry", t)))
    newsroom.configure(
        [("First", site.url("/first.xml")), ("Second", site.url("/second.xml")), localhost_feed(other, t)],
        allow=[site.allow(), other.allow("localhost")],
        fetch="per_host: 1",  # one request at a time per host: the second waits for the first
    )

    result = newsroom.run(t)

    assert [r.path for r in site.requests] == ["/first.xml"]  # the second feed was not requested
    status_text = newsroom.status()
    match = re.search(
        rf"^Host 127\.0\.0\.1 asked us to wait \(HTTP {status}\) until (.+) UTC$", status_text, re.M
    )
    assert match, status_text
    until = datetime.strptime(match[1], STATUS_TIME).replace(tzinfo=UTC)
    assert earliest <= until <= latest
    assert "[host-paused] 127.0.0.1 asked us to wait until" in status_row(newsroom, "Second")[1]
    assert "Frost spares most of the valley apple orchards" in (result.brief_dir / "email.txt").read_text()

    newsroom.run(t + timedelta(minutes=50))  # before the host's time: nothing is asked of it
    assert [r.path for r in site.requests] == ["/first.xml"]


def test_a_pause_a_host_asks_for_is_measured_from_the_runs_clock(
    newsroom: Newsroom, make_site: Callable[[], LoopbackSite]
) -> None:
    site = make_site()
    at = datetime(2026, 4, 8, 15, 0, tzinfo=UTC)  # a run made for a slot in the past
    site.serve("/first.xml", Reply(503, b"busy", "text/plain", {"Retry-After": "7200"}))
    newsroom.configure([("First", site.url("/first.xml"))], allow=[site.allow()])

    with pytest.raises(NothingToDoError):
        newsroom.run(at)

    store = Store(newsroom.root / "state")
    try:
        until, why = store.paused_hosts(at)["127.0.0.1"]
    finally:
        store.close()
    assert why == "HTTP 503"
    assert at + timedelta(hours=2) <= until <= at + timedelta(hours=2, minutes=1)  # not the wall clock's


def test_a_5xx_without_retry_after_backs_off_with_jitter_growing_each_time(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    t = now()
    site.serve("/busy.xml", Reply(500, b"oops", "text/plain"))
    site.serve("/fine.xml", rss_feed(story_item(site, "ferry", t)))
    newsroom.configure(
        [("Busy", site.url("/busy.xml")), ("Fine", site.url("/fine.xml"))],
        allow=[site.allow()],
        fetch="per_host: 1",
    )

    newsroom.run(t)

    _, state = status_row(newsroom, "Busy")
    assert state.endswith("[http-5xx] HTTP 500 Internal Server Error")
    until = backing_off_until(state, 1)  # 30 min ± 20 %
    assert minute(t + timedelta(minutes=24)) <= until <= t + timedelta(minutes=36)
    assert site.hits("/fine.xml") == 1  # an ordinary failure pauses nothing else on the host
    assert "asked us to wait" not in newsroom.status()

    later = t + timedelta(minutes=40)  # after the rest: tried again, and it fails again
    second = newsroom.run(later)

    _, state = status_row(newsroom, "Busy")
    until = backing_off_until(state, 2)  # doubled: 60 min ± 20 %
    assert minute(later + timedelta(minutes=48)) <= until <= later + timedelta(minutes=72)
    assert site.hits("/busy.xml") == 2
    assert second.stats.feeds_ok == 1


def test_backoff_is_30_minutes_doubling_with_jitter_and_capped_at_7_days() -> None:
    rng = random.Random(20261123)
    firsts = [backoff(1, rng) for _ in range(500)]
    assert all(timedelta(minutes=24) <= d <= timedelta(minutes=36) for d in firsts)
    assert min(firsts) < timedelta(minutes=26) and max(firsts) > timedelta(minutes=34)  # jittered both ways
    for failures in range(1, 9):
        base = timedelta(minutes=30) * 2 ** (failures - 1)
        assert base * 0.8 <= backoff(failures, rng) <= base * 1.2, failures
    assert [backoff(n, random.Random(7)) for n in range(1, 9)] == sorted(
        backoff(n, random.Random(7)) for n in range(1, 9)
    )
    for failures in (10, 11, 30, 10_000):
        assert backoff(failures, rng) == BACKOFF_CAP == timedelta(days=7)
    assert backoff(0, random.Random(1)) == backoff(1, random.Random(1))  # never less than one failure's rest


# -- 24. a feed that fails, then comes back -------------------------------------------------------------


def test_a_feed_that_fails_then_recovers_repeats_nothing(newsroom: Newsroom, site: LoopbackSite) -> None:
    t0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    a, b, c, d = (story_item(site, key, t0) for key in ("dredging", "ferry", "lighthouse", "glacier"))
    titles = {key: STORIES[key][0] for key in ("dredging", "ferry", "lighthouse", "glacier")}
    newsroom.configure([("Harbour News", site.url("/feed.xml")), good_feed(site, t0)], allow=[site.allow()])

    def shown(hours: int) -> set[str]:
        text = (newsroom.run(t0 + timedelta(hours=hours)).brief_dir / "email.txt").read_text()
        return {key for key, title in titles.items() if title in text}

    site.serve("/feed.xml", rss_feed(a, b))
    assert shown(0) == {"dredging", "ferry"}
    site.serve("/feed.xml", Reply(500, b"down", "text/plain"))
    assert shown(2) == set()
    site.serve("/feed.xml", rss_feed(c, a))  # back, with B dropped from the feed
    assert shown(4) == {"lighthouse"}
    site.serve("/feed.xml", rss_feed(b, c, d))  # B is listed again
    assert shown(6) == {"glacier"}
    assert site.hits("/dredging") == site.hits("/ferry") == 1


# -- 26. a permanent move -------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "permanent"), [(301, True), (308, True), (302, False), (307, False)])
def test_a_permanent_move_is_followed_from_then_on_and_reported(
    newsroom: Newsroom, site: LoopbackSite, code: int, permanent: bool
) -> None:
    t = now()
    site.serve("/old.xml", Reply(code, b"", None, {"Location": "/new.xml"}))
    site.serve("/new.xml", rss_feed(story_item(site, "ferry", t - timedelta(hours=2))))
    newsroom.configure([("Harbour News", site.url("/old.xml"))], allow=[site.allow()])
    newsroom.run(t - timedelta(hours=1))

    newsroom.run(t)

    _, state = status_row(newsroom, "Harbour News")
    if permanent:
        assert state == f"moved to {site.url('/new.xml')}: update sources.yaml"
        assert (site.hits("/old.xml"), site.hits("/new.xml")) == (1, 2)
    else:
        assert state == "ok"
        assert (site.hits("/old.xml"), site.hits("/new.xml")) == (2, 2)


def test_a_stop_while_pages_are_fetched_ends_the_run_without_waiting_for_every_page(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    """The stop comes once the first page is done (as SIGTERM would). Pages are fetched one at
    a time and extracted in the run's process, so the order is fixed: the second page is being
    fetched when the first is done, and the stop is seen when it arrives. Every later page
    hangs until the test lets it go: a run that waited for one would never return on its own."""
    answered: list[str] = []  # the pages answered at once
    hung: list[str] = []  # the pages asked for once two had been answered
    hung_answered: list[str] = []  # those of them answered: only once the test lets them go
    let_go = threading.Event()

    def page(seen: SeenRequest) -> Reply:
        if len(answered) >= 2:
            hung.append(seen.path)
            let_go.wait(timeout=120)  # a safety net for a broken run, not a measure
            hung_answered.append(seen.path)
        else:
            answered.append(seen.path)
        return Reply(
            body=article_page("Dock news", "The dock reopened on Monday. " * 20), content_type="text/html"
        )

    items = []
    for n in range(8):
        site.serve(f"/slow/{n}", page)
        items.append(
            rss_item(f"Dock news {n}", site.url(f"/slow/{n}"), f"g{n}", datetime(2026, 11, 23, 9, tzinfo=UTC))
        )
    site.serve("/feed.xml", rss_feed(*items))
    newsroom.configure(
        [("Harbour News", site.url("/feed.xml"))],
        allow=[site.allow()],
        fetch="concurrency: 1\nextract_workers: 0",
    )
    pages: list[str] = []
    options = RunOptions(send=False, should_stop=lambda: any(p.startswith("Dock news") for p in pages))

    try:
        with pytest.raises(StoppedError, match="stopped while fetching and extracting"):
            run_brief(
                load_config(newsroom.config_path),
                slot=datetime(2026, 11, 23, 15, tzinfo=UTC),
                clock=lambda: datetime(2026, 11, 23, 15, 1, tzinfo=UTC),
                progress=_Recording(pages),
                options=options,
            )
        assert len(answered) == 2, answered  # the page done, and the one that brought the stop
        # at most the one page in flight when the stop came was asked for, and it was not waited for
        assert len(hung) <= 1, hung
        assert hung_answered == [], "the run waited for a page in flight"
        assert sum(site.hits(f"/slow/{n}") for n in range(8)) == len(answered) + len(hung)
    finally:
        let_go.set()


class _Recording:
    """A progress display that notes each page done."""

    def __init__(self, pages: list[str]) -> None:
        self.pages = pages

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, detail: str = "") -> None:
        self.pages.append(detail)

    def note(self, message: str) -> None:
        pass


# -- feeds parsed in a helper process ------------------------------------------------------------------


def test_feeds_parsed_beside_the_run_give_what_the_runs_process_alone_gives(
    tmp_path: Path, site: LoopbackSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run of many feeds has a helper process to parse them beside its own: whichever of
    the two parses a feed, the entries, the errors and each feed's state are those the run's
    process alone records, for a good feed, a broken one, a 404 and an empty answer alike."""
    import pipeline.ingest.reading as reading

    t = now()
    site.serve("/broken.xml", Reply(200, b"<rss><channel><item><title>x</ite", "application/rss+xml"))
    site.serve("/empty.xml", Reply(200, b"", "application/rss+xml"))
    feeds = [
        good_feed(site, t),
        ("Broken", site.url("/broken.xml")),
        ("Missing", site.url("/missing.xml")),
        ("Empty", site.url("/empty.xml")),
    ]
    for k, key in enumerate(("dredging", "ferry", "lighthouse")):
        site.serve(f"/feed{k}.xml", rss_feed(story_item(site, key, t - timedelta(hours=2 + k))))
        feeds.append((f"Feed {k}", site.url(f"/feed{k}.xml")))
    used: list[Helpers] = []

    class Kept(Helpers):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            used.append(self)

    def read(folder: str, beside_from: int) -> tuple[Newsroom, RunResult]:
        monkeypatch.setattr(reading, "PARSED_BESIDE_FROM", beside_from)
        room = Newsroom(tmp_path / folder)
        room.root.mkdir()
        room.configure(feeds, allow=[site.allow()])
        return room, room.run(t)

    alone, by_itself = read("alone", 10_000)
    monkeypatch.setattr(reading, "Helpers", Kept)
    shared, with_helper = read("shared", 1)

    assert any(h.started for h in used)  # a helper process was there to parse feeds
    assert with_helper.feed_errors == by_itself.feed_errors and len(by_itself.feed_errors) == 2
    assert with_helper.stats.articles_new == by_itself.stats.articles_new == 4
    for name, _ in feeds:
        assert status_row(shared, name) == status_row(alone, name)

"""Runs over time: what a reader sees when a feed repeats itself, breaks, or recovers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import LoopbackSite, Reply

from pipeline.config import load_config
from pipeline.errors import NothingToDoError
from pipeline.run import RunOptions, RunResult, run_brief

pytestmark = pytest.mark.usefixtures("on_each_backend")  # with SQLite, and with PostgreSQL

PARAGRAPH = (
    "The harbour authority of Lindqvist approved a plan on Monday to dredge the northern channel. "
    "The work will let container ships with a draught of up to 16 metres reach the new terminal. "
    "Officials said the project would cost about 240 million euros over four years. "
    "Fishing groups warned that the dredging could disturb spawning grounds near the estuary. "
    "The authority promised to pause work during the spring spawning season each year. "
)


def _serve(site: LoopbackSite, path: str, status: int, body: bytes) -> None:
    kind = "text/html; charset=utf-8" if b"<html" in body else "application/xml"
    site.serve(path, Reply(status, body, kind))


def _feed(site: LoopbackSite, items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><link>{site.url(path)}</link><guid>{guid}</guid>"
        f"<pubDate>Mon, 20 Apr 2026 08:00:00 GMT</pubDate><description>{title}.</description></item>"
        for guid, path, title in items
    )
    channel = f"<channel><title>Harbour News</title>{body}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


FERRY = (
    "The island ferry company published its summer timetable on Tuesday with two extra crossings a day. "
    "Boats will leave the mainland pier every ninety minutes from the first of June until late August. "
    "Fares rise by three percent, the first increase since the company replaced its oldest vessel. "
    "Residents of the outer islands asked for an earlier morning sailing to reach jobs on the coast. "
)


def _page(title: str, text: str = PARAGRAPH) -> bytes:
    paragraphs = "".join(f"<p>{s.strip()}.</p>" for s in text.split(". ") if s.strip())
    return f"<html><body><article><h1>{title}</h1>{paragraphs}</article></body></html>".encode()


def _publish_dredging(site: LoopbackSite) -> None:
    """One story on `site`: its page and a feed that lists it."""
    title = "Lindqvist approves channel dredging"
    _serve(site, "/dredging", 200, _page(title))
    _serve(site, "/feed.xml", 200, _feed(site, [("guid-1", "/dredging", title)]))


def _run(tmp_path: Path, site: LoopbackSite, hour: int) -> RunResult:
    config_path = tmp_path / "sources.yaml"
    if not config_path.exists():
        config_path.write_text(
            f'network:\n  allow: ["{site.allow()}"]\n'
            f"feeds:\n  - url: {site.url('/feed.xml')}\n    name: Harbour News\n",
            encoding="utf-8",
        )
    slot = datetime(2026, 4, 20, hour, 0, tzinfo=UTC)
    return run_brief(load_config(config_path), slot=slot, clock=lambda: slot, options=RunOptions(send=False))


def test_an_article_is_shown_once_even_when_its_feed_gives_it_a_new_guid(
    tmp_path: Path, site: LoopbackSite
) -> None:
    _publish_dredging(site)
    first = _run(tmp_path, site, 15)
    assert first.stats.articles_new == 1
    assert "Lindqvist approves channel dredging" in (first.brief_dir / "email.txt").read_text()

    # the feed republishes the same story under a new GUID, with a tracking parameter
    _serve(
        site,
        "/feed.xml",
        200,
        _feed(site, [("guid-1-updated", "/dredging?utm_source=rss", "Lindqvist approves channel dredging")]),
    )
    page_hits = site.hits("/dredging")
    second = _run(tmp_path, site, 21)
    assert second.stats.articles_new == 0
    assert "Lindqvist approves channel dredging" not in (second.brief_dir / "email.txt").read_text()
    assert site.hits("/dredging") == page_hits, "the known article was fetched again"


def test_a_feed_that_fails_then_recovers_repeats_nothing(tmp_path: Path, site: LoopbackSite) -> None:
    _publish_dredging(site)
    assert _run(tmp_path, site, 15).stats.articles_new == 1

    _serve(site, "/feed.xml", 503, b"busy")
    with pytest.raises(NothingToDoError, match="none of the 1 feeds could be read"):
        _run(tmp_path, site, 21)

    _serve(site, "/ferry", 200, _page("Ferry timetable changes for the summer", FERRY))
    _serve(
        site,
        "/feed.xml",
        200,
        _feed(
            site,
            [
                ("guid-2", "/ferry", "Ferry timetable changes for the summer"),
                ("guid-1", "/dredging", "Lindqvist approves channel dredging"),
            ],
        ),
    )
    recovered = _run(tmp_path, site, 23)
    assert recovered.stats.articles_new == 1, "only the new story is new"
    text = (recovered.brief_dir / "email.txt").read_text()
    assert "Ferry timetable changes for the summer" in text
    assert "Lindqvist approves channel dredging" not in text


def test_a_feed_that_hangs_up_mid_body_is_one_failed_feed_not_a_failed_run(
    tmp_path: Path, make_site: Callable[[], LoopbackSite]
) -> None:
    site, broken = make_site(), make_site()
    # the broken feed promises 1,000 bytes, sends a few, and hangs up
    broken.serve("/feed.xml", Reply(body=[b"<rss>"], headers={"Content-Length": "1000"}, length=False))
    _publish_dredging(site)
    (tmp_path / "sources.yaml").write_text(
        f'network:\n  allow: ["{site.allow()}", "{broken.allow()}"]\n'
        f"feeds:\n  - url: {site.url('/feed.xml')}\n    name: Harbour News\n"
        f"  - url: {broken.url('/feed.xml')}\n    name: Broken Wire\n",
        encoding="utf-8",
    )
    result = _run(tmp_path, site, 15)

    assert result.stats.articles_new == 1
    assert [name for name, _ in result.feed_errors] == ["Broken Wire"]
    assert "connection broken while reading" in result.feed_errors[0][1]


def test_a_resting_feed_waits_for_the_scheduler_but_not_for_a_run_by_hand(
    tmp_path: Path, site: LoopbackSite
) -> None:
    _serve(site, "/dredging", 200, _page("Lindqvist approves channel dredging"))
    _serve(site, "/feed.xml", 503, b"busy")
    (tmp_path / "sources.yaml").write_text(
        f'network:\n  allow: ["{site.allow()}"]\n'
        f"feeds:\n  - url: {site.url('/feed.xml')}\n    name: Harbour News\n"
        f"  - url: {site.url('/other.xml')}\n    name: Other\n",
        encoding="utf-8",
    )
    _serve(site, "/other.xml", 200, _feed(site, []))
    config = load_config(tmp_path / "sources.yaml")
    first = datetime(2026, 4, 20, 15, 0, tzinfo=UTC)
    run_brief(
        config, slot=first, clock=lambda: first, options=RunOptions(send=False)
    )  # Harbour News now rests

    _serve(
        site,
        "/feed.xml",
        200,
        _feed(site, [("guid-1", "/dredging", "Lindqvist approves channel dredging")]),
    )
    soon = datetime(2026, 4, 20, 15, 5, tzinfo=UTC)
    scheduled = run_brief(config, slot=first, clock=lambda: soon, options=RunOptions(send=False, force=True))
    assert any("resting after 1 failures" in error for _, error in scheduled.feed_errors)
    assert scheduled.stats.articles_new == 0

    by_hand = run_brief(
        config, slot=first, clock=lambda: soon, options=RunOptions(send=False, force=True, manual=True)
    )
    assert by_hand.feed_errors == ()
    assert by_hand.stats.articles_new == 1

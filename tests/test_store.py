"""The state database: schema versions, feed bookkeeping, and entries pending until stored."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import make_article, utc

from pipeline.errors import StoreError
from pipeline.models import ArchivedBrief, FeedEntry, Validators
from pipeline.store import MIGRATIONS, Store
from pipeline.store.records import RunStatus

NOW = utc(2026, 11, 23, 15, 0)
FEED = "https://harbor.example/feed"
V1 = Validators('"v1"', "Mon, 23 Nov 2026 10:00:00 GMT")


def entry(n: int, feed: str = FEED) -> FeedEntry:
    return FeedEntry(
        feed_url=feed,
        entry_id=f"item-{n}",
        link=f"https://harbor.example/news/{n}",
        title=f"Harbor news {n}",
        summary=f"Summary of item {n}.",
        published=utc(2026, 11, 23, n),
        author="Ines Okafor",
    )


@pytest.fixture
def store(tmp_path: Path, database: str | None) -> Iterator[Store]:
    s = Store(tmp_path / "state", database)
    try:
        yield s
    finally:
        s.close()


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(path) as db:
        return [str(r[1]) for r in db.execute(f"PRAGMA table_info({table})")]


def failures(store: Store, url: str = FEED) -> int:
    return store.feed_state(url).failures


# -- schema --------------------------------------------------------------------------------------


def test_a_new_database_is_created_at_the_latest_schema_and_reopens_cleanly(tmp_path: Path) -> None:
    first = Store(tmp_path / "state")
    first.record_feed_success(FEED, "Harbor Gazette", NOW, V1, [entry(1)])
    first.close()
    assert user_version(tmp_path / "state" / "dailybrief.sqlite3") == len(MIGRATIONS)

    again = Store(tmp_path / "state")
    try:
        assert again.feed_state(FEED).validators == V1
        assert [e.entry_id for e in again.pending_entries()] == ["item-1"]
    finally:
        again.close()
    assert user_version(tmp_path / "state" / "dailybrief.sqlite3") == len(MIGRATIONS)
    assert not list((tmp_path / "state").glob("*.bak"))  # nothing to migrate, nothing backed up


def test_an_older_database_is_backed_up_and_migrated_keeping_its_data(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    path = tmp_path / "state" / "dailybrief.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    MIGRATIONS[0](db)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO feeds (url, name, etag) VALUES (?, 'Harbor Gazette', '\"v1\"')", (FEED,))
    db.execute("COMMIT")
    db.close()

    store = Store(tmp_path / "state")
    try:
        assert store.feed_state(FEED).validators.etag == '"v1"'
        assert store.feed_state(FEED).disabled is None
    finally:
        store.close()
    assert user_version(path) == len(MIGRATIONS)
    backups = list((tmp_path / "state").glob("*.v1.bak"))
    assert len(backups) == 1 and user_version(backups[0]) == 1


def test_a_schema_6_database_keeps_its_briefs_and_loses_the_unread_columns(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    path = tmp_path / "state" / "dailybrief.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    for migration in MIGRATIONS[:6]:
        migration(db)
    db.execute("PRAGMA user_version = 6")
    db.execute(
        "INSERT INTO runs (id, slot, started_at, status) VALUES (1, '2026-11-23T1500Z', ?, 'done')", (NOW,)
    )
    db.execute(
        "INSERT INTO briefs (id, slot, run_id, path, headline, threads, articles, message_id, delivered, "
        "created_at, data, message) VALUES ('2026-11-23T1500Z', ?, 1, '2026/11/23/1500/index.html', "
        "'The harbor reopens', '[\"Harbor\"]', 4, '<brief.1@localhost>', 'sent', ?, '{}', X'6d736721')",
        (NOW.isoformat(), NOW.isoformat()),
    )
    db.execute("COMMIT")
    db.close()

    store = Store(tmp_path / "state")
    try:
        ((brief, data, message),) = store.brief_contents()
    finally:
        store.close()
    assert brief == ArchivedBrief(
        "2026-11-23T1500Z", NOW, "2026/11/23/1500/index.html", "The harbor reopens", ("Harbor",), 4
    )
    assert (data, message) == ("{}", b"msg!")
    assert columns(path, "briefs") == [  # then migration 8 adds the archive's summary flag
        *("id", "slot", "run_id", "path", "headline", "threads", "articles", "created_at"),
        *("data", "message", "summarised"),
    ]
    assert user_version(path) == len(MIGRATIONS)
    assert len(list((tmp_path / "state").glob("*.v6.bak"))) == 1


def test_a_database_from_a_newer_dailybrief_is_refused(tmp_path: Path) -> None:
    newer = len(MIGRATIONS) + 1
    (tmp_path / "state").mkdir()
    with sqlite3.connect(tmp_path / "state" / "dailybrief.sqlite3") as db:
        db.execute(f"PRAGMA user_version = {newer}")

    with pytest.raises(StoreError, match=f"schema {newer}, newer than this dailybrief"):
        Store(tmp_path / "state")


def test_a_state_folder_that_cannot_hold_a_database_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "dailybrief.sqlite3").mkdir()  # a folder where the file should be

    with pytest.raises(StoreError, match="cannot open the state database"):
        Store(tmp_path / "state")


# -- feeds ---------------------------------------------------------------------------------------


def test_a_feed_read_stores_its_validators_and_the_second_read_returns_only_new_entries(
    store: Store,
) -> None:
    assert store.feed_state(FEED).validators == Validators()

    first = store.record_feed_success(FEED, "Harbor Gazette", NOW, V1, [entry(1), entry(2)])
    second = store.record_feed_success(FEED, "Harbor Gazette", NOW, V1, [entry(2), entry(3)])

    assert [e.entry_id for e in first] == ["item-1", "item-2"]
    assert [e.entry_id for e in second] == ["item-3"]
    assert store.feed_state(FEED).validators == V1


def test_a_not_modified_answer_keeps_the_stored_validators(store: Store) -> None:
    store.record_feed_success(FEED, "Harbor Gazette", NOW, V1, [entry(1)])

    store.record_feed_success(FEED, "Harbor Gazette", NOW, None, [])

    assert store.feed_state(FEED).validators == V1


def test_the_same_entry_id_in_two_feeds_is_two_entries(store: Store) -> None:
    store.record_feed_success(FEED, "Harbor Gazette", NOW, None, [entry(1)])

    new = store.record_feed_success("https://coast.example/rss", "Coast News", NOW, None, [entry(1)])

    assert len(new) == 1
    assert len(store.pending_entries()) == 2


def test_a_failed_read_keeps_the_entries_seen_and_counts_the_failures(store: Store) -> None:
    store.record_feed_success(FEED, "Harbor Gazette", NOW, V1, [entry(1), entry(2)])

    store.record_feed_failure(FEED, "Harbor Gazette", NOW, "HTTP 503 SERVICE UNAVAILABLE", "http-5xx")
    store.record_feed_failure(FEED, "Harbor Gazette", NOW, "timed out", "timeout")

    (health,) = store.feed_health()
    assert health.entries_seen == 2
    assert health.last_success == NOW
    assert health.last_error == "timed out"
    assert health.last_error_kind == "timeout"
    assert failures(store) == 2
    assert len(store.pending_entries()) == 2
    assert store.feed_state(FEED).validators == V1


def test_a_success_after_failures_clears_the_error(store: Store) -> None:
    store.record_feed_failure(FEED, "Harbor Gazette", NOW, "timed out", "timeout")

    store.record_feed_success(FEED, "Harbor Gazette", NOW, None, [entry(1)])

    (health,) = store.feed_health()
    assert health.last_error is None and health.last_error_kind is None
    assert failures(store) == 0


def test_a_feed_that_never_worked_shows_no_success(store: Store) -> None:
    store.record_feed_failure(FEED, "Harbor Gazette", NOW, "cannot connect", "connect")

    (health,) = store.feed_health()
    assert health.name == "Harbor Gazette"
    assert health.last_success is None
    assert health.entries_seen == 0


# -- entries and articles ------------------------------------------------------------------------


def test_entries_stay_pending_until_their_article_is_saved(store: Store) -> None:
    store.record_feed_success(FEED, "Harbor Gazette", NOW, None, [entry(1), entry(2), entry(3)])
    assert [e.entry_id for e in store.pending_entries()] == ["item-1", "item-2", "item-3"]
    assert store.pending_entries()[0] == entry(1)  # read back exactly as stored

    run = store.start_run("2026-11-23T1500Z", NOW)
    article = make_article("https://harbor.example/news/1", "The harbor reopened.", published=NOW)
    store.save_articles([article], run, NOW, {article.id: [entry(1), entry(2)]})

    assert [e.entry_id for e in store.pending_entries()] == ["item-3"]
    store.mark_entries_done({article.id: [entry(3)]})
    assert store.pending_entries() == []


def test_a_saved_article_reads_back_unchanged(store: Store) -> None:
    run = store.start_run("2026-11-23T1500Z", NOW)
    article = make_article(
        "https://harbor.example/news/1?utm_source=rss",
        "The harbor reopened after the storm.",
        title="Harbor reopens",
        source="Harbor Gazette",
        published=utc(2026, 11, 23, 9),
        extracted=False,
    )

    store.save_articles([article], run, NOW, {})

    assert store.articles([article.id, "missing"]) == [article]
    assert store.known_canonical_urls([article.canonical_url, "https://x.example/"]) == {
        article.canonical_url: article.id
    }


def test_saving_a_known_article_again_adds_its_new_links(store: Store) -> None:
    run = store.start_run("2026-11-23T1500Z", NOW)
    article = make_article("https://harbor.example/news/1", "The harbor reopened.", source="Harbor Gazette")
    store.save_articles([article], run, NOW, {})
    more = (*article.found_at, ("Coast News", "https://coast.example/harbor"))

    store.save_articles([replace(article, found_at=more)], run, NOW, {})

    assert store.articles([article.id])[0].found_at == more


def test_a_stored_article_takes_the_fuller_text_a_merged_copy_brings(store: Store) -> None:
    run = store.start_run("2026-11-23T1500Z", NOW)
    teaser = make_article(
        "https://harbor.example/news/1", "The harbor reopened on Monday.", extracted=False
    )  # the feed's summary stood in: the page could not be read
    store.save_articles([teaser], run, NOW, {})
    full = replace(
        teaser, text="The harbor reopened on Monday. " + "Ships queued at the quay. " * 40, extracted=True
    )

    store.save_articles([full], run, NOW, {})
    assert store.articles([teaser.id])[0].text == full.text and store.articles([teaser.id])[0].extracted

    store.save_articles([teaser], run, NOW, {})  # a thinner copy later never replaces it
    assert store.articles([teaser.id])[0].text == full.text


def test_recent_articles_are_those_of_earlier_runs(store: Store) -> None:
    earlier = store.start_run("2026-11-23T0900Z", utc(2026, 11, 23, 9))
    old = make_article("https://harbor.example/news/old", "Yesterday's tide report.")
    store.save_articles([old], earlier, utc(2026, 11, 23, 9), {})
    current = store.start_run("2026-11-23T1500Z", NOW)
    new = make_article("https://harbor.example/news/new", "Today's tide report.")
    store.save_articles([new], current, NOW, {})

    assert store.recent_articles(utc(2026, 11, 22), exclude_run=current) == [old]
    assert store.recent_articles(utc(2026, 11, 23, 10), exclude_run=current) == []


def test_briefs_are_listed_newest_first(store: Store) -> None:
    run = store.start_run("2026-11-23T2100Z", NOW)
    for hour in (15, 21):
        slot = utc(2026, 11, 23, hour)
        path = f"2026/11/23/{hour}00/index.html"
        store.save_brief(
            ArchivedBrief(f"2026-11-23T{hour}00Z", slot, path, f"At {hour}", ("T",), 2), run, NOW
        )

    assert [b.id for b in store.briefs()] == ["2026-11-23T2100Z", "2026-11-23T1500Z"]
    last = store.last_brief()
    assert last is not None and last.slot == utc(2026, 11, 23, 21) and last.threads == ("T",)


def test_a_finished_run_is_the_last_run(store: Store) -> None:
    run = store.start_run("2026-11-23T1500Z", NOW)
    assert store.last_run() is None  # a run in progress does not count

    store.finish_run(run, NOW, RunStatus.DONE, {"articles_new": 3})

    last = store.last_run()
    assert last is not None and last.status == RunStatus.DONE and last.slot == "2026-11-23T1500Z"
    assert last.stats == {"articles_new": 3} and last.finished_at == NOW

"""Publishing: a run writes its brief and only the archive pages that brief changes, and
`brief rebuild` writes the same bytes as the runs did one by one."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import utc

from pipeline.config import Config, load_config
from pipeline.errors import TemplateError
from pipeline.models import Brief, RunStats, Sentence, SourceRef, ThreadDigest, TimelineEvent
from pipeline.publish import compose
from pipeline.publish.mail import html_part_size
from pipeline.store import Store

STATUS = "Brief of Mon 23 Nov, 15:00 UTC · next brief at 21:00 UTC"
# (slot, threads): stories go on across briefs, and the archive crosses a month
PLAN = [
    (utc(2026, 3, 30, 15), ("harbor", "oysters")),
    (utc(2026, 3, 30, 21), ("harbor",)),
    (utc(2026, 3, 31, 15), ("harbor", "ferry")),
    (utc(2026, 4, 1, 15), ("ferry", "budget")),
    (utc(2026, 4, 1, 21), ("budget",)),
    (utc(2026, 4, 2, 15), ("budget", "strike")),
]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Config, Store]]:
    (tmp_path / "sources.yaml").write_text(
        'brief:\n  title: "Harbor Brief"\n  output: output\n  state: state\n'
        'delivery:\n  to: ["reader@example.com"]\n  from: "brief@example.com"\n'
        "feeds:\n  - url: https://harbor.example/feed.xml\n    name: Harbor Gazette\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path / "sources.yaml")
    store = Store(config.state_dir)
    yield config, store
    store.close()


def digest(thread: str, slot: datetime) -> ThreadDigest:
    article = f"{thread}-{slot:%m%d%H}"
    said = Sentence(f"The {thread} story moved on {slot:%d %B at %H:%M}.", article)
    return ThreadDigest(
        thread_id=thread,
        title=thread.title(),
        kind="configured",
        headline=said,
        overview=(said,),
        why_it_matters=(Sentence(f"The {thread} matters to the port.", article),),
        tldr=(said,),
        sources=(
            SourceRef(
                1, article, f"{thread} news", "Harbor Gazette", f"https://harbor.example/{article}", slot
            ),
        ),
        new_articles=1,
        reading_minutes=1,
        timeline=(
            TimelineEvent(
                f"{slot:%Y-%m-%d}", "announcement", said, (("Harbor Gazette", "https://harbor.example/"),)
            ),
        ),
    )


def brief(slot: datetime, threads: tuple[str, ...]) -> Brief:
    return Brief(
        id=slot.strftime("%Y-%m-%dT%H%MZ"),
        slot=slot,
        title="Harbor Brief",
        audience="port watchers",
        generated_at=slot + timedelta(minutes=2),
        status_line=STATUS,
        digests=tuple(digest(t, slot) for t in threads),
        stats=RunStats(1, 1, 0, len(threads), len(threads), 0, len(threads), 0),
    )


def run(config: Config, store: Store, made: Brief, nonce: str = "") -> compose.Published:
    run_id = store.start_run(made.id, made.generated_at)
    return compose.write_brief(made, config, store, now=made.generated_at, run_id=run_id, nonce=nonce)


def snapshot(output: Path) -> dict[str, tuple[str, int]]:
    """Every file of the archive: its hash and when it was last written."""
    return {
        p.relative_to(output).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in output.rglob("*")
        if p.is_file()
    }


def test_a_run_writes_its_brief_and_only_the_pages_it_changes(site: tuple[Config, Store]) -> None:
    config, store = site
    for slot, threads in PLAN[:-1]:
        run(config, store, brief(slot, threads))
    before = snapshot(config.output_dir)

    published = run(config, store, brief(*PLAN[-1]))

    after = snapshot(config.output_dir)
    folder = "2026/04/02/1500"
    expected = {
        *(
            f"{folder}/{name}"
            for name in ("index.html", "email.html", "email.txt", "brief.json", "message.eml")
        ),
        "2026/04/01/2100/index.html",  # the brief before: its "next" link
        "threads/budget.html",
        "threads/strike.html",
        "archive/2026-04.html",
        "index.html",
        "search-index.json",
        "feed.xml",
    }
    assert set(published.written) == expected
    rewritten = {path for path in after if before.get(path) != after[path]}
    assert rewritten == expected  # every other file is untouched, not even rewritten the same
    assert published.folder == config.output_dir / folder
    assert 'rel="next" href="../../../../2026/04/02/1500/index.html"' in (
        config.output_dir / "2026/04/01/2100/index.html"
    ).read_text(encoding="utf-8")


def test_rebuild_writes_the_same_bytes_as_the_runs_did(site: tuple[Config, Store], tmp_path: Path) -> None:
    config, store = site
    for slot, threads in PLAN:
        run(config, store, brief(slot, threads))
    # the last slot made again, by force, without one of its threads: that thread has no page left
    run(config, store, brief(PLAN[-1][0], ("budget",)), nonce="b2")
    assert not (config.output_dir / "threads" / "strike.html").exists()
    incremental = tmp_path / "incremental"
    shutil.copytree(config.output_dir, incremental)
    shutil.rmtree(config.output_dir)

    assert compose.rebuild_archive(config) == len(PLAN)

    files = sorted(p.relative_to(incremental).as_posix() for p in incremental.rglob("*") if p.is_file())
    rebuilt = sorted(
        p.relative_to(config.output_dir).as_posix() for p in config.output_dir.rglob("*") if p.is_file()
    )
    assert rebuilt == files
    for path in files:
        assert (config.output_dir / path).read_bytes() == (incremental / path).read_bytes(), path


def test_month_pages_list_every_brief_and_the_index_links_every_month(site: tuple[Config, Store]) -> None:
    config, store = site
    for slot, threads in PLAN:
        run(config, store, brief(slot, threads))
    output = config.output_dir

    for month, slots in (("2026-03", PLAN[:3]), ("2026-04", PLAN[3:])):
        page = (output / "archive" / f"{month}.html").read_text(encoding="utf-8")
        assert page.count('class="when" href=') == len(slots)
        for slot, _ in slots:
            assert f'href="../{slot:%Y/%m/%d/%H%M}/index.html"' in page
        assert 'href="../index.html"' in page  # back to the index, which links every month
        assert 'href="../threads/budget.html"' in page or month == "2026-03"
    index = (output / "index.html").read_text(encoding="utf-8")
    assert 'href="archive/2026-03.html">March 2026</a> (3)' in index
    assert 'href="archive/2026-04.html">April 2026</a> (3)' in index
    assert f"{len(PLAN)} briefs, newest first" in index
    # a month of three briefs is not a week's worth: the index lists the month before too
    assert index.count('class="when" href=') == len(PLAN)


def test_the_index_lists_the_newest_week_of_briefs_and_links_every_month(site: tuple[Config, Store]) -> None:
    config, store = site
    march = [utc(2026, 3, 30, 15), utc(2026, 3, 30, 21), utc(2026, 3, 31, 15), utc(2026, 3, 31, 21)]
    april = [utc(2026, 4, 1 + n // 2, 15 if n % 2 == 0 else 21) for n in range(12)]
    for slot in march + april:
        run(config, store, brief(slot, ("budget",)))

    index = (config.output_dir / "index.html").read_text(encoding="utf-8")
    assert index.count('class="when" href=') == 14  # the newest 14, across the turn of the month
    assert "2026/03/31/2100" in index and "2026/03/30/2100" not in index
    assert 'href="archive/2026-03.html"' in index and 'href="archive/2026-04.html"' in index
    assert "16 briefs, newest first" in index
    march_page = (config.output_dir / "archive" / "2026-03.html").read_text(encoding="utf-8")
    assert march_page.count('class="when" href=') == len(march)  # the month page keeps them all


def test_briefs_kept_before_summaries_are_listed_after_the_next_run(site: tuple[Config, Store]) -> None:
    config, store = site
    for slot, threads in PLAN[:-1]:
        run(config, store, brief(slot, threads))
    with sqlite3.connect(store.path) as db:  # as a database from before schema 8 is migrated
        db.execute("DELETE FROM summaries")
        db.execute("DELETE FROM appearances")
        db.execute("UPDATE briefs SET summarised = 0")

    shutil.rmtree(config.output_dir / "archive")  # as an archive made before month pages

    run(config, store, brief(*PLAN[-1]))

    index = (config.output_dir / "index.html").read_text(encoding="utf-8")
    assert index.count('class="when" href=') == len(PLAN)
    thread = (config.output_dir / "threads" / "budget.html").read_text(encoding="utf-8")
    assert "in 3 briefs" in thread
    for month in ("2026-03", "2026-04"):  # every month the index links is there
        assert f'href="archive/{month}.html"' in index
        assert (config.output_dir / "archive" / f"{month}.html").is_file(), month


def test_a_brief_that_cannot_be_written_is_not_kept_and_leaves_no_half_folder(
    site: tuple[Config, Store],
) -> None:
    config, store = site
    run(config, store, brief(*PLAN[0]))
    templates = config.templates_dir
    templates.mkdir()
    (templates / "brief.html").write_text("{{ brief.no_such_field.at_all }}", encoding="utf-8")

    with pytest.raises(TemplateError):
        run(config, store, brief(*PLAN[1]))

    assert [b.id for b in store.briefs()] == [brief(*PLAN[0]).id]  # the failed one is not listed
    shutil.rmtree(templates)
    run(config, store, brief(*PLAN[2]))  # the next run, templates mended
    folders = sorted(
        p.parent.relative_to(config.output_dir).as_posix() for p in config.output_dir.rglob("brief.json")
    )
    assert folders == ["2026/03/30/1500", "2026/03/31/1500"]
    assert not (config.output_dir / "2026/03/30/2100").exists(), "no folder holds only a page"


def test_an_email_over_its_budget_moves_its_last_threads_to_links(site: tuple[Config, Store]) -> None:
    config, store = site
    long = tuple(f"story{n}" for n in range(40))
    made = brief(PLAN[0][0], long)
    made = replace(
        made,
        digests=tuple(
            replace(
                d,
                overview=tuple(
                    Sentence(f"{d.thread_id} sentence {i} " * 30, d.headline.article_id) for i in range(8)
                ),
            )
            for d in made.digests
        ),
    )

    published = run(config, store, made)

    email = (published.folder / "email.html").read_text(encoding="utf-8")
    page = (published.folder / "index.html").read_text(encoding="utf-8")
    assert html_part_size((published.folder / "message.eml").read_bytes()) <= compose.EMAIL_HTML_BUDGET
    assert "story0 sentence" in email and "story39 sentence" not in email  # the last one is a link
    assert all(f'id="thread-story{n}"' in page for n in range(40))  # the page keeps every thread

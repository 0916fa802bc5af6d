"""Extraction in worker processes (pipeline/ingest/pool.py): real `python` workers on real pages.

A worker gives the article the run's own process would; a worker that died between pages is
replaced without losing a page; one that dies on a page costs that page its full text (the
feed summary stands in) and says why; a page past its budget retires its worker.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import STORIES, story_page, utc

from pipeline.ingest.extract import extract_article
from pipeline.ingest.pool import ExtractPool, Helpers, _Worker, _WorkerLost
from pipeline.models import Article, FeedEntry, Page
from pipeline.understand.facts import extract_facts


def _page(key: str, repeat: int = 1) -> Page:
    title, text = STORIES[key]
    link = f"https://harbour.example/{key}"
    entry = FeedEntry(
        "https://harbour.example/feed.xml", key, link, title, "The feed's own summary.", utc(2026, 11, 9)
    )
    return Page(entry, link, story_page(title, " ".join([text] * repeat)))


def _extract_all(pool: ExtractPool, pages: list[Page]) -> dict[int, Article]:
    found: dict[int, Article] = {}
    with pool:
        for index, page in enumerate(pages):
            pool.submit(index, page, "Harbour News")
            found.update(pool.done())
        found.update(pool.rest())
    return found


def test_a_worker_gives_the_article_the_runs_own_process_gives() -> None:
    pages = [_page(key) for key in STORIES] * 2
    pool = ExtractPool(workers=1, cores=2)

    in_worker = _extract_all(pool, pages)
    in_process = _extract_all(ExtractPool(workers=0), pages)

    assert pool.started, "no worker was started"
    assert in_worker == in_process
    assert all(a.extracted for a in in_worker.values())
    assert [in_worker[i].title for i in range(len(pages))] == [p.entry.title for p in pages]


def test_a_worker_per_core_and_none_on_a_single_core_or_when_told() -> None:
    assert ExtractPool(workers=16, cores=1).workers == 0
    assert ExtractPool(workers=0, cores=8).workers == 0
    assert ExtractPool(workers=16, cores=2).workers == 2
    assert ExtractPool(workers=16, cores=8).workers == 8
    assert ExtractPool(workers=3, cores=8).workers == 3


def test_every_worker_extracts_and_the_runs_process_extracts_none() -> None:
    pages = [_page(key, repeat=20) for key in STORIES] * 3
    pool = ExtractPool(workers=2, cores=2)

    found = _extract_all(pool, pages)

    assert len(pool.started) == 2  # both workers were started
    assert pool.in_process == 0  # the run's process only fed them: its time is the rest of the run's
    assert sorted(found) == list(range(len(pages))) and all(a.extracted for a in found.values())
    assert found == _extract_all(ExtractPool(workers=0), pages)


def _dead(pid: int) -> bool:
    """Gone, or a zombie its parent has not yet waited for."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def test_a_worker_that_died_between_pages_is_replaced_and_no_page_is_lost() -> None:
    pool = ExtractPool(workers=1, cores=2)
    with pool:
        pool.submit(0, _page("dredging"), "Harbour News")
        first = dict(pool.rest())
        os.kill(pool.started[0], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not _dead(pool.started[0]) and time.monotonic() < deadline:
            time.sleep(0.01)
        pool.submit(1, _page("ferry"), "Harbour News")  # the worker's queue is empty: it goes there
        second = dict(pool.rest())

    assert first[0].extracted and second[1].extracted
    assert len(pool.started) == 2 and pool.started[0] != pool.started[1]
    assert all(_dead(pid) for pid in pool.started)  # closing the pool stops its workers


def test_a_worker_that_dies_on_a_page_is_lost_with_its_exit_code() -> None:
    # a real process that reads a little of the request and exits, as a crash in lxml would
    crashing = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.buffer.read(8); sys.exit(3)"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    worker = _Worker(crashing)
    with pytest.raises(_WorkerLost, match="exit code 3"):  # the pool then uses the feed summary
        worker.extract(_page("ferry"), "Harbour News", budget=5)
    worker.close()


def test_when_no_worker_can_start_pages_are_extracted_in_the_runs_process_and_the_warning_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # a broken install: the worker's Python finds a `pipeline` package that fails to import
    broken = tmp_path / "pipeline"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise ImportError('half-installed package')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    pages = [_page(key) for key in STORIES]
    pool = ExtractPool(workers=1, cores=2)

    with caplog.at_level(logging.WARNING):
        found = _extract_all(pool, pages)

    assert not pool.started
    assert all(a.extracted for a in found.values()) and len(found) == len(pages)
    assert pool.in_process == len(pages)
    assert "no extraction worker could start" in caplog.text and "half-installed package" in caplog.text
    assert caplog.text.count("no extraction worker could start") == 1  # not tried again


def test_a_page_past_its_budget_falls_back_retires_its_worker_and_the_warning_reaches_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    slow = _page("lighthouse", repeat=400)  # a long page: its extraction takes more than 1 ms
    pool = ExtractPool(workers=1, budget=0.001, cores=2)
    with caplog.at_level(logging.WARNING), pool:
        pool.submit(0, slow, "Harbour News")
        first = dict(pool.rest())
        pool.submit(1, _page("ferry"), "Harbour News")
        dict(pool.rest())

    assert not first[0].extracted and first[0].text == "The feed's own summary."
    # logged in the worker, under the logger that said it
    assert any(r.name == "pipeline.ingest.extract" and "took over" in r.getMessage() for r in caplog.records)
    assert slow.final_url in caplog.text
    assert len(pool.started) == 2  # the retired worker was not given the next page


def _articles() -> list[Article]:
    return [extract_article(_page(key), "Harbour News") for key in STORIES]


def test_helpers_give_the_facts_the_runs_own_process_gives() -> None:
    articles = _articles() * 3
    with Helpers(2, preload=[extract_facts.__module__], cores=3) as helpers:
        helpers.wait_ready()
        shared = helpers.map(extract_facts, articles)

    assert len(helpers.started) == 2
    assert shared == [extract_facts(a) for a in articles]
    assert all(_dead(pid) for pid in helpers.started)  # closing stops them


def test_a_helper_that_died_costs_nothing_its_items_are_done_in_the_runs_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    articles = _articles() * 2
    with caplog.at_level(logging.WARNING), Helpers(2, cores=3) as helpers:
        helpers.wait_ready()
        os.kill(helpers.started[0], signal.SIGKILL)
        shared = helpers.map(extract_facts, articles)

    assert shared == [extract_facts(a) for a in articles]
    assert "a helper process stopped" in caplog.text


def test_a_map_does_not_wait_for_a_helper_still_starting_which_serves_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Work that is over before a helper is ready is done in the run's process alone (the
    feeds of a small run are parsed before a process could start to help)."""
    (tmp_path / "slow_to_load.py").write_text("import time\ntime.sleep(3)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with Helpers(1, preload=["slow_to_load"], cores=2) as helpers:
        started = time.monotonic()
        assert helpers.map(len, ["ab", "c"]) == [2, 1]
        assert time.monotonic() - started < 2.0  # not the 3 s its helper takes to be ready
        helpers.wait_ready()
        assert len(helpers.started) == 1  # started all the same, for the next map
        articles = _articles()
        assert helpers.map(extract_facts, articles) == [extract_facts(a) for a in articles]


def test_no_helper_on_a_single_core_or_when_told() -> None:
    for helpers in (Helpers(4, cores=1), Helpers(0, cores=8)):
        with helpers:
            assert helpers.map(len, ["ab", "c"]) == [2, 1]
        assert not helpers.started

"""Queue mode (issue 21, item 3): pages read by `brief worker` processes through Procrastinate,
in the PostgreSQL database the tests start, make the same briefs as one process on SQLite."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from conftest import (
    STORIES,
    LoopbackSite,
    Reply,
    SeenRequest,
    article_page,
    brief_cli,
    brief_process,
    rss_feed,
    rss_item,
    story_item,
    write_sources,
)

from pipeline.config import SmtpSettings, load_config
from pipeline.demo import DEMO_SLOTS, CorpusServer, demo_config_text, serve_corpus, slot_clock, smtp_sink
from pipeline.errors import ConfigError
from pipeline.operate.schedule import parse_slot
from pipeline.run import run_brief
from pipeline.store import Store

Brief = tuple[str, str, str]
AT_1500 = datetime(2026, 11, 10, 15, 0, 30, tzinfo=UTC)


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


@contextmanager
def workers(sources: Path, count: int) -> Iterator[list[subprocess.Popen[str]]]:
    started = [brief_process("worker", "--config", str(sources), "--concurrency", "4") for _ in range(count)]
    try:
        yield started
    finally:
        for worker in started:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in started:
            try:
                worker.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.communicate()


def test_two_workers_make_the_same_briefs_as_one_process_on_sqlite(postgres_url: str, tmp_path: Path) -> None:
    with serve_corpus(slot_clock(parse_slot(DEMO_SLOTS[0]))) as server, smtp_sink() as sink:
        smtp = SmtpSettings("127.0.0.1", sink.port, None, None, "none")
        on_sqlite = demo_briefs(server, smtp, demo_folder(server, tmp_path / "sqlite", None, False))
        sources = demo_folder(server, tmp_path / "queue", postgres_url, True)
        with workers(sources, 2) as started:
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


def test_a_worker_killed_mid_page_has_its_page_read_again_and_stored_once(
    postgres_url: str, tmp_path: Path, site: LoopbackSite
) -> None:
    when = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    items = [story_item(site, key, when) for key in ("dredging", "ferry", "lighthouse")]
    reached, release = threading.Event(), threading.Event()
    title, text = STORIES["orchard"]
    page = Reply(body=article_page(title, text), content_type="text/html; charset=utf-8")

    def held_once(seen: SeenRequest) -> Reply:
        if not reached.is_set():
            reached.set()
            release.wait(60)  # the worker fetching it is killed meanwhile
        return page

    site.serve("/orchard", held_once)
    items.append(rss_item(title, site.url("/orchard"), "orchard", when, text.split(". ")[0] + "."))
    site.serve("/feed.xml", rss_feed(*items))
    sources = write_sources(tmp_path, [site.url("/feed.xml")], [site.allow()], to=())
    text_of = sources.read_text(encoding="utf-8")
    sources.write_text(text_of.replace("brief:\n", f"brief:\n  database: {postgres_url}\n  queue: true\n"))
    config = load_config(sources)
    first = brief_process("worker", "--config", str(sources), "--stalled-after", "2")
    second: list[subprocess.Popen[str]] = []

    def kill_then_replace() -> None:
        if reached.wait(120):
            first.send_signal(signal.SIGKILL)
            first.wait()
            second.append(brief_process("worker", "--config", str(sources), "--stalled-after", "2"))
        release.set()

    killer = threading.Thread(target=kill_then_replace, daemon=True)
    killer.start()
    try:
        result = run_brief(config, slot=AT_1500, clock=lambda: AT_1500)
    finally:
        release.set()
        killer.join()
        for worker in [first, *second]:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
            worker.communicate(timeout=30)

    assert first.returncode == -signal.SIGKILL and second, "the first worker was killed mid-page"
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

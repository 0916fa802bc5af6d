"""Queue mode (issue 21, item 3): pages read by `brief worker` processes through Procrastinate,
in the PostgreSQL database the tests start, make the same briefs as one process on SQLite."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest
from conftest import brief_cli, brief_process

from pipeline.config import SmtpSettings, load_config
from pipeline.demo import DEMO_SLOTS, CorpusServer, demo_config_text, serve_corpus, slot_clock, smtp_sink
from pipeline.errors import ConfigError
from pipeline.operate.schedule import parse_slot
from pipeline.run import run_brief

Brief = tuple[str, str, str]


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
    with pytest.raises(ConfigError, match="brief.queue needs a PostgreSQL database") as raised:
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

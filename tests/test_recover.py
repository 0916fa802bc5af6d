"""The archive survives the state: a deleted state folder stops the next run instead of
emptying the archive's index or sending a slot again, and `brief recover` rebuilds the state from
the archive without changing an archived file."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path

import psycopg
import pytest
from conftest import NO_WAIT, LoopbackSite, SmtpServer, brief_cli, ledger, publish_news, write_sources

from pipeline.config import Config, load_config
from pipeline.service import run_due_slots
from pipeline.store import Store
from pipeline.understand.novelty import _norm

pytestmark = pytest.mark.usefixtures("on_each_backend")  # with SQLite, and with PostgreSQL


def lose_state(config: Config) -> None:
    """The state is lost: the state folder deleted, or the PostgreSQL database emptied."""
    if not config.database:
        shutil.rmtree(config.state_dir)
        return
    with psycopg.connect(config.database, autocommit=True) as db:
        db.execute("DROP SCHEMA public CASCADE")
        db.execute("CREATE SCHEMA public")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, 30, tzinfo=UTC)


def _fixed(when: datetime) -> Callable[[], datetime]:
    return lambda: when


def _archive(output: Path) -> dict[str, bytes]:
    """Every file of every archived brief folder (the pages that list them aside)."""
    return {
        p.relative_to(output).as_posix(): p.read_bytes()
        for p in sorted(output.glob("2026/*/*/*/*"))
        if p.is_file()
    }


def _two_briefs(tmp_path: Path, site: LoopbackSite, smtp: SmtpServer) -> Config:
    config = load_config(write_sources(tmp_path, [publish_news(site)], [site.allow()]))
    for when in (at(10, 15), at(10, 21)):
        run_due_slots(config, clock=_fixed(when), smtp=smtp.settings(), policy=NO_WAIT)
    return config


def test_a_run_after_the_state_was_deleted_stops_and_leaves_the_archive_as_it_was(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = _two_briefs(tmp_path, site, smtp)
    before, index = _archive(config.output_dir), (config.output_dir / "index.html").read_bytes()
    sent = len(smtp.mailbox.data)
    lose_state(config)

    run = brief_cli("run", "--config", str(config.path), "--no-send")
    rebuild = brief_cli("rebuild", "--config", str(config.path))

    for said in (run, rebuild):
        assert said.code == 65
        assert "is empty or missing, but" in said.err and "holds 2 archived briefs" in said.err
        assert "Hint: run `brief recover`" in said.err
    assert _archive(config.output_dir) == before and (config.output_dir / "index.html").read_bytes() == index
    assert len(smtp.mailbox.data) == sent


def test_brief_recover_rebuilds_the_state_from_the_archive_and_nothing_is_sent_or_shown_again(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = _two_briefs(tmp_path, site, smtp)
    before = _archive(config.output_dir)
    sent = len(smtp.mailbox.data)
    lose_state(config)

    recovered = brief_cli("recover", "--config", str(config.path))
    rebuilt = brief_cli("rebuild", "--config", str(config.path))
    after = _archive(config.output_dir)
    again = run_due_slots(config, clock=lambda: at(10, 21, 5), smtp=smtp.settings(), policy=NO_WAIT)
    later = run_due_slots(config, clock=lambda: at(11, 15), smtp=smtp.settings(), policy=NO_WAIT)

    assert recovered.code == 0, recovered.err
    assert "Recovered 2 briefs" in recovered.out
    assert rebuilt.code == 0 and "Rebuilt 2 briefs" in rebuilt.out
    assert after == before  # no archived file changed
    index = (config.output_dir / "index.html").read_text(encoding="utf-8")
    assert "2026/11/10/1500/index.html" in index and "2026/11/10/2100/index.html" in index
    slots, deliveries = ledger(config.state_dir)
    assert slots["2026-11-10T1500Z"].state == slots["2026-11-10T2100Z"].state == "delivered"
    assert again is None  # the archived slot is not made or sent again
    # the next slot: the feed still lists the stories the archive showed; none is news again
    assert later is not None and later.stats.articles_new == 0
    assert len(smtp.mailbox.data) == sent + 1
    assert deliveries["2026-11-10T2100Z"].message_id  # the Message-ID it was sent under
    # what the top of a brief showed counts as shown for its thread, as the run that made it said
    first = json.loads((config.output_dir / "2026/11/10/1500/brief.json").read_text(encoding="utf-8"))
    store = Store(config.state_dir, config.database)
    try:
        assert first["top"]
        for line in first["top"]:
            keys = store.shown_before(line["thread_id"], "2026-11-11T1500Z")
            assert "sentence:" + _norm(line["sentence"]["text"]) in keys
    finally:
        store.close()


def test_a_brief_made_again_after_a_recover_gets_a_message_id_never_used_before(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp = make_smtp()
    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)
    config = load_config(write_sources(tmp_path, [publish_news(site)], [site.allow()]))
    slot = "2026-11-10T1500Z"
    args = ("run", "--config", str(config.path), "--slot", slot)
    assert brief_cli(*args).code == 0
    assert brief_cli(*args, "--force").code == 0
    lose_state(config)
    assert brief_cli("recover", "--config", str(config.path)).code == 0

    again = [brief_cli(*args, "--force") for _ in range(2)]

    assert all(run.code == 0 for run in again), [run.err for run in again]
    ids = [str(message_from_bytes(raw)["Message-ID"]) for raw in smtp.mailbox.accepted]
    assert len(ids) == 4 and len(set(ids)) == 4, f"a Message-ID was used twice: {ids}"


def test_an_unreadable_brief_json_is_reported_and_its_slot_is_not_sent_again(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = _two_briefs(tmp_path, site, smtp)
    sent = len(smtp.mailbox.data)
    (first, _) = sorted(config.output_dir.glob("2026/*/*/*/brief.json"))
    first.write_text('{"id": "2026-11-10T15', encoding="utf-8")  # cut short by a full disk
    lose_state(config)

    recovered = brief_cli("recover", "--config", str(config.path))
    run = run_due_slots(config, clock=_fixed(at(10, 15, 5)), smtp=smtp.settings(), policy=NO_WAIT)
    again = brief_cli("run", "--config", str(config.path), "--slot", "2026-11-10T1500Z")

    assert recovered.code == 0
    assert f"could not read {first}" in recovered.err and "not sent again" in recovered.err
    assert "Recovered 1 brief" in recovered.out
    assert run is None and "already delivered" in again.out, again.out + again.err
    assert len(smtp.mailbox.data) == sent


def test_a_brief_made_again_after_a_recover_without_its_message_gets_a_new_message_id(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = _two_briefs(tmp_path, site, smtp)
    received = {str(message_from_bytes(raw)["Message-ID"]) for raw in smtp.mailbox.data}
    folder = config.output_dir / "2026/11/10/2100"
    (folder / "message.eml").unlink()  # the message is gone, and so is the state
    lose_state(config)
    assert brief_cli("recover", "--config", str(config.path)).code == 0

    made = brief_cli(
        "run", "--config", str(config.path), "--slot", "2026-11-10T21:00Z", "--force", "--no-send"
    )

    assert made.code == 0, made.err
    again = str(message_from_bytes((folder / "message.eml").read_bytes())["Message-ID"])
    assert again not in received  # never the id a reader got, now with another body

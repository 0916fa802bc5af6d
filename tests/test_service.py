"""The service: every slot delivered exactly once, whatever the clock, crashes and restarts do.

`run_due_slots` is called with an injected clock; `brief run` and `brief schedule` run as real
child processes where a crash, a signal or a second process is the point. The tests look at the
slot ledger (`slots`), the outbox (`deliveries`) and what the SMTP server on loopback received.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import IO

import pytest
from conftest import (
    NO_WAIT,
    ROOT,
    LoopbackSite,
    Reply,
    SeenRequest,
    SmtpServer,
    brief_cli,
    brief_process,
    ledger,
    publish_news,
    same_bytes,
    write_sources,
)

from pipeline.config import Config, SmtpSettings, load_config
from pipeline.errors import NothingToDoError
from pipeline.operate.lock import RunLock
from pipeline.operate.schedule import current_slot, slot_id
from pipeline.run import RunResult
from pipeline.service import run_due_slots

pytestmark = pytest.mark.usefixtures("on_each_backend")  # with SQLite, and with PostgreSQL

TIMEOUT = 60  # seconds a child process may take before the test gives up on it


def at(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def due(config: Config, when: datetime, smtp: SmtpSettings | None) -> RunResult | None:
    return run_due_slots(config, clock=lambda: when, smtp=smtp, policy=NO_WAIT)


def newsroom_config(tmp_path: Path, site: LoopbackSite, schedule: tuple[str, ...] = ()) -> Config:
    return load_config(write_sources(tmp_path, [publish_news(site)], [site.allow()], schedule=schedule))


def brief_folders(config: Config) -> list[Path]:
    return sorted(p.parent for p in config.output_dir.rglob("brief.json") if ".staging" not in p.parts)


def message_id(raw: bytes) -> str:
    return str(message_from_bytes(raw)["Message-ID"])


class Watch:
    """Reads a child's stderr line by line in a thread; `seen` is set when `needle` appears or
    the stream ends, so a test can wait for a log line without sleeping."""

    def __init__(self, stream: IO[str] | None, needle: str) -> None:
        assert stream is not None
        self.lines: list[str] = []
        self.found = False
        self.seen = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(stream, needle), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str], needle: str) -> None:
        for line in stream:
            self.lines.append(line)
            if needle in line:
                self.found = True
                self.seen.set()
        self.seen.set()

    def text(self) -> str:
        self._thread.join(TIMEOUT)
        return "".join(self.lines)


def schedule_with_info_logs(config: Config, env: dict[str, str]) -> subprocess.Popen[str]:
    """`brief schedule` through the same main(), with INFO logging so the test can see a tick end."""
    code = (
        "import logging, sys; logging.basicConfig(level=logging.INFO); "
        "from pipeline.cli import main; main(['schedule', '--config', sys.argv[1]])"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BRIEF_SMTP")}
    return subprocess.Popen(
        [sys.executable, "-c", code, str(config.path)],
        env=clean | env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(TIMEOUT)


# -- 10-12. which slot is due ----------------------------------------------------------------------


def test_a_day_with_two_slots_makes_two_briefs_and_nothing_in_between(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = newsroom_config(tmp_path, site)

    afternoon = due(config, at(10, 15, 0, 30), smtp.settings())
    between = due(config, at(10, 15, 5), smtp.settings())
    evening = due(config, at(10, 21, 0, 30), smtp.settings())

    assert afternoon is not None and afternoon.brief_id == "2026-11-10T1500Z" and afternoon.delivery.sent
    assert between is None
    assert evening is not None and evening.brief_id == "2026-11-10T2100Z" and evening.delivery.sent
    assert len(smtp.mailbox.data) == 2 and len(smtp.mailbox.accepted) == 2
    slots, deliveries = ledger(config.state_dir)
    assert {s: r.state for s, r in slots.items()} == {
        "2026-11-10T1500Z": "delivered",
        "2026-11-10T2100Z": "delivered",
    }
    assert {b: r.state for b, r in deliveries.items()} == {
        "2026-11-10T1500Z": "sent",
        "2026-11-10T2100Z": "sent",
    }


def test_a_clock_set_back_never_sends_an_older_slot_than_one_delivered(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = newsroom_config(tmp_path, site)
    assert due(config, at(13, 15, 0, 30), smtp.settings()) is not None

    back = due(config, at(10, 21, 0, 30), smtp.settings())  # the clock set back three days

    assert back is None and len(smtp.mailbox.data) == 1  # nothing made, nothing sent
    slots, _ = ledger(config.state_dir)
    assert slots["2026-11-10T2100Z"].state == "skipped"
    assert "before 2026-11-13T1500Z, which was already delivered" in (slots["2026-11-10T2100Z"].error or "")
    assert [p.name for p in brief_folders(config)] == ["1500"]


def test_after_downtime_one_brief_makes_up_for_the_missed_slots(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = newsroom_config(tmp_path, site)
    assert due(config, at(9, 15, 0, 30), smtp.settings()) is not None  # yesterday 15:00, then off

    back = due(config, at(10, 16, 10), smtp.settings())
    again = due(config, at(10, 16, 11), smtp.settings())

    assert back is not None and back.brief_id == "2026-11-10T1500Z" and back.delivery.sent
    assert again is None
    assert len(smtp.mailbox.accepted) == 2 and len(smtp.mailbox.data) == 2
    slots, _ = ledger(config.state_dir)
    assert slots["2026-11-09T2100Z"].state == "skipped"
    assert slots["2026-11-09T2100Z"].covered_by == "2026-11-10T1500Z"
    assert slots["2026-11-10T1500Z"].state == "delivered"
    assert set(slots) == {"2026-11-09T1500Z", "2026-11-09T2100Z", "2026-11-10T1500Z"}
    text = (back.brief_dir / "email.txt").read_text(encoding="utf-8")
    assert "Makes up for the missed 2026-11-09T2100Z brief" in text
    assert json.loads((back.brief_dir / "brief.json").read_text(encoding="utf-8"))["covers"] == [
        "2026-11-09T2100Z"
    ]
    assert [p.relative_to(config.output_dir).as_posix() for p in brief_folders(config)] == [
        "2026/11/09/1500",
        "2026/11/10/1500",
    ], "no brief of its own for the missed slot"


def test_the_first_start_ever_makes_the_latest_slot_and_covers_nothing(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = newsroom_config(tmp_path, site)

    first = due(config, at(10, 16, 10), smtp.settings())

    assert first is not None and first.brief_id == "2026-11-10T1500Z" and first.delivery.sent
    assert len(smtp.mailbox.accepted) == 1
    slots, _ = ledger(config.state_dir)
    assert {s: r.state for s, r in slots.items()} == {"2026-11-10T1500Z": "delivered"}
    assert "Makes up for" not in (first.brief_dir / "email.txt").read_text(encoding="utf-8")
    assert json.loads((first.brief_dir / "brief.json").read_text(encoding="utf-8"))["covers"] == []


# -- 13, 17. one run at a time ---------------------------------------------------------------------


def test_two_runs_started_together_make_one_brief(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = newsroom_config(tmp_path, site)
    feed = site.routes["/feed.xml"]
    assert isinstance(feed, Reply)
    asked, release = threading.Event(), threading.Event()

    def held_feed(request: SeenRequest) -> Reply:
        asked.set()
        release.wait(TIMEOUT)  # the run that got the lock waits here, holding it
        return feed

    site.serve("/feed.xml", held_feed)
    args = ("run", "--config", str(config.path))
    procs = [brief_process(*args, env=smtp.env()), brief_process(*args, env=smtp.env())]
    try:
        assert asked.wait(TIMEOUT), "neither run fetched the feed"
        holder = int(RunLock.holder(config.state_dir, config.database) or 0)
        (winner,) = [p for p in procs if p.pid == holder]
        (loser,) = [p for p in procs if p.pid != holder]
        out, err = loser.communicate(timeout=TIMEOUT)
        assert loser.returncode == 75, out + err
        # (the pid may be missing if the loser read run.lock just before the winner wrote it)
        assert re.search(rf"another dailybrief run is in progress( \(pid {winner.pid}\))?\n", err), err
    finally:
        release.set()
    out, err = winner.communicate(timeout=TIMEOUT)
    assert winner.returncode == 0, out + err

    assert len(smtp.mailbox.data) == 1 and len(smtp.mailbox.accepted) == 1
    assert len(brief_folders(config)) == 1
    assert site.hits("/feed.xml") == 1


@pytest.mark.parametrize("command", ["run", "send"])
def test_a_command_finding_the_lock_taken_exits_75_and_does_nothing(
    command: str,
    tmp_path: Path,
    site: LoopbackSite,
    make_smtp: Callable[..., SmtpServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp = make_smtp()
    config = newsroom_config(tmp_path, site)
    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)
    args = {"run": ("run",), "send": ("send", "2026-11-10T1500Z")}[command]

    with RunLock(config.state_dir, config.database):
        result = brief_cli(*args, "--config", str(config.path))

    assert result.code == 75
    assert f"another dailybrief run is in progress (pid {os.getpid()})" in result.err
    assert brief_folders(config) == [] and site.hits() == 0 and smtp.mailbox.data == []


def test_a_second_brief_schedule_exits_75_while_one_is_running(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    """README: `brief schedule` holds `<state>/schedule.lock` while it runs, "so a second
    scheduler on the same state exits with code 75 too"."""
    smtp = make_smtp()
    past = (datetime.now(UTC) - timedelta(hours=2)).strftime("%H:%M")
    config = newsroom_config(tmp_path, site, schedule=(past,))
    first = brief_process("schedule", "--config", str(config.path), env=smtp.env())
    try:
        assert smtp.mailbox.wait_accepted(1, TIMEOUT), "the first service made no brief"
        second = schedule_with_info_logs(config, smtp.env())
        try:
            # the stream ends if it exits; if it keeps running, its first tick ends with this line
            watch = Watch(second.stderr, "executed successfully")
            assert watch.seen.wait(TIMEOUT)
            kept_running = watch.found and second.poll() is None
        finally:
            stop(second)
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=TIMEOUT)
    finally:
        stop(first)

    assert first.returncode == 0
    assert len(smtp.mailbox.data) == 1, "the ledger still kept the slot to one message"
    assert not kept_running, "a second brief schedule kept running beside the first:\n" + watch.text()
    assert second.returncode == 75
    assert f"another dailybrief scheduler is in progress (pid {first.pid})" in watch.text()


# -- 14. killed while sending ----------------------------------------------------------------------


def test_a_run_killed_while_sending_is_finished_with_the_same_message(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    smtp.mailbox.script = ["HOLD"]  # the first DATA waits until released; later ones get 250
    config = newsroom_config(tmp_path, site)
    sid = "2026-11-10T1500Z"
    proc = brief_process("run", "--config", str(config.path), "--slot", sid, env=smtp.env())
    try:
        assert smtp.mailbox.wait_data(1, TIMEOUT), "the run never reached DATA"
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=TIMEOUT)
    finally:
        stop(proc)
    assert proc.returncode == -signal.SIGKILL
    slots, deliveries = ledger(config.state_dir)
    assert deliveries[sid].state == "sending"
    assert slots[sid].state == "sending"  # the slot says so too: one transaction
    (folder,) = brief_folders(config)
    built = (folder / "brief.json").read_bytes()
    eml = (folder / "message.eml").read_bytes()
    smtp.mailbox.release.set()  # the held DATA is answered (451) to a client that is gone

    again = due(config, at(10, 15, 20), smtp.settings())

    assert again is None, "the slot was finished, not made again"
    assert len(smtp.mailbox.accepted) == 1, f"not sent again; the ledger: {ledger(config.state_dir)}"
    accepted = smtp.mailbox.accepted[0]
    assert same_bytes(accepted, eml), "the stored bytes were sent, made the reader's"
    assert message_id(accepted) == message_id(smtp.mailbox.data[0])  # the reader's, both times
    slots, deliveries = ledger(config.state_dir)
    assert (deliveries[sid].state, deliveries[sid].sends) == ("sent", 1)
    assert slots[sid].state == "delivered"
    assert brief_folders(config) == [folder]
    assert (folder / "brief.json").read_bytes() == built, "no second brief was built"


# -- 15. retries of a failed slot ------------------------------------------------------------------


def test_a_failed_run_is_tried_again_after_ten_minutes_at_most_three_times(
    tmp_path: Path, closed_port: int, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    unreachable = f"http://127.0.0.1:{closed_port}/feed.xml"
    config = load_config(write_sources(tmp_path, [unreachable], [f"127.0.0.1:{closed_port}"]))
    sid = "2026-11-10T1500Z"

    def attempts() -> tuple[str, int]:
        entry = ledger(config.state_dir)[0][sid]
        return entry.state, entry.attempts

    with pytest.raises(NothingToDoError):
        due(config, at(10, 15, 0, 30), smtp.settings())
    assert attempts() == ("failed", 1)
    assert due(config, at(10, 15, 10, 29), smtp.settings()) is None, "not before ten minutes"
    assert attempts() == ("failed", 1)
    with pytest.raises(NothingToDoError):
        due(config, at(10, 15, 10, 30), smtp.settings())
    assert attempts() == ("failed", 2)
    with pytest.raises(NothingToDoError):
        due(config, at(10, 15, 25), smtp.settings())
    assert attempts() == ("failed", 3)
    assert due(config, at(10, 15, 40), smtp.settings()) is None, "three attempts at most"
    assert due(config, at(10, 20, 59), smtp.settings()) is None
    assert attempts() == ("failed", 3)
    assert smtp.mailbox.data == []
    assert "Pipeline Failing" in brief_cli("status", "--config", str(config.path)).out


def test_a_slot_whose_delivery_failed_permanently_is_not_tried_again(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    smtp.mailbox.default = "550 5.7.1 relaying denied for this sender"
    config = newsroom_config(tmp_path, site)
    sid = "2026-11-10T1500Z"

    first = due(config, at(10, 15, 0, 30), smtp.settings())
    assert first is not None and not first.delivery.sent
    later = [due(config, at(10, 15, minute), smtp.settings()) for minute in (11, 30, 50)]

    assert later == [None, None, None]
    assert len(smtp.mailbox.data) == 1, "the 550 was not sent into again"
    slots, deliveries = ledger(config.state_dir)
    assert deliveries[sid].state == "failed" and slots[sid].state == "failed"
    assert slots[sid].attempts == 1


# -- 16. the service as a process ------------------------------------------------------------------


def test_brief_schedule_makes_the_due_brief_at_start_stops_on_sigterm_and_never_repeats_it(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    # one slot a day, two hours ago: due now, and the next one is far away
    past = (datetime.now(UTC) - timedelta(hours=2)).strftime("%H:%M")
    config = newsroom_config(tmp_path, site, schedule=(past,))
    sid = slot_id(current_slot(datetime.now(UTC), config.schedule))

    service = brief_process("schedule", "--config", str(config.path), env=smtp.env())
    try:
        assert smtp.mailbox.wait_accepted(1, TIMEOUT), "no brief was made at start"
        service.send_signal(signal.SIGTERM)
        out, err = service.communicate(timeout=TIMEOUT)
    finally:
        stop(service)
    assert service.returncode == 0, out + err
    assert "stopping after the stage in flight (SIGTERM)" in err

    status = brief_cli("status", "--config", str(config.path))
    assert f"  {sid}  delivered" in status.out
    slots, deliveries = ledger(config.state_dir)
    assert slots[sid].state == "delivered" and deliveries[sid].state == "sent"

    restarted = schedule_with_info_logs(config, smtp.env())
    try:
        watch = Watch(restarted.stderr, "executed successfully")
        assert watch.seen.wait(TIMEOUT) and watch.found, "the first tick did not finish"
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(TIMEOUT)
    finally:
        stop(restarted)
    assert restarted.returncode == 0, watch.text()
    assert len(smtp.mailbox.data) == 1 and len(smtp.mailbox.accepted) == 1, "no second message"
    assert len(brief_folders(config)) == 1

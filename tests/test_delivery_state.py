"""Delivery state in one place: what a send records is one transaction, and a message built for
a slot is the only message that slot ever sends under its Message-ID, whatever fails after the
server said 250: the state disk filling at that moment, the message file going missing.

The servers are real (aiosmtpd on loopback, a loopback feed); the full disk is a small tmpfs,
mounted when the tests run as root (skipped, with the reason, elsewhere).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import LoopbackSite, SmtpServer, brief_cli, brief_process, ledger, publish_news, write_sources
from test_service import Watch
from test_storage import needs_mount

from benchmarks.chaos import tmpfs
from pipeline.config import Config, load_config
from pipeline.run import RunOptions, run_slot
from pipeline.service import run_due_slots

SID = "2026-11-10T1500Z"
TIMEOUT = 60


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, 10, hour, minute, second, tzinfo=UTC)


def _bodies_by_message_id(accepted: list[bytes]) -> dict[str, set[bytes]]:
    """Each Message-ID the server accepted, with the distinct bodies (all but the Date) sent under it."""
    out: dict[str, set[bytes]] = {}
    for raw in accepted:
        message = message_from_bytes(raw)
        del message["Date"]
        out.setdefault(str(message["Message-ID"]).strip(), set()).add(message.as_bytes())
    return out


def _no_traceback(*outputs: str) -> None:
    for text in outputs:
        assert "Traceback" not in text, text


def _fill_leaving(folder: Path, leave: int) -> Path:
    """Fill the disk of `folder` but for `leave` bytes; return the filler, to delete later."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError:
            pass
    size = filler.stat().st_size
    os.truncate(filler, max(0, size - leave))
    return filler


@needs_mount
@pytest.mark.parametrize("leave_kib", [0, 4, 8, 16])
def test_a_state_disk_that_fills_as_the_server_accepts_never_sends_another_body_for_the_slot(
    leave_kib: int,
    tmp_path: Path,
    site: LoopbackSite,
    make_smtp: Callable[..., SmtpServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp = make_smtp()
    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)
    config = write_sources(tmp_path, [publish_news(site)], [site.allow()])
    text = config.read_text(encoding="utf-8").replace(
        "  state: state\n", "  state: state\n  min_free_mb: 0\n"
    )
    config.write_text(text, encoding="utf-8")
    with tmpfs(tmp_path / "state", "4m") as state:
        fillers: list[Path] = []
        # the server keeps the message, and the state disk is full before its 250 reaches us
        smtp.mailbox.before_250 = lambda: fillers.append(_fill_leaving(state, leave_kib * 1024))

        first = brief_cli("run", "--config", str(config), "--slot", SID)
        smtp.mailbox.before_250 = lambda: None
        for filler in fillers:
            filler.unlink()  # the operator makes room, as the message said
        again = brief_cli("run", "--config", str(config), "--slot", SID)
        third = brief_cli("run", "--config", str(config), "--slot", SID)

        slots, deliveries = ledger(state)
    _no_traceback(first.out, first.err, again.out, again.err, third.out, third.err)
    by_id = _bodies_by_message_id(smtp.mailbox.accepted)
    # the reader has the brief once: one message (a resend after the lost 250 is the same one)
    assert len(by_id) == 1, f"{len(by_id)} different messages reached the reader: {sorted(by_id)}"
    assert all(len(bodies) == 1 for bodies in by_id.values()), "one Message-ID carried two bodies"
    assert len(smtp.mailbox.accepted) <= 2, "more than one extra, identical copy"
    assert slots[SID].state == "delivered" and deliveries[SID].state == "sent"
    assert again.code == 0 and third.code == 0, again.err + third.err


def test_a_slot_whose_message_vanished_while_it_was_being_sent_waits_for_a_person(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp = make_smtp()
    smtp.mailbox.script = ["HOLD"]  # the first DATA waits: the run is killed inside the window
    config = write_sources(tmp_path, [publish_news(site)], [site.allow()])
    proc = brief_process("run", "--config", str(config), "--slot", SID, env=smtp.env())
    try:
        assert smtp.mailbox.wait_data(1, TIMEOUT), "the run never reached DATA"
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(TIMEOUT)
    smtp.mailbox.release.set()
    (eml,) = (tmp_path / "output").rglob("message.eml")
    first_id = str(message_from_bytes(eml.read_bytes())["Message-ID"])
    eml.unlink()  # the bytes that may have left are gone: nothing can send them again
    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)

    again = brief_cli("run", "--config", str(config), "--slot", SID)
    status = brief_cli("status", "--config", str(config))

    assert smtp.mailbox.accepted == [], "a new brief went out for a slot whose message may have left"
    assert again.code != 0
    assert f"slot {SID} may have been sent already" in again.err
    assert f"brief run --slot {SID} --rebuild" in again.err
    assert f"{SID}  unsure" in status.out and "--rebuild" in status.out
    _no_traceback(again.out, again.err, status.out)

    decided = brief_cli("run", "--config", str(config), "--slot", SID, "--rebuild")

    assert decided.code == 0, decided.err
    (sent,) = smtp.mailbox.accepted
    assert str(message_from_bytes(sent)["Message-ID"]) != first_id, "a new body under the old Message-ID"


# -- a server that refuses for now, longer than the retries: the news reaches the reader once --


def _patient_config(tmp_path: Path, site: LoopbackSite, pause: int = 0, after: int = 480) -> Config:
    """Delivery tries at once (`retry_pause`), then the scheduler tries again after `after` s."""
    path = write_sources(tmp_path, [publish_news(site)], [site.allow()])
    text = path.read_text(encoding="utf-8").replace(
        "network:\n", f"  retry_pause: {pause}\n  retry_after: {after}\nnetwork:\n", 1
    )
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def _tick(config: Config, when: datetime, smtp: SmtpServer) -> None:
    """What `brief schedule` does at `when` (its retry pauses are the config's, none here)."""
    run_due_slots(config, clock=lambda: when, smtp=smtp.settings())


def _with_story(accepted: list[bytes], words: str = "swing bridge") -> list[bytes]:
    return [raw for raw in accepted if words in _text_of(raw)]


def _text_of(raw: bytes) -> str:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def test_a_server_refusing_for_eight_minutes_gets_the_brief_once_when_it_is_back(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = _patient_config(tmp_path, site)
    smtp.mailbox.default = "451 4.3.2 system not accepting messages"

    _tick(config, at(15, 0, 30), smtp)  # built, refused four times: deferred
    refused = len(smtp.mailbox.data)
    status = brief_cli("status", "--config", str(config.path))
    _tick(config, at(15, 4), smtp)  # before retry_after: left alone
    smtp.mailbox.default = "250 2.0.0 accepted"  # eight minutes on, the server is back
    _tick(config, at(15, 9), smtp)
    _tick(config, at(15, 10), smtp)
    _tick(config, at(21, 0, 30), smtp)  # the next slot: nothing of the first again

    assert refused == 4 and len(smtp.mailbox.data) == refused + 2
    assert f"{SID}  deferred" in status.out and "tries again after 480 s" in status.out
    assert "is not delivered yet" in status.out
    assert len(_with_story(smtp.mailbox.accepted)) == 1, "the news reached the reader twice, or never"
    slots, _ = ledger(config.state_dir)
    assert slots[SID].state == "delivered"


def test_a_server_refusing_until_the_next_slot_gets_that_news_in_the_next_brief(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = _patient_config(tmp_path, site)
    smtp.mailbox.default = "451 4.3.2 system not accepting messages"

    _tick(config, at(15, 0, 30), smtp)
    _tick(config, at(15, 9), smtp)
    _tick(config, at(21, 0, 30), smtp)  # still refused: the 21:00 brief takes the news in
    smtp.mailbox.default = "250 2.0.0 accepted"
    _tick(config, at(21, 9), smtp)
    _tick(config, at(21, 20), smtp)

    (delivered,) = smtp.mailbox.accepted
    assert "2026-11-10T2100Z" in str(message_from_bytes(delivered)["Message-ID"])
    assert _with_story([delivered]), "the 15:00 news never reached the reader"
    status = brief_cli("status", "--config", str(config.path))
    assert f"{SID}  skipped · covered by 2026-11-10T2100Z" in status.out


def test_brief_run_says_what_it_waits_for_during_a_retry_pause(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = _patient_config(tmp_path, site, pause=1)
    smtp.mailbox.script = ["451 4.3.0 mailbox busy"]

    run = brief_process("run", "--config", str(config.path), "--slot", SID, env=smtp.env())
    _, err = run.communicate(timeout=TIMEOUT)

    assert run.returncode == 0, err
    assert (
        f"waiting to send brief {SID}: SMTP server answered 451: 4.3.0 mailbox busy; trying again in 1 s"
        in err
    )
    assert len(smtp.mailbox.accepted) == 1


def test_status_says_stopped_as_soon_as_the_scheduler_is_killed(tmp_path: Path, site: LoopbackSite) -> None:
    config = load_config(write_sources(tmp_path, [publish_news(site)], [site.allow()]))
    proc = brief_process("schedule", "--config", str(config.path))
    try:
        watch = Watch(proc.stderr, "message written")
        assert watch.seen.wait(TIMEOUT) and watch.found, watch.text()
        running = brief_cli("status", "--config", str(config.path))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(TIMEOUT)

    killed = brief_cli("status", "--config", str(config.path))

    assert running.out.startswith("Pipeline Active")
    assert killed.out.startswith("Pipeline Stopped"), killed.out
    assert "The scheduler is not running (last seen" in killed.out


# -- a brief made by hand makes up for the older slots, as the scheduler's does ---------------------


def _by_hand(config: Config, when: datetime, now: datetime, smtp: SmtpServer) -> None:
    run_slot(config, slot=when, clock=lambda: now, smtp=smtp.settings(), options=RunOptions(manual=True))


def test_a_brief_run_by_hand_takes_in_the_news_of_a_slot_the_server_refused(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = _patient_config(tmp_path, site)
    smtp.mailbox.default = "554 5.6.0 message refused"
    _tick(config, at(15, 0, 30), smtp)  # 15:00's brief, with the story, refused for good
    smtp.mailbox.default = "250 2.0.0 accepted"

    _by_hand(config, at(21, 0), at(21, 5), smtp)  # `brief run` at 21:05
    _tick(config, at(21, 10), smtp)

    assert _with_story(smtp.mailbox.accepted), "the 15:00 news never reached the reader"
    slots, _ = ledger(config.state_dir)
    assert slots["2026-11-10T1500Z"].covered_by == "2026-11-10T2100Z"


def test_a_slot_refused_for_now_is_never_sent_after_a_newer_one_reached_the_reader(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = _patient_config(tmp_path, site)
    smtp.mailbox.default = "451 4.3.2 try later"
    _tick(config, at(15, 0, 30), smtp)  # 15:00 deferred
    smtp.mailbox.script = ["451 4.3.2 try later"] * 4  # still refused when the 21:05 run resumes it
    smtp.mailbox.default = "250 2.0.0 accepted"

    _by_hand(config, at(21, 0), at(21, 5), smtp)
    _tick(config, at(21, 20), smtp)
    _tick(config, at(22, 0), smtp)

    ids = [str(message_from_bytes(raw)["Message-ID"]) for raw in smtp.mailbox.accepted]
    assert len(ids) == 1 and "T2100Z" in ids[0], ids  # 15:00 is not sent after 21:00
    assert _with_story(smtp.mailbox.accepted)  # its news came with 21:00's brief

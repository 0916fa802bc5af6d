"""One message per subscriber, delivered exactly once each (issue 20, item 1).

Subscribers live in the state database, seeded by `delivery.to`; each gets a message addressed to
them alone, made from the brief's one message.eml; the outbox keeps (slot, subscriber), so a run
killed in the middle of a thousand sends delivers the rest on the next start and none twice. The
servers are real: aiosmtpd and a feed on loopback.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from conftest import (
    NO_WAIT,
    LoopbackSite,
    SmtpServer,
    brief_cli,
    brief_process,
    ledger,
    open_store,
    publish_news,
    write_sources,
)

from pipeline.config import load_config
from pipeline.publish.mail import personalise
from pipeline.publish.outbox import seed_subscribers
from pipeline.service import run_due_slots
from pipeline.store import Store
from pipeline.store.records import RecipientState, SubscriberStatus

pytestmark = pytest.mark.usefixtures("on_each_backend")  # with SQLite, and with PostgreSQL

SLOT = "2026-11-10T1500Z"
AT_1500 = datetime(2026, 11, 10, 15, 0, 30, tzinfo=UTC)
TIMEOUT = 120


def people(n: int) -> list[str]:
    return [f"reader{i:04d}@town{i % 7}.example" for i in range(n)]


def recipients(state_dir: Path) -> dict[str, RecipientState]:
    store = open_store(state_dir)
    try:
        return {r.address: r.state for r in store.recipients(SLOT)}
    finally:
        store.close()


def test_each_subscriber_gets_one_message_to_them_alone_over_one_connection(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp(tls=True)
    three = ("ana@readers.example", "Ben Ode <ben@harbour.example>", "carla@quay.example")
    config = load_config(write_sources(tmp_path, [publish_news(site)], [site.allow()], to=three))

    result = run_due_slots(config, clock=lambda: AT_1500, smtp=smtp.settings(), policy=NO_WAIT)

    assert result is not None and result.delivery.sent, result
    addresses = ["ana@readers.example", "ben@harbour.example", "carla@quay.example"]
    assert sorted(e for (e,) in smtp.mailbox.envelopes) == addresses
    assert len(smtp.mailbox.sessions) == 1, "one connection for every message"
    stored = (result.brief_dir / "message.eml").read_bytes()
    for content, (own,) in zip(smtp.mailbox.accepted, smtp.mailbox.envelopes, strict=True):
        message = message_from_bytes(content, policy=policy.default)
        assert message["To"].addresses[0].addr_spec == own and len(message["To"].addresses) == 1
        assert all(other.encode() not in content for other in addresses if other != own)
        # the brief's one rendering, theirs by its To and Message-ID only
        name = "Ben Ode" if own.startswith("ben") else ""
        assert content.rstrip(b"\r\n") == personalise(stored, SLOT, own, name)[0].rstrip(b"\r\n")
    assert set(recipients(config.state_dir).values()) == {RecipientState.SENT}
    status = brief_cli("status", "--config", str(config.path))
    assert f"{SLOT}  delivered · delivered to 3 of 3" in status.out


def test_delivery_to_seeds_subscribers_and_never_brings_back_one_who_left(tmp_path: Path) -> None:
    feed, allow = ["http://127.0.0.1:9/feed.xml"], ["127.0.0.1:9"]
    first = load_config(write_sources(tmp_path, feed, allow, to=("ana@readers.example",)))
    now = datetime(2026, 11, 10, tzinfo=UTC)
    store = Store(first.state_dir, first.database)
    try:
        assert seed_subscribers(store, first, now) == 1
        assert store.set_subscriber_status("ANA@readers.example", SubscriberStatus.UNSUBSCRIBED, now)
        more = ("Ana@Readers.example", "Ben Ode <ben@harbour.example>")
        added = seed_subscribers(store, load_config(write_sources(tmp_path, feed, allow, to=more)), now)
        listed = {s.address: (s.name, s.status) for s in store.subscribers()}
    finally:
        store.close()
    assert added == 1
    assert listed == {
        "ana@readers.example": ("", "unsubscribed"),
        "ben@harbour.example": ("Ben Ode", "active"),
    }


def test_a_4xx_for_some_is_retried_and_a_5xx_for_one_is_recorded_and_shown(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    everyone = people(6)
    busy, gone = everyone[1:3], everyone[4]
    smtp.mailbox.refuse = {a: "451 4.2.1 mailbox busy, try later" for a in busy}
    smtp.mailbox.refuse[gone] = "550 5.1.1 no such user here"
    config = load_config(write_sources(tmp_path, [publish_news(site)], [site.allow()], to=everyone))

    first = run_due_slots(config, clock=lambda: AT_1500, smtp=smtp.settings(), policy=NO_WAIT)

    assert first is not None and not first.delivery.sent
    delivered = [e for (e,) in smtp.mailbox.envelopes]
    assert sorted(delivered) == sorted(a for a in everyone if a not in (*busy, gone))
    states = recipients(config.state_dir)
    assert [states[a] for a in busy] == ["deferred", "deferred"] and states[gone] == "failed"
    slots, deliveries = ledger(config.state_dir)
    assert slots[SLOT].state == "deferred" and deliveries[SLOT].state == "deferred"
    status = brief_cli("status", "--config", str(config.path)).out
    assert "delivered to 3 of 6; 1 refused (" + gone + ": SMTP server answered 550" in status
    assert "2 retrying" in status

    smtp.mailbox.refuse = {gone: smtp.mailbox.refuse[gone]}  # the busy mailboxes take mail again
    later = AT_1500 + timedelta(seconds=config.retry_after + 1)
    run_due_slots(config, clock=lambda: later, smtp=smtp.settings(), policy=NO_WAIT)

    delivered = [e for (e,) in smtp.mailbox.envelopes]
    assert Counter(delivered) == Counter(a for a in everyone if a != gone), "each once, the refused never"
    slots, deliveries = ledger(config.state_dir)
    assert slots[SLOT].state == "delivered" and deliveries[SLOT].state == "sent"
    status = brief_cli("status", "--config", str(config.path)).out
    assert f"{SLOT}  delivered · delivered to 5 of 6; 1 refused ({gone}: SMTP server answered 550" in status


def test_a_run_killed_in_the_middle_of_a_thousand_sends_delivers_the_rest_once_each(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    everyone = people(1000)
    config = write_sources(tmp_path, [publish_news(site)], [site.allow()], to=everyone, delivery="pace: 0")
    proc = brief_process("run", "--config", str(config), "--slot", SLOT, env=smtp.env())
    arrived = 0
    lock = threading.Lock()

    def kill_at_the_401st() -> str | None:
        nonlocal arrived
        with lock:
            arrived += 1
            if arrived != 401:
                return None
        # killed while its 401st message is in DATA, before the server kept it: the client
        # never had a 250, and the server keeps nothing
        os.kill(proc.pid, signal.SIGKILL)
        return "421 4.3.2 going away"

    smtp.mailbox.intercept = kill_at_the_401st
    try:
        proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(TIMEOUT)
    assert proc.returncode == -signal.SIGKILL, "the run was killed in the middle"
    assert len(smtp.mailbox.accepted) == 400

    again = brief_process("run", "--config", str(config), "--slot", SLOT, env=smtp.env())
    out, err = again.communicate(timeout=TIMEOUT)

    assert again.returncode == 0, out + err
    received = Counter(e for (e,) in smtp.mailbox.envelopes)
    assert received == Counter(everyone), "every subscriber exactly once"
    ids = Counter(str(message_from_bytes(m)["Message-ID"]) for m in smtp.mailbox.accepted)
    assert len(ids) == 1000 and max(ids.values()) == 1
    slots, deliveries = ledger(tmp_path / "state")
    assert slots[SLOT].state == "delivered" and deliveries[SLOT].sends == 1000


def test_the_pace_spaces_the_messages_of_one_connection(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    paths = write_sources(tmp_path, [publish_news(site)], [site.allow()], to=people(3), delivery="pace: 10")
    pauses: list[float] = []
    now = [0.0]  # a clock that moves only when the outbox sleeps: the test does not time anything

    def sleep(seconds: float) -> None:
        pauses.append(round(seconds, 6))
        now[0] += seconds

    policy = replace(NO_WAIT, sleep=sleep, clock=lambda: now[0])

    run_due_slots(load_config(paths), clock=lambda: AT_1500, smtp=smtp.settings(), policy=policy)

    assert len(smtp.mailbox.accepted) == 3 and len(smtp.mailbox.sessions) == 1
    assert pauses == [0.1, 0.1]  # 10 a second


def test_one_who_unsubscribes_before_their_turn_is_not_sent_the_slot(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    everyone = people(3)
    smtp.mailbox.refuse = {everyone[2]: "451 4.2.1 try later"}
    config = load_config(write_sources(tmp_path, [publish_news(site)], [site.allow()], to=everyone))
    run_due_slots(config, clock=lambda: AT_1500, smtp=smtp.settings(), policy=NO_WAIT)
    store = Store(config.state_dir, config.database)
    try:
        store.set_subscriber_status(everyone[2], SubscriberStatus.UNSUBSCRIBED, AT_1500)
    finally:
        store.close()
    smtp.mailbox.refuse = {}

    later = AT_1500 + timedelta(seconds=config.retry_after + 1)
    run_due_slots(config, clock=lambda: later, smtp=smtp.settings(), policy=NO_WAIT)

    assert sorted(e for (e,) in smtp.mailbox.envelopes) == sorted(everyone[:2])
    assert recipients(config.state_dir)[everyone[2]] == "dropped"
    status = brief_cli("status", "--config", str(config.path)).out
    assert f"{SLOT}  delivered · delivered to 2 of 2; 1 left before their turn" in status


def test_one_who_unsubscribes_while_the_slot_is_being_sent_is_not_sent_it(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    everyone = people(3)
    config = load_config(write_sources(tmp_path, [publish_news(site)], [site.allow()], to=everyone))

    def unsubscribe_the_last_as_the_first_arrives() -> str | None:
        if len(smtp.mailbox.data) == 1:  # a one-click unsubscribe, from the web app, meanwhile
            store = Store(config.state_dir, config.database)
            try:
                store.set_subscriber_status(everyone[2], SubscriberStatus.UNSUBSCRIBED, AT_1500)
            finally:
                store.close()
        return None

    smtp.mailbox.intercept = unsubscribe_the_last_as_the_first_arrives
    run_due_slots(config, clock=lambda: AT_1500, smtp=smtp.settings(), policy=NO_WAIT)

    assert sorted(e for (e,) in smtp.mailbox.envelopes) == sorted(everyone[:2])
    assert recipients(config.state_dir)[everyone[2]] == "dropped"


def test_a_kill_inside_the_smtp_window_resends_that_one_subscriber_the_same_bytes(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    everyone = people(3)
    config = write_sources(tmp_path, [publish_news(site)], [site.allow()], to=everyone, delivery="pace: 0")
    proc = brief_process("run", "--config", str(config), "--slot", SLOT, env=smtp.env())

    def kill_at_the_second() -> None:
        if len(smtp.mailbox.accepted) == 2:  # the server kept it; its 250 never reaches the run
            os.kill(proc.pid, signal.SIGKILL)

    smtp.mailbox.before_250 = kill_at_the_second
    try:
        proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(TIMEOUT)
    smtp.mailbox.before_250 = lambda: None
    again = brief_process("run", "--config", str(config), "--slot", SLOT, env=smtp.env())
    out, err = again.communicate(timeout=TIMEOUT)

    assert again.returncode == 0, out + err
    received = [e for (e,) in smtp.mailbox.envelopes]
    assert Counter(received) == Counter({everyone[0]: 1, everyone[1]: 2, everyone[2]: 1})
    mailbox = smtp.mailbox
    first, second = (
        m for m, (e,) in zip(mailbox.accepted, mailbox.envelopes, strict=True) if e == everyone[1]
    )
    assert first == second, "the extra copy is the very message: same bytes, same Message-ID"

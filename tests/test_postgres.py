"""PostgreSQL as the shared state (issue 21, item 2): the same store on a real server that the
tests start themselves, its locks in the database, and two processes that share one database
never sending one subscriber one message twice.

The store's own tests (test_store.py, test_subscribers.py) run against both backends; these are
what only PostgreSQL has: a server to reach, processes on several "machines" (state folders)
sharing it, and the same briefs whichever keeps the state.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from conftest import (
    NO_WAIT,
    LoopbackSite,
    SmtpServer,
    brief_cli,
    brief_process,
    ledger,
    publish_news,
    python_process,
    write_sources,
)
from postgres_server import PostgresServer

from pipeline.config import SmtpSettings, load_config
from pipeline.demo import DEMO_SLOTS, CorpusServer, demo_config_text, serve_corpus, slot_clock, smtp_sink
from pipeline.errors import BusyError, ConfigError, StoreError
from pipeline.operate.lock import RunLock
from pipeline.operate.schedule import parse_slot
from pipeline.publish.outbox import SendPolicy, send_waiting
from pipeline.run import run_brief
from pipeline.service import run_due_slots
from pipeline.store import MIGRATIONS, Store
from pipeline.store.records import DeliveryState, RecipientState, SlotState

SLOT = "2026-11-10T1500Z"
AT_1500 = datetime(2026, 11, 10, 15, 0, 30, tzinfo=UTC)
TIMEOUT = 120

# a process of its own opening the store: what a second machine does on its first start
OPEN_STORE = (
    "import sys, pathlib; from pipeline.store import Store\n"
    "Store(pathlib.Path(sys.argv[1]), sys.argv[2]).close()"
)
# a process of its own holding the run lock until its standard input closes
HOLD_LOCK = (
    "import sys, pathlib; from pipeline.operate.lock import RunLock\n"
    "with RunLock(pathlib.Path(sys.argv[1]), sys.argv[2]):\n"
    "    print('held', flush=True); sys.stdin.read()"
)
# a process of its own sending what the outbox has waiting, as a scheduler's tick does
RESUME = (
    "import sys, datetime; from pipeline.config import load_config, smtp_from_env\n"
    "from pipeline.publish.outbox import SendPolicy, resume_deliveries\n"
    "from pipeline.store import Store\n"
    "config = load_config(sys.argv[1]); store = Store(config.state_dir, config.database)\n"
    "now = datetime.datetime.fromisoformat(sys.argv[2])\n"
    "resume_deliveries(store, config, smtp_from_env(), now, SendPolicy(delays=(), sleep=lambda s: None))\n"
    "store.close()"
)


def schema_version(url: str, folder: Path) -> list[int]:
    store = Store(folder, url)
    try:
        return [int(r[0]) for r in store.db.execute("SELECT version FROM schema_version").fetchall()]
    finally:
        store.close()


# -- the schema and the server ------------------------------------------------------------------------


def test_a_new_database_is_migrated_once_when_two_processes_open_it_together(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.empty_database()
    both = [python_process("-c", OPEN_STORE, str(tmp_path / f"machine{n}"), url) for n in (1, 2)]
    for opened in both:
        out, err = opened.communicate(timeout=TIMEOUT)
        assert opened.returncode == 0, out + err
    assert schema_version(url, tmp_path) == [len(MIGRATIONS)]


def test_a_database_from_a_newer_dailybrief_is_refused(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.database()
    postgres_server.sql(f"UPDATE schema_version SET version = {len(MIGRATIONS) + 1}", url.rsplit("/", 1)[1])

    with pytest.raises(StoreError, match=f"schema {len(MIGRATIONS) + 1}, newer than this dailybrief"):
        Store(tmp_path, url)


def test_a_server_that_does_not_answer_is_said_plainly_by_brief_check(
    tmp_path: Path, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql://brief@127.0.0.1:{closed_port}/brief"
    with pytest.raises(StoreError, match="cannot reach the PostgreSQL server of") as caught:
        Store(tmp_path, url)
    assert caught.value.hint is not None and "brief.database" in caught.value.hint

    monkeypatch.setenv("BRIEF_DATABASE_URL", url)
    config = write_sources(
        tmp_path, [f"http://127.0.0.1:{closed_port}/feed.xml"], [f"127.0.0.1:{closed_port}"]
    )
    check = brief_cli("check", "--config", str(config))
    assert check.code != 0
    assert "database  FAILED: cannot reach the PostgreSQL server of" in check.out
    assert "Traceback" not in check.out + check.err


def test_a_database_that_does_not_exist_says_how_to_make_it(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    with pytest.raises(StoreError, match="does not exist") as caught:
        Store(tmp_path, postgres_server.url("no_such_brief"))
    assert caught.value.hint is not None and "createdb" in caught.value.hint


def test_a_password_belongs_in_the_environment_and_is_never_printed(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed, allow = ["http://127.0.0.1:9/feed.xml"], ["127.0.0.1:9"]
    config = write_sources(tmp_path, feed, allow)
    text = config.read_text(encoding="utf-8").replace(
        "  state: state\n", "  state: state\n  database: postgresql://brief:tide-42@db.example/brief\n"
    )
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"brief\.database holds a password") as caught:
        load_config(config)
    assert caught.value.line == 5

    url = postgres_server.database().replace("postgres@", "postgres:tide-42@")  # trust: any password
    monkeypatch.setenv("BRIEF_DATABASE_URL", url)
    check = brief_cli("check", "--config", str(write_sources(tmp_path, feed, allow)))
    said = f"database  ok: {url.replace(':tide-42', '')} (PostgreSQL: every table reads"
    assert said in check.out
    assert "tide-42" not in check.out + check.err


# -- the locks ------------------------------------------------------------------------------------------


def test_the_run_lock_is_the_databases_so_a_second_machine_waits(postgres_env: str, tmp_path: Path) -> None:
    (tmp_path / "machine2").mkdir()
    other = write_sources(tmp_path / "machine2", ["http://127.0.0.1:9/feed.xml"], ["127.0.0.1:9"])

    with RunLock(tmp_path / "machine1" / "state", postgres_env):
        assert RunLock.holder(tmp_path / "machine2" / "state", postgres_env) == str(os.getpid())
        with pytest.raises(BusyError, match=f"another dailybrief run is in progress \\(pid {os.getpid()}\\)"):
            RunLock(tmp_path / "machine2" / "state", postgres_env).__enter__()
        second = brief_process("run", "--config", str(other))
        out, err = second.communicate(timeout=TIMEOUT)
        assert second.returncode == BusyError.exit_code, out + err
        assert f"another dailybrief run is in progress (pid {os.getpid()})" in err
    assert not RunLock.held(tmp_path / "machine2" / "state", postgres_env)
    assert not (tmp_path / "machine2" / "state" / RunLock.name).exists(), "the lock is the database's"


def test_a_lock_holder_that_is_killed_leaves_no_lock_behind(postgres_url: str, tmp_path: Path) -> None:
    holder = python_process("-c", HOLD_LOCK, str(tmp_path / "machine1"), postgres_url, stdin=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert RunLock.holder(tmp_path / "machine2", postgres_url) == str(holder.pid)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(TIMEOUT)
    # the server ends the dead client's session as soon as it reads the closed socket
    deadline = time.monotonic() + 30
    while RunLock.held(tmp_path / "machine2", postgres_url) and time.monotonic() < deadline:
        time.sleep(0.05)
    with RunLock(tmp_path / "machine2", postgres_url):
        pass


# -- delivery -----------------------------------------------------------------------------------------


def test_two_processes_delivering_one_brief_send_each_subscriber_one_message(
    postgres_env: str,
    tmp_path: Path,
    site: LoopbackSite,
    make_smtp: Callable[..., SmtpServer],
) -> None:
    smtp = make_smtp()
    everyone = [f"reader{i:03d}@town{i % 5}.example" for i in range(120)]
    feed = publish_news(site)
    smtp.mailbox.default = "451 4.3.0 try again later"  # the slot's run leaves every one deferred
    first = load_config(write_sources(tmp_path, [feed], [site.allow()], to=everyone, delivery="pace: 0"))
    made = run_due_slots(first, clock=lambda: AT_1500, smtp=smtp.settings(), policy=NO_WAIT)
    assert made is not None and not made.delivery.sent
    assert ledger(tmp_path / "state")[1][SLOT].state == DeliveryState.DEFERRED

    # two "machines" send what waits, at once: the server answers no one until both are
    # sending, and each subscriber is claimed by one of them
    smtp.mailbox.default = "250 2.0.0 accepted"
    smtp.mailbox.together = 2
    paced = write_sources(tmp_path, [feed], [site.allow()], to=everyone, delivery="pace: 25")
    later = (AT_1500 + timedelta(days=1)).isoformat()
    senders = [python_process("-c", RESUME, str(paced), later, env=smtp.env()) for _ in range(2)]
    for sender in senders:
        out, err = sender.communicate(timeout=TIMEOUT)
        assert sender.returncode == 0, out + err

    assert Counter(e for (e,) in smtp.mailbox.envelopes) == Counter(everyone), "every subscriber exactly once"
    assert len(smtp.mailbox.per_session) == 2 and min(smtp.mailbox.per_session.values()) > 0, (
        "both processes sent some: they ran at the same time"
    )
    store = Store(tmp_path / "state", postgres_env)
    try:
        assert {r.state for r in store.recipients(SLOT)} == {RecipientState.SENT}
        record = store.delivery(SLOT)
        assert record is not None and record.sends == len(everyone)
    finally:
        store.close()
    assert ledger(tmp_path / "state")[0][SLOT].state == SlotState.DELIVERED


def test_a_sender_does_not_pause_for_a_subscriber_another_process_is_sending_to(
    postgres_env: str,
    tmp_path: Path,
    site: LoopbackSite,
    make_smtp: Callable[..., SmtpServer],
) -> None:
    """The pause between rounds is for those the server put off; one held by another process
    (its message in flight there) is that process's: this one sends the rest and is done."""
    smtp = make_smtp()
    everyone = ["ana@karsholm.example", "ben@karsholm.example", "cai@karsholm.example"]
    smtp.mailbox.default = "451 4.3.0 try again later"
    config = load_config(
        write_sources(tmp_path, [publish_news(site)], [site.allow()], to=everyone, delivery="pace: 0")
    )
    run_due_slots(config, clock=lambda: AT_1500, smtp=smtp.settings(), policy=NO_WAIT)
    smtp.mailbox.default = "250 2.0.0 accepted"
    other, mine = Store(tmp_path / "state", postgres_env), Store(tmp_path / "state", postgres_env)
    holding, release = threading.Event(), threading.Event()

    def in_flight_elsewhere() -> None:
        with other.claim_recipient(SLOT, everyone[0]):
            holding.set()
            release.wait(60)

    elsewhere = threading.Thread(target=in_flight_elsewhere)
    elsewhere.start()
    slept: list[float] = []
    try:
        assert holding.wait(30)
        record = mine.delivery(SLOT)
        assert record is not None
        raw = Path(record.eml_path).read_bytes()
        policy = SendPolicy(delays=(30.0,), sleep=slept.append)
        broken = send_waiting(mine, SLOT, raw, config, smtp.settings(), AT_1500, policy)
        states = {r.address: r.state for r in mine.recipients(SLOT)}
    finally:
        release.set()
        elsewhere.join()
        other.close()
        mine.close()
    assert broken is None and slept == [], "no pause for the one another process holds"
    assert sorted(e for (e,) in smtp.mailbox.envelopes) == everyone[1:]
    assert states[everyone[0]] == RecipientState.DEFERRED  # still the other process's to send


# -- the whole run --------------------------------------------------------------------------------------


def demo_briefs(server: CorpusServer, smtp: SmtpSettings, folder: Path, database: str | None) -> list[Brief]:
    """The demo's slots run in `folder` with the state in SQLite (None) or PostgreSQL: each
    brief's id, its brief.json and its email's text."""
    made = []
    folder.mkdir()
    text = demo_config_text(server, folder / "output", folder / "state")
    if database:
        text = text.replace("brief:\n", f"brief:\n  database: {database}\n", 1)
    (folder / "sources.yaml").write_text(text, encoding="utf-8")
    config = load_config(folder / "sources.yaml")
    assert config.database == (database or "")
    for slot in [parse_slot(s) for s in DEMO_SLOTS]:
        server.now = slot_clock(slot)
        result = run_brief(config, slot=slot, clock=partial(slot_clock, slot), smtp=smtp)
        data = (result.brief_dir / "brief.json").read_text(encoding="utf-8")
        made.append((result.brief_id, data, (result.brief_dir / "email.txt").read_text(encoding="utf-8")))
    return made


Brief = tuple[str, str, str]


def test_the_demo_through_postgresql_makes_the_same_briefs_as_through_sqlite(
    postgres_url: str, tmp_path: Path
) -> None:
    with serve_corpus(slot_clock(parse_slot(DEMO_SLOTS[0]))) as server, smtp_sink() as sink:
        smtp = SmtpSettings("127.0.0.1", sink.port, None, None, "none")
        on_sqlite = demo_briefs(server, smtp, tmp_path / "sqlite", None)
        on_postgres = demo_briefs(server, smtp, tmp_path / "postgres", postgres_url)

    assert [b[0] for b in on_postgres] == [b[0] for b in on_sqlite] and len(on_sqlite) == len(DEMO_SLOTS)
    for (brief_id, data, text), (_, their_data, their_text) in zip(on_postgres, on_sqlite, strict=True):
        assert text == their_text, f"the email of {brief_id}"
        assert data == their_data, f"the brief.json of {brief_id}"
    assert not (tmp_path / "postgres" / "state" / "dailybrief.sqlite3").exists()
    status = brief_cli("status", "--config", str(tmp_path / "postgres" / "sources.yaml"))
    assert status.code == 0 and f"{on_postgres[-1][0]}  delivered" in status.out
    assert f"State: {postgres_url} (PostgreSQL)" in status.out

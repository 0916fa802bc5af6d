"""Queue mode when things break (issue 21): the database restarted while workers hold pages, and
two schedulers on two machines due for the same slot. Whatever happens, the next run loses
nothing, and no subscriber is sent a brief twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from conftest import (
    MAIL_TO,
    STORIES,
    LoopbackSite,
    Reply,
    SeenRequest,
    SmtpServer,
    brief_workers,
    free_port,
    python_process,
    rss_feed,
    story_item,
    write_sources,
)
from postgres_server import running_server

from pipeline.config import load_config
from pipeline.errors import BriefError
from pipeline.run import SlotOutcome, run_slot
from pipeline.store import Store
from pipeline.store.records import SlotState

SLOT = "2026-11-10T1500Z"
AT_1500 = datetime(2026, 11, 10, 15, 0, 30, tzinfo=UTC)
KEYS = ("dredging", "ferry", "lighthouse")


def held_news(site: LoopbackSite, held: str) -> tuple[threading.Event, threading.Event]:
    """The stories of KEYS on `site`, the page of `held` answered only once `release` is set (the
    first time; `reached` says it was asked for)."""
    when = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    site.serve("/feed.xml", rss_feed(*(story_item(site, key, when) for key in KEYS)))
    reached, release = threading.Event(), threading.Event()
    page = site.routes[f"/{held}"]
    assert isinstance(page, Reply)

    def held_once(seen: SeenRequest) -> Reply:
        if not reached.is_set():
            reached.set()
            release.wait(120)
        return page

    site.serve(f"/{held}", held_once)
    return reached, release


def in_queue_mode(sources: Path, database: str) -> Path:
    text = sources.read_text(encoding="utf-8")
    queue = f"brief:\n  database: {database}\n  queue: true\n  queue_wait: 60\n"
    sources.write_text(text.replace("brief:\n", queue, 1))
    return sources


def stored_once(database: str, site: LoopbackSite) -> dict[str, int]:
    store = Store(Path("."), database)
    try:
        rows = store.db.execute("SELECT url, count(*) FROM articles GROUP BY url").fetchall()
        return {str(r[0]).removeprefix(site.url("")): int(r[1]) for r in rows}
    finally:
        store.close()


def slot_state(database: str) -> SlotState | None:
    store = Store(Path("."), database)
    try:
        found = store.slot(SLOT)
        return found.state if found is not None else None
    finally:
        store.close()


def test_the_database_restarted_while_workers_hold_pages_loses_nothing_and_sends_once(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    reached, release = held_news(site, "ferry")
    smtp = make_smtp()
    with running_server(free_port()) as server:  # a server of its own: this test stops it
        database = server.database()
        sources = in_queue_mode(write_sources(tmp_path, [site.url("/feed.xml")], [site.allow()]), database)
        config = load_config(sources)
        outcome: list[SlotOutcome | BaseException] = []

        def run() -> None:
            try:
                outcome.append(run_slot(config, slot=AT_1500, clock=lambda: AT_1500, smtp=smtp.settings()))
            except BaseException as exc:
                outcome.append(exc)

        with brief_workers(sources, 1, "--stalled-after", "2", env=smtp.env()) as started:
            first = threading.Thread(target=run)
            first.start()
            assert reached.wait(120), "a worker is reading the held page"
            server.stop()  # the worker holds its job; the run waits for it
            server.start()
            release.set()
            first.join(180)
            (what,) = outcome
            if isinstance(what, BaseException):
                assert isinstance(what, BriefError), what
                assert "PostgreSQL" in str(what) and what.hint, str(what)
            again = run_slot(config, slot=AT_1500, clock=lambda: AT_1500, smtp=smtp.settings())
            alive = [w.poll() is None for w in started]

        assert alive == [True], "the worker outlived the restart"
        made = again.result or (what.result if isinstance(what, SlotOutcome) else None)
        assert made is not None
        assert Counter(tuple(e) for e in smtp.mailbox.envelopes) == Counter({(MAIL_TO,): 1}), "sent once"
        assert stored_once(database, site) == {f"/{k}": 1 for k in KEYS}, "every page kept, once"
        assert slot_state(database) == SlotState.DELIVERED
        assert STORIES["ferry"][0] in (made.brief_dir / "email.txt").read_text(encoding="utf-8")


# a scheduler's tick on a machine of its own: what `brief schedule` runs every minute
TICK = (
    "import sys, datetime; from pipeline.config import load_config, smtp_from_env\n"
    "from pipeline.errors import BusyError\n"
    "from pipeline.service import run_due_slots\n"
    "config = load_config(sys.argv[1]); now = datetime.datetime.fromisoformat(sys.argv[2])\n"
    "try:\n"
    "    made = run_due_slots(config, clock=lambda: now, smtp=smtp_from_env())\n"
    "except BusyError:\n"
    "    print('busy')\n"
    "else:\n"
    "    print('made' if made is not None and made.delivery.sent else 'nothing')\n"
)


def test_two_schedulers_on_two_machines_due_for_one_slot_make_and_send_it_once(
    postgres_url: str, tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    reached, release = held_news(site, "lighthouse")
    smtp = make_smtp()
    readers = [f"reader{i}@karsholm.example" for i in range(3)]
    machines = []
    for name in ("machine1", "machine2"):  # each its own folders, the one database
        (tmp_path / name).mkdir()
        sources = write_sources(tmp_path / name, [site.url("/feed.xml")], [site.allow()], to=readers)
        machines.append(in_queue_mode(sources, postgres_url))

    with brief_workers(machines[0], 1, env=smtp.env()):
        ticks = [python_process("-c", TICK, str(m), AT_1500.isoformat(), env=smtp.env()) for m in machines]
        assert reached.wait(120), "one scheduler's run is reading the slot's pages"
        # the other finds the slot's run under way on the other machine and leaves it alone
        while all(t.poll() is None for t in ticks):
            threading.Event().wait(0.05)
        release.set()
        said = []
        for tick in ticks:
            out, err = tick.communicate(timeout=180)
            assert tick.returncode == 0, out + err
            said.append(out.strip())
        later = AT_1500.replace(minute=1).isoformat()  # the next ticks: the slot is done
        # one after the other: two ticks at once may find each other holding the lock (busy)
        said_again = [
            python_process("-c", TICK, str(m), later, env=smtp.env()).communicate(timeout=180)[0].strip()
            for m in machines
        ]

    assert sorted(said) == ["busy", "made"] and said_again == ["nothing", "nothing"]
    assert Counter(e for (e,) in smtp.mailbox.envelopes) == Counter(readers), "each subscriber once"
    assert slot_state(postgres_url) == SlotState.DELIVERED
    maker = machines[said.index("made")].parent
    assert len(list((maker / "output").glob("2026/11/10/1500/message.eml"))) == 1
    other = machines[said.index("busy")].parent
    assert not list((other / "output").glob("2026/*")), "the other machine made no brief"

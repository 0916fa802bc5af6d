"""What you preview is what is sent: `brief run --no-send` builds a slot's message, and a later
run of the slot sends those very bytes, under that Message-ID, whatever was published since.
`--rebuild` makes it again, from what is new, under a new Message-ID; it is then the only
message the slot sends.

Each story is a user's: the command line in this process (`brief_cli`) against a real SMTP
server on loopback, comparing the bytes the server received with the archived message.eml.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import (
    BAKERY,
    BRIDGE_COST,
    BRIDGE_VOTE,
    NO_WAIT,
    LoopbackSite,
    Reply,
    SmtpServer,
    brief_cli,
    ledger,
    rss_feed,
    rss_item,
    same_bytes,
    story_page,
    write_sources,
)

from pipeline.config import load_config
from pipeline.errors import StoppedError
from pipeline.run import RunOptions, run_brief
from pipeline.service import run_due_slots

SLOT = "2026-11-10T1500Z"
AT_SLOT = "2026-11-10T15:00Z"
LATE_NEWS = (
    "Karsholm ferry timetable changes for the winter",
    "The Karsholm ferry will run every forty minutes from Monday, the harbour office said. "
    "The winter timetable drops the last crossing of the night and adds one before dawn for "
    "the fish market. Season tickets bought before the change stay valid until March.",
)

pytestmark = pytest.mark.usefixtures("on_each_backend")  # with SQLite, and with PostgreSQL


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def serve_news(site: LoopbackSite, *stories: tuple[str, str]) -> None:
    """The Karsholm Courier's feed with `stories`, each with its page."""
    when = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
    items = []
    for n, (title, text) in enumerate(stories):
        site.serve(f"/news/{n}", Reply(body=story_page(title, text), content_type="text/html; charset=utf-8"))
        items.append(
            rss_item(title, site.url(f"/news/{n}"), f"karsholm-{n}", when, text.split(". ")[0] + ".")
        )
    site.serve("/feed.xml", rss_feed(*items, title="Karsholm Courier"))


@dataclass(frozen=True)
class Newsroom:
    config: Path  # its sources.yaml
    smtp: SmtpServer  # the server BRIEF_SMTP_* names
    brief: Path  # the folder of SLOT's brief

    def run(self, *args: str) -> str:
        """`brief run --slot SLOT ARGS`; what it printed."""
        done = brief_cli("run", "--config", str(self.config), "--slot", AT_SLOT, *args)
        assert done.code == 0, done.out + done.err
        return done.out

    def eml(self) -> bytes:
        return (self.brief / "message.eml").read_bytes()


@pytest.fixture
def newsroom(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> Newsroom:
    """A sources.yaml on the Karsholm Courier (three stories), the SMTP server in BRIEF_SMTP_*."""
    serve_news(site, BRIDGE_VOTE, BRIDGE_COST, BAKERY)
    config = write_sources(tmp_path, [site.url("/feed.xml")], [site.allow()])
    smtp = make_smtp(tls=True)
    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)
    return Newsroom(config, smtp, tmp_path / "output" / "2026" / "11" / "10" / "1500")


def test_a_previewed_brief_is_sent_byte_for_byte_though_news_came_in_since(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    smtp = newsroom.smtp
    preview = newsroom.run("--no-send")
    previewed = {
        name: (newsroom.brief / name).read_bytes() for name in ("message.eml", "brief.json", "index.html")
    }
    assert smtp.mailbox.data == [], "a preview sends nothing"

    serve_news(site, BRIDGE_VOTE, BRIDGE_COST, BAKERY, LATE_NEWS)  # a rebuild would show it
    said = newsroom.run()

    (received,) = smtp.mailbox.accepted
    assert same_bytes(received, previewed["message.eml"]), "the server got the previewed bytes"
    assert LATE_NEWS[0].encode() not in received
    for name, content in previewed.items():
        assert (newsroom.brief / name).read_bytes() == content, f"{name} is as previewed"
    slots, deliveries = ledger(load_config(newsroom.config).state_dir)
    assert (deliveries[SLOT].state, deliveries[SLOT].sends) == ("sent", 1)
    assert deliveries[SLOT].message_id == parse(previewed["message.eml"])["Message-ID"]
    assert slots[SLOT].state == "delivered"
    assert "already delivered" in newsroom.run()
    assert len(smtp.mailbox.data) == 1
    # what the preview said it would do, and what the send said it did
    assert f"`brief run --slot {SLOT}` sends this message as it is" in preview
    assert f"run `brief run --slot {SLOT} --rebuild`" in preview
    assert "built before (--no-send): its message goes as it was built" in said


def test_a_second_preview_leaves_the_first_as_it_was(newsroom: Newsroom, site: LoopbackSite) -> None:
    smtp = newsroom.smtp
    newsroom.run("--no-send")
    first = newsroom.eml()
    serve_news(site, BRIDGE_VOTE, BRIDGE_COST, BAKERY, LATE_NEWS)

    said = newsroom.run("--no-send")

    assert f"built before and not sent: `brief run --slot {SLOT}` sends it as it is" in said
    assert newsroom.eml() == first
    assert smtp.mailbox.data == []


def test_rebuild_makes_the_slot_again_from_what_is_new_under_a_new_message_id(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    smtp = newsroom.smtp
    newsroom.run("--no-send")
    preview = parse(newsroom.eml())
    serve_news(site, BRIDGE_VOTE, BRIDGE_COST, BAKERY, LATE_NEWS)

    newsroom.run("--rebuild")

    (received,) = smtp.mailbox.accepted
    assert parse(received)["Message-ID"] != preview["Message-ID"], "another message, another id"
    assert LATE_NEWS[0] in parse(received).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert same_bytes(received, newsroom.eml()), "the archive holds what was sent"
    _, deliveries = ledger(load_config(newsroom.config).state_dir)
    assert deliveries[SLOT].message_id == parse(newsroom.eml())["Message-ID"]
    assert "already delivered" in newsroom.run()
    assert len(smtp.mailbox.data) == 1


def test_the_scheduler_sends_a_previewed_slot_as_it_was_built(newsroom: Newsroom, site: LoopbackSite) -> None:
    smtp = newsroom.smtp
    newsroom.run("--no-send")
    previewed = newsroom.eml()
    serve_news(site, BRIDGE_VOTE, BRIDGE_COST, BAKERY, LATE_NEWS)
    at = datetime(2026, 11, 10, 15, 0, 30, tzinfo=UTC)

    result = run_due_slots(
        load_config(newsroom.config), clock=lambda: at, smtp=smtp.settings(), policy=NO_WAIT
    )

    assert result is not None and result.as_built and result.delivery.sent
    (received,) = smtp.mailbox.accepted
    assert same_bytes(received, previewed)


def test_a_preview_no_one_sent_is_not_lost_when_the_next_slot_makes_up_for_it(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    smtp = newsroom.smtp
    newsroom.run("--no-send")  # 15:00 made, looked at, never sent
    at = datetime(2026, 11, 10, 21, 0, 30, tzinfo=UTC)

    result = run_due_slots(
        load_config(newsroom.config), clock=lambda: at, smtp=smtp.settings(), policy=NO_WAIT
    )

    # the 21:00 brief makes up for 15:00: the reader gets the news the preview held
    assert result is not None and result.delivery.sent
    assert result.stats.articles_new == 3
    (received,) = smtp.mailbox.accepted
    body = parse(received).get_body(("plain",))
    assert body is not None and BRIDGE_VOTE[0] in body.get_content()
    slots, _ = ledger(load_config(newsroom.config).state_dir)
    assert slots[SLOT].state == "skipped" and slots[SLOT].covered_by == "2026-11-10T2100Z"


def test_looking_again_at_a_delivered_slot_does_not_make_the_scheduler_send_it_twice(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    smtp = newsroom.smtp
    newsroom.run()  # delivered
    newsroom.run("--force", "--no-send")  # made again, only to look at it
    at = datetime(2026, 11, 10, 15, 5, tzinfo=UTC)

    result = run_due_slots(
        load_config(newsroom.config), clock=lambda: at, smtp=smtp.settings(), policy=NO_WAIT
    )

    assert result is None and len(smtp.mailbox.data) == 1  # the reader got it once
    slots, _ = ledger(load_config(newsroom.config).state_dir)
    assert slots[SLOT].state == "delivered"


def test_a_previewed_message_gone_from_the_archive_is_not_made_again_behind_the_users_back(
    newsroom: Newsroom,
) -> None:
    smtp = newsroom.smtp
    newsroom.run("--no-send")
    (newsroom.brief / "message.eml").unlink()

    done = brief_cli("run", "--config", str(newsroom.config), "--slot", AT_SLOT)

    assert done.code == 2
    assert f"brief run --slot {SLOT} --rebuild" in done.out
    assert smtp.mailbox.data == []
    slots, _ = ledger(load_config(newsroom.config).state_dir)
    assert slots[SLOT].state == "failed"
    newsroom.run("--rebuild")
    assert len(smtp.mailbox.accepted) == 1


def test_a_run_stopped_after_building_its_message_leaves_that_message_to_be_sent(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    """Stopped (SIGTERM) between writing the brief and sending it: the next run sends what was
    built, though news came in since, not a new message under the same Message-ID."""
    config = load_config(newsroom.config)
    slot = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
    built = newsroom.brief / "message.eml"
    stop = RunOptions(should_stop=built.exists, send_policy=NO_WAIT)
    with pytest.raises(StoppedError):
        run_brief(config, slot=slot, clock=lambda: slot, smtp=newsroom.smtp.settings(), options=stop)
    stored = newsroom.eml()
    serve_news(site, BRIDGE_VOTE, BRIDGE_COST, BAKERY, LATE_NEWS)

    result = run_brief(config, slot=slot, clock=lambda: slot, smtp=newsroom.smtp.settings())

    assert result.as_built and result.delivery.sent
    (received,) = newsroom.smtp.mailbox.accepted
    assert same_bytes(received, stored) and newsroom.eml() == stored

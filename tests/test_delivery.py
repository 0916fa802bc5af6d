"""Delivery over real SMTP on loopback: what the server receives, and what the ledger says.

Every brief's message is built once, written as message.eml, then handed to an aiosmtpd server
(plain, or STARTTLS with AUTH and a trustme certificate). The tests look at the bytes the server
received and at the rows of the `slots` and `deliveries` tables, never at timings.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import (
    BRIDGE_COST,
    BRIDGE_VOTE,
    MAIL_FROM,
    MAIL_TO,
    NO_WAIT,
    SMTP_USER,
    LoopbackSite,
    Reply,
    SmtpServer,
    brief_cli,
    ledger,
    publish_news,
    rss_feed,
    rss_item,
    same_bytes,
    story_page,
    write_sources,
)

from pipeline.config import Config, SmtpSettings, load_config
from pipeline.errors import DeliveryError
from pipeline.publish.compose import EMAIL_HTML_BUDGET
from pipeline.publish.mail import build_message, html_part_size, send_message, send_with_retries
from pipeline.publish.outbox import SendPolicy
from pipeline.run import RunResult
from pipeline.service import run_due_slots
from pipeline.store.records import DeliveryState, SlotState

SLOT = "2026-11-10T1500Z"
AT_1500 = datetime(2026, 11, 10, 15, 0, 30, tzinfo=UTC)


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body_of(message: EmailMessage, kind: str) -> str:
    """The decoded text of the message's "plain" or "html" part."""
    part = message.get_body((kind,))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def same_message(brief_id: str, readers_id: str) -> bool:
    """Whether a reader's Message-ID is their copy of the brief's message `brief_id`: the same
    but for the 12 characters that make it theirs."""
    theirs = re.compile(r"(<brief\.[^.]+\.)[0-9a-f]{12}")
    return theirs.sub(r"\1", brief_id) == theirs.sub(r"\1", readers_id) and brief_id != readers_id


def newsroom_config(tmp_path: Path, site: LoopbackSite) -> Config:
    return load_config(write_sources(tmp_path, [publish_news(site)], [site.allow()]))


def run_at(
    config: Config, when: datetime, smtp: SmtpSettings | None, policy: SendPolicy = NO_WAIT
) -> RunResult:
    result = run_due_slots(config, clock=lambda: when, smtp=smtp, policy=policy)
    assert result is not None, "a slot was due"
    return result


def a_message(brief_id: str = SLOT) -> bytes:
    raw, _ = build_message(
        subject="Karsholm Brief · Tue 10 Nov, 15:00 UTC: the bridge",
        text="Karsholm Brief\n",
        html="<html><body><p>Karsholm Brief</p></body></html>",
        mail_from=MAIL_FROM,
        mail_to=(MAIL_TO,),
        brief_id=brief_id,
        when=AT_1500,
    )
    return raw


# -- 1. the message, over STARTTLS with AUTH ------------------------------------------------------


def test_recipients_of_one_brief_never_see_each_others_addresses(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp(tls=True)
    people = ("ana@readers.example", "ben@harbour.example", "carla@quay.example")
    config = load_config(write_sources(tmp_path, [publish_news(site)], [site.allow()], to=people))

    result = run_at(config, AT_1500, smtp.settings())

    assert result.delivery.sent, result.delivery.detail
    # one message each, addressed to them alone (issue 20): every message the server got, its
    # envelope, its headers and its body, names one subscriber and no other
    assert len(smtp.mailbox.accepted) == len(people)
    assert sorted(smtp.mailbox.envelopes) == sorted([a] for a in people)
    for content, rcpt in zip(smtp.mailbox.accepted, smtp.mailbox.envelopes, strict=True):
        (own,) = rcpt
        assert parse(content)["To"] == own
        for address in people:
            if address != own:
                assert address.encode() not in content, f"{address} is visible to {own}"
    ids = {parse(content)["Message-ID"] for content in smtp.mailbox.accepted}
    assert len(ids) == len(people), "each subscriber's message has its own Message-ID"


def test_a_full_run_delivers_one_well_formed_message_over_starttls_and_auth(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp(tls=True)
    config = newsroom_config(tmp_path, site)

    result = run_at(config, AT_1500, smtp.settings())

    assert result.brief_id == SLOT and result.delivery.sent, result.delivery.detail
    mailbox = smtp.mailbox
    assert len(mailbox.data) == 1 and len(mailbox.accepted) == 1, "received once"
    assert [(user, ok) for user, ok, _ in mailbox.logins] == [(SMTP_USER, True)]
    received = parse(mailbox.accepted[0])

    assert received.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in received.iter_parts()] == ["text/plain", "text/html"]
    for header in ("Date", "Message-ID", "From", "To", "List-Id", "List-Unsubscribe", "Subject"):
        assert received[header], f"{header} is missing"
    assert received["From"] == MAIL_FROM
    assert received["To"] == MAIL_TO
    assert re.fullmatch(r"<mailto:[^>]+>", received["List-Unsubscribe"])
    brief = json.loads((result.brief_dir / "brief.json").read_text(encoding="utf-8"))
    top_story = brief["digests"][0]["headline"]["text"]
    assert top_story in (BRIDGE_VOTE[0], BRIDGE_COST[0])
    assert " 15:00 UTC" in received["Subject"] and top_story in received["Subject"]

    html = body_of(received, "html")
    assert 'style="' in html, "the CSS is inlined"
    assert "@media (prefers-color-scheme: dark)" in html, "the dark-mode block is kept"
    assert top_story in body_of(received, "plain")

    stored = (result.brief_dir / "message.eml").read_bytes()
    # the archive's copy is the one rendering, no one's: the reader's copy was made from it
    assert parse(stored)["To"] == "undisclosed-recipients:;" and MAIL_TO.encode() not in stored
    assert parse(stored)["Subject"] == received["Subject"]
    slots, deliveries = ledger(config.state_dir)
    assert deliveries[SLOT].state == "sent"
    assert deliveries[SLOT].message_id == parse(stored)["Message-ID"]  # the brief's, each copy its own
    assert received["Message-ID"] != deliveries[SLOT].message_id
    assert (deliveries[SLOT].attempts, deliveries[SLOT].sends) == (1, 1)
    assert slots[SLOT].state == "delivered" and slots[SLOT].brief_id == SLOT


def test_without_a_server_the_archived_message_is_the_delivery_and_nothing_failed(
    tmp_path: Path, site: LoopbackSite
) -> None:
    config = newsroom_config(tmp_path, site)

    result = run_at(config, AT_1500, None)

    assert not result.delivery.sent and not result.delivery.failed
    assert result.delivery.detail == "no SMTP server configured (BRIEF_SMTP_HOST); message written"
    slots, deliveries = ledger(config.state_dir)
    assert deliveries[SLOT].state == DeliveryState.WRITTEN and deliveries[SLOT].sends == 0
    assert slots[SLOT].state == SlotState.DELIVERED


# -- 2-4. temporary and permanent failures ---------------------------------------------------------


def test_a_451_is_tried_again_and_the_message_is_accepted_exactly_once(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    smtp.mailbox.script = ["451 4.3.0 mailbox busy, try again later"]
    config = newsroom_config(tmp_path, site)
    waited: list[float] = []

    result = run_at(config, AT_1500, smtp.settings(), SendPolicy(sleep=waited.append))

    assert result.delivery.sent, result.delivery.detail
    assert len(smtp.mailbox.data) == 2, "the 451 was followed by a second try"
    assert len(smtp.mailbox.accepted) == 1
    assert waited == [30.0], "one pause, the first of the documented 30 s, 2 min, 5 min"
    assert same_bytes(smtp.mailbox.accepted[0], smtp.mailbox.data[0])
    slots, deliveries = ledger(config.state_dir)
    assert deliveries[SLOT].state == "sent"
    assert deliveries[SLOT].attempts == 1, "one attempt of the run (its retries inside it)"
    assert deliveries[SLOT].sends == 1
    assert slots[SLOT].state == "delivered"


def test_a_550_fails_the_delivery_visibly_and_is_not_retried(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp = make_smtp()
    smtp.mailbox.default = "550 5.7.1 relaying denied for this sender"
    config = newsroom_config(tmp_path, site)
    waited: list[float] = []

    result = run_at(config, AT_1500, smtp.settings(), SendPolicy(sleep=waited.append))

    assert not result.delivery.sent and result.delivery.failed
    assert "550" in result.delivery.detail
    assert len(smtp.mailbox.data) == 1 and waited == [], "a permanent failure is not tried again"
    assert smtp.mailbox.accepted == []
    slots, deliveries = ledger(config.state_dir)
    assert deliveries[SLOT].state == "failed"
    assert "550" in str(deliveries[SLOT].error) and "relaying denied" in str(deliveries[SLOT].error)
    assert slots[SLOT].state == "failed" and "550" in str(slots[SLOT].error)

    status = brief_cli("status", "--config", str(config.path))
    assert status.code == 0
    assert status.out.splitlines()[0].startswith("Pipeline Failing · ")
    assert f"Slot {SLOT} failed: delivery failed: SMTP server answered 550" in status.out
    assert f"{SLOT}  failed · delivery failed" in status.out

    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)
    run = brief_cli("run", "--config", str(config.path))
    assert run.code == 2, run.err
    assert "delivery failed" in run.out and "550" in run.out


def test_a_connection_dropped_after_data_is_retried_with_the_very_same_message(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    smtp.mailbox.script = ["DROP"]  # reads the message, then hangs up without a reply
    config = newsroom_config(tmp_path, site)

    result = run_at(config, AT_1500, smtp.settings())

    assert result.delivery.sent, result.delivery.detail
    first, second = smtp.mailbox.data
    assert smtp.mailbox.accepted == [second]
    stored = (result.brief_dir / "message.eml").read_bytes()
    assert same_bytes(first, stored) and same_bytes(second, stored), "the stored bytes, both times"
    assert parse(stored)["Message-ID"] == result.delivery.message_id
    slots, deliveries = ledger(config.state_dir)
    assert (deliveries[SLOT].state, deliveries[SLOT].sends) == ("sent", 1)
    assert slots[SLOT].state == "delivered"


# -- 5-6. passwords --------------------------------------------------------------------------------


def test_a_password_is_not_sent_without_tls_to_a_remote_host() -> None:
    settings = SmtpSettings("smtp.example.invalid", 25, "brief-bot", "hunter2", "none")
    waited: list[float] = []

    with pytest.raises(DeliveryError, match="refusing to send the SMTP password") as info:
        send_with_retries(a_message(), MAIL_FROM, (MAIL_TO,), settings, (0, 0, 0), waited.append)

    # refused before any connection: resolving or connecting would fail with "cannot deliver via"
    assert "cannot deliver" not in str(info.value)
    assert info.value.temporary is False and waited == []
    assert info.value.hint is not None and "BRIEF_SMTP_TLS" in info.value.hint


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_a_password_may_go_over_plain_smtp_to_a_server_on_this_machine(
    make_smtp: Callable[..., SmtpServer],
) -> None:
    """The documented exception: AUTH without TLS is allowed to loopback."""
    smtp = make_smtp(auth=True, auth_require_tls=False)
    settings = SmtpSettings("127.0.0.1", smtp.port, SMTP_USER, "tide-table-42", "none")

    detail = send_message(a_message(), MAIL_FROM, (MAIL_TO,), settings)

    assert detail == f"sent to {MAIL_TO} via 127.0.0.1:{smtp.port}"
    assert [(user, ok) for user, ok, _ in smtp.mailbox.logins] == [(SMTP_USER, True)]
    assert len(smtp.mailbox.accepted) == 1


def test_a_wrong_password_is_a_permanent_failure_tried_once(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp(tls=True)
    settings = smtp.settings(password="not-the-password")
    waited: list[float] = []

    with pytest.raises(DeliveryError, match=re.escape("SMTP login refused (535)")) as info:
        send_with_retries(a_message(), MAIL_FROM, (MAIL_TO,), settings, (0, 0, 0), waited.append)

    assert info.value.temporary is False and waited == []
    assert info.value.hint is not None and "BRIEF_SMTP_PASSWORD" in info.value.hint
    sessions = {session for _, _, session in smtp.mailbox.logins}
    assert len(sessions) == 1, "one connection: the login was not retried"
    assert not any(ok for _, ok, _ in smtp.mailbox.logins)

    # in a run: recorded as a failed delivery, not retried
    config = newsroom_config(tmp_path, site)
    result = run_at(config, AT_1500, settings, SendPolicy(sleep=waited.append))
    assert "SMTP login refused" in result.delivery.detail and waited == []
    assert len({session for _, _, session in smtp.mailbox.logins}) == 2
    assert smtp.mailbox.data == []
    slots, deliveries = ledger(config.state_dir)
    assert deliveries[SLOT].state == "failed" and "SMTP login refused" in str(deliveries[SLOT].error)
    assert slots[SLOT].state == "failed"


def test_a_ca_file_that_does_not_exist_is_a_delivery_error(tmp_path: Path) -> None:
    """BRIEF_SMTP_CA_FILE pointing nowhere is a mistake to report (and record), not a crash."""
    settings = SmtpSettings(
        "127.0.0.1", 2525, SMTP_USER, "tide-table-42", "starttls", ca_file=str(tmp_path / "missing.pem")
    )

    with pytest.raises(DeliveryError):
        send_message(a_message(), MAIL_FROM, (MAIL_TO,), settings)


# -- 7. brief check --------------------------------------------------------------------------------


def test_brief_check_logs_in_without_sending_and_says_what_to_fix(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp = make_smtp(tls=True)
    config_path = write_sources(tmp_path, [publish_news(site)], [site.allow()])
    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)

    ok = brief_cli("check", "--config", str(config_path))

    assert ok.code == 0, ok.out + ok.err
    assert f"smtp      ok: 127.0.0.1:{smtp.port} accepted the connection and the login" in ok.out
    assert "feed      ok: Karsholm Courier: 3 entries" in ok.out
    assert ok.out.rstrip().endswith("all good")
    assert [(user, ok) for user, ok, _ in smtp.mailbox.logins] == [(SMTP_USER, True)]
    assert smtp.mailbox.data == [], "brief check sends nothing"

    monkeypatch.setenv("BRIEF_SMTP_PASSWORD", "not-the-password")
    refused = brief_cli("check", "--config", str(config_path))

    assert refused.code == 1
    assert (
        "smtp      FAILED: SMTP login refused (535) (fix: check BRIEF_SMTP_USER and BRIEF_SMTP_PASSWORD)"
        in refused.out
    )
    assert "1 problem to fix" in refused.out
    assert smtp.mailbox.data == []


def test_brief_check_reports_a_feed_that_answers_404(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp = make_smtp(tls=True)
    feeds = [publish_news(site), site.url("/gone.xml")]
    config_path = write_sources(tmp_path, feeds, [site.allow()])
    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)

    checked = brief_cli("check", "--config", str(config_path))

    assert checked.code == 1
    assert "smtp      ok: " in checked.out
    assert "feed      ok: Karsholm Courier: 3 entries" in checked.out
    assert "feed      FAILED: Feed 1: [http-4xx] HTTP 404" in checked.out
    assert "1 problem to fix" in checked.out


# -- 8. the email stays under Gmail's clipping size ------------------------------------------------

_SYLLABLES: tuple[str, ...] = ("bar", "ven", "tol", "mik", "sar", "dun", "hel", "kor", "lin", "mos")
_SYLLABLES += ("pra", "ril", "sten", "tav", "ulm", "vek", "wor", "yst", "zan", "gal")


def forty_stories() -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """40 unrelated local stories, each told twice (two articles with different sentences).

    Every story has its own invented place, mayor, guild, river and landmark, so the two
    articles of a story are alike and articles of different stories are not.
    """
    rng = random.Random(40)
    used: set[str] = set()

    def word() -> str:
        while (w := "".join(rng.choice(_SYLLABLES) for _ in range(3))) in used:
            pass
        used.add(w)
        return w

    stories = []
    for _ in range(40):
        place, mayor, thing, tram, guild, river = (word() for _ in range(6))
        place, mayor, guild, river = (w.capitalize() for w in (place, mayor, guild, river))
        opening = (
            f"{place} opens the {thing} beside the {river} river",
            f"The people of {place} opened the new {thing} beside the {river} river on Monday. "
            f"Mayor {mayor} said the {thing} had taken nine years to plan with the {guild} guild. "
            f"Visitors can reach the {thing} by the {tram} line from the centre of {place}. "
            f"The {guild} guild will run the {thing} until the {river} embankment is finished. "
            f"Critics in {place} said the {tram} line is too slow for daily use.",
        )
        cost = (
            f"Mayor {mayor} defends the cost of the {place} {thing}",
            f"Mayor {mayor} defended the cost of the {thing} in {place} at a meeting of the {guild} guild. "
            f"The {river} embankment beside the {thing} will need repairs before the spring floods. "
            f"Members of the {guild} guild asked for a faster {tram} service to the {thing}. "
            f"{mayor} promised that tickets for the {thing} would stay free for residents of {place}. "
            f"The next meeting about the {river} embankment is planned for the end of the month.",
        )
        stories.append((opening, cost))
    return stories


def test_a_brief_of_forty_threads_keeps_its_email_under_the_budget_and_its_page_whole(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    items = []
    when = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
    for n, story in enumerate(forty_stories()):
        for k, (title, text) in enumerate(story):
            path = f"/story/{n}/{k}"
            site.serve(path, Reply(body=story_page(title, text), content_type="text/html; charset=utf-8"))
            items.append(rss_item(title, site.url(path), f"story-{n}-{k}", when, text.split(". ")[0] + "."))
    site.serve("/feed.xml", rss_feed(*items, title="Forty Towns"))
    config = load_config(
        write_sources(tmp_path, [site.url("/feed.xml")], [site.allow()], max_threads=40, threads="")
    )
    smtp = make_smtp()

    result = run_at(config, AT_1500, smtp.settings())

    assert len(result.threads) == 40, "forty emergent threads"
    eml = (result.brief_dir / "message.eml").read_bytes()
    assert html_part_size(eml) <= EMAIL_HTML_BUDGET == 90_000
    assert same_bytes(smtp.mailbox.accepted[0], eml)
    message = parse(eml)
    html = body_of(message, "html")
    text = body_of(message, "plain")
    brief = json.loads((result.brief_dir / "brief.json").read_text(encoding="utf-8"))
    shown, moved = brief["digests"], brief["overflow_digests"]
    assert moved and len(shown) + len(moved) == 40, "some threads moved out of the email"
    assert html.count('class="thread"') == len(shown)
    assert "More threads in this brief" in html
    assert "MORE THREADS IN THIS BRIEF" in text
    overflow = html.split("More threads in this brief", 1)[1]
    for digest in moved:
        assert digest["headline"]["text"] in overflow, "each moved thread is listed by its headline"
        assert digest["headline"]["text"] in text.split("MORE THREADS IN THIS BRIEF", 1)[1]
    page = (result.brief_dir / "index.html").read_text(encoding="utf-8")
    assert page.count('class="thread"') == 40, "the archive page shows every thread"
    for digest in shown + moved:
        assert digest["headline"]["text"] in page


# -- 9. sending again on purpose -------------------------------------------------------------------


def test_brief_send_and_run_force_send_again_with_new_message_ids(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp = make_smtp(tls=True)
    config = newsroom_config(tmp_path, site)
    first = run_at(config, AT_1500, smtp.settings())
    assert first.delivery.sent
    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)
    config_arg = ("--config", str(config.path))

    sent = brief_cli("send", SLOT, *config_arg)

    assert sent.code == 0, sent.out + sent.err
    assert len(smtp.mailbox.accepted) == 2
    original, again = (parse(raw) for raw in smtp.mailbox.accepted)
    assert again["Message-ID"] != original["Message-ID"]
    assert again["Subject"] == original["Subject"]
    said = re.search(r"\(Message-ID (<[^>]+>)\)", sent.out)
    assert said and same_message(said.group(1), again["Message-ID"]), sent.out

    rerun = brief_cli("run", "--slot", "2026-11-10T15:00Z", *config_arg)

    assert rerun.code == 0, rerun.out + rerun.err
    assert "already delivered" in rerun.out
    assert len(smtp.mailbox.data) == 2, "nothing was sent"

    forced = brief_cli("run", "--slot", "2026-11-10T15:00Z", "--force", *config_arg)

    assert forced.code == 0, forced.out + forced.err
    assert len(smtp.mailbox.accepted) == 3
    third = parse(smtp.mailbox.accepted[2])
    assert third["Message-ID"] not in (original["Message-ID"], again["Message-ID"])
    kept = parse((first.brief_dir / "message.eml").read_bytes())["Message-ID"]
    assert same_message(kept, third["Message-ID"])
    slots, deliveries = ledger(config.state_dir)
    assert (deliveries[SLOT].state, deliveries[SLOT].sends) == ("sent", 3)
    assert deliveries[SLOT].message_id == kept
    assert slots[SLOT].state == "delivered"

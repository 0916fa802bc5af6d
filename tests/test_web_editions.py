"""The web app of a file with editions: a home listing them, and each edition's own pages under
/e/<id> (its archive, status, subscribers, threads, Run now and subscribing), its mails' links
acting on its own subscribers only; its threads changed from its page and from `brief threads
--edition`, under its entry alone. Without editions the app is as tests/test_web.py says."""

from __future__ import annotations

import email
import email.policy
import html
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from conftest import (
    BRIDGE_COST,
    BRIDGE_VOTE,
    MAIL_FROM,
    LoopbackSite,
    Reply,
    brief_cli,
    brief_process,
    free_port,
    rss_feed,
    rss_item,
    story_item,
    story_page,
)
from starlette.testclient import TestClient
from web_app import ENV, SECRET, Clock, csrf_of, first_answer, log_in, mailed_link, runs_of

from pipeline.config import Config, SmtpSettings, load_config
from pipeline.demo import SmtpSink, smtp_sink
from pipeline.publish.tokens import make_token
from pipeline.run import RunOptions, run_editions
from pipeline.store import Store
from pipeline.web import create_app

MADE_AT = datetime(2026, 11, 9, 15, 1, tzinfo=UTC)  # the coast's 15:00 is due, the valley's 06:00
BOTH = "both@harbour.example"  # a subscriber of both editions

EDITIONS = f"""editions:
  - id: coast
    title: Coast Brief
    audience: sailors and ferry users
    feeds: [Sea]
    to: [coast@harbour.example, {BOTH}]
    threads:
      - {{id: harbour, title: The harbour, keywords: [harbour, channel, ferry]}}
  - id: valley
    title: Valley Brief
    schedule: ["06:00", "18:00"]
    feeds: [Land]
    to: [valley@harbour.example, {BOTH}]
"""


@dataclass
class Made:
    """A folder with two editions' first briefs made and mailed, and the mails sent."""

    folder: Path
    mails: list[bytes]


def _write(folder: Path, site: LoopbackSite) -> Path:
    path = folder / "sources.yaml"
    path.write_text(
        "brief:\n  title: Harbour Briefs\n  output: output\n  state: state\n  archive_url: http://testserver/\n"
        f'delivery:\n  from: "{MAIL_FROM}"\n'
        "web:\n  public_url: http://testserver/\n"
        f'network:\n  allow: ["{site.allow()}"]\n'
        "feeds:\n"
        f'  - {{url: "{site.url("/sea.xml")}", name: Sea}}\n'
        f'  - {{url: "{site.url("/land.xml")}", name: Land}}\n' + EDITIONS,
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def news() -> Iterator[LoopbackSite]:
    """The two feeds and their stories, on loopback for the whole module."""
    site = LoopbackSite()
    threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    when = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
    site.serve(
        "/sea.xml", rss_feed(*(story_item(site, k, when) for k in ("dredging", "ferry", "lighthouse")))
    )
    bridge = []  # two articles of one story: the valley's brief shows it as an emerging story
    for n, (title, text) in enumerate((BRIDGE_VOTE, BRIDGE_COST)):
        site.serve(
            f"/bridge/{n}", Reply(body=story_page(title, text), content_type="text/html; charset=utf-8")
        )
        bridge.append(
            rss_item(title, site.url(f"/bridge/{n}"), f"bridge-{n}", when, text.split(". ")[0] + ".")
        )
    land = (*(story_item(site, k, when) for k in ("orchard", "library")), *bridge)
    site.serve("/land.xml", rss_feed(*land))
    yield site
    site.shutdown()
    site.server_close()


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, news: LoopbackSite) -> Iterator[Made]:
    folder = tmp_path_factory.mktemp("web-editions")
    config = load_config(_write(folder, news))
    with smtp_sink() as sink, pytest.MonkeyPatch.context() as env:
        env.setenv("BRIEF_SECRET", SECRET)  # each subscriber's one-click link is signed with it
        smtp = SmtpSettings("127.0.0.1", sink.port, None, None, "none")
        run_editions(config, clock=lambda: MADE_AT, smtp=smtp, options=RunOptions())
        yield Made(folder, list(sink.messages))


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as found:
        yield found


@pytest.fixture
def own(made: Made, tmp_path: Path) -> Config:
    """A copy of the made folder for a test that changes it."""
    shutil.copytree(made.folder, tmp_path / "site")
    return load_config(tmp_path / "site" / "sources.yaml")


def _app(config: Config, sink: SmtpSink | None = None, now: datetime | None = None) -> TestClient:
    smtp = SmtpSettings("127.0.0.1", sink.port, None, None, "none") if sink else None
    clock = Clock(now or datetime(2026, 11, 9, 15, 30, tzinfo=UTC))
    return TestClient(create_app(config, clock=clock, smtp=smtp, env=ENV))


@pytest.fixture
def client(made: Made) -> TestClient:
    return _app(load_config(made.folder / "sources.yaml"))


def _subscribers(config: Config, edition: str) -> dict[str, str]:
    found = config.for_edition(edition)
    store = Store(found.state_dir, found.database)
    try:
        return {s.address: str(s.status) for s in store.subscribers()}
    finally:
        store.close()


def _mail(mails: list[bytes], to: str, title: str) -> EmailMessage:
    for raw in mails:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if to in str(message["To"]) and title in str(message["Subject"]):
            return message
    raise AssertionError(f"no mail of {title} to {to}")


# -- the home and each edition's pages ---------------------------------------------------------------


def test_the_home_lists_every_edition_with_its_times_last_brief_and_delivery(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    text = page.text
    for title, base in (("Coast Brief", "/e/coast"), ("Valley Brief", "/e/valley")):
        assert f'<a href="{base}/">{title}</a>' in text
        assert f'href="{base}/status"' in text and f'href="{base}/subscribe"' in text
    assert "For sailors and ferry users" in text
    assert "Made at 15:00 and 21:00 UTC" in text and "Made at 06:00 and 18:00 UTC" in text
    assert "last brief 2026-11-09T1500Z" in text
    assert "next due 2026-11-09 18:00 UTC" in text and "next due 2026-11-09 21:00 UTC" in text
    assert "delivered to 2 of 2" in text  # each edition's own subscribers, counted
    # the header's live line is theirs together: the last brief of any, the next slot of any
    assert "Last: 15:00 UTC | Next: 18:00 UTC" in text
    assert client.get("/status", follow_redirects=False).headers["location"] == "/"  # after a login


def test_each_editions_archive_holds_its_own_briefs_and_links_its_own_pages(client: TestClient) -> None:
    coast = client.get("/e/coast/")
    assert coast.status_code == 200 and "Coast Brief" in coast.text and "Valley Brief" not in coast.text
    assert '<a href="/e/coast/status">Status</a>' in coast.text
    brief = client.get("/e/coast/2026/11/09/1500/")
    assert brief.status_code == 200 and "dredging" in brief.text.lower()
    assert "orchard" not in brief.text.lower()  # the Land feed is the valley's
    valley = client.get("/e/valley/2026/11/09/0600/")
    assert valley.status_code == 200 and "orchard" in valley.text.lower()
    assert "dredging" not in valley.text.lower()
    assert client.get("/e/valley/2026/11/09/1500/").status_code == 404  # the coast's slot
    assert client.get("/e/coast/assets/style.css").status_code == 200
    # the archive as output/ lays it out (where brief.archive_url leads) is the same page
    moved = client.get("/coast/2026/11/09/1500/index.html", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/e/coast/2026/11/09/1500/index.html"


def test_each_edition_has_its_own_status(client: TestClient) -> None:
    coast = client.get("/e/coast/status").text
    valley = client.get("/e/valley/status").text
    assert "2026-11-09T1500Z" in coast and "2026-11-09T0600Z" not in coast
    assert "2026-11-09T0600Z" in valley and "2026-11-09T1500Z" not in valley
    assert ">Sea</a>" in coast and ">Land</a>" not in coast  # its own feeds, read in the shared store
    assert ">Land</a>" in valley and ">Sea</a>" not in valley
    assert "Status · Coast Brief" in coast and '<a href="/">All editions</a>' in coast


def test_every_atom_feed_a_page_points_to_is_there(client: TestClient) -> None:
    """The top pages have no brief of their own: they point feed readers to each edition's."""
    links = re.compile(r'<link rel="alternate" type="application/atom\+xml" title="([^"]*)" href="([^"]*)">')
    home = links.findall(client.get("/").text)
    assert home == [
        ("Coast Brief (Atom)", "/e/coast/feed.xml"),
        ("Valley Brief (Atom)", "/e/valley/feed.xml"),
    ]
    assert links.findall(client.get("/e/valley/status").text) == [("All briefs (Atom)", "/e/valley/feed.xml")]
    for _, href in home:
        feed = client.get(href)
        assert feed.status_code == 200 and feed.text.lstrip().startswith("<?xml") and "<feed" in feed.text
    assert "2026-11-09" in client.get("/e/coast/feed.xml").text


@pytest.mark.parametrize(
    "path", ["/e/nowhere/", "/e/nowhere/status", "/e/nowhere/admin/subscribers", "/nowhere/", "/e/"]
)
def test_an_unknown_edition_is_not_found(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404 and "Not found" in answer.text


def test_an_edition_id_carrying_script_is_shown_as_text(client: TestClient) -> None:
    answer = client.get("/e/<script>alert(1)<%2Fscript>/status")
    assert answer.status_code == 404
    assert "<script>alert(1)" not in answer.text and "&lt;script&gt;alert(1)" in answer.text
    one_click = client.post("/e/nowhere/unsubscribe?token=x", data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 404


def test_no_page_a_visitor_reaches_shows_a_subscribers_address(client: TestClient) -> None:
    pages = ["/", "/subscribe", "/e/coast/", "/e/coast/status", "/e/valley/status", "/e/valley/subscribe"]
    pages += ["/e/coast/2026/11/09/1500/", "/e/coast/2026/11/09/1500/message.eml"]
    for path in pages:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "@harbour.example" not in answer.text.replace(MAIL_FROM, ""), path
    assert client.get("/e/coast/admin/subscribers").url.path == "/login"


def test_the_admin_sees_and_changes_each_editions_own_subscribers(own: Config) -> None:
    client = _app(own)
    log_in(client)
    coast = client.get("/e/coast/admin/subscribers").text
    assert "coast@harbour.example" in coast and BOTH in coast and "valley@harbour.example" not in coast
    token = csrf_of(coast)
    added = client.post(
        "/e/coast/admin/subscribers/add", data={"csrf": token, "address": "new@harbour.example", "name": ""}
    )
    assert added.url.path == "/e/coast/admin/subscribers" and "Added" in added.text
    assert _subscribers(own, "coast")["new@harbour.example"] == "active"
    assert "new@harbour.example" not in _subscribers(own, "valley")


def _threads_form(client: TestClient, edition: str) -> dict[str, str]:
    page = client.get(f"/e/{edition}/admin/threads").text
    version = re.search(r'name="version" value="([0-9a-f]+)"', page)
    assert version and f'action="/e/{edition}/admin/threads/' in page
    return {"csrf": csrf_of(page), "version": version.group(1)}


def _entry(text: str, edition: str) -> str:
    """The lines of an edition's entry in sources.yaml, as written."""
    return text[text.index(f"  - id: {edition}\n") :].split("\n  - id: ")[0]


def test_an_editions_threads_page_mutes_and_edits_its_own_threads_and_refuses_a_stale_form(
    own: Config,
) -> None:
    client = _app(own)
    log_in(client)
    before = own.path.read_text(encoding="utf-8")
    first = _threads_form(client, "coast")
    muted = client.post(
        "/e/coast/admin/threads/mute", data={**first, "id": "harbour"}, follow_redirects=False
    )
    assert muted.status_code == 303 and muted.headers["location"] == "/e/coast/admin/threads"
    edited = client.post(
        "/e/coast/admin/threads/edit",
        data={
            **_threads_form(client, "coast"),
            "id": "harbour",
            "title": "The port",
            "entities": "Harbour Board",
        },
    )
    assert edited.status_code == 200 and "thread harbour: title, description, entities changed" in edited.text
    assert "The port" in edited.text and '<span class="pill pill-muted">muted</span>' in edited.text
    config = load_config(own.path)
    (harbour,) = config.for_edition("coast").threads
    assert (harbour.title, harbour.entities, harbour.muted) == ("The port", ("Harbour Board",), True)
    assert config.for_edition("valley").threads == () and config.threads == ()
    assert _entry(own.path.read_text(encoding="utf-8"), "valley") == _entry(before, "valley")
    # the first page's form is stale now: refused, and the file as the two changes left it
    changed = own.path.read_bytes()
    stale = client.post("/e/coast/admin/threads/unmute", data={**first, "id": "harbour"})
    assert stale.status_code == 409 and "changed since it was read" in stale.text
    assert own.path.read_bytes() == changed


def test_following_a_story_on_an_editions_page_gives_that_edition_the_thread(own: Config) -> None:
    client = _app(own)
    log_in(client)
    page = client.get("/e/valley/admin/threads").text
    story = re.search(r'name="story" value="(story-[0-9a-f]{12})"', page)
    assert story, "the valley's brief shows emerging stories"
    followed = client.post(
        "/e/valley/admin/threads/follow", data={**_threads_form(client, "valley"), "story": story.group(1)}
    )
    assert followed.status_code == 200 and "followed by" in followed.text
    config = load_config(own.path)
    (thread,) = config.for_edition("valley").threads
    assert thread.story == story.group(1)
    assert [t.id for t in config.for_edition("coast").threads] == ["harbour"]
    assert "    threads:\n      - id: " in _entry(own.path.read_text(encoding="utf-8"), "valley")


def test_brief_threads_with_edition_changes_that_editions_threads(own: Config) -> None:
    config = ("--config", str(own.path))
    listed = brief_cli("threads", "list", *config, "--edition", "valley")
    story = re.search(r"story-[0-9a-f]{12}", listed.out)
    assert listed.code == 0 and story, listed.out + listed.err
    followed = brief_cli("threads", "follow", story.group(0), *config, "--edition", "valley")
    assert followed.code == 0, followed.err
    assert "in edition valley" in followed.out and "--edition valley --description" in followed.out
    muted = brief_cli("threads", "mute", "harbour", *config, "--edition", "coast")
    assert muted.code == 0 and "thread harbour muted in edition coast" in muted.out, muted.err
    after = load_config(own.path)
    assert [t.story for t in after.for_edition("valley").threads] == [story.group(0)]
    assert [(t.id, t.muted) for t in after.for_edition("coast").threads] == [("harbour", True)]
    assert after.threads == ()


def test_brief_threads_names_the_editions_when_it_cannot_tell_which(own: Config) -> None:
    before = own.path.read_bytes()
    unknown = brief_cli("threads", "mute", "harbour", "--config", str(own.path), "--edition", "hills")
    assert unknown.code != 0 and "no edition 'hills'" in unknown.err and "coast, valley" in unknown.err
    unsaid = brief_cli("threads", "mute", "harbour", "--config", str(own.path))
    assert unsaid.code != 0 and "say which with --edition (coast, valley)" in unsaid.err
    assert own.path.read_bytes() == before


# -- subscribing and unsubscribing, each edition its own list -----------------------------------------


def test_subscribing_on_an_editions_page_subscribes_to_that_edition_alone(
    own: Config, sink: SmtpSink
) -> None:
    client = _app(own, sink)
    form = client.get("/e/valley/subscribe").text
    assert 'action="/e/valley/subscribe"' in form and "Valley Brief" in form
    asked = client.post("/e/valley/subscribe", data={"csrf": csrf_of(form), "address": "ana@example.org"})
    assert asked.status_code == 200 and len(sink.messages) == 1
    assert "Valley Brief" in email.message_from_bytes(sink.messages[0])["Subject"]
    link = mailed_link(sink.messages[0], "/e/valley/confirm")  # the confirmation leads to the valley's page
    page = client.get(link)
    token = html.unescape(re.search(r'name="token" value="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
    assert 'action="/e/valley/confirm"' in page.text
    done = client.post("/e/valley/confirm", data={"csrf": csrf_of(page.text), "token": token})
    assert done.status_code == 200 and "is subscribed" in done.text
    assert _subscribers(own, "valley")["ana@example.org"] == "active"
    assert "ana@example.org" not in _subscribers(own, "coast")


def test_an_editions_mail_links_its_brief_in_its_own_archive(client: TestClient, made: Made) -> None:
    message = _mail(made.mails, "coast@harbour.example", "Coast Brief")
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"http://testserver(/\S+/index\.html)", body.get_content())
    assert found and found.group(1) == "/coast/2026/11/09/1500/index.html", body.get_content()
    page = client.get(found.group(1))  # brief.archive_url is where brief serve is
    assert page.status_code == 200 and page.url.path == "/e/coast/2026/11/09/1500/index.html"
    assert "Coast Brief" in page.text


def test_the_unsubscribe_link_of_one_editions_mail_leaves_the_other(own: Config, made: Made) -> None:
    message = _mail(made.mails, BOTH, "Valley Brief")
    header = str(message["List-Unsubscribe"])
    found = re.search(r"<(http://testserver/e/valley/unsubscribe\?token=[^>]+)>", header)
    assert found, header
    provider = TestClient(_app(own).app)  # a mail provider's one click: no cookie, no page first
    answer = provider.post(found.group(1), data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and "is unsubscribed" in answer.text
    assert _subscribers(own, "valley")[BOTH] == "unsubscribed"
    assert _subscribers(own, "coast")[BOTH] == "active"


def test_one_editions_unsubscribe_token_is_refused_by_another_edition(own: Config, made: Made) -> None:
    header = str(_mail(made.mails, BOTH, "Coast Brief")["List-Unsubscribe"])
    token = re.search(r"/e/coast/unsubscribe\?token=([^>\s]+)>", header)
    assert token, header
    edited = f"/e/valley/unsubscribe?token={token.group(1)}"  # the link, edited to name the other
    answer = TestClient(_app(own).app).post(edited, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 400 and "not one we sent" in answer.text
    assert _subscribers(own, "coast")[BOTH] == "active" and _subscribers(own, "valley")[BOTH] == "active"


def test_a_link_that_names_no_edition_acts_where_its_token_was_signed(own: Config, made: Made) -> None:
    # a message built before editions had their own pages links the top's /unsubscribe
    header = str(_mail(made.mails, BOTH, "Coast Brief")["List-Unsubscribe"])
    coast = re.search(r"unsubscribe\?token=([^>\s]+)>", header)
    assert coast
    provider = TestClient(_app(own).app)
    answer = provider.post(f"/unsubscribe?token={coast.group(1)}", data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and "is unsubscribed" in answer.text
    assert (
        _subscribers(own, "coast")[BOTH] == "unsubscribed" and _subscribers(own, "valley")[BOTH] == "active"
    )
    # a token signed before editions had keys of their own: every edition that has the address
    older = make_token(SECRET.encode(), "unsubscribe", BOTH)
    answer = provider.post(f"/unsubscribe?token={older}", data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and _subscribers(own, "valley")[BOTH] == "unsubscribed"
    assert _subscribers(own, "valley")["valley@harbour.example"] == "active"


def test_a_confirmation_link_that_names_no_edition_confirms_where_it_was_asked(
    own: Config, sink: SmtpSink
) -> None:
    client = _app(own, sink)
    form = client.get("/e/coast/subscribe").text
    client.post("/e/coast/subscribe", data={"csrf": csrf_of(form), "address": "ana@example.org"})
    token = mailed_link(sink.messages[0], "/e/coast/confirm").partition("?token=")[2]
    page = client.get(f"/confirm?token={token}")  # as a mail before editions had pages linked it
    assert page.status_code == 200 and 'action="/confirm"' in page.text
    done = client.post("/confirm", data={"csrf": csrf_of(page.text), "token": html.unescape(token)})
    assert done.status_code == 200 and "is subscribed" in done.text
    assert _subscribers(own, "coast")["ana@example.org"] == "active"
    assert "ana@example.org" not in _subscribers(own, "valley")


# -- Run now and brief serve ----------------------------------------------------------------------------


def test_run_now_on_an_edition_makes_that_editions_brief_only(own: Config) -> None:
    client = _app(own, now=datetime(2026, 11, 9, 21, 5, tzinfo=UTC))
    log_in(client)
    form = client.get("/e/coast/run").text
    assert 'action="/e/coast/run"' in form
    started = client.post("/e/coast/run", data={"csrf": csrf_of(form)}, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].startswith("/e/coast/run/")
    runs_of(client).wait(60)
    page = client.get(started.headers["location"]).text
    assert "Edition coast: Brief 2026-11-09T2100Z" in page and "Edition valley" not in page
    assert 'href="/e/coast/2026/11/09/2100/"' in page
    assert (own.output_dir / "coast" / "2026" / "11" / "09" / "2100" / "index.html").is_file()
    assert not (own.output_dir / "valley" / "2026" / "11" / "09" / "1800").exists()


def test_run_now_at_the_top_makes_every_editions_brief_as_brief_run_does(own: Config) -> None:
    client = _app(own, now=datetime(2026, 11, 9, 21, 5, tzinfo=UTC))
    log_in(client)
    home = client.get("/").text
    assert 'action="/run"' in home and "the feeds read once" in home
    started = client.post("/run", data={"csrf": csrf_of(home)}, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].startswith("/run/")
    runs_of(client).wait(60)
    page = client.get(started.headers["location"]).text
    assert "coast 2026-11-09T2100Z, valley 2026-11-09T1800Z" in page
    assert (
        "Edition coast: Brief 2026-11-09T2100Z" in page and "Edition valley: Brief 2026-11-09T1800Z" in page
    )
    assert (own.output_dir / "valley" / "2026" / "11" / "09" / "1800" / "index.html").is_file()


def test_brief_serve_serves_every_edition_on_loopback(made: Made) -> None:
    port = free_port()
    config = made.folder / "sources.yaml"
    child = brief_process("serve", "--config", str(config), "--port", str(port), env=dict(ENV))
    try:
        home = first_answer(f"http://127.0.0.1:{port}/", child)
        assert home.status_code == 200 and "Coast Brief" in home.text and "Valley Brief" in home.text
        coast = httpx.get(f"http://127.0.0.1:{port}/e/coast/status", timeout=10)
        assert coast.status_code == 200 and "2026-11-09T1500Z" in coast.text
        assert httpx.get(f"http://127.0.0.1:{port}/e/nowhere/status", timeout=10).status_code == 404
    finally:  # stopping it cleanly is tests/test_web_serve.py's
        child.kill()
        child.communicate()


def test_before_any_brief_each_edition_leads_to_its_status(tmp_path: Path, news: LoopbackSite) -> None:
    client = _app(load_config(_write(tmp_path, news)))
    home = client.get("/")
    assert home.status_code == 200 and home.text.count("no brief yet") == 2
    first = client.get("/e/valley/", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/e/valley/status"
    status = client.get(first.headers["location"])
    assert status.status_code == 200 and "No slot has been run yet." in status.text

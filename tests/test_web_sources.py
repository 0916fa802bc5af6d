"""The Feeds and Threads pages of the web app, through Starlette's TestClient: what the admin
does there lands in sources.yaml, and nobody else can do it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import LoopbackSite, Reply, rss_feed
from starlette.testclient import TestClient
from web_app import ENV, csrf_of, log_in, runs_of, write_config

from pipeline.config import Config, load_config
from pipeline.demo import run_demo
from pipeline.ingest.opml import read_opml
from pipeline.web import create_app

_VERSION = re.compile(r'name="version" value="([0-9a-f]+)"')


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's three briefs; the last shows an emerging story (Veltrion's appeal of its EU fine)."""
    folder = tmp_path_factory.mktemp("sources-demo")
    run_demo(folder)
    return folder


@pytest.fixture
def config(demo: Path, tmp_path: Path) -> Config:
    """The demo's sources.yaml, a copy of its own (the state and archive it names are the demo's)."""
    shutil.copy(demo / "sources.yaml", tmp_path / "sources.yaml")
    return load_config(tmp_path / "sources.yaml")


@pytest.fixture
def client(config: Config) -> TestClient:
    return TestClient(create_app(config, env=ENV))


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    log_in(client)
    return client


def _form(client: TestClient, page: str) -> dict[str, str]:
    html = client.get(page).text
    version = _VERSION.search(html)
    assert version, f"{page} has no form carrying the file's version"
    return {"csrf": csrf_of(html), "version": version.group(1)}


def _story(config: Config) -> str:
    found = re.search(r"story-[0-9a-f]{12}", (config.output_dir / "2026/04/10/1500/brief.json").read_text())
    assert found
    return found.group(0)


CHANGING = [
    ("/admin/threads/follow", {"story": "story-98cbc67ee635"}),
    ("/admin/threads/mute", {"id": "lecun-exit"}),
    ("/admin/threads/unmute", {"id": "lecun-exit"}),
    ("/admin/threads/edit", {"id": "lecun-exit", "description": "changed"}),
    ("/admin/feeds/add", {"url": "https://news.example/"}),
    ("/admin/feeds/remove", {"url": "https://news.example/feed"}),
    ("/admin/feeds/import", {}),
]


@pytest.mark.parametrize(("path", "data"), CHANGING)
def test_every_change_is_refused_without_the_admins_login(
    client: TestClient, config: Config, path: str, data: dict[str, str]
) -> None:
    before = config.path.read_bytes()
    token = csrf_of(client.get("/login").text)  # a real token, of a session that is not the admin's
    answer = client.post(path, data={"csrf": token, **data}, follow_redirects=False)
    assert answer.status_code == 403 and "admin" in answer.text
    assert config.path.read_bytes() == before


@pytest.mark.parametrize("page", ["/admin/threads", "/admin/feeds", "/admin/feeds.opml"])
def test_the_pages_lead_to_the_login_without_it(client: TestClient, page: str) -> None:
    answer = client.get(page, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(("path", "data"), CHANGING)
@pytest.mark.parametrize("token", ["none", "forged"])
def test_every_change_is_refused_without_the_forms_csrf_token(
    admin: TestClient, config: Config, path: str, data: dict[str, str], token: str
) -> None:
    before = config.path.read_bytes()
    version = _form(admin, "/admin/threads")["version"]
    sent = {"none": {}, "forged": {"csrf": "A" * 43}}[token]
    answer = admin.post(path, data={**sent, "version": version, **data}, follow_redirects=False)
    assert answer.status_code == 403 and "This form has expired" in answer.text
    assert config.path.read_bytes() == before


def test_following_a_story_from_the_page_configures_it_for_the_next_run(
    admin: TestClient, config: Config
) -> None:
    story = _story(config)
    page = admin.get("/admin/threads").text
    assert "Veltrion to appeal €870 million EU fine" in page and story in page

    answer = admin.post(
        "/admin/threads/follow",
        data={**_form(admin, "/admin/threads"), "story": story},
        follow_redirects=False,
    )

    assert answer.status_code == 303 and answer.headers["location"] == "/admin/threads"
    followed = load_config(config.path).threads[-1]
    assert followed.story == story and followed.id == "veltrion-to-appeal-870-million-eu-fine"
    page = admin.get("/admin/threads").text
    assert f"added thread {followed.id}" in page and f"followed by {followed.id}" in page
    assert runs_of(admin).config.threads[-1] == followed  # Run now reads the change


def test_muting_editing_and_a_description_carrying_script(admin: TestClient, config: Config) -> None:
    assert (
        admin.post(
            "/admin/threads/mute", data={**_form(admin, "/admin/threads"), "id": "lecun-exit"}
        ).status_code
        == 200
    )
    assert [t.id for t in load_config(config.path).threads if t.muted] == ["lecun-exit"]
    hostile = '<script>alert("x")</script> & <b>bold</b>'
    answer = admin.post(
        "/admin/threads/edit",
        data={
            **_form(admin, "/admin/threads"),
            "id": "lecun-exit",
            "title": "LeCun <i>leaves</i>",
            "description": hostile,
            "entities": "Yann LeCun, AMI Labs, , <img src=x onerror=alert(1)>",
        },
    )
    assert answer.status_code == 200
    thread = next(t for t in load_config(config.path).threads if t.id == "lecun-exit")
    assert thread.description == hostile and thread.muted
    assert thread.entities == ("Yann LeCun", "AMI Labs", "<img src=x onerror=alert(1)>")
    page = admin.get("/admin/threads").text
    assert "<script>" not in page and "<img src=x" not in page and "<i>leaves" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page


def test_a_form_shown_before_a_hand_edit_is_refused_and_the_edit_kept(
    admin: TestClient, config: Config
) -> None:
    form = _form(admin, "/admin/threads")
    by_hand = config.path.read_text(encoding="utf-8") + "# a note added by hand\n"
    config.path.write_text(by_hand, encoding="utf-8")

    answer = admin.post("/admin/threads/mute", data={**form, "id": "lecun-exit"})

    assert answer.status_code == 409 and "changed since it was read" in answer.text
    assert config.path.read_text(encoding="utf-8") == by_hand


def test_an_unknown_story_or_thread_is_said_plainly(admin: TestClient) -> None:
    answer = admin.post(
        "/admin/threads/follow", data={**_form(admin, "/admin/threads"), "story": "story-<b>"}
    )
    assert answer.status_code == 400 and "no brief shows an emerging story" in answer.text
    assert "<b>" not in answer.text


# -- feeds ----------------------------------------------------------------------------------------


@pytest.fixture
def site_config(site: LoopbackSite, tmp_path: Path) -> Config:
    """A config whose one feed is elsewhere, allowed to fetch from the loopback site."""
    return write_config(
        tmp_path / "site",
        feeds=f'network:\n  allow: ["{site.allow()}"]\n'
        "feeds:\n  # the first feed\n  - url: https://elsewhere.example/feed\n    name: Elsewhere\n",
    )


@pytest.fixture
def site_admin(site_config: Config) -> TestClient:
    client = TestClient(create_app(site_config, env=ENV))
    log_in(client)
    return client


def test_a_feed_is_added_by_its_sites_address_removed_and_exported(
    site: LoopbackSite, site_config: Config, site_admin: TestClient
) -> None:
    site.serve(
        "/",
        Reply(
            body=b'<html><head><link rel="alternate" type="application/rss+xml" href="/news.xml">'
            b"</head></html>",
            content_type="text/html",
        ),
    )
    site.serve("/news.xml", rss_feed(title="Harbour &amp; Sons"))

    answer = site_admin.post(
        "/admin/feeds/add", data={**_form(site_admin, "/admin/feeds"), "url": site.url("/")}
    )

    assert answer.status_code == 200, answer.text
    assert "added 1 feed" in answer.text and "Harbour &amp; Sons" in answer.text
    feeds = load_config(site_config.path).feeds
    assert [(f.url, f.name) for f in feeds] == [
        ("https://elsewhere.example/feed", "Elsewhere"),
        (site.url("/news.xml"), "Harbour & Sons"),
    ]
    exported = site_admin.get("/admin/feeds.opml")
    assert exported.headers["content-disposition"].startswith("attachment")
    assert read_opml(exported.content) == feeds

    answer = site_admin.post(
        "/admin/feeds/remove",
        data={**_form(site_admin, "/admin/feeds"), "url": "https://elsewhere.example/feed"},
    )
    assert answer.status_code == 200 and "removed feed https://elsewhere.example/feed" in answer.text
    assert [f.url for f in load_config(site_config.path).feeds] == [site.url("/news.xml")]
    assert "# the first feed" not in site_config.path.read_text(
        encoding="utf-8"
    )  # its own comment went with it


def test_a_site_with_several_feeds_offers_each_to_add(site: LoopbackSite, site_admin: TestClient) -> None:
    site.serve(
        "/",
        Reply(
            body=b'<html><head><link rel="alternate" type="application/rss+xml" title="News" href="/a.xml">'
            b'<link rel="alternate" type="application/atom+xml" title="Comments &lt;all&gt;" href="/b.xml">'
            b"</head></html>",
            content_type="text/html",
        ),
    )
    page = site_admin.post(
        "/admin/feeds/add", data={**_form(site_admin, "/admin/feeds"), "url": site.url("/")}
    ).text
    assert "offers 2 feeds" in page
    assert f'name="url" value="{site.url("/a.xml")}"' in page and "Comments &lt;all&gt;" in page


def test_a_page_with_no_feed_or_a_private_redirect_says_why(
    site: LoopbackSite, site_admin: TestClient
) -> None:
    site.serve("/", Reply(body=b"<html><head></head></html>", content_type="text/html"))
    site.serve("/away", Reply(302, headers={"Location": "http://localhost:1/feed.xml"}))
    page = site_admin.post(
        "/admin/feeds/add", data={**_form(site_admin, "/admin/feeds"), "url": site.url("/")}
    )
    assert page.status_code == 400 and "its page names none" in page.text
    page = site_admin.post(
        "/admin/feeds/add", data={**_form(site_admin, "/admin/feeds"), "url": site.url("/away")}
    )
    assert page.status_code == 400 and "refused non-public address" in page.text


def test_an_opml_file_is_imported_from_the_page(site_config: Config, site_admin: TestClient) -> None:
    opml = (
        b'<?xml version="1.0"?><opml version="2.0"><body><outline text="Folder">'
        b'<outline text="New &amp; Noted" xmlUrl="https://noted.example/rss"/>'
        b'<outline text="Again" xmlUrl="https://elsewhere.example/feed"/></outline></body></opml>'
    )
    answer = site_admin.post(
        "/admin/feeds/import",
        data=_form(site_admin, "/admin/feeds"),
        files={"file": ("subscriptions.opml", opml, "text/x-opml")},
    )
    assert answer.status_code == 200
    assert "added 1 feed: https://noted.example/rss (1 listed already)" in answer.text
    assert [f.name for f in load_config(site_config.path).feeds] == ["Elsewhere", "New & Noted"]
    laughs = b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY a "aaaa">]><opml><body/></opml>'
    answer = site_admin.post(
        "/admin/feeds/import",
        data=_form(site_admin, "/admin/feeds"),
        files={"file": ("evil.opml", laughs, "text/x-opml")},
    )
    assert answer.status_code == 400 and "declares a DTD or entities" in answer.text

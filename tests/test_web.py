"""The web app through Starlette's TestClient: every page, and every way in that must stay shut.

The browser and a real uvicorn are tests/test_web_browser.py's; here each case is one request
or a few, as an attacker or a careless client would send them.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import NO_WAIT, LoopbackSite, Reply, SmtpServer, publish_news, rss_feed, write_sources
from starlette.testclient import TestClient
from web_app import ENV, PASSWORD, SECRET, Clock, csrf_of, log_in, mailed_link, runs_of, write_config

from pipeline.config import Config, SmtpSettings, load_config
from pipeline.demo import SmtpSink, run_demo, smtp_sink
from pipeline.errors import ConfigError
from pipeline.service import run_due_slots
from pipeline.store import Store
from pipeline.store.records import SubscriberStatus
from pipeline.web import create_app
from pipeline.web.archive import APP_LINKS
from pipeline.web.guards import AdminPassword, hash_password

AT_1500 = datetime(2026, 11, 10, 15, 0, 30, tzinfo=UTC)
AT_2100 = datetime(2026, 11, 10, 21, 0, 30, tzinfo=UTC)

# -- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's folder: three briefs in output/, their state."""
    folder = tmp_path_factory.mktemp("web-demo")
    run_demo(folder)
    return folder


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return write_config(tmp_path / "site")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(config: Config, clock: Clock) -> TestClient:
    return TestClient(create_app(config, clock=clock, env=ENV))


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    log_in(client)
    return client


def _subscribers(config: Config) -> dict[str, str]:
    store = Store(config.state_dir)
    try:
        return {s.address: s.status for s in store.subscribers()}
    finally:
        store.close()


# -- starting -----------------------------------------------------------------------------------------


def test_the_app_refuses_to_start_without_a_secret_and_says_how_to_make_one(config: Config) -> None:
    for env in ({}, {"BRIEF_SECRET": "short"}):
        with pytest.raises(ConfigError) as caught:
            create_app(config, env=env)
        assert "BRIEF_SECRET" in str(caught.value)
        assert "secrets.token_urlsafe(32)" in (caught.value.hint or "")


def test_a_short_admin_password_is_refused(config: Config) -> None:
    with pytest.raises(ConfigError, match="BRIEF_ADMIN_PASSWORD is 6 characters"):
        create_app(config, env={"BRIEF_SECRET": SECRET, "BRIEF_ADMIN_PASSWORD": "123456"})


def test_without_an_admin_password_the_app_is_read_only(config: Config) -> None:
    client = TestClient(create_app(config, env={"BRIEF_SECRET": SECRET}))
    assert client.get("/status").status_code == 200
    page = client.get("/login").text
    assert "this server is read-only" in page
    assert 'type="password"' not in page
    assert client.post("/login", data={"password": PASSWORD}).status_code == 403
    assert client.post("/run").status_code == 403
    assert client.get("/admin/subscribers").url.path == "/login"


def test_a_pre_hashed_password_logs_in_and_the_hash_alone_does_not(config: Config) -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("scrypt:16384:8:1:") and PASSWORD not in hashed
    client = TestClient(create_app(config, env={"BRIEF_SECRET": SECRET, "BRIEF_ADMIN_PASSWORD": hashed}))
    token = csrf_of(client.get("/login").text)
    assert client.post("/login", data={"csrf": token, "password": hashed}).status_code == 401
    log_in(client)
    assert client.get("/admin/subscribers").status_code == 200


def test_the_password_is_kept_as_a_hash_only() -> None:
    kept = AdminPassword.from_env(PASSWORD)
    assert PASSWORD.encode() not in repr(vars(kept)).encode()
    assert kept.verify(PASSWORD) and not kept.verify(PASSWORD + " ") and not kept.verify("")


def test_a_damaged_hash_is_refused_with_how_to_make_one() -> None:
    with pytest.raises(ConfigError, match="brief serve --hash-password"):
        AdminPassword.from_env("scrypt:16384:8:1:not base64!:xx")


def _hash_of_cost(password: str, n: int, r: int, p: int, *, compute: bool = True) -> str:
    """A pre-hashed password of any cost (its digest made only when `compute`: a cost too
    large to check is too large to make here too)."""
    salt = b"0123456789abcdef"
    digest = (
        hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=2**27, dklen=32)
        if compute
        else b"\0" * 32
    )
    b64 = [base64.urlsafe_b64encode(x).decode().rstrip("=") for x in (salt, digest)]
    return f"scrypt:{n}:{r}:{p}:{b64[0]}:{b64[1]}"


def test_a_hash_too_costly_to_check_is_refused_at_start_not_at_every_login(config: Config) -> None:
    for n, r, p in ((2**20, 8, 1), (2**16, 8, 1), (2**14, 32, 1)):
        hashed = _hash_of_cost(PASSWORD, n, r, p, compute=False)
        with pytest.raises(ConfigError, match=rf"cost n={n}, r={r}, p={p}: checking a login") as caught:
            create_app(config, env={"BRIEF_SECRET": SECRET, "BRIEF_ADMIN_PASSWORD": hashed})
        assert "brief serve --hash-password" in (caught.value.hint or "")
    costly = _hash_of_cost(PASSWORD, 2**15, 8, 2)  # 32 MiB: within what a login may take
    client = TestClient(create_app(config, env={"BRIEF_SECRET": SECRET, "BRIEF_ADMIN_PASSWORD": costly}))
    log_in(client)
    assert client.get("/admin/subscribers").status_code == 200


@pytest.mark.parametrize("cost", [(16385, 8, 1), (2**14, 0, 1), (2**14, 8, 0), (2**14, -1, 1)])
def test_a_hash_of_a_cost_scrypt_refuses_is_refused_at_start(
    config: Config, cost: tuple[int, int, int]
) -> None:
    hashed = _hash_of_cost(PASSWORD, *cost, compute=False)
    with pytest.raises(ConfigError, match="BRIEF_ADMIN_PASSWORD") as caught:
        create_app(config, env={"BRIEF_SECRET": SECRET, "BRIEF_ADMIN_PASSWORD": hashed})
    assert "brief serve --hash-password" in (caught.value.hint or "")


def test_a_change_to_sources_yaml_is_seen_by_the_next_page_and_a_broken_one_is_not(
    client: TestClient, config: Config
) -> None:
    assert "Harbour Brief" in client.get("/status").text
    text = config.path.read_text(encoding="utf-8")
    config.path.write_text(text.replace("title: Harbour Brief", "title: Harbour Evening"), encoding="utf-8")
    os.utime(config.path, ns=(1, 10**18))  # a new mtime, however coarse the file system's clock
    assert "Harbour Evening" in client.get("/status").text
    assert runs_of(client).config.title == "Harbour Evening"  # Run now uses it too
    config.path.write_text(text.replace("feeds:", "feeds: [oops"), encoding="utf-8")
    os.utime(config.path, ns=(1, 2 * 10**18))
    assert "Harbour Evening" in client.get("/status").text  # kept: the site stays up


# -- the archive -----------------------------------------------------------------------------------------


def test_the_archive_is_served_live_as_output_holds_it(demo: Path) -> None:
    from pipeline.config import load_config

    config = load_config(demo / "sources.yaml")
    client = TestClient(create_app(config, env=ENV))
    index = client.get("/")
    assert index.status_code == 200
    # the page as written, with the app's links in its header
    assert index.content.replace(APP_LINKS, b"") == (config.output_dir / "index.html").read_bytes()
    assert index.content.count(b'href="/subscribe"') == 1
    brief = sorted(config.output_dir.glob("20*/*/*/*/index.html"))[-1]
    folder = "/" + brief.parent.relative_to(config.output_dir).as_posix()
    assert client.get(folder, follow_redirects=False).headers["location"] == folder + "/"
    assert client.get(folder + "/").content.replace(APP_LINKS, b"") == brief.read_bytes()
    email_page = client.get(folder + "/email.html").content
    assert email_page == (brief.parent / "email.html").read_bytes()  # the email as sent, untouched
    assert client.get("/feed.xml").headers["content-type"].startswith("application/atom+xml")
    css = client.get("/assets/style.css")
    assert css.status_code == 200 and "brief serve" in css.text
    # the search box's script runs (its hash is allowed), no other script would
    policy = index.headers["content-security-policy"]
    assert (
        "script-src 'sha256-" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )


def test_nothing_outside_the_archive_is_served(demo: Path, tmp_path: Path) -> None:
    from pipeline.config import load_config

    config = load_config(demo / "sources.yaml")
    (tmp_path / "secret.txt").write_text("not for readers", encoding="utf-8")
    link = config.output_dir / "escape"
    link.symlink_to(tmp_path, target_is_directory=True)
    (config.output_dir / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (config.output_dir / ".hidden").write_text("dotfile", encoding="utf-8")
    try:
        client = TestClient(create_app(config, env=ENV))
        for path in (
            "/%2e%2e/sources.yaml",
            "/%2E%2E/%2e%2e/etc/passwd",
            "/threads/%2e%2e/%2e%2e/sources.yaml",
            "/..%2fsources.yaml",
            "/%2e%2e%2fsources.yaml",
            "/escape/secret.txt",
            "/leak.txt",
            "/.hidden",
            "/.staging/",
            "/%00",
            "/..\\sources.yaml",
        ):
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert "not for readers" not in answer.text and "feeds:" not in answer.text, path
    finally:
        link.unlink()
        (config.output_dir / "leak.txt").unlink()
        (config.output_dir / ".hidden").unlink()


def test_without_a_brief_the_home_page_leads_to_the_status(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/status"


# -- status ------------------------------------------------------------------------------------------------


def test_the_status_page_says_what_brief_status_says(demo: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import cli
    from pipeline.config import load_config

    config = load_config(demo / "sources.yaml")
    said = CliRunner().invoke(cli, ["status", "--config", str(demo / "sources.yaml")]).output
    page = TestClient(create_app(config, env=ENV)).get("/status").text
    line = said.splitlines()[0]
    assert line.startswith("Pipeline Stopped · Last: 15:00 UTC | Next: ")
    assert page.count(line) == 2  # the header of every page, and the status itself
    assert "2026-04-10T1500Z" in page and "delivered" in page and "delivered to 1 of 1" in page
    for feed in config.feeds:
        assert feed.name in page
    assert page.count(">ok</span>") == len(config.feeds)
    assert "Run now" not in page  # the admin's only


def _every_public_answer(client: TestClient, config: Config) -> dict[str, str]:
    """What a visitor without the login gets from every page of the app and every file of the
    archive: each path and its body."""
    paths = ["/", "/status", "/subscribe", "/login", "/run", "/admin/subscribers", "/nope"]
    paths += [
        "/" + p.relative_to(config.output_dir).as_posix() for p in config.output_dir.rglob("*") if p.is_file()
    ]
    return {path: client.get(path).content.decode("utf-8", "replace") for path in paths}


def test_no_page_a_visitor_can_reach_shows_a_subscribers_address_or_what_smtp_said(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    people = ("ana@readers.example", "bob@harbour.example", "carla@quay.example")
    refusal = "550 5.1.1 <bob@harbour.example>: no mailbox here by that name"
    smtp.mailbox.refuse = {"bob@harbour.example": refusal}
    # delivery.to lists one: the brief's one rendering, archived, names her in its To
    config = load_config(write_sources(tmp_path, [publish_news(site)], [site.allow()], to=people[:1]))
    store = Store(config.state_dir)
    try:
        for address in people[1:]:
            store.add_subscriber(address, "", AT_1500)
    finally:
        store.close()
    first = run_due_slots(config, clock=lambda: AT_1500, smtp=smtp.settings(), policy=NO_WAIT)
    assert first is not None and first.delivery.sent and len(smtp.mailbox.accepted) == 2
    smtp.mailbox.refuse = {a: refusal for a in people}  # the next slot: every one refused
    second = run_due_slots(config, clock=lambda: AT_2100, smtp=smtp.settings(), policy=NO_WAIT)
    assert second is not None and not second.delivery.sent

    visitor = TestClient(create_app(config, clock=lambda: AT_2100, env=ENV))
    answers = _every_public_answer(visitor, config)
    assert any(path.endswith("message.eml") for path in answers)
    for path, body in answers.items():
        for secret in (*people, "no mailbox here", "550 5.1.1"):
            assert secret not in body, (path, secret)
    status = answers["/status"]
    assert "delivered to 2 of 3; 1 refused" in status and "delivered to 0 of 3; 3 refused" in status
    assert "failed: the error is shown to the admin only" in status

    log_in(visitor)
    seen = visitor.get("/status").text
    assert "1 refused (bob@harbour.example: " in seen and "no mailbox here by that name" in seen


def test_what_the_schedulers_last_try_failed_on_is_the_admins_to_read(config: Config, clock: Clock) -> None:
    from pipeline.operate.lock import ServiceLock

    store = Store(config.state_dir)
    try:
        store.set_service("last_failure", "2026-11-24 15:00 UTC: 550 5.7.1 <ana@readers.example> refused")
    finally:
        store.close()
    app = create_app(config, clock=clock, env=ENV)
    with ServiceLock(config.state_dir):  # the scheduler is running
        visitor = TestClient(app).get("/status").text
        admin = TestClient(app)
        log_in(admin)
        seen = admin.get("/status").text
    assert "The scheduler&#39;s last try failed at 2026-11-24 15:00 UTC</p>" in visitor
    assert "ana@readers.example" not in visitor and "550" not in visitor
    assert "failed at 2026-11-24 15:00 UTC: 550 5.7.1 &lt;ana@readers.example&gt; refused" in seen
    # a failure not written as the scheduler writes it: none of its text, not a leading part
    store = Store(config.state_dir)
    try:
        store.set_service("last_failure", "ana@readers.example: 550 refused")
    finally:
        store.close()
    with ServiceLock(config.state_dir):
        visitor = TestClient(app).get("/status").text
    assert "ana@readers.example" not in visitor and "the error is shown to the admin only" in visitor


# -- login -------------------------------------------------------------------------------------------------


def test_the_session_cookie_is_httponly_and_samesite_and_secure_behind_https(tmp_path: Path) -> None:
    plain = write_config(tmp_path / "plain")
    cookie = TestClient(create_app(plain, env=ENV)).get("/login").headers["set-cookie"]
    assert (
        "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "secure" not in cookie.lower()
    )
    tls = write_config(tmp_path / "tls", web="  public_url: https://news.example/\n")
    client = TestClient(create_app(tls, env=ENV), base_url="https://news.example")
    cookie = client.get("/login").headers["set-cookie"]
    assert (
        cookie.startswith("__Host-brief=") and "; secure" in cookie.lower() and "httponly" in cookie.lower()
    )


def test_with_a_public_address_a_request_for_another_host_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path / "tls", web="  public_url: https://news.example/\n")
    client = TestClient(create_app(config, env=ENV), base_url="https://news.example")
    assert client.get("/status").status_code == 200
    assert client.get("/status", headers={"Host": "rebound.evil.example"}).status_code == 400


def test_a_wrong_password_is_refused_and_logs_nobody_in(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf": token, "password": "guess"})
    assert answer.status_code == 401 and "not the admin's password" in answer.text
    assert client.get("/admin/subscribers", follow_redirects=False).status_code == 303


def test_login_is_rate_limited_per_client_address(client: TestClient, clock: Clock) -> None:
    token = csrf_of(client.get("/login").text)
    codes = [
        client.post("/login", data={"csrf": token, "password": f"guess {i}"}).status_code for i in range(12)
    ]
    assert codes == [401] * 10 + [429] * 2
    refused = client.post("/login", data={"csrf": token, "password": PASSWORD})
    assert refused.status_code == 429  # even the right password, until the window passes
    assert "Too many login attempts" in refused.text and int(refused.headers["retry-after"]) > 0
    clock.advance(minutes=16)
    log_in(client)


def _guess(app: Any, address: str, tries: int) -> list[int]:
    """`tries` wrong passwords from a client at `address`; the status of each answer."""
    client = TestClient(app, client=(address, 50000))
    token = csrf_of(client.get("/login").text)
    return [
        client.post("/login", data={"csrf": token, "password": f"guess {i}"}).status_code
        for i in range(tries)
    ]


def test_an_ipv6_client_is_counted_by_its_64_and_an_ipv4_one_by_its_address(client: TestClient) -> None:
    app = client.app
    # one home's /64: a new address for every try is still the same client
    codes = [code for n in range(1, 12) for code in _guess(app, f"2001:db8:5:7::{n:x}", 1)]
    assert codes == [401] * 10 + [429]
    assert _guess(app, "2001:db8:5:7:ffff:ffff:ffff:ffff", 1) == [429]
    assert _guess(app, "2001:db8:5:8::1", 1) == [401]  # the next /64 is another client
    assert _guess(app, "::ffff:192.0.2.7", 10) == [401] * 10  # an IPv4 address, however written
    assert _guess(app, "192.0.2.7", 1) == [429]
    assert _guess(app, "192.0.2.8", 1) == [401]


def test_wrong_passwords_from_many_addresses_pause_every_login_for_a_while(
    client: TestClient, clock: Clock
) -> None:
    app = client.app
    admins = TestClient(app, client=("192.0.2.50", 50000))
    log_in(admins)  # the admin's browser, from a login before the attack
    admins.post("/logout", data={"csrf": csrf_of(admins.get("/status").text)})
    for n in range(10):  # 100 wrong passwords, each address under its own limit
        assert _guess(app, f"198.51.100.{n}", 10) == [401] * 10
    fresh = TestClient(app, client=("203.0.113.9", 50000))
    token = csrf_of(fresh.get("/login").text)
    refused = fresh.post("/login", data={"csrf": token, "password": PASSWORD})
    assert refused.status_code == 429  # even the right password, from an address never seen
    assert "Logging in is paused: 100 wrong passwords were tried in the last 15 minutes" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    assert fresh.get("/status").status_code == 200  # the site itself stays up
    log_in(admins)  # a browser the admin logged in from passes the pause: no lock-out by strangers
    forged = TestClient(app, client=("203.0.113.10", 50000))
    forged.cookies.set("brief-known", "1.AAAA")  # a cookie not signed by us passes nothing
    token = csrf_of(forged.get("/login").text)
    assert forged.post("/login", data={"csrf": token, "password": PASSWORD}).status_code == 429
    clock.advance(minutes=16)
    log_in(fresh)


def test_logging_in_gives_a_new_session_and_logging_out_ends_it(client: TestClient) -> None:
    before = csrf_of(client.get("/login").text)
    log_in(client)
    cookie = client.cookies.get("brief")
    after = csrf_of(client.get("/admin/subscribers").text)
    assert after != before  # a token seen before the login is worth nothing after it
    client.post("/logout", data={"csrf": after})
    assert client.get("/admin/subscribers", follow_redirects=False).status_code == 303
    # the cookie of the login, kept by someone and sent again, is dead too
    stolen = TestClient(client.app)
    stolen.cookies.set("brief", cookie or "")
    assert stolen.get("/admin/subscribers", follow_redirects=False).status_code == 303


def test_a_tampered_session_cookie_is_no_session(admin: TestClient) -> None:
    import base64
    import json

    cookie = admin.cookies.get("brief") or ""
    data, stamp, mac = cookie.rsplit(".", 2)
    # the same login, but with a different CSRF token written in by hand: the signature breaks
    session = json.loads(base64.b64decode(data))
    session["csrf"] = "A" * 43
    forged = base64.b64encode(json.dumps(session).encode()).decode()
    stranger = TestClient(admin.app)
    stranger.cookies.set("brief", f"{forged}.{stamp}.{mac}")
    assert stranger.get("/admin/subscribers", follow_redirects=False).status_code == 303
    assert stranger.post("/run", data={"csrf": "A" * 43}).status_code == 403


def test_an_admin_login_ends_after_twelve_hours(admin: TestClient, clock: Clock) -> None:
    assert admin.get("/admin/subscribers").status_code == 200
    clock.advance(hours=12, seconds=1)
    assert admin.get("/admin/subscribers", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/\r\nLocation: https://evil.example",
        "evil.example",
    ],
)
def test_no_open_redirect_after_login(client: TestClient, target: str) -> None:
    page = client.get("/login", params={"next": target})
    token = csrf_of(page.text)
    answer = client.post(
        "/login", data={"csrf": token, "password": PASSWORD, "next": target}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/status", target


def test_a_path_of_the_site_is_where_login_leads_back_to(client: TestClient) -> None:
    first = client.get("/admin/subscribers", follow_redirects=False)
    assert first.headers["location"] == "/login?next=/admin/subscribers"
    page = client.get(first.headers["location"]).text
    assert 'name="next" value="/admin/subscribers"' in page
    answer = client.post(
        "/login",
        data={"csrf": csrf_of(page), "password": PASSWORD, "next": "/admin/subscribers"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/admin/subscribers"


# -- what changes something: login, CSRF, origin ----------------------------------------------------------

CHANGING = [
    ("/run", {}),
    ("/admin/subscribers/add", {"address": "mallory@example.org", "name": "Mallory"}),
    ("/admin/subscribers/remove", {"address": "ana@example.org"}),
    ("/logout", {}),
]


def _seed(config: Config, clock: Clock) -> None:
    store = Store(config.state_dir)
    try:
        store.seed_subscribers([("Ana", "ana@example.org")], clock())
    finally:
        store.close()


@pytest.mark.parametrize(("path", "data"), CHANGING[:3])
def test_every_changing_endpoint_refuses_without_login(
    client: TestClient, config: Config, clock: Clock, path: str, data: dict[str, str]
) -> None:
    _seed(config, clock)
    token = csrf_of(client.get("/login").text)  # a real token of a session that is not the admin's
    answer = client.post(path, data={"csrf": token, **data}, follow_redirects=False)
    assert answer.status_code == 403 and "admin" in answer.text
    assert _subscribers(config) == {"ana@example.org": "active"}
    assert runs_of(client).latest() is None


@pytest.mark.parametrize(("path", "data"), CHANGING)
@pytest.mark.parametrize("token", ["none", "forged", "another session's", "from before the login"])
def test_every_form_refuses_a_missing_forged_or_stale_csrf_token(
    client: TestClient, config: Config, clock: Clock, path: str, data: dict[str, str], token: str
) -> None:
    _seed(config, clock)
    stale = csrf_of(client.get("/login").text)
    log_in(client)
    other = TestClient(client.app)
    sent = {
        "none": {},
        "forged": {"csrf": "A" * 43},
        "another session's": {"csrf": csrf_of(other.get("/login").text)},
        "from before the login": {"csrf": stale},
    }[token]
    answer = client.post(path, data={**sent, **data}, follow_redirects=False)
    assert answer.status_code == 403 and "This form has expired" in answer.text
    assert _subscribers(config) == {"ana@example.org": "active"}
    assert runs_of(client).latest() is None
    assert client.get("/admin/subscribers").status_code == 200  # still logged in: logout refused too


def test_a_form_posted_from_another_site_is_refused_even_with_the_token(
    admin: TestClient, config: Config
) -> None:
    token = csrf_of(admin.get("/admin/subscribers").text)
    answer = admin.post(
        "/admin/subscribers/add",
        data={"csrf": token, "address": "mallory@example.org"},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403
    assert "mallory@example.org" not in _subscribers(config)


def test_a_token_page_form_posts_with_origin_null_and_its_token_decides(
    public: tuple[TestClient, Config], clock: Clock
) -> None:
    """A page sent with Referrer-Policy: no-referrer makes the browser send `Origin: null`."""
    client, config = public
    link = _active(config, "ana@example.org", clock)
    page = client.get(link)
    token = html.unescape(re.search(r'name="token" value="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
    refused = client.post("/unsubscribe", data={"token": token, "csrf": "A" * 43}, headers={"Origin": "null"})
    assert refused.status_code == 403
    done = client.post(
        "/unsubscribe", data={"token": token, "csrf": csrf_of(page.text)}, headers={"Origin": "null"}
    )
    assert done.status_code == 200 and _subscribers(config) == {"ana@example.org": "unsubscribed"}


# -- headers and limits ------------------------------------------------------------------------------------


def test_every_page_has_the_security_headers(admin: TestClient) -> None:
    for path in ("/status", "/login", "/admin/subscribers", "/run", "/nope", "/assets/style.css"):
        headers = admin.get(path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy, path
        assert "script-src" not in policy or "'unsafe-inline'" not in policy, path
    assert admin.get("/admin/subscribers").headers["cache-control"] == "no-store"
    # a page made for a session (its CSRF token, the admin's view) is never kept by a shared cache
    for path in ("/status", "/login", "/subscribe"):
        assert admin.get(path).headers["cache-control"] == "no-store", path
    # the archive's files are the same for everyone: their caching is kept, cookie or not
    stranger = TestClient(admin.app)
    assert stranger.get("/assets/style.css").headers["cache-control"] == "no-cache"
    assert admin.get("/assets/style.css").headers["cache-control"] == "no-cache"


def test_a_body_over_the_bound_is_refused(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    big = client.post("/login", data={"csrf": token, "password": "x" * (2 * 1024 * 1024)})
    assert big.status_code == 413

    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"a" * 65536

    streamed = client.post(
        "/login", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )  # no Content-Length: counted as it comes
    assert streamed.status_code == 413


def test_a_method_a_page_does_not_take_is_refused(client: TestClient) -> None:
    assert client.post("/status").status_code == 405
    assert client.delete("/").status_code == 405


# -- subscribers ------------------------------------------------------------------------------------------


def test_the_admin_adds_and_removes_subscribers(admin: TestClient, config: Config) -> None:
    token = csrf_of(admin.get("/admin/subscribers").text)
    page = admin.post(
        "/admin/subscribers/add", data={"csrf": token, "address": "ana@example.org", "name": "Ana"}
    )
    assert page.status_code == 200 and "Added" in page.text and "ana@example.org" in page.text
    assert _subscribers(config) == {"ana@example.org": "active"}
    page = admin.post("/admin/subscribers/remove", data={"csrf": token, "address": "ana@example.org"})
    assert "Removed" in page.text and ">unsubscribed</span>" in page.text
    assert _subscribers(config) == {"ana@example.org": SubscriberStatus.UNSUBSCRIBED}
    page = admin.post(
        "/admin/subscribers/add", data={"csrf": token, "address": "ana@example.org", "name": "Ana"}
    )
    assert "only its owner can subscribe again" in page.text  # one who left is not brought back
    assert _subscribers(config) == {"ana@example.org": "unsubscribed"}


@pytest.mark.parametrize(
    "address", ["", "not an address", "a@b@c.example", "<a@b.example>", "a@b", "a@b.example, c@d.example"]
)
def test_a_bad_address_is_said_and_nothing_added(admin: TestClient, config: Config, address: str) -> None:
    token = csrf_of(admin.get("/admin/subscribers").text)
    page = admin.post("/admin/subscribers/add", data={"csrf": token, "address": address})
    assert page.status_code == 400
    assert "Please enter your email address." in page.text or "is not an email address" in page.text
    assert _subscribers(config) == {}


def test_a_name_and_address_carrying_script_are_shown_as_text(
    admin: TestClient, config: Config, clock: Clock
) -> None:
    store = Store(config.state_dir)
    try:
        store.seed_subscribers([('<script>alert("name")</script>', '"<script>"@evil.example')], clock())
    finally:
        store.close()
    token = csrf_of(admin.get("/admin/subscribers").text)
    admin.post(
        "/admin/subscribers/add",
        data={"csrf": token, "address": "x@evil.example", "name": "<img src=x onerror=alert(1)>"},
    )
    page = admin.get("/admin/subscribers").text
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


# -- Run now ------------------------------------------------------------------------------------------------


def test_run_now_runs_the_current_slot_and_its_page_says_how_it_ended(admin: TestClient) -> None:
    token = csrf_of(admin.get("/run").text)
    started = admin.post("/run", data={"csrf": token}, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].startswith("/run/")
    runs_of(admin).wait(60)
    page = admin.get(started.headers["location"]).text
    # its one feed is a closed port: the run fails as `brief run` would, and says why
    assert "Failed: the brief of 2026-11-24T1500Z" in page
    assert "none of the 1 feeds could be read" in page and "allow it under network.allow" in page
    assert 'Fetching feeds <span class="count">1/1</span>' in page  # the stage it went through
    assert 'http-equiv="refresh"' not in page  # it stopped refreshing once done


def test_run_now_refuses_while_brief_run_holds_the_lock_in_another_process(
    admin: TestClient, config: Config
) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from pipeline.operate.lock import RunLock\n"
            f"with RunLock(Path({str(config.state_dir)!r})):\n"
            "    print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        token = csrf_of(admin.get("/run").text)
        answer = admin.post("/run", data={"csrf": token})
        assert answer.status_code == 409
        assert f"another dailybrief run is in progress (pid {holder.pid})" in answer.text
        assert runs_of(admin).latest() is None
    finally:
        holder.communicate("")
    answer = admin.post("/run", data={"csrf": token}, follow_redirects=False)
    assert answer.status_code == 303  # free again: it starts
    runs_of(admin).wait(60)


def test_a_second_run_now_while_one_runs_is_refused(site: LoopbackSite, tmp_path: Path) -> None:
    gate = threading.Event()
    site.serve("/feed.xml", lambda seen: Reply(200, rss_feed()) if gate.wait(30) else Reply(500))
    config = write_config(
        tmp_path / "slow",
        feeds=f"network:\n  allow: [{site.allow()!r}]\nfeeds:\n  - url: {site.url('/feed.xml')}\n",
    )
    admin = TestClient(create_app(config, clock=Clock(), env=ENV))
    log_in(admin)
    token = csrf_of(admin.get("/run").text)
    try:
        first = admin.post("/run", data={"csrf": token}, follow_redirects=False)
        assert first.status_code == 303
        watching = admin.get(first.headers["location"]).text
        assert "Running the brief of 2026-11-24T1500Z" in watching and 'http-equiv="refresh"' in watching
        second = admin.post("/run", data={"csrf": token})
        assert second.status_code == 409 and f"(pid {os.getpid()})" in second.text
        assert "Watch the run in progress" in second.text
    finally:
        gate.set()
        runs_of(admin).wait(60)


# -- subscribing, confirming, unsubscribing ----------------------------------------------------------------


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as found:
        yield found


@pytest.fixture
def public(tmp_path: Path, clock: Clock, sink: SmtpSink) -> tuple[TestClient, Config]:
    """An app open to subscriptions: a public address and a mail server."""
    config = write_config(tmp_path / "open", web="  public_url: http://testserver/\n")
    smtp = SmtpSettings("127.0.0.1", sink.port, None, None, "none")
    return TestClient(create_app(config, clock=clock, smtp=smtp, env=ENV)), config


def _mailed_link(sink: SmtpSink, path: str) -> str:
    """The link to `path` in the last mail the sink received (its text part, decoded)."""
    return mailed_link(sink.messages[-1], path)


def _subscribe(client: TestClient, address: str, name: str = "") -> Any:
    token = csrf_of(client.get("/subscribe").text)
    return client.post("/subscribe", data={"csrf": token, "address": address, "name": name})


def test_subscribing_mails_a_link_whose_page_confirms_only_when_its_button_is_pressed(
    public: tuple[TestClient, Config], sink: SmtpSink
) -> None:
    client, config = public
    answer = _subscribe(client, "ana@example.org", "Ana")
    assert answer.status_code == 200 and "a message to confirm is on its way" in answer.text
    assert len(sink.messages) == 1
    link = _mailed_link(sink, "/confirm")
    page = client.get(link)  # what a mail scanner does: it changes nothing
    assert page.status_code == 200 and "Confirm my subscription" in page.text
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    assert _subscribers(config) == {"ana@example.org": "pending"}
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    done = client.post("/confirm", data={"csrf": csrf_of(page.text), "token": html.unescape(token.group(1))})
    assert done.status_code == 200 and "is subscribed" in done.text
    assert _subscribers(config) == {"ana@example.org": "active"}


def _confirm_from(client: TestClient, link: str) -> None:
    """Open a mailed confirmation link and press its button, as its owner does."""
    page = client.get(link)
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token, page.text
    done = client.post("/confirm", data={"csrf": csrf_of(page.text), "token": html.unescape(token.group(1))})
    assert done.status_code == 200 and "is subscribed" in done.text


def test_a_name_typed_into_the_subscribe_form_never_becomes_anyones_name(
    public: tuple[TestClient, Config], sink: SmtpSink, clock: Clock
) -> None:
    client, config = public
    store = Store(config.state_dir)
    try:
        store.add_subscriber("ana@example.org", "Ana Lind", clock())  # named by the admin
        store.unsubscribe_subscriber("ana@example.org", clock())  # and she left
    finally:
        store.close()
    clock.advance(minutes=5)
    assert 'name="name"' not in client.get("/subscribe").text  # the form asks for no name
    stranger = TestClient(client.app)
    for address in ("ana@example.org", "ben@example.org"):
        assert _subscribe(stranger, address, "Mallory's Fool").status_code == 200
        _confirm_from(TestClient(client.app), _mailed_link(sink, "/confirm"))  # the owner confirms
    store = Store(config.state_dir)
    try:
        names = {s.address: (s.status, s.name) for s in store.subscribers()}
    finally:
        store.close()
    assert names == {"ana@example.org": ("active", "Ana Lind"), "ben@example.org": ("active", "")}


def test_a_forged_or_expired_confirm_link_is_refused_and_subscribes_nobody(
    public: tuple[TestClient, Config], sink: SmtpSink, clock: Clock
) -> None:
    client, config = public
    _subscribe(client, "ana@example.org")
    link = _mailed_link(sink, "/confirm")
    payload, mac = link.split("token=")[1].split(".")
    forged = client.get(f"/confirm?token={payload}.{'A' * len(mac)}")
    assert forged.status_code == 400 and "not one we sent" in forged.text
    mine = TestClient(client.app)  # a token made up by someone without the secret, posted directly
    posted = mine.post(
        "/confirm",
        data={"csrf": csrf_of(mine.get("/subscribe").text), "token": f"{payload}.{'A' * len(mac)}"},
    )
    assert posted.status_code == 400
    clock.advance(hours=48, seconds=1)
    expired = client.get(link)
    assert expired.status_code == 400 and "expired" in expired.text and 'href="/subscribe"' in expired.text
    assert _subscribers(config) == {"ana@example.org": "pending"}


def test_confirming_without_the_pages_csrf_token_is_refused(
    public: tuple[TestClient, Config], sink: SmtpSink
) -> None:
    client, config = public
    _subscribe(client, "ana@example.org")
    token = _mailed_link(sink, "/confirm").split("token=")[1]
    stranger = TestClient(client.app)
    assert stranger.post("/confirm", data={"token": token}).status_code == 403
    assert _subscribers(config) == {"ana@example.org": "pending"}


def _active(config: Config, address: str, clock: Clock) -> str:
    """`address` subscribed, and the unsubscribe link its mails carry."""
    from pipeline.publish.tokens import unsubscribe_url

    store = Store(config.state_dir)
    try:
        store.add_subscriber(address, "", clock())
    finally:
        store.close()
    link = unsubscribe_url(config, SECRET.encode(), address)
    assert link
    return link


def test_one_click_unsubscribe_needs_no_session_and_no_csrf_token(
    public: tuple[TestClient, Config], clock: Clock
) -> None:
    client, config = public
    link = _active(config, "ana@example.org", clock)
    provider = TestClient(client.app)  # a mail provider's server: no cookie, no page seen first
    answer = provider.post(link, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and "is unsubscribed" in answer.text
    assert _subscribers(config) == {"ana@example.org": "unsubscribed"}
    again = provider.post(link, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200  # idempotent


def test_the_unsubscribe_page_shows_a_button_and_its_form_needs_the_csrf_token(
    public: tuple[TestClient, Config], clock: Clock
) -> None:
    client, config = public
    link = _active(config, "ana@example.org", clock)
    page = client.get(link)
    assert "Unsubscribe</button>" in page.text and page.headers["referrer-policy"] == "no-referrer"
    assert _subscribers(config) == {"ana@example.org": "active"}
    token = html.unescape(re.search(r'name="token" value="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
    assert client.post("/unsubscribe", data={"token": token}).status_code == 403
    assert _subscribers(config) == {"ana@example.org": "active"}
    done = client.post("/unsubscribe", data={"token": token, "csrf": csrf_of(page.text)})
    assert "is unsubscribed" in done.text
    assert _subscribers(config) == {"ana@example.org": "unsubscribed"}


def test_the_archived_emails_unsubscribe_link_says_each_subscriber_has_their_own(
    site: LoopbackSite, tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.run import RunOptions, run_brief

    site.serve("/feed.xml", lambda seen: Reply(200, rss_feed()))
    config = write_config(
        tmp_path / "archived",
        web="  public_url: http://testserver/\n",
        feeds=f"network:\n  allow: [{site.allow()!r}]\nfeeds:\n  - url: {site.url('/feed.xml')}\n",
    )
    client = TestClient(create_app(config, clock=clock, env=ENV))
    _active(config, "ana@example.org", clock)
    monkeypatch.setenv("BRIEF_SECRET", SECRET)
    result = run_brief(config, slot=clock(), clock=clock, options=RunOptions(send=False))
    archived = (result.brief_dir / "email.txt").read_text(encoding="utf-8")
    link = re.search(r"http://testserver/unsubscribe\?token=\S+", archived)
    assert link, archived  # the archive keeps the email as the one rendering made it
    one_click = client.post(link.group(0), data={"List-Unsubscribe": "One-Click"})
    for answer in (client.get(link.group(0)), one_click):
        assert answer.status_code == 400
        assert "archive copy" in answer.text and "Use the link in the email you received" in answer.text
    assert _subscribers(config) == {"ana@example.org": "active"}


@pytest.mark.parametrize("kind", ["forged", "malformed", "a confirm token"])
def test_a_bad_unsubscribe_token_is_refused_and_changes_nothing(
    public: tuple[TestClient, Config], sink: SmtpSink, clock: Clock, kind: str
) -> None:
    client, config = public
    link = _active(config, "ana@example.org", clock)
    token = link.split("token=")[1]
    if kind == "a confirm token":
        _subscribe(client, "bob@example.org")
        token = _mailed_link(sink, "/confirm").split("token=")[1]
    bad = {"forged": token[:-4] + "AAAA", "malformed": "nonsense", "a confirm token": token}[kind]
    answer = client.post(f"/unsubscribe?token={bad}", data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 400
    assert client.get(f"/unsubscribe?token={bad}").status_code == 400
    assert _subscribers(config)["ana@example.org"] == "active"


def test_two_hundred_subscribe_requests_from_one_address_send_five_mails(
    public: tuple[TestClient, Config], sink: SmtpSink
) -> None:
    client, _ = public
    token = csrf_of(client.get("/subscribe").text)
    codes = [
        client.post("/subscribe", data={"csrf": token, "address": f"victim{i}@example.org"}).status_code
        for i in range(200)
    ]
    assert codes == [200] * 5 + [429] * 195
    assert len(sink.messages) == 5
    refused = client.post("/subscribe", data={"csrf": token, "address": "late@example.org"})
    assert "Too many subscribe requests from your address" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    # another reader, from another address, is not held back by it
    other = TestClient(client.app, client=("198.51.100.7", 40000))
    assert _subscribe(other, "carol@example.org").status_code == 200
    assert len(sink.messages) == 6


def test_many_addresses_at_once_pause_subscribing_with_a_page_that_says_so(
    public: tuple[TestClient, Config], sink: SmtpSink
) -> None:
    from pipeline.publish.subscriptions import MAILS_PER_HOUR

    client, _ = public
    for n in range(MAILS_PER_HOUR // 5):  # each client address within its own limit of 5
        other = TestClient(client.app, client=(f"198.51.100.{n + 1}", 40000))
        token = csrf_of(other.get("/subscribe").text)
        for i in range(5):
            assert (
                other.post("/subscribe", data={"csrf": token, "address": f"r{n}.{i}@example.org"}).status_code
                == 200
            )
    assert len(sink.messages) == MAILS_PER_HOUR
    paused = _subscribe(TestClient(client.app, client=("203.0.113.1", 40000)), "late@example.org")
    assert paused.status_code == 503 and paused.headers["retry-after"] == "3600"
    assert "subscribing is paused" in paused.text
    assert len(sink.messages) == MAILS_PER_HOUR


def test_a_subscriber_address_or_name_carrying_script_is_refused_or_kept_as_text(
    public: tuple[TestClient, Config], sink: SmtpSink
) -> None:
    client, _ = public
    bad = _subscribe(client, '"><script>alert(1)</script>@evil.example')
    assert bad.status_code == 400 and "<script>" not in bad.text
    assert "&lt;script&gt;" in bad.text  # said back, as text
    named = _subscribe(client, "dan@example.org", "<script>alert(2)</script>")
    assert named.status_code == 200
    assert b"<script>" not in sink.messages[-1]  # what the requester typed as a name is never mailed
    log_in(client)
    page = client.get("/admin/subscribers").text
    assert "dan@example.org" in page and "alert(2)" not in page  # nor kept (the admin's names: below)


def test_without_a_public_address_subscribing_is_closed_and_says_why(client: TestClient) -> None:
    page = client.get("/subscribe")
    assert "Subscribing is not open on this server: web.public_url is not set" in page.text
    answer = _subscribe_any(client)
    assert answer.status_code == 503


def _subscribe_any(client: TestClient) -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post("/subscribe", data={"csrf": token, "address": "ana@example.org"})

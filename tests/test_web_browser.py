"""The web app as a person uses it: a real uvicorn on a free loopback port, a real Chromium,
the demo corpus served on loopback for the run, a real SMTP sink for the mail.

Screenshots of every page at 1280 and 375 px go to $BRIEF_SHOTS (default /tmp/shots); no page
may scroll sideways on a phone, and no page logs an error (a script or style the
Content-Security-Policy blocked would). The stories run in the order written, on one site that
starts with no brief. Needs Debian's chromium and chromium-driver (skipped otherwise, saying
why), as tests/test_site.py does.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from browser import CHROMEDRIVER, CHROMIUM, NO_BROWSER, chromium
from selenium.common.exceptions import StaleElementReferenceException
from web_app import ENV, PASSWORD, Clock, runs_of_app

from pipeline.config import Config, SmtpSettings, load_config
from pipeline.demo import CorpusServer, SmtpSink, demo_config_text, serve_corpus, slot_clock, smtp_sink
from pipeline.operate.lock import RunLock
from pipeline.operate.schedule import parse_slot
from pipeline.store import Store
from pipeline.web import create_app

WIDTHS = (1280, 375)
SHOTS = Path(os.environ.get("BRIEF_SHOTS", "/tmp/shots"))
FIRST_SLOT = parse_slot("2026-04-08T21:00Z")
REFRESHED = (StaleElementReferenceException,)  # a page that refreshes itself, read as it did
WAIT = 120  # seconds a page may take to show what a test waits for (a whole run, on a busy machine)

pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason=NO_BROWSER)


@dataclass
class Site:
    """The app under uvicorn, and what it reaches."""

    url: str
    config: Config
    corpus: CorpusServer
    sink: SmtpSink
    clock: Clock
    app: Any


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A fresh newsroom on the demo corpus (no brief yet), the clock just after its first slot."""
    import uvicorn

    folder = tmp_path_factory.mktemp("web-site")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # connections wait in the backlog until uvicorn takes them: no start-up race
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    now = slot_clock(FIRST_SLOT)
    with pytest.MonkeyPatch.context() as env, serve_corpus(now) as corpus, smtp_sink() as sink:
        env.setenv("BRIEF_SECRET", ENV["BRIEF_SECRET"])  # the run signs each reader's unsubscribe link
        path = folder / "sources.yaml"
        text = demo_config_text(corpus, folder / "output", folder / "state")
        path.write_text(text + f"web:\n  public_url: {url}/\n", encoding="utf-8")
        config = load_config(path)
        clock = Clock(now)
        smtp = SmtpSettings("127.0.0.1", sink.port, None, None, "none")
        app = create_app(config, smtp=smtp, clock=clock, env=ENV)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
        thread.start()
        try:
            yield Site(url, config, corpus, sink, clock, app)
        finally:
            server.should_exit = True
            thread.join(10)
            listener.close()
            runs_of_app(app).wait(WAIT)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(page_load_timeout=WAIT) as driver:
        yield driver


def _width(driver: Any, width: int, height: int = 900) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def _go(driver: Any, url: str) -> None:
    _width(driver, 1280)
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(url)


def _errors(driver: Any) -> list[Any]:
    """What the page logged as errors, but the page's own status (a 401, a 409: on purpose)
    and the favicon no page has."""
    own = driver.current_url.split("#")[0]
    return [
        e
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE"
        and "favicon.ico" not in e["message"]
        and not (e["source"] == "network" and e["message"].startswith(own + " "))
    ]


def _shoot(driver: Any, name: str) -> None:
    """Screenshots of the page as it is, whole, at each width; it must not scroll sideways at
    375 px, nor have logged an error."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        _width(driver, width)
        if width == 375:
            wide, seen = driver.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth];"
            )
            assert wide <= seen, f"{name} scrolls sideways at 375 px: {wide} > {seen}"
        tall = min(int(driver.execute_script("return document.documentElement.scrollHeight;")), 6000)
        _width(driver, width, max(tall, 600))
        driver.save_screenshot(str(SHOTS / f"{name}-{width}.png"))
    _width(driver, 1280)
    errors = _errors(driver)
    assert not errors, f"{name}: {errors}"


def _press(driver: Any, selector: str) -> None:
    """Press a form's button and wait for the page it leads to."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element("tag name", "html")
    driver.find_element("css selector", selector).click()
    WebDriverWait(driver, WAIT).until(expected_conditions.staleness_of(page))


def _message(raw: bytes) -> EmailMessage:
    found = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(found, EmailMessage)
    return found


def _link_in(message: EmailMessage, path: str) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(rf"http://127\.0\.0\.1:\d+{path}\?token=\S+", body.get_content())
    assert found, body.get_content()
    return found.group(0)


def _brief_to(site: Site, address: str) -> EmailMessage:
    """The last brief the sink received for `address`."""
    briefs = [
        m
        for m in map(_message, site.sink.messages)
        if m["To"].addresses[0].addr_spec == address and "List-Id" in m
    ]
    assert briefs, f"no brief was delivered to {address}"
    return briefs[-1]


def _subscriber(site: Site, address: str) -> str:
    store = Store(site.config.state_dir)
    try:
        found = store.subscriber(address)
    finally:
        store.close()
    return found.status if found else "unknown"


def _log_in(driver: Any, site: Site) -> None:
    _go(driver, f"{site.url}/login")
    if "/login" not in driver.current_url:
        return  # already the admin
    driver.find_element("id", "password").send_keys(PASSWORD)
    _press(driver, "form.panel button[type=submit]")


# -- the stories ----------------------------------------------------------------------------------------


def test_a_reader_sees_the_status_before_any_brief(browser: Any, site: Site) -> None:
    _go(browser, site.url + "/")
    assert browser.current_url == site.url + "/status"  # no brief yet: the status says why
    live = browser.find_element("css selector", "header .live").text
    assert live == "Pipeline Stopped · Last: never | Next: 15:00 UTC"
    assert "No slot has been run yet." in browser.page_source
    assert "Run now" not in browser.page_source
    _shoot(browser, "status-reader-empty")
    _go(browser, site.url + "/login")
    _shoot(browser, "login")


def test_a_login_with_next_to_another_site_stays_on_this_one(browser: Any, site: Site) -> None:
    _go(browser, site.url + "/login?next=//evil.example/")
    browser.find_element("id", "password").send_keys("not the password")
    _press(browser, "form.panel button[type=submit]")
    assert "That is not the admin's password." in browser.page_source
    _shoot(browser, "login-failed")
    browser.find_element("id", "password").send_keys(PASSWORD)
    _press(browser, "form.panel button[type=submit]")
    assert browser.current_url == site.url + "/status"
    _press(browser, "form[action='/logout'] button")
    assert browser.current_url.rstrip("/") in (site.url, site.url + "/status")


def test_a_reader_subscribes_and_confirms_from_the_mail(browser: Any, site: Site) -> None:
    _go(browser, site.url + "/subscribe")
    _shoot(browser, "subscribe")
    browser.find_element("id", "address").send_keys("ana@example.org")
    assert not browser.find_elements("id", "name")  # no name: see pipeline/web/public.py
    before = len(site.sink.messages)
    _press(browser, "form[action='/subscribe'] button")
    assert "a message to confirm is on its way" in browser.page_source
    _shoot(browser, "subscribed")
    assert len(site.sink.messages) == before + 1
    mail = _message(site.sink.messages[-1])
    assert mail["To"].addresses[0].addr_spec == "ana@example.org" and mail["Subject"].startswith(
        "Confirm your subscription"
    )
    link = _link_in(mail, "/confirm")
    _go(browser, link)
    assert (
        browser.find_element("css selector", "form.panel p").text
        == "Send AI Daily Brief (demo) to ana@example.org?"
    )
    assert _subscriber(site, "ana@example.org") == "pending"  # opening the link alone does nothing
    _shoot(browser, "confirm")
    _press(browser, "form[action='/confirm'] button")
    assert "ana@example.org is subscribed" in browser.find_element("css selector", "p.notice").text
    assert _subscriber(site, "ana@example.org") == "active"
    _shoot(browser, "confirmed")


def test_the_admin_presses_run_now_and_watches_it_finish(browser: Any, site: Site) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    _go(browser, site.url + "/run")
    assert "/login?next=/run" in browser.current_url  # the admin's page asks for the login first
    browser.find_element("id", "password").send_keys(PASSWORD)
    _press(browser, "form.panel button[type=submit]")
    assert browser.current_url == site.url + "/run"
    _shoot(browser, "run-start")
    before = len(site.sink.messages)
    _press(browser, "form[action='/run'] button")
    assert "/run/" in browser.current_url
    watched = {browser.find_element("id", "run-state").text}
    if browser.find_elements("css selector", "meta[http-equiv=refresh]"):
        _shoot(browser, "run-in-progress")

    def finished(driver: Any) -> bool:
        text = str(driver.find_element("id", "run-state").text)
        watched.add(text)
        return not text.startswith("Running")

    WebDriverWait(browser, WAIT, poll_frequency=0.25, ignored_exceptions=REFRESHED).until(finished)
    state = browser.find_element("id", "run-state").text
    assert state == "Done: the brief of 2026-04-08T2100Z", (state, browser.page_source)
    stages = [li.text for li in browser.find_elements("css selector", "ol.stages li")]
    assert len(stages) >= 4 and stages[0].startswith("Fetching feeds"), stages
    result = browser.find_element("css selector", "p.result").text
    assert result.startswith("Brief 2026-04-08T2100Z: ") and "5/5 feeds read" in result
    assert "Email: sent to " in browser.page_source
    _shoot(browser, "run-done")
    # one message each, to the demo's reader and to the one who just subscribed
    got = [_message(m) for m in site.sink.messages[before:]]
    assert sorted(m["To"].addresses[0].addr_spec for m in got) == ["ana@example.org", "reader@example.com"]
    _go(browser, browser.find_element("link text", "Read the brief").get_attribute("href"))
    assert browser.current_url == site.url + "/2026/04/08/2100/"
    assert "Meta" in browser.find_element("tag name", "h1").text or browser.find_elements(
        "css selector", ".thread"
    )
    _shoot(browser, "brief-page")
    _go(browser, site.url + "/")
    assert browser.find_elements("css selector", "a.when")  # the archive's index lists it
    _shoot(browser, "archive-index")
    _go(browser, site.url + "/status")
    assert "2026-04-08T2100Z" in browser.page_source and "delivered to 2 of 2" in browser.page_source
    assert browser.find_element("css selector", "header .live").text.startswith(
        "Pipeline Stopped · Last: 21:00 UTC"
    )
    _shoot(browser, "status-admin")


def test_a_mail_provider_unsubscribes_in_one_click_from_the_briefs_header(site: Site) -> None:
    import httpx

    brief = _brief_to(site, "reader@example.com")
    assert brief["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = " ".join(str(brief["List-Unsubscribe"]).split())
    links = [part.strip(" <>") for part in header.split(",")]
    assert links[0].startswith(site.url + "/unsubscribe?token=") and links[1].startswith("mailto:"), links
    # RFC 8058: a POST of that body to the https link, from the provider's servers, no cookie
    answer = httpx.post(links[0], data={"List-Unsubscribe": "One-Click"}, follow_redirects=False)
    assert answer.status_code == 200, answer.text
    assert _subscriber(site, "reader@example.com") == "unsubscribed"


def test_a_reader_unsubscribes_from_the_visible_link_in_the_brief(browser: Any, site: Site) -> None:
    brief = _brief_to(site, "ana@example.org")
    text = brief.get_body(("plain",))
    assert text is not None
    found = re.search(r"Unsubscribe in one click: (\S+)", text.get_content())
    assert found, "the text part has no unsubscribe link"
    html_part = brief.get_body(("html",))
    assert html_part is not None and found.group(1).replace("&", "&amp;") in html_part.get_content()
    _go(browser, found.group(1))
    assert browser.find_element("css selector", "form.panel p").text == (
        "Stop sending AI Daily Brief (demo) to ana@example.org?"
    )
    _shoot(browser, "unsubscribe")
    _press(browser, "form[action='/unsubscribe'] button")
    assert "ana@example.org is unsubscribed" in browser.find_element("css selector", "p.notice").text
    _shoot(browser, "unsubscribed")
    assert _subscriber(site, "ana@example.org") == "unsubscribed"


def test_a_forged_link_says_so(browser: Any, site: Site) -> None:
    _go(
        browser,
        site.url
        + "/unsubscribe?token=dTB8MHxhbmFAZXhhbXBsZS5vcmc.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    assert "This link is not one we sent" in browser.page_source
    _shoot(browser, "link-refused")


def test_run_now_is_refused_while_another_run_holds_the_lock(browser: Any, site: Site) -> None:
    _log_in(browser, site)
    _go(browser, site.url + "/run")
    with RunLock(site.config.state_dir):  # as `brief run` in a shell would hold it
        _press(browser, "form[action='/run'] button")
        text = browser.find_element("css selector", "p.notice.error").text
        assert text == f"Not started: another dailybrief run is in progress (pid {os.getpid()})."
        _shoot(browser, "run-refused")


def test_the_admin_adds_a_subscriber_whose_name_carries_script_and_it_stays_text(
    browser: Any, site: Site
) -> None:
    _log_in(browser, site)
    _go(browser, site.url + "/admin/subscribers")
    name = "<script>window.pwned = 1</script><img src=x onerror='window.pwned = 2'>"
    browser.find_element("id", "address").send_keys("mallory.with.a.long.address@subdomain.evil.example")
    browser.find_element("id", "name").send_keys(name)
    _press(browser, "form[action='/admin/subscribers/add'] button")
    assert "Added: they get the next brief." in browser.page_source
    assert browser.execute_script("return window.pwned === undefined;")
    cells = [td.text for td in browser.find_elements("css selector", "table.subscribers td")]
    assert name in cells  # shown as the text it is
    _shoot(browser, "subscribers")
    _press(browser, "button[aria-label='Remove mallory.with.a.long.address@subdomain.evil.example']")
    assert "Removed: they get no more briefs." in browser.page_source


def test_a_page_that_is_not_there_says_so(browser: Any, site: Site) -> None:
    _go(browser, site.url + "/no/such/page")
    assert "There is no such page in the archive." in browser.page_source
    _shoot(browser, "not-found")


def test_two_hundred_subscribe_requests_from_one_address_are_cut_off_with_a_clear_page(
    browser: Any, site: Site
) -> None:
    import httpx

    before = len(site.sink.messages)
    with httpx.Client(base_url=site.url) as flood:
        token = re.search(r'name="csrf" value="([^"]+)"', flood.get("/subscribe").text)
        assert token
        codes = [
            flood.post(
                "/subscribe", data={"csrf": token.group(1), "address": f"v{i}@example.org"}
            ).status_code
            for i in range(200)
        ]
    # 5 an hour from one address: the browser's subscribe above was the first of them
    assert codes == [200] * 4 + [429] * 196, codes
    assert len(site.sink.messages) == before + 4
    _go(browser, site.url + "/subscribe")
    browser.find_element("id", "address").send_keys("one.more@example.org")
    _press(browser, "form[action='/subscribe'] button")
    notice = browser.find_element("css selector", "p.notice").text
    assert notice.startswith("Too many subscribe requests from your address. Try again in ")
    _shoot(browser, "too-many")
    assert len(site.sink.messages) == before + 4


def test_on_the_real_server_every_changing_endpoint_refuses_a_stranger_and_a_missing_or_forged_token(
    site: Site,
) -> None:
    import httpx

    with httpx.Client(base_url=site.url) as stranger:
        token = re.search(r'name="csrf" value="([^"]+)"', stranger.get("/login").text)
        assert token
        for path in ("/run", "/admin/subscribers/add", "/admin/subscribers/remove"):
            for sent in ({}, {"csrf": "A" * 43}, {"csrf": token.group(1)}):
                answer = stranger.post(path, data={**sent, "address": "mallory@example.org"})
                assert answer.status_code == 403, (path, sent)
    assert _subscriber(site, "mallory@example.org") == "unknown"


@pytest.mark.parametrize(
    "target",
    ["/../sources.yaml", "/%2e%2e/sources.yaml", "/threads/../../sources.yaml", "/..%2f..%2fsources.yaml"],
)
def test_on_the_real_server_no_path_leaves_the_archive(site: Site, target: str) -> None:
    """Sent as the bytes a hostile client sends (httpx and browsers would tidy the `..` away)."""
    with socket.create_connection(("127.0.0.1", int(site.url.rsplit(":", 1)[1])), timeout=10) as raw:
        raw.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    status = answer.split(b"\r\n", 1)[0]
    assert status in (b"HTTP/1.1 404 Not Found", b"HTTP/1.1 400 Bad Request"), answer[:200]
    assert b"feeds:" not in answer and b"public_url" not in answer


def test_the_apps_pages_follow_the_readers_dark_scheme(browser: Any, site: Site) -> None:
    _log_in(browser, site)
    for path, name in (("/status", "status-dark"), ("/admin/subscribers", "subscribers-dark")):
        _go(browser, site.url + path)
        browser.execute_cdp_cmd(
            "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
        )
        background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(22, 22, 21)", background  # the archive's dark background
        _shoot(browser, name)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


@pytest.mark.parametrize(
    "path", ["/", "/status", "/login", "/run", "/admin/subscribers", "/2026/04/08/2100/"]
)
def test_no_page_scrolls_sideways_on_a_phone(browser: Any, site: Site, path: str) -> None:
    _log_in(browser, site)
    _go(browser, site.url + path)
    if "/login" in browser.current_url and path != "/login":
        pytest.fail(f"{path} asked for the login again")
    _width(browser, 375)
    wide, seen = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth];")
    assert wide <= seen, f"{path} scrolls sideways at 375 px: {wide} > {seen}"

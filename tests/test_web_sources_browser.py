"""The Threads and Feeds pages as the admin uses them, in a real Chromium against a real uvicorn
(tests/test_web_browser.py's newsroom on the demo corpus): run two briefs with Run now, follow
the emerging story the second found, run the next one and find the story a configured thread.
Screenshots at 1280 and 375 px, as that file takes them."""

from __future__ import annotations

from typing import Any

import pytest
from test_web_browser import REFRESHED, WAIT, Site, _go, _log_in, _press, _shoot, browser, site
from web_app import runs_of_app

from pipeline.config import load_config
from pipeline.demo import DEMO_SLOTS, slot_clock
from pipeline.operate.schedule import parse_slot

__all__ = ["browser", "site"]  # the fixtures, as that file makes them

SLOTS = [parse_slot(s) for s in DEMO_SLOTS]


def _run_now(driver: Any, site: Site, slot_index: int) -> None:
    """Run now for the demo's slot `slot_index`, watched until it is done."""
    from selenium.webdriver.support.ui import WebDriverWait

    now = slot_clock(SLOTS[slot_index])
    site.clock.now = now
    site.corpus.now = now
    _log_in(driver, site)  # a login lasts twelve hours of the app's clock, which moved a day
    _go(driver, site.url + "/run")
    _press(driver, "form[action='/run'] button")
    WebDriverWait(driver, WAIT, poll_frequency=0.25, ignored_exceptions=REFRESHED).until(
        lambda d: not str(d.find_element("id", "run-state").text).startswith("Running")
    )
    assert driver.find_element("id", "run-state").text.startswith("Done"), driver.page_source
    runs_of_app(site.app).wait(WAIT)


def test_the_admin_follows_an_emerging_story_and_the_next_run_files_it_there(
    browser: Any, site: Site
) -> None:
    _log_in(browser, site)
    _run_now(browser, site, 0)
    _run_now(browser, site, 1)

    _go(browser, site.url + "/admin/threads")
    assert "EU fines chipmaker Veltrion" in browser.page_source
    _shoot(browser, "threads")
    _press(browser, "button[aria-label^='Follow EU fines chipmaker Veltrion']")
    notice = browser.find_element("css selector", "p.notice").text
    assert notice == "added thread eu-fines-chipmaker-veltrion-870-million"
    assert "followed by eu-fines-chipmaker-veltrion-870-million" in browser.page_source
    followed = load_config(site.config.path).threads[-1]
    assert followed.story.startswith("story-")
    _shoot(browser, "threads-followed")

    _run_now(browser, site, 2)
    _go(browser, browser.find_element("link text", "Read the brief").get_attribute("href"))
    # the story's next article is in the brief under the configured thread, its title as kicker
    section = browser.find_element("id", f"thread-{followed.id}")
    kicker = section.find_element("css selector", ".kicker").text
    assert kicker.upper().startswith("EU FINES CHIPMAKER VELTRION €870 MILLION OVER CAR-CHIP CONTRACTS · ")
    assert "Veltrion to appeal" in section.text
    assert not browser.find_elements("id", f"thread-{followed.story}")
    _shoot(browser, "brief-with-followed-thread")


def test_the_admin_mutes_a_thread_and_edits_one_whose_description_carries_script(
    browser: Any, site: Site
) -> None:
    _log_in(browser, site)
    _go(browser, site.url + "/admin/threads")
    _press(browser, 'button[aria-label="Mute Yann LeCun\'s exit"]')
    assert browser.find_element("css selector", "p.notice").text == "thread lecun-exit muted"
    description = browser.find_element("id", "description-meta-closed-pivot")
    description.clear()
    description.send_keys("<script>window.pwned = 1</script> Meta's closed models")
    _press(browser, "#thread-meta-closed-pivot button[type=submit]")
    assert browser.execute_script("return window.pwned === undefined;")
    shown = browser.find_element("id", "description-meta-closed-pivot").get_attribute("value")
    assert shown == "<script>window.pwned = 1</script> Meta's closed models"
    _shoot(browser, "threads-edited")


def test_the_feeds_page_at_both_widths(browser: Any, site: Site) -> None:
    _log_in(browser, site)
    _go(browser, site.url + "/admin/feeds")
    assert len(browser.find_elements("css selector", "table.feeds tbody tr")) == 5
    browser.find_element("id", "url").send_keys("http://localhost:1/")
    _press(browser, "form[action='/admin/feeds/add'] button")
    assert "refused non-public address" in browser.find_element("css selector", "p.notice.error").text
    _shoot(browser, "feeds")


@pytest.mark.parametrize("path", ["/admin/threads", "/admin/feeds"])
def test_the_pages_ask_for_the_login_first(browser: Any, site: Site, path: str) -> None:
    _go(browser, site.url + "/login")
    if browser.find_elements("css selector", "form[action='/logout'] button"):
        _press(browser, "form[action='/logout'] button")
    _go(browser, site.url + path)
    assert "/login?next=" in browser.current_url

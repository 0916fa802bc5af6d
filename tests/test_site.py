"""The archive as a reader opens it: straight from disk, in a real browser, on a phone and a desktop.

The browser checks need Debian's `chromium` and `chromium-driver` (`make test` installs them when
it can); without them those tests are skipped and say why. The feed and HTML validity checks
need no browser.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import html5lib
import pytest
from browser import CHROMEDRIVER, CHROMIUM, NO_BROWSER, chromium

from pipeline.config import load_config
from pipeline.demo import run_demo
from pipeline.publish.compose import rebuild_archive

WIDTHS = (375, 1280)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's archive: three briefs over three days."""
    folder = tmp_path_factory.mktemp("site")
    run_demo(folder)
    return folder


def _pages(site: Path) -> dict[str, Path]:
    output = site / "output"
    briefs = sorted(output.glob("20*/*/*/*/index.html"))
    return {
        "archive index": output / "index.html",
        "month page": output / "archive" / "2026-04.html",
        "brief page": briefs[-1],
        "thread page": output / "threads" / "meta-closed-pivot.html",
        "email": briefs[-1].parent / "email.html",
    }


def test_the_feed_is_valid_atom_listing_every_brief_with_working_links(site: Path) -> None:
    output = site / "output"
    parsed: Any = feedparser.parse((output / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert len(parsed.entries) == 3
    assert parsed.entries[0].title.startswith("Fri 10 Apr 2026, 15:00 UTC")
    for entry in parsed.entries:
        assert (output / entry.link).is_file(), entry.link
        assert "<h2>" in entry.content[0].value  # the brief's headlines, as HTML


def test_every_page_is_valid_html5(site: Path) -> None:
    output = site / "output"
    pages = [*output.glob("**/index.html"), *output.glob("threads/*.html"), *output.glob("**/email.html")]
    assert len(pages) >= 3 + 1 + 2 + 3
    parser = html5lib.HTMLParser(strict=True)
    for page in pages:
        parser.parse(page.read_bytes())  # raises on the first parse error


def test_every_relative_link_in_the_archive_resolves(site: Path) -> None:
    import re

    output = site / "output"
    pages = [*output.glob("**/*.html")]
    assert len(pages) >= 3 + 1 + 2 + 3, pages  # the briefs and their emails, the index, the threads
    checked = 0
    for page in pages:
        for href in re.findall(r'(?:href|src)="([^"#:]+)(?:#[^"]*)?"', page.read_text(encoding="utf-8")):
            assert (page.parent / href).resolve().exists(), f"{page.relative_to(output)} links {href}"
            checked += 1
    assert checked > len(pages), "the pages link each other"


def test_rebuild_regenerates_the_archive_identically(site: Path, tmp_path: Path) -> None:
    output = site / "output"
    before = {p.relative_to(output): p.read_bytes() for p in output.rglob("*") if p.is_file()}
    shutil.rmtree(output)
    count = rebuild_archive(load_config(site / "sources.yaml"))
    after = {p.relative_to(output): p.read_bytes() for p in output.rglob("*") if p.is_file()}
    assert count == 3
    received = {p for p in before if p.name == "received.eml"}  # the demo sink's copy, not the archive's
    assert set(after) == set(before) - received
    for path, content in after.items():
        assert content == before[path], f"{path} differs after rebuild"


# -- in a real browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(NO_BROWSER)
    with chromium("--allow-file-access-from-files") as driver:
        yield driver


def _open(driver: Any, page: Path, width: int, dark: bool = False) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]},
    )
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(page.as_uri())


def _luminance(css_color: str) -> float:
    """Relative luminance of an rgb()/rgba() color, 0 (black) to 1 (white)."""
    parts = [float(x) for x in css_color[css_color.index("(") + 1 : css_color.index(")")].split(",")[:3]]
    linear = [(c / 255) / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in parts]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("name", ["archive index", "month page", "brief page", "thread page", "email"])
def test_pages_open_from_disk_without_errors_broken_links_or_sideways_scroll(
    browser: Any, site: Path, name: str, tmp_path: Path, record_property: Any
) -> None:
    page = _pages(site)[name]
    for width in WIDTHS:
        _open(browser, page, width)
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
        broken = browser.execute_script(
            """
            const bad = [];
            for (const img of document.images) {
              if (!img.complete || img.naturalWidth === 0) bad.push(img.src);
            }
            return bad;
            """
        )
        assert not broken, broken
        local = browser.execute_script(
            "return [...document.querySelectorAll('a[href], link[href]')]"
            ".map(a => a.href).filter(h => h.startsWith('file:'));"
        )
        for url in local:
            target = Path(url.split("#")[0].removeprefix("file://"))
            assert target.exists(), f"{name} at {width}px links to a missing file: {url}"
        if width == 375:
            scroll = browser.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth];"
            )
            assert scroll[0] <= scroll[1], f"{name} scrolls sideways at 375 px: {scroll}"
        shot = tmp_path / f"{name.replace(' ', '-')}-{width}.png"
        browser.save_screenshot(str(shot))
        record_property(f"screenshot {width}px", str(shot))
        print(f"screenshot: {shot}")


@pytest.mark.parametrize("name", ["archive index", "month page", "brief page", "thread page"])
def test_the_dark_scheme_applies_when_the_reader_prefers_it(browser: Any, site: Path, name: str) -> None:
    page = _pages(site)[name]
    _open(browser, page, 1280, dark=False)
    light = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    _open(browser, page, 1280, dark=True)
    dark = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert _luminance(light) > 0.7 and _luminance(dark) < 0.05, (light, dark)
    text = browser.execute_script("return getComputedStyle(document.body).color")
    assert _luminance(text) > 0.7  # light text on the dark background


def test_the_search_box_filters_briefs_and_threads(browser: Any, site: Path) -> None:
    _open(browser, _pages(site)["archive index"], 1280)
    visible = "return [...document.querySelectorAll('[data-search]')].filter(e => !e.hidden).length;"
    everything = browser.execute_script(visible)
    box = browser.find_element("id", "q")
    box.send_keys("Veltrion")
    matches = browser.execute_script(visible)
    assert 0 < matches < everything
    texts = browser.execute_script(
        "return [...document.querySelectorAll('[data-search]')]"
        ".filter(e => !e.hidden).map(e => e.textContent);"
    )
    assert any("Veltrion" in t for t in texts)
    assert "match" in browser.find_element("id", "q-count").text
    box.clear()
    box.send_keys("zzzz-no-such-word")
    assert browser.execute_script(visible) == 0
    assert browser.find_element("id", "q-count").text == "0 matches"


def test_the_archive_reads_without_javascript(site: Path) -> None:
    index = (site / "output" / "index.html").read_text(encoding="utf-8")
    body = index.split("<script", 1)[0]
    # every brief is a plain link in the HTML; only the search box waits for the script
    assert body.count('class="when" href=') == 3
    assert '<form class="search" role="search" hidden>' in body


def test_a_thread_page_links_every_brief_it_was_in_and_keeps_its_timeline_and_disputes(site: Path) -> None:
    output = site / "output"
    page = (output / "threads" / "lecun-exit.html").read_text(encoding="utf-8")
    briefs = sorted(p.parent.relative_to(output).as_posix() for p in output.glob("20*/*/*/*/index.html"))
    assert len(briefs) == 3, briefs
    for folder in briefs:
        assert f'href="../{folder}/index.html#thread-lecun-exit"' in page, folder
    assert "Timeline" in page and "Figures over time" in page
    assert "Where sources disagree" in page and "$3.5 billion" in page and "$4.5 billion" in page

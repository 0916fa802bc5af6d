"""Several briefs from one installation (editions): the feeds read once, the rest per edition."""

from __future__ import annotations

import email
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import MAIL_FROM, LoopbackSite, Reply, SmtpServer, brief_cli, ledger, rss_feed, story_item

from pipeline.config import load_config
from pipeline.errors import ConfigError, NothingToDoError
from pipeline.run import RunOptions, run_editions
from pipeline.store.records import SlotState

SLOT = datetime(2026, 11, 9, 15, 0, tzinfo=UTC)


def _sources(root: Path, site: LoopbackSite, editions: str) -> Path:
    path = root / "sources.yaml"
    path.write_text(
        "\n".join(
            [
                "brief:",
                "  title: Harbour Briefs",
                "  output: output",
                "  state: state",
                "delivery:",
                f'  from: "{MAIL_FROM}"',
                "network:",
                f'  allow: ["{site.allow()}"]',
                "feeds:",
                f'  - {{url: "{site.url("/sea.xml")}", name: Sea}}',
                f'  - {{url: "{site.url("/land.xml")}", name: Land}}',
                editions,
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return path


EDITIONS = """editions:
  - id: coast
    title: Coast Brief
    feeds: [Sea]
    to: [coast@harbour.example]
    threads:
      - {id: harbour, title: The harbour, keywords: [harbour, channel, ferry]}
  - id: valley
    title: Valley Brief
    feeds: [Land, Sea]
    to: [valley@harbour.example]
    threads:
      - {id: harbour, title: Valley harbour watch, keywords: [orchard, frost, harbour]}
"""


def _publish(site: LoopbackSite) -> None:
    when = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
    site.serve(
        "/sea.xml", rss_feed(*(story_item(site, k, when) for k in ("dredging", "ferry", "lighthouse")))
    )
    site.serve("/land.xml", rss_feed(*(story_item(site, k, when) for k in ("orchard", "library"))))


def test_editions_are_parsed_with_their_own_folders_feeds_and_subscribers(
    tmp_path: Path, site: LoopbackSite
) -> None:
    config = load_config(_sources(tmp_path, site, EDITIONS))
    coast, valley = config.editions
    assert (coast.edition, coast.title, [f.name for f in coast.feeds]) == ("coast", "Coast Brief", ["Sea"])
    assert [f.name for f in valley.feeds] == ["Land", "Sea"]
    assert coast.output_dir == config.output_dir / "coast" and coast.state_dir == config.state_dir / "coast"
    assert coast.mail_to == ("coast@harbour.example",) and valley.mail_to == ("valley@harbour.example",)
    assert config.for_edition("valley") is valley
    with pytest.raises(ConfigError, match="coast, valley"):
        config.for_edition(None)


@pytest.mark.parametrize(
    ("editions", "message", "line"),
    [
        ("editions:\n  - id: coast\n    feeds: [Mountain]\n", "'Mountain' is not a feed", 14),
        ("editions:\n  - id: coast\n  - id: coast\n", "'coast' is used twice", 14),
        ("editions:\n  - id: Coast Brief\n", "not a valid edition id", 13),
    ],
)
def test_a_wrong_edition_is_refused_with_its_line(
    tmp_path: Path, site: LoopbackSite, editions: str, message: str, line: int
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(_sources(tmp_path, site, editions))
    assert caught.value.line == line
    checked = brief_cli("check", "--config", str(tmp_path / "sources.yaml"))
    assert checked.code != 0 and f":{line}" in checked.err + checked.out


def test_editions_share_the_reading_and_keep_their_own_briefs_threads_and_subscribers(
    tmp_path: Path,
    site: LoopbackSite,
    make_smtp: Callable[..., SmtpServer],
    on_each_backend: str | None,
) -> None:
    _publish(site)
    config = load_config(_sources(tmp_path, site, EDITIONS))
    smtp = make_smtp()
    outcomes = run_editions(config, slot=SLOT, clock=lambda: SLOT, smtp=smtp.settings(), options=RunOptions())
    # every feed and page fetched once, though the Sea feed is read by both editions
    for path in ("/sea.xml", "/land.xml", "/dredging", "/ferry", "/lighthouse", "/orchard", "/library"):
        assert site.hits(path) == 1, path
    coast, valley = outcomes["coast"].result, outcomes["valley"].result
    assert coast is not None and valley is not None
    assert coast.brief_dir.is_relative_to(tmp_path / "output" / "coast")
    assert valley.brief_dir.is_relative_to(tmp_path / "output" / "valley")
    coast_page = (coast.brief_dir / "index.html").read_text(encoding="utf-8")
    valley_page = (valley.brief_dir / "index.html").read_text(encoding="utf-8")
    assert "Coast Brief" in coast_page and "Valley Brief" in valley_page
    assert "orchard" not in coast_page.lower()  # the Land feed is not the coast edition's
    assert "orchard" in valley_page.lower()
    # a thread id both editions use is each one's own
    assert "The harbour" in coast_page and "Valley harbour watch" not in coast_page
    # each edition's subscribers get their edition only
    assert smtp.mailbox.wait_accepted(2)
    by_rcpt = {
        tuple(rcpts): email.message_from_bytes(data)
        for rcpts, data in zip(smtp.mailbox.envelopes, smtp.mailbox.accepted, strict=True)
    }
    assert set(by_rcpt) == {("coast@harbour.example",), ("valley@harbour.example",)}
    assert "Coast Brief" in str(by_rcpt[("coast@harbour.example",)]["Subject"])
    assert "Valley Brief" in str(by_rcpt[("valley@harbour.example",)]["Subject"])
    # the archive's top page lists the editions
    top = (tmp_path / "output" / "index.html").read_text(encoding="utf-8")
    assert 'href="coast/index.html"' in top and 'href="valley/index.html"' in top
    # a run again is delivered already: nothing fetched, nothing sent twice
    again = run_editions(config, slot=SLOT, clock=lambda: SLOT, smtp=smtp.settings())
    assert all(o.result is not None and o.result.already_delivered for o in again.values())
    assert site.hits("/dredging") == 1 and len(smtp.mailbox.accepted) == 2
    # status per edition, and a clear word when none is named
    status = brief_cli("status", "--config", str(tmp_path / "sources.yaml"), "--edition", "coast")
    assert status.code == 0, status.err
    assert "Edition coast: Coast Brief" in status.out and "2026-11-09T1500Z" in status.out
    assert "Sea" in status.out and "Land" not in status.out
    unnamed = brief_cli("status", "--config", str(tmp_path / "sources.yaml"))
    assert unnamed.code != 0 and "coast, valley" in unnamed.err


def test_one_edition_alone_runs_through_run_slot_as_before(tmp_path: Path, site: LoopbackSite) -> None:
    _publish(site)
    config = load_config(_sources(tmp_path, site, "editions:\n  - id: coast\n    feeds: [Sea]\n"))
    edition = config.for_edition(None)
    outcome = run_editions(
        config, [edition.edition], slot=SLOT, clock=lambda: SLOT, options=RunOptions(send=False)
    )
    assert outcome["coast"].result is not None
    assert site.hits("/land.xml") == 0  # only the feeds of the editions run are read


def test_brief_run_by_hand_makes_each_edition_at_its_current_slot(tmp_path: Path, site: LoopbackSite) -> None:
    _publish(site)
    path = _sources(tmp_path, site, EDITIONS)
    made = brief_cli("run", "--config", str(path), "--no-send")
    assert made.code == 0, made.err
    assert "Edition coast:" in made.out and "Edition valley:" in made.out
    assert list((tmp_path / "output" / "coast").glob("*/*/*/*/index.html"))
    assert list((tmp_path / "output" / "valley").glob("*/*/*/*/index.html"))
    assert site.hits("/dredging") == 1  # read once for both editions
    one = brief_cli("run", "--config", str(path), "--no-send", "--edition", "nowhere")
    assert one.code != 0 and "coast, valley" in one.err


def test_the_scheduler_makes_each_edition_at_its_own_times(tmp_path: Path, site: LoopbackSite) -> None:
    from pipeline.service import run_due_slots

    _publish(site)
    editions = EDITIONS.replace(
        "    title: Valley Brief\n", '    title: Valley Brief\n    schedule: ["07:00"]\n'
    )
    config = load_config(_sources(tmp_path, site, editions))
    assert [f"{t:%H:%M}" for t in config.schedule] == ["07:00", "15:00", "21:00"]
    run_due_slots(config, clock=lambda: datetime(2026, 11, 9, 15, 1, tzinfo=UTC))
    coast = list((tmp_path / "output" / "coast").glob("2026/11/09/*"))
    valley = list((tmp_path / "output" / "valley").glob("2026/11/09/*"))
    assert [p.name for p in coast] == ["1500"] and [p.name for p in valley] == ["0700"]
    assert site.hits("/sea.xml") == 1  # both editions were due: their feeds read once


def test_one_edition_failing_does_not_stop_the_next_and_is_reported(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer]
) -> None:
    _publish(site)
    site.serve("/sea.xml", Reply(503, b"down", "text/plain"))  # the coast edition's only feed
    config = load_config(_sources(tmp_path, site, EDITIONS))
    smtp = make_smtp()
    outcomes = run_editions(config, slot=SLOT, clock=lambda: SLOT, smtp=smtp.settings())

    coast, valley = outcomes["coast"], outcomes["valley"]
    assert isinstance(coast.error, NothingToDoError) and coast.result is None
    assert "none of the 1 feeds could be read" in str(coast.error)
    assert valley.error is None and valley.result is not None and valley.result.delivery.sent
    assert smtp.mailbox.wait_accepted(1) and smtp.mailbox.envelopes == [["valley@harbour.example"]]
    slots, _ = ledger(tmp_path / "state" / "coast")
    assert slots["2026-11-09T1500Z"].state == SlotState.FAILED
    assert "none of the 1 feeds could be read" in (slots["2026-11-09T1500Z"].error or "")

    # by hand: each edition says what it did, and the exit code says one failed
    made = brief_cli("run", "--config", str(tmp_path / "sources.yaml"), "--no-send")
    assert made.code == NothingToDoError.exit_code != 0
    coast_said = made.out.split("Edition valley:")[0]
    assert "Edition coast:" in coast_said and "failed: none of the 1 feeds could be read" in coast_said
    assert "Written to" in made.out.split("Edition valley:")[1]

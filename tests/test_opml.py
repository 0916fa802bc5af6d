"""OPML in and out: the feeds a feed reader exports come in (the new ones only), ours go out
escaped, and a hostile file is refused without being expanded or followed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import FeedSource, load_config
from pipeline.ingest.opml import MAX_OPML_BYTES, OpmlError, read_opml, write_opml

NOW = datetime(2026, 4, 9, 12, 0, tzinfo=UTC)

# as a feed reader exports it: folders of outlines, names in text or title, an xmlUrl in odd case
READER_EXPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="Tech" title="Tech">
      <outline type="rss" text="Harbour &amp; Co" xmlUrl="https://harbour.example/feed.xml" htmlUrl="https://harbour.example/"/>
      <outline text="Deeper">
        <outline type="rss" title="Circuit Daily" text="circuit" xmlurl="https://circuit.example/rss"/>
      </outline>
    </outline>
    <outline type="rss" text="Existing again" xmlUrl="https://existing.example/feed"/>
    <outline type="rss" text="Twice" xmlUrl="https://harbour.example/feed.xml"/>
    <outline type="rss" text="Local file" xmlUrl="file:///etc/passwd"/>
    <outline text="A folder with no feed"/>
  </body>
</opml>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<opml version="2.0"><body><outline text="&lol9;" xmlUrl="https://x.example/"/></body></opml>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&secret;" xmlUrl="https://x.example/"/></body></opml>
"""


def test_a_readers_export_gives_its_feeds_in_order_each_once() -> None:
    assert read_opml(READER_EXPORT) == (
        FeedSource("https://harbour.example/feed.xml", "Harbour & Co"),
        FeedSource("https://circuit.example/rss", "Circuit Daily"),
        FeedSource("https://existing.example/feed", "Existing again"),
    )


def test_our_export_reads_back_as_the_same_feeds_every_name_escaped() -> None:
    feeds = (
        FeedSource("https://a.example/feed?x=1&y=2", 'Quotes "and" <tags> & ampersands'),
        FeedSource("https://b.example/rss", "Plain"),
    )
    written = write_opml(feeds, "My <brief>", NOW)
    assert written.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<opml version=\"2.0\">")
    assert b"<tags>" not in written and b"My &lt;brief&gt;" in written
    assert read_opml(written) == feeds


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (BILLION_LAUGHS, "declares a DTD or entities"),
        (EXTERNAL_ENTITY, "declares a DTD or entities"),
        (b"<rss version='2.0'><channel/></rss>", "not an OPML file"),
        (b"<opml><body><outline", "not an XML file"),
        (b"<opml>" + b" " * MAX_OPML_BYTES + b"</opml>", "over 5 MB"),
    ],
    ids=["billion-laughs", "external-entity", "not-opml", "broken", "too-large"],
)
def test_a_hostile_or_wrong_file_is_refused_at_once(data: bytes, said: str) -> None:
    with pytest.raises(OpmlError, match=said):  # before any entity is expanded or fetched
        read_opml(data)


def test_brief_feeds_import_adds_the_new_feeds_and_export_gives_them_back(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(
        "# my feeds\nfeeds:\n  - url: https://existing.example/feed   # the first\n    name: Existing\n",
        encoding="utf-8",
    )
    opml = tmp_path / "subscriptions.opml"
    opml.write_bytes(READER_EXPORT)
    runner = CliRunner()

    imported = runner.invoke(cli, ["feeds", "import", str(opml), "--config", str(config)])

    assert imported.exit_code == 0, imported.output
    assert "added 2 feeds" in imported.output and "1 feed of the file listed already" in imported.output
    assert [f.name for f in load_config(config).feeds] == ["Existing", "Harbour & Co", "Circuit Daily"]
    assert "# the first" in config.read_text(encoding="utf-8")
    again = runner.invoke(cli, ["feeds", "import", str(opml), "--config", str(config)])
    assert again.exit_code == 1 and "listed already" in str(again.exception)

    exported = runner.invoke(cli, ["feeds", "export", "--config", str(config)])
    assert exported.exit_code == 0
    assert read_opml(exported.output.encode("utf-8")) == load_config(config).feeds

    listed = runner.invoke(cli, ["feeds", "list", "--config", str(config)]).output
    assert "Harbour & Co" in listed and "https://circuit.example/rss" in listed
    removed = runner.invoke(cli, ["feeds", "remove", "https://circuit.example/rss", "--config", str(config)])
    assert removed.exit_code == 0 and "removed feed https://circuit.example/rss" in removed.output
    assert len(load_config(config).feeds) == 2

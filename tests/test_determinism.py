"""The same brief every time: the same inputs and slot give the same files, byte for byte.

The demo is run twice in child processes, with PYTHONHASHSEED=1 and =2 and so on two loopback
ports (the second run cannot get the first's port: it is held while it runs), and every file of
the two archives is compared (`benchmarks.brief_quality.compare_archives`, the measure behind
`brief.deterministic`). One thing is masked, the one input that differs: the corpus server's
port, where it is written (`127.0.0.1:<port>` in URLs, in .eml files after undoing
quoted-printable soft line breaks) and inside the articles' ids, which hash an article's
address, port included (each id is replaced by the hash of its address with the port masked).
Nothing else: the Date header is the demo's simulated clock, the MIME boundary comes from the
Message-ID, stories are named by their first article's content, and ties between articles are
broken by what they are, never by those ids.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from conftest import make_article, utc

from benchmarks.brief_quality import compare_archives, id_masks
from pipeline.models import Thread
from pipeline.publish.mail import build_message
from pipeline.understand.summarize import summarize_thread
from pipeline.understand.threads import new_story_id

ROOT = Path(__file__).resolve().parent.parent


def _demo(folder: Path, seed: int) -> Path:
    """`brief demo --dir folder` in a child process with PYTHONHASHSEED=seed; its output folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEF_")} | {"PYTHONHASHSEED": str(seed)}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "demo", "--dir", str(folder)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return folder / "output"


def _port(output: Path) -> int:
    """The loopback port the demo's corpus server had (its sources.yaml allows it)."""
    found = re.search(r"127\.0\.0\.1:(\d+)", (output.parent / "sources.yaml").read_text(encoding="utf-8"))
    assert found is not None
    return int(found.group(1))


def test_the_demo_makes_the_same_archive_under_another_hash_seed_and_port(tmp_path: Path) -> None:
    first = _demo(tmp_path / "one", seed=1)
    with socket.socket() as held:  # the second run's server cannot be given the first's port
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind(("127.0.0.1", _port(first)))
        held.listen()
        second = _demo(tmp_path / "two", seed=2)
    assert _port(first) != _port(second)

    files = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    for brief in ("2026/04/08/2100", "2026/04/09/2100", "2026/04/10/1500"):
        for name in ("brief.json", "email.txt", "email.html", "index.html", "message.eml", "received.eml"):
            assert f"{brief}/{name}" in files
    assert any(f.startswith("threads/story-") for f in files), "an emerging story has its page"
    assert compare_archives(first, second) == []
    for kept in first.rglob("brief.json"):  # how long a run took is the machine's, not the brief's
        assert "seconds" not in json.loads(kept.read_text(encoding="utf-8"))["stats"]

    # the masks had something to do: the raw files differ by the port and the ids it moves
    raw = "2026/04/10/1500/brief.json"
    assert (first / raw).read_bytes() != (second / raw).read_bytes()
    ids = id_masks(first)
    assert ids and set(ids) != set(id_masks(second))
    assert set(ids.values()) == set(id_masks(second).values()), "the same articles, port masked"


def test_an_emerging_story_is_named_by_its_first_article_not_by_where_it_was_read() -> None:
    text = "Dock workers in Karsholm walked out on Monday over a pay offer."
    when = utc(2026, 11, 23, 8)
    here = make_article("http://127.0.0.1:40001/strike", text, published=when)
    there = make_article("http://127.0.0.1:52002/strike", text, published=when)
    assert here.id != there.id, "an article's id hashes its whole address"
    assert new_story_id(here) == new_story_id(there)
    assert new_story_id(here) != new_story_id(make_article("http://127.0.0.1:40001/strike-2", text))


def test_articles_published_together_are_ordered_by_what_they_are_not_by_their_ids() -> None:
    when = utc(2026, 11, 23, 8)
    texts = {
        "/a": "Karsholm dock workers strike over pay. The union wants seven percent.",
        "/b": "Karsholm port owners answer the strike. They offer four percent.",
    }
    by_id_order = set()
    for port in range(40001, 40011):  # other ports, other ids, other orders of the ids
        articles = [
            make_article(f"http://127.0.0.1:{port}{path}", t, published=when) for path, t in texts.items()
        ]
        by_id_order.add(tuple(a.title for a in sorted(articles, key=lambda a: a.id)))
        thread = Thread("strike", "The strike", "configured", tuple(a.id for a in articles))
        sources = [s.title for s in summarize_thread(thread, articles).sources]
        assert sources == sorted(a.title for a in articles)
    assert len(by_id_order) == 2, "the ids put them in both orders"


def test_the_same_message_is_the_same_bytes() -> None:
    def build() -> bytes:
        raw, _ = build_message(
            subject="Harbor Brief",
            text="Harbor Brief\n" + "A line of the brief that is long enough to be folded. " * 4,
            html="<p>Harbor Brief</p>",
            mail_from="Harbor Brief <brief@harbor.example>",
            mail_to=("reader@harbor.example",),
            brief_id="2026-11-23T1500Z",
            when=utc(2026, 11, 23, 15, 2),
        )
        return raw

    assert build() == build(), "no random MIME boundary"

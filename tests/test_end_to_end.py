"""A reader's story: the demo corpus served on loopback, full runs, and what the brief shows.

The corpus (pipeline/demo/corpus) carries gold labels: which configured threads each article
belongs to, which article is a syndicated copy of which, and which page cannot be extracted.
"""

from __future__ import annotations

import email
import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import SmtpSettings, load_config
from pipeline.demo import (
    DEMO_SLOTS,
    CorpusServer,
    demo_config_text,
    free_port,
    load_corpus,
    serve_corpus,
    slot_clock,
    smtp_sink,
)
from pipeline.ingest.urls import article_id, canonical_url
from pipeline.models import Article
from pipeline.operate.schedule import parse_slot
from pipeline.run import RunOptions, RunResult, run_brief
from pipeline.store import Store
from pipeline.understand.facts.meaning import repeats_any, signature

CORPUS = load_corpus()
SLOTS = [parse_slot(s) for s in DEMO_SLOTS]


@dataclass
class DemoRuns:
    server: CorpusServer
    results: list[RunResult]
    output: Path
    state: Path
    messages: list[bytes]


def _published(article: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(article["published"]).replace("Z", "+00:00"))


def _gold_id(demo: DemoRuns, article: dict[str, object]) -> str:
    """The id the pipeline gives the article: from its canonical URL, tracking dropped."""
    return article_id(canonical_url(f"{demo.server.base}/{article['id']}"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRuns]:
    folder = tmp_path_factory.mktemp("demo")
    output, state = folder / "output", folder / "state"
    with serve_corpus(slot_clock(SLOTS[0])) as server, smtp_sink() as sink:
        config_path = folder / "sources.yaml"
        config_path.write_text(demo_config_text(server, output, state), encoding="utf-8")
        config = load_config(config_path)
        smtp = SmtpSettings("127.0.0.1", sink.port, None, None, "none")
        results = []
        for slot in SLOTS:
            server.now = slot_clock(slot)
            now = server.now
            results.append(run_brief(config, slot=slot, clock=_fixed(now), smtp=smtp))
        yield DemoRuns(server, results, output, state, sink.messages)


@contextmanager
def _store(demo: DemoRuns) -> Iterator[Store]:
    store = Store(demo.state)
    try:
        yield store
    finally:
        store.close()


def _stored(demo: DemoRuns) -> dict[str, Article]:
    """Stored article id → article."""
    with _store(demo) as store:
        return {a.id: a for a in store.all_articles()}


def _fixed(now: datetime) -> Callable[[], datetime]:
    return lambda: now


def _brief_json(result: RunResult) -> dict[str, Any]:
    brief: dict[str, Any] = json.loads((result.brief_dir / "brief.json").read_text(encoding="utf-8"))
    return brief


def _members(demo: DemoRuns, thread_id: str) -> set[str]:
    with _store(demo) as store:
        return set(store.thread_members().get(thread_id, []))


def _canonical_articles(demo: DemoRuns) -> dict[str, str]:
    """Stored article id → text."""
    return {i: a.text for i, a in _stored(demo).items()}


def test_every_run_writes_a_brief_and_delivers_it_over_smtp(demo: DemoRuns) -> None:
    assert len(demo.results) == 3
    for result in demo.results:
        assert result.delivery.sent, result.delivery.detail
        for name in ("index.html", "email.html", "email.txt", "message.eml", "brief.json"):
            assert (result.brief_dir / name).is_file(), name
    assert len(demo.messages) == 3
    assert [r.brief_dir.relative_to(demo.output).as_posix() for r in demo.results] == [
        "2026/04/08/2100",
        "2026/04/09/2100",
        "2026/04/10/1500",
    ]


@pytest.mark.parametrize("thread_id", ["meta-closed-pivot", "lecun-exit"])
def test_configured_threads_hold_their_articles_and_no_unrelated_ones(demo: DemoRuns, thread_id: str) -> None:
    last_now = slot_clock(SLOTS[-1])
    published = [a for a in CORPUS["articles"] if _published(a) <= last_now]
    originals = [a for a in published if not a["gold"]["duplicate_of"]]
    expected = {_gold_id(demo, a) for a in originals if thread_id in a["gold"]["threads"]}
    unrelated = {_gold_id(demo, a) for a in originals if not a["gold"]["threads"]}
    members = _members(demo, thread_id)
    assert expected, "the corpus has articles for this thread"
    assert not members & unrelated, "an unrelated article was filed under a configured thread"
    missing = expected - members
    assert not missing, f"{len(missing)} of {len(expected)} thread articles were not filed"


def test_brief_why_says_which_threads_an_article_is_in_and_what_filed_it(demo: DemoRuns) -> None:
    members = sorted(_members(demo, "lecun-exit"))
    assert members, "the thread has members"
    article = _stored(demo)[members[0]]
    config = demo.output.parent / "sources.yaml"

    by_url = CliRunner().invoke(cli, ["why", article.url, "--config", str(config)])
    by_id = CliRunner().invoke(cli, ["why", article.id, "--config", str(config)])

    assert by_url.exit_code == 0, by_url.output
    assert by_url.output == by_id.output
    assert article.title in by_url.output
    # (the first line is the article's title and address, which may hold the thread's words)
    line = next(line for line in by_url.output.splitlines() if line.startswith("  lecun-exit "))
    # the score kept, and the reason: which rule filed it, and the names it went by
    assert re.search(r"\(configured\) · score \d\.\d\d · \w.* \(.+\)$", line), line
    assert "filed before reasons were kept" not in line
    unknown = CliRunner().invoke(cli, ["why", "https://nowhere.example/x", "--config", str(config)])
    assert unknown.exit_code == 1 and "no article" in unknown.output


def test_brief_why_finds_an_article_by_the_link_of_a_copy_merged_into_it(demo: DemoRuns) -> None:
    # a reader clicks another outlet's copy in the feed: dedupe kept one article for both
    copy = next(
        a
        for a in CORPUS["articles"]
        if a["gold"]["duplicate_of"] and _published(a) <= slot_clock(SLOTS[-1]) and a["gold"]["threads"]
    )
    kept = _stored(demo)[_gold_id(demo, {"id": copy["gold"]["duplicate_of"]})]
    config = demo.output.parent / "sources.yaml"

    result = CliRunner().invoke(cli, ["why", f"{demo.server.base}/{copy['id']}", "--config", str(config)])

    assert result.exit_code == 0, result.output
    assert kept.title in result.output and "(configured) · score " in result.output


def test_an_article_about_both_threads_is_in_both(demo: DemoRuns) -> None:
    both = [a for a in CORPUS["articles"] if len(a["gold"]["threads"]) == 2 and not a["gold"]["duplicate_of"]]
    assert both
    meta, lecun = _members(demo, "meta-closed-pivot"), _members(demo, "lecun-exit")
    for article in both:
        assert _gold_id(demo, article) in meta and _gold_id(demo, article) in lecun, article["id"]


def test_unrelated_story_told_by_several_outlets_becomes_an_emergent_thread(demo: DemoRuns) -> None:
    stories: dict[str, list[str]] = {}
    for a in CORPUS["articles"]:
        if not a["gold"]["threads"] and not a["gold"]["duplicate_of"]:
            stories.setdefault(a["gold"]["story"], []).append(_gold_id(demo, a))
    multi = {story: set(ids) for story, ids in stories.items() if len(ids) >= 3}
    assert multi, "the corpus has an unrelated story told by three outlets"
    with _store(demo) as store:
        emergent = {t: set(ids) for t, ids in store.thread_members("emergent").items()}
    for story, ids in multi.items():
        best = max(emergent.values(), key=lambda members: len(members & ids), default=set())
        # every outlet's article, over the days it came out, in the one thread
        assert best >= ids, f"story {story}: {len(best & ids)} of its {len(ids)} articles in one thread"
        singles = {i for s, group in stories.items() if len(group) == 1 for i in group}
        assert not best & singles, "a one-off article was grouped into the story"


def test_a_story_that_goes_on_the_next_day_keeps_its_thread_and_says_what_is_new(demo: DemoRuns) -> None:
    appearances: dict[str, list[dict[str, Any]]] = {}
    for result in demo.results:
        for d in _brief_json(result)["digests"]:
            if d["kind"] == "emergent":
                appearances.setdefault(d["thread_id"], []).append(d)
    going_on = [found for found in appearances.values() if len(found) >= 2]
    assert going_on, f"no emergent story in two briefs: {sorted(appearances)}"
    for later in (d for found in going_on for d in found[1:]):
        assert later["since"].startswith("New since ")


def test_syndicated_copy_is_collapsed_and_both_links_are_kept(demo: DemoRuns) -> None:
    copies = [a for a in CORPUS["articles"] if a["gold"]["duplicate_of"]]
    assert copies
    by_id = {a["id"]: a for a in CORPUS["articles"]}
    stored = _stored(demo)
    for copy in copies:
        original = by_id[copy["gold"]["duplicate_of"]]
        assert _gold_id(demo, copy) not in stored, "the copy was stored as an article of its own"
        assert _gold_id(demo, original) in stored
        urls = " ".join(url for _, url in stored[_gold_id(demo, original)].found_at)
        assert f"/{copy['id']}" in urls and f"/{original['id']}" in urls
        # and the reader sees both outlets in the brief that carried it
        page = next(
            r.brief_dir / "email.txt"
            for r in demo.results
            if f"/{original['id']}" in (r.brief_dir / "email.txt").read_text()
        )
        assert f"/{copy['id']}" in page.read_text()


def test_every_sentence_shown_is_verbatim_in_the_article_it_cites(demo: DemoRuns) -> None:
    texts = _canonical_articles(demo)
    titles = {i: a.title for i, a in _stored(demo).items()}
    checked = 0
    for result in demo.results:
        brief = _brief_json(result)
        for digest in brief["digests"]:
            cited = {s["article_id"] for s in digest["sources"]}
            assert titles[digest["headline"]["article_id"]] == digest["headline"]["text"]
            for field in ("overview", "why_it_matters", "tldr"):
                for sentence in digest[field]:
                    assert sentence["article_id"] in cited
                    assert sentence["text"] in texts[sentence["article_id"]], sentence
                    checked += 1
            # (its lead sentence may have moved to the top of the brief)
            moved = sum(1 for t in brief.get("top", []) if t["thread_id"] == digest["thread_id"])
            assert 2 <= len(digest["overview"]) + moved <= 6 or len(digest["sources"]) == 1
    assert checked > 20


def test_every_figure_event_person_voice_and_audience_line_is_in_its_source(demo: DemoRuns) -> None:
    texts = _canonical_articles(demo)
    urls = {a.url: i for i, a in _stored(demo).items()}
    counts = {"figures": 0, "timeline": 0, "people": 0, "voices": 0}
    for result in demo.results:
        for d in _brief_json(result)["digests"]:
            for f in d["figures"]:
                # (a figure whose sentence the brief shows above keeps only its citation)
                assert f["value"] in f["context"]["text"] or not f["context"]["text"]
                assert f["context"]["text"] in texts[f["context"]["article_id"]]
                counts["figures"] += 1
            for e in d["timeline"]:
                assert e["text"]["text"] in texts[e["text"]["article_id"]]
                assert e["kind"] in (
                    "product launch",
                    "financial",
                    "organizational",
                    "strategy",
                    "revelation",
                    "legal",
                    "research",
                    "event",  # the neutral kind of an event no rule is sure of, shown without one
                )
                # its title is in the sentence's own words
                assert all(w in e["text"]["text"].lower() for w in e["title"].lower().split()), e
                for _, url in e["cited"]:
                    assert url in urls
                counts["timeline"] += 1
            for i in d["people"] + d["orgs"]:
                context = i["context"]["text"]
                assert context in texts[i["context"]["article_id"]]
                # a role an earlier brief learnt is quoted from that brief's article
                said = i.get("role_from") or i["context"]
                role = i["role"]  # as written, or a title that opened its sentence in lower case
                assert not role or (
                    (role in said["text"] or role[0].upper() + role[1:] in said["text"])
                    and said["text"] in texts[said["article_id"]]
                )
                counts["people"] += 1
            for v in d["voices"]:
                assert v["quote"] in texts[v["article_id"]]
                assert v["speaker"] in texts[v["article_id"]]
                counts["voices"] += 1
            for s in d["audience"]:
                assert s["text"] in texts[s["article_id"]]
            assert d["impact"] in ("High", "Medium", "Low") and d["tone"] and d["horizon"]
    assert all(n > 3 for n in counts.values()), counts


def test_the_two_threads_are_connected_by_a_sentence_of_a_source(demo: DemoRuns) -> None:
    texts = _canonical_articles(demo)
    urls = {a.url for a in _stored(demo).values()}
    found = [c for r in demo.results for c in _brief_json(r)["connections"]]
    assert any({c["source_thread"], c["target_thread"]} == {"meta-closed-pivot", "lecun-exit"} for c in found)
    for c in found:
        assert c["cited"][1] in urls  # the source that ties them, cited
        if c["sentence"]["text"]:  # (when a thread above shows it, the link keeps only its citation)
            assert c["sentence"]["text"] in texts[c["sentence"]["article_id"]]
            assert any(name in c["sentence"]["text"] for name in c["shared"])


def test_summary_sentences_do_not_repeat_within_a_thread(demo: DemoRuns) -> None:
    digests = [d for result in demo.results for d in _brief_json(result)["digests"]]
    assert len(digests) >= len(demo.results), "every demo brief has threads"
    for digest in digests:
        shown = [s["text"] for f in ("overview", "why_it_matters", "tldr") for s in digest[f]]
        assert shown, digest["thread_id"]
        assert len(shown) == len(set(shown))


def test_page_that_cannot_be_extracted_falls_back_to_its_feed_summary(demo: DemoRuns) -> None:
    shells = [a for a in CORPUS["articles"] if a["gold"]["extraction_fails"]]
    assert shells
    stored = _stored(demo)
    for shell in shells:
        article = stored.get(_gold_id(demo, shell))
        assert article is not None
        assert not article.extracted
        assert article.text == " ".join(shell["summary"].split())


def _parts(message: Message) -> list[str]:
    return [p.get_content_type() for p in message.walk() if not p.is_multipart()]


def test_delivered_email_is_multipart_text_then_html_with_the_headers(demo: DemoRuns) -> None:
    received = email.message_from_bytes(demo.messages[-1])
    assert received.get_content_type() == "multipart/alternative"
    assert _parts(received) == ["text/plain", "text/html"]
    for header in ("Date", "Message-ID", "List-Id", "List-Unsubscribe", "Subject", "From", "To"):
        assert received[header], header
    stored = email.message_from_bytes((demo.results[-1].brief_dir / "message.eml").read_bytes())
    # the reader's copy is the archive's one message made theirs: addressed to them, not to no one
    assert stored["Subject"] == received["Subject"] and stored["Date"] == received["Date"]
    assert stored["To"] == "undisclosed-recipients:;" and received["To"] != stored["To"]
    html_part = received.get_payload(1)
    assert isinstance(html_part, Message)
    html_bytes = html_part.get_payload(decode=True)
    assert isinstance(html_bytes, bytes)
    html = html_bytes.decode()
    # what was true when it was made: its own slot and the schedule's next, no live state
    assert "Brief of Fri 10 Apr, 15:00 UTC · next brief at 21:00 UTC" in html
    assert "Pipeline" not in html
    assert 'style="' in html  # CSS inlined for mail clients


def test_archive_index_links_every_brief_newest_first(demo: DemoRuns) -> None:
    index = (demo.output / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+/index\.html)"', index)
    assert links == ["2026/04/10/1500/index.html", "2026/04/09/2100/index.html", "2026/04/08/2100/index.html"]
    for link in links:
        assert (demo.output / link).is_file()
    page = (demo.output / links[0]).read_text(encoding="utf-8")
    assert 'href="../../../../index.html"' in page


def test_both_threads_lead_the_brief_and_the_page_shows_them(demo: DemoRuns) -> None:
    first = _brief_json(demo.results[0])
    ids = [d["thread_id"] for d in first["digests"]]
    assert ids[:2] == ["meta-closed-pivot", "lecun-exit"] or ids[:2] == ["lecun-exit", "meta-closed-pivot"]
    page = (demo.results[0].brief_dir / "index.html").read_text(encoding="utf-8")
    assert "Meta&#39;s closed pivot" in page and "Yann LeCun&#39;s exit" in page


def test_a_second_run_with_nothing_new_stores_no_duplicate_articles(demo: DemoRuns) -> None:
    with _store(demo) as store:
        before = store.article_count()
    config = load_config(demo.output.parent / "sources.yaml")
    demo.server.now = slot_clock(SLOTS[-1])  # the feeds have not changed since the last brief
    again = run_brief(
        config, slot=SLOTS[-1], clock=lambda: slot_clock(SLOTS[-1]), options=RunOptions(send=False)
    )
    assert again.already_delivered, "a delivered slot is not made twice"
    evening = parse_slot("2026-04-10T21:00Z")
    result = run_brief(
        config, slot=evening, clock=lambda: slot_clock(evening), options=RunOptions(send=False)
    )
    with _store(demo) as store:
        after = store.article_count()
    assert after == before
    assert result.stats.articles_new == 0
    assert "Nothing new" in (result.brief_dir / "email.txt").read_text()


def test_brief_demo_command_prints_where_the_brief_and_email_are(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "demo", "--dir", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Brief:" in proc.stdout and "Delivered:" in proc.stdout
    delivered = Path(proc.stdout.split("Delivered:")[1].split()[0])
    assert delivered.is_file()
    assert email.message_from_bytes(delivered.read_bytes()).get_content_type() == "multipart/alternative"
    assert (folder / "output" / "index.html").is_file()


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEF_SMTP")}
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
        env=env,
    )


def test_brief_run_with_one_broken_feed_still_writes_the_brief_and_names_the_feed(tmp_path: Path) -> None:
    with serve_corpus(slot_clock(SLOTS[0])) as server:
        text = demo_config_text(server, tmp_path / "output", tmp_path / "state")
        broken = f"  - url: {server.base}/feeds/no-such-feed.xml\n    name: Broken Feed\n"
        text = text.replace("feeds:\n", "feeds:\n" + broken, 1)
        (tmp_path / "sources.yaml").write_text(text, encoding="utf-8")
        proc = _cli("run", "--slot", "2026-04-08T21:00Z", "--no-send", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "feed failed: Broken Feed: HTTP 404" in proc.stdout
    written = tmp_path / "output" / "2026" / "04" / "08" / "2100"
    assert "Written to" in proc.stdout and (written / "index.html").is_file()
    assert "Broken Feed: HTTP 404" in (written / "email.txt").read_text()
    # made by hand, with no scheduler running: it says so, and promises no next brief
    said = (written / "email.txt").read_text().splitlines()[1]
    assert re.fullmatch(
        r"Brief of Wed 08 Apr, 21:00 UTC · made by hand on \w{3} \d\d \w{3} at \d\d:\d\d UTC", said
    )
    status = _cli("status", cwd=tmp_path)
    assert status.returncode == 0
    assert "Pipeline Stopped · Last: 21:00 UTC | Next:" in status.stdout  # no scheduler running here
    broken_line = next(line for line in status.stdout.splitlines() if line.startswith("Broken Feed"))
    assert "never" in broken_line and "http-4xx" in broken_line
    listed = _cli("list", cwd=tmp_path)
    assert listed.stdout.startswith("2026-04-08T2100Z")
    shown = _cli("show", "2026-04-08T21:00Z", cwd=tmp_path)
    assert shown.returncode == 0 and "META'S CLOSED PIVOT" in shown.stdout


def test_brief_run_with_no_reachable_feed_fails_with_a_clear_message(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "sources.yaml").write_text(
        f'network:\n  allow: ["127.0.0.1:{port}"]\nfeeds:\n  - url: http://127.0.0.1:{port}/feed.xml\n',
        encoding="utf-8",
    )
    proc = _cli("run", "--no-send", cwd=tmp_path)
    assert proc.returncode == 1
    assert "Error: none of the 1 feeds could be read" in proc.stderr
    assert "cannot connect" in proc.stderr
    assert not list(tmp_path.rglob("brief.json")), "no brief is written when nothing could be read"


def test_sources_that_disagree_are_shown_with_both_versions_and_none_is_invented(demo: DemoRuns) -> None:
    found = [
        (d["thread_id"], x)
        for r in demo.results
        for d in _brief_json(r)["digests"]
        for x in d["disagreements"]
    ]
    # the corpus plants a figure two outlets report differently (the AMI Labs valuation, in one
    # brief) and a date (when LeCun left Meta: November on day 1, December on day 2, so found by
    # comparing with the thread's earlier brief); nothing else
    assert sorted((thread, x["about"]) for thread, x in found) == [
        ("lecun-exit", "the date Yann LeCun left"),
        ("lecun-exit", "valuation"),
    ]
    planted = {
        "valuation": ({"$3.5 billion", "$4.5 billion"}, {"Northwind Business", "The Compute Desk"}),
        "the date Yann LeCun left": (
            {"November 2025", "December 2025"},
            {"Signal Ledger", "Open Models Weekly"},
        ),
    }
    texts = _canonical_articles(demo)
    for _, x in found:
        values, sources = planted[x["about"]]
        assert {c["value"] for c in x["claims"]} == values
        assert {c["source"] for c in x["claims"]} == sources
        for c in x["claims"]:
            assert c["sentence"]["text"] in texts[c["sentence"]["article_id"]]
    text = next(r for r in demo.results if "SOURCES DISAGREE" in (r.brief_dir / "email.txt").read_text())
    assert (
        "On valuation: $3.5 billion (Northwind Business) vs $4.5 billion (The Compute Desk)"
        in (text.brief_dir / "email.txt").read_text()
    )


def test_no_sentence_of_a_thread_is_shown_in_two_briefs_and_a_figure_only_marked_reported_earlier(
    demo: DemoRuns,
) -> None:
    # a key indicator of the thread's last brief may stay on later days, but only marked with
    # the day of the brief that first showed it, and it is no news: a thread whose only "new"
    # things are such figures is one line ("no new developments")
    seen: dict[tuple[str, str], str] = {}
    figures: dict[tuple[str, frozenset[str]], str] = {}
    showing: set[str] = set()  # the briefs that showed a new sentence or figure
    again = 0
    for result in demo.results[:3]:
        for d in _brief_json(result)["digests"]:
            for item in [s["text"] for f in ("overview", "why_it_matters", "tldr") for s in d[f]]:
                key = (d["thread_id"], item)
                assert key not in seen, f"{item!r} was already shown in {seen[key]}"
                seen[key] = result.brief_id
                showing.add(result.brief_id)
            for f in d["figures"]:
                key = (d["thread_id"], signature(f["value"]))  # "$14.3B" is "$14.3 billion"
                if key in figures:
                    assert f["earlier"] == figures[key][:10], f"{f['value']!r} shown again unmarked"
                    again += 1
                else:
                    assert not f["earlier"], f"{f['value']!r} marked reported earlier, never shown"
                    figures[key] = result.brief_id
                    showing.add(result.brief_id)
            news = d["overview"] or d["tldr"] or any(not f["earlier"] for f in d["figures"])
            assert d["unchanged"] or news, f"{d['thread_id']} counted figures reported earlier as news"
    assert again, "the demo keeps a key indicator of an earlier brief"
    assert len(showing) == 3, "each of the three briefs showed new sentences and figures"
    later = [d for r in demo.results[1:3] for d in _brief_json(r)["digests"] if d["kind"] == "configured"]
    assert later and all(d["since"].startswith("New since ") for d in later)


def test_a_second_brief_on_the_same_day_repeats_nothing_already_sent(tmp_path: Path) -> None:
    """Day 3 at 15:00, then at 21:00 with the articles published in between: the evening brief
    shows their news and nothing the afternoon (or an earlier) brief sent, in the same words
    or in others, no figure of the same amount unless marked reported earlier, no timeline
    event again."""
    slots = [*SLOTS, parse_slot("2026-04-10T21:00Z")]
    config_path = tmp_path / "sources.yaml"
    with serve_corpus(slot_clock(slots[0])) as server:
        config_path.write_text(demo_config_text(server, tmp_path / "output", tmp_path / "state"), "utf-8")
        config = load_config(config_path)
        results = []
        for slot in slots:
            server.now = now = slot_clock(slot)
            results.append(run_brief(config, slot=slot, clock=_fixed(now), options=RunOptions(send=False)))

    sent: dict[str, set[str]] = {}
    amounts: dict[str, set[frozenset[str]]] = {}
    events: dict[str, set[str]] = {}
    for result in results[:-1]:
        for d in _brief_json(result)["digests"]:
            sent.setdefault(d["thread_id"], set()).update(_shown_sentences(d))
            amounts.setdefault(d["thread_id"], set()).update(signature(f["value"]) for f in d["figures"])
            events.setdefault(d["thread_id"], set()).update(e["text"]["text"] for e in d["timeline"])
    evening = _brief_json(results[-1])
    assert evening["stats"]["articles_new"] == 3  # the three published after 15:00
    shown = [(d, text) for d in evening["digests"] for text in _shown_sentences(d)]
    assert shown, "the evening brief shows the news of the articles published since 15:00"
    for d, text in shown:
        earlier = sent.get(d["thread_id"], set())
        assert text not in earlier
        assert not repeats_any(signature(text), [signature(e) for e in earlier]), text
    for d in evening["digests"]:
        # a figure sent before comes again only as a key indicator marked reported earlier
        again = [f for f in d["figures"] if signature(f["value"]) in amounts.get(d["thread_id"], set())]
        assert all(f["earlier"] for f in again), again
        assert not {e["text"]["text"] for e in d["timeline"]} & events.get(d["thread_id"], set())
    # the thread page still tells the whole timeline, from every brief (as read: an entry's
    # title is set in bold inside its sentence)
    page = (tmp_path / "output" / "threads" / "lecun-exit.html").read_text("utf-8")
    page = html.unescape(re.sub(r"</?strong>", "", page))
    assert events["lecun-exit"] and all(text in page for text in events["lecun-exit"])


def _shown_sentences(digest: dict[str, Any]) -> list[str]:
    return [s["text"] for f in ("overview", "why_it_matters", "tldr", "audience") for s in digest[f]]


def test_with_an_archive_address_the_delivered_email_links_the_brief_page(tmp_path: Path) -> None:
    config_path = tmp_path / "sources.yaml"
    with serve_corpus(slot_clock(SLOTS[0])) as server, smtp_sink() as sink:
        text = demo_config_text(server, tmp_path / "output", tmp_path / "state")
        archive_url = "brief:\n  archive_url: https://news.example/brief\n"
        config_path.write_text(text.replace("brief:\n", archive_url, 1), encoding="utf-8")
        config = load_config(config_path)
        smtp = SmtpSettings("127.0.0.1", sink.port, None, None, "none")
        run_brief(config, slot=SLOTS[0], clock=lambda: slot_clock(SLOTS[0]), smtp=smtp)

    (received,) = sink.messages
    message = email.message_from_bytes(received, policy=email.policy.default)
    parts = [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
    link = "https://news.example/brief/2026/04/08/2100/index.html"
    assert parts and all(link in part for part in parts)
    assert (tmp_path / "output" / "2026" / "04" / "08" / "2100" / "index.html").is_file()  # what it points to


def test_a_brief_opens_with_its_main_developments_each_quoted_once_and_its_threads(demo: DemoRuns) -> None:
    result = demo.results[-1]
    text = (result.brief_dir / "email.txt").read_text(encoding="utf-8")
    brief = _brief_json(result)
    stored = _stored(demo)

    top = brief["top"]
    assert 2 <= len(top) <= 3
    head = text.split("=" * 20, 1)[0]  # everything above the first thread
    assert "THE NEWS IN BRIEF" in head and "IN THIS BRIEF" in head
    for line in top:
        sentence = line["sentence"]
        assert sentence["text"] in stored[sentence["article_id"]].text  # quoted from its source
        assert text.count(sentence["text"]) == 1  # and shown once: its thread does not repeat it
        assert f"({line['source']}: " in head
    for digest in brief["digests"]:
        assert digest["headline"]["text"] in head  # each thread, with what is new in it

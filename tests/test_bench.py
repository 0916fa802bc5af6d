"""The benchmark suite runs end to end on a tiny data folder of the real layout, so it cannot rot.

No timing is asserted: only that every figure is produced, quality figures are numbers in
[0, 1], and absent sets are reported as skipped.
"""

from __future__ import annotations

import gzip
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

# the bench extra (make test installs it); a venv made with .[dev] only skips these tests
pytest.importorskip("rouge_score", reason="pip install -e '.[dev,bench]'")
pytest.importorskip("sumy", reason="pip install -e '.[dev,bench]'")

from benchmarks.runner import main  # noqa: E402
from pipeline.models import Sentence, ThreadDigest, TimelineEvent  # noqa: E402

STORIES = {
    "harbour": (
        "The city council approved a new harbour bridge on Monday after a long debate.",
        "The bridge will link the old port with the northern district and cost 40 million euros. "
        "Construction starts in spring and should take three years, the council said. "
        "Residents of the port district had asked for a crossing for more than a decade, and local "
        "shops expect more visitors once the bridge opens to walkers and cyclists in the summer.",
    ),
    "orchestra": (
        "The national orchestra named a young conductor as its music director this week.",
        "She is the first woman to lead the orchestra in its hundred-year history. "
        "Her first season opens in October with a festival of new works by local composers. "
        "Critics praised the choice, saying the orchestra needed fresh energy after years of "
        "falling ticket sales and a string of cancelled tours abroad.",
    ),
}


def _page(title: str, body: str) -> str:
    paragraphs = "".join(f"<p>{s}.</p>" for s in body.split(". ") if s)
    return (
        f"<html><head><title>{title}</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article>"
        "<footer>Copyright Example News</footer></body></html>"
    )


def _tiny_data(root: Path) -> Path:
    data = root / "data"
    extraction = data / "extraction"
    (extraction / "html").mkdir(parents=True)
    truth = {}
    for key, (title, body) in STORIES.items():
        (extraction / "html" / f"{key}.html.gz").write_bytes(gzip.compress(_page(title, body).encode()))
        truth[key] = {"articleBody": body, "url": f"https://news.example/{key}"}
    (extraction / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    stored = {"version": "test", "output": {k: {"articleBody": v["articleBody"]} for k, v in truth.items()}}
    (extraction / "reference-output-trafilatura.json").write_text(json.dumps(stored), encoding="utf-8")

    clustering = data / "clustering"
    clustering.mkdir()
    lines = []
    for n in range(6):
        key = "harbour" if n % 2 == 0 else "orchestra"
        title, body = STORIES[key]
        lines.append(
            json.dumps(
                {
                    "id": f"{n}_{key}",
                    "topic": "1",
                    "subtopic": key,
                    "title": title,
                    "text": f"{title}\n{body}",
                    "url": None,
                }
            )
        )
    (clustering / "tiny.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    summarization = data / "summarization"
    summarization.mkdir()
    items = [
        {
            "id": f"news_{n:03d}",
            "category": "news",
            "docs": [{"title": title, "text": body.replace(". ", ".\n\n")}],
            "references": [" ".join(body.split(". ")[:2])],
        }
        for n, (title, body) in enumerate(STORIES.values())
    ]
    (summarization / "tiny.jsonl").write_text(
        "\n".join(json.dumps(i) for i in items) + "\n", encoding="utf-8"
    )

    feeds = data / "feeds"
    (feeds / "files").mkdir(parents=True)
    rss = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>One &lt;b&gt;bold&lt;/b&gt;</title><link>/one</link>"
        "<pubDate>Mon, 01 Jan 2024 12:00:00 GMT</pubDate></item>"
        "<item><title>Two</title><link>https://example.com/two</link></item></channel></rss>"
    )
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        '<entry><title type="html">&lt;i&gt;Three&lt;/i&gt;</title><link href="https://example.com/3"/>'
        "<id>tag:3</id><updated>2024-01-02T00:00:00Z</updated></entry></feed>"
    )
    (feeds / "files" / "a.rss").write_text(rss, encoding="utf-8")
    (feeds / "files" / "b.atom").write_text(atom, encoding="utf-8")
    index = {
        "count": 2,
        "feeds": [
            {
                "file": "data/feeds/files/a.rss",
                "format": "rss2.0",
                "items": 2,
                "peculiarities": [],
                "note": "snapshot of example.com/feed (2024-01-01), Content-Type text/xml; charset=UTF-8",
            },
            {"file": "data/feeds/files/b.atom", "format": "atom1.0", "items": 1, "peculiarities": []},
        ],
    }
    (feeds / "index.json").write_text(json.dumps(index), encoding="utf-8")

    (data / "entities").mkdir()
    text = (
        "HARBOUR BRIDGE APPROVED.\nOSLO 1996-08-30\nMayor Kari Nordmann said the Harbour Authority will pay."
    )
    spans = [("Kari Nordmann", "PER"), ("Harbour Authority", "ORG"), ("OSLO", "LOC")]
    entities = [
        {"start": text.index(t), "end": text.index(t) + len(t), "text": t, "type": k} for t, k in spans
    ]
    doc = {"id": "eng.testa-0000", "text": text, "entities": entities}
    (data / "entities" / "conll2003.jsonl").write_text(json.dumps(doc) + "\n", encoding="utf-8")
    return data


QUALITY = ("extraction.", "feeds.", "threads.", "summaries.", "entities.")


def test_bench_runs_on_a_tiny_data_folder(tmp_path: Path) -> None:
    data = _tiny_data(tmp_path)
    out = tmp_path / "results.json"
    printed: list[str] = []
    code = main(["--data", str(data), "--limit", "2", "--out", str(out)], echo=printed.append)
    text = "\n".join(printed)
    assert code == 0, text
    results = json.loads(out.read_text(encoding="utf-8"))
    assert not results["errors"]
    figures = {f["key"]: f for f in results["figures"]}
    for key in (
        "extraction.f1",
        "extraction.accuracy",
        "feeds.no_crash",
        "feeds.entry_count",
        "threads.tiny.one batch.story_f1",
        "threads.tiny.runpy.story_f1",
        "threads.tiny.all.story_f1",
        "threads.tiny.runpy.topic_f1",
        "summaries.tiny.rouge2",
        "entities.people.precision",
        "entities.orgs.recall",
        "entities.people.not_people",
        "speed.overhead",
        "speed.run_vs_pool_extraction",
        "speed.run_vs_naive_script",
        "speed.run_vs_pool_extraction_large",
        "speed.run_vs_naive_script_large",
        "speed.fetch_c8",
        "speed.idle_rerun",
        "speed.scaling_time",
        "speed.rss_4x",
        "archive.run_seconds_10",
        "archive.bytes_written_40",
        "archive.ratio_40_vs_10",
        "archive.index_bytes_40",
        "brief.deterministic",
        "brief.repeats.demo",
    ):
        assert key in figures, f"{key} missing from {sorted(figures)}"
    for key, f in figures.items():
        assert {"value", "baseline", "ratio", "target", "unit", "set", "n"} <= f.keys()
        if key.startswith(QUALITY) and f["unit"] in ("", "share"):
            for field in ("value", "baseline"):
                assert isinstance(f[field], float | int) and 0.0 <= f[field] <= 1.0, (key, field, f[field])
    assert figures["feeds.no_crash"]["value"] == 1.0
    assert figures["extraction.f1"]["n"] == 2
    assert figures["speed.rss_large"]["value"] is None  # not run under --limit
    assert figures["speed.run_vs_naive_script_large"]["value"] is None
    for key in ("speed.run_vs_pool_extraction", "speed.run_vs_naive_script"):
        assert figures[key]["value"] > 0 and figures[key]["baseline"] > 0, key
    assert results["details"]["overhead"]["cores"] >= 1
    assert results["details"]["extraction"]["reference_checks"]["trafilatura"]["f1"] == pytest.approx(1.0)
    assert {"timestamp", "versions", "wall_seconds"} <= results.keys()
    assert 0.0 <= figures["digest.articles.figures.precision"]["value"] <= 1.0  # the shipped gold set
    assert any(s["set"] == "seed articles" for s in results["skipped"])
    assert any(s["set"] == "brief gold sentences" for s in results["skipped"])  # its documents are absent
    assert "figure" in text and "baseline" in text and "ratio" in text  # the table


def test_the_large_runs_baselines_read_the_same_pages(tmp_path: Path) -> None:
    """The ~5,000 run's baselines, on a few pages: the naive script reads every page the run
    reads, from the same server, and the pool extracts the same bytes."""
    from benchmarks import loopback, speed
    from benchmarks.extraction import load_pages

    pages = load_pages(_tiny_data(tmp_path) / "extraction")
    vocab = loopback.vocabulary([p.html for p in pages])
    result = speed._scaled_run(pages, 2, vocab, compressed=True, baselines=True)

    assert result["pages"] == 4 and result["articles_new"] == 4
    assert result["naive"]["pages"] == 4 and result["naive"]["seconds"] > 0
    assert result["pool"]["pages"] == 4 and result["pool"]["cores"] >= 1


def test_absent_sets_are_skipped(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    printed: list[str] = []
    only = "extraction,feeds,threads,summaries,entities,overhead,scaling"
    code = main(["--data", str(tmp_path / "empty"), "--only", only, "--out", str(out)], echo=printed.append)
    assert code == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["figures"] == []
    assert {s["benchmark"] for s in results["skipped"]} == set(only.split(","))

    (tmp_path / "partial" / "feeds").mkdir(parents=True)
    code = main(
        ["--data", str(tmp_path / "partial"), "--only", "summaries", "--out", str(out)], echo=printed.append
    )
    assert code == 0
    assert any(line.startswith("skipped: summarization") for line in printed)


def test_the_entities_score_by_hand() -> None:
    """README (f): distinct names; right when equal to a gold name of the type or its last word;
    a surname beside its full name is one gold name; places listed as people are counted."""
    from benchmarks.entities import Doc, score

    gold = {"PER": frozenset({"Phil Simmons", "Simmons", "Andy Caddick"}), "LOC": frozenset({"Grace Road"})}
    doc = Doc("d", "", gold)
    listed = {"people": ["Simmons", "Grace Road", "Nobody Here", "simmons"], "orgs": []}
    result = score([doc], [listed])
    people = result["tallies"]["people"]
    assert (people.listed, people.right, people.gold, people.found) == (3, 1, 2, 1)
    assert result["not_people"] == 1
    assert result["tallies"]["orgs"].precision == 1.0  # nothing listed, nothing wrong


# -- story threads through whole runs (benchmarks/threads_run.py) ---------------------------------

HARBOUR_EVENTS = (  # the sibling: the same subject, another event
    "A ferry ran aground in the old harbour on Friday night, and forty passengers were brought ashore.",
    "The coastguard said the ferry hit a sandbank in fog. No one was hurt, but the harbour closed "
    "for a day while tugs freed the ship. The ferry company blamed a broken radar and promised an "
    "inquiry, and the port authority said it would dredge the channel before the summer season.",
)


def _run_data(root: Path) -> Path:
    """Two stories of one topic (the bridge, and a ferry in the same harbour) and a thread on the first."""
    data = root / "run-data"
    (data / "clustering").mkdir(parents=True)
    (data / "threads").mkdir()
    lines = []
    for story, (title, body) in (("9ecb", STORIES["harbour"]), ("9ecbplus", HARBOUR_EVENTS)):
        for n in range(4):
            text = (
                f"{title}\n" + body.replace(". ", ".\n") + f"\nReporter {n} spoke to {n + 3} witnesses there."
            )
            doc = {"id": f"9_{n}{story[1:]}", "topic": "9", "subtopic": story, "title": f"{title} ({n})"}
            lines.append(json.dumps(doc | {"text": text, "url": None}))
    (data / "clustering" / "ecbplus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    thread = {
        "id": "harbour-bridge",
        "title": "The harbour bridge",
        "description": "The city council's new bridge over the harbour, its cost and construction.",
        "entities": ["city council"],
        "keywords": ["bridge", "construction"],
        "subtopic": "9ecb",
        "sibling": "9ecbplus",
    }
    (data / "threads" / "tiny_threads.json").write_text(json.dumps({"threads": [thread]}), encoding="utf-8")
    return data


RUN_FIGURES = (
    "threads.configured.precision",
    "threads.configured.recall",
    "threads.configured.sibling_intake",
    "threads.run.story_f1",
    "threads.run.story_precision",
    "threads.run.story_recall",
    "threads.run.shown_purity",
    "threads.run.shown_purity_pooled",
)


def test_threads_through_runs_on_a_tiny_data_folder(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    printed: list[str] = []
    data = _run_data(tmp_path)
    code = main(["--data", str(data), "--only", "threads_run", "--out", str(out)], echo=printed.append)
    text = "\n".join(printed)
    assert code == 0, text
    results = json.loads(out.read_text(encoding="utf-8"))
    figures = {f["key"]: f for f in results["figures"]}
    assert set(RUN_FIGURES) <= figures.keys(), sorted(figures)
    for key in RUN_FIGURES:
        assert 0.0 <= figures[key]["value"] <= 1.0, (key, figures[key])
    details = results["details"]["threads_run"]
    assert len(details["slots"]) >= 4
    assert details["counts"]["documents"] == 8
    assert details["counts"]["documents_lost"] == 0  # each is in a stored article (or merged into one)
    assert "thread harbour-bridge (9ecb, sibling 9ecbplus): P " in text  # the per-thread line


def test_threads_run_skips_without_thread_definitions(tmp_path: Path) -> None:
    data = _run_data(tmp_path)
    for path in (data / "threads").iterdir():
        path.unlink()
    out = tmp_path / "results.json"
    printed: list[str] = []
    assert main(["--data", str(data), "--only", "threads_run", "--out", str(out)], echo=printed.append) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["figures"] == []
    assert [s["benchmark"] for s in results["skipped"]] == ["threads_run"]


def test_the_run_scores_by_hand() -> None:
    from benchmarks.threads import bcubed
    from benchmarks.threads_run import ThreadDef, purity, run_clusters, thread_score

    story_of = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B"}
    # a1, a2 and b1 filed in configured thread T (a2 also in an emergent story: T comes first);
    # a3's article in no thread; b2 in no article (lost); c1 and c2 merged into one article
    article_of = {"a1": "x1", "a2": "x2", "a3": "x3", "b1": "y1"}
    docs = ["a1", "a2", "a3", "b1", "b2"]
    labels = run_clusters(docs, article_of, {"T": ["x1", "x2", "y1"]}, {"story-1": ["x2", "x3x"]})
    assert labels == ["configured:T", "configured:T", "alone:x3", "configured:T", "lost:b2"]
    got = bcubed(labels, [story_of[d] for d in docs])
    # precision per doc 2/3, 2/3, 1, 1/3, 1; recall 2/3, 2/3, 1/3, 1/2, 1/2
    assert got["precision"] == pytest.approx(11 / 15)
    assert got["recall"] == pytest.approx(8 / 15)
    assert got["f1"] == pytest.approx(176 / 285)
    merged = run_clusters(["c1", "c2"], {"c1": "z", "c2": "z"}, {}, {})
    assert merged[0] == merged[1] == "alone:z"  # two documents dedupe merged are one article

    spec = ThreadDef("t", "T", "", (), (), subtopic="A", sibling="B")
    s = thread_score(spec, {"a1", "a2", "b1"}, story_of)
    assert (s.precision, s.recall, s.sibling_intake) == pytest.approx((2 / 3, 2 / 3, 1 / 2))
    assert (s.members, s.of_story, s.of_sibling) == (3, 2, 1)
    empty = thread_score(spec, set(), story_of)
    assert (empty.precision, empty.recall, empty.sibling_intake) == (0.0, 0.0, 0.0)

    assert purity(["A", "A", "B"]) == pytest.approx(2 / 3)
    assert purity(["B"]) == 1.0
    with pytest.raises(ValueError):
        purity([])


def test_the_newsroom_dates_siblings_apart_and_wraps_text_in_chrome() -> None:
    from benchmarks import newsroom

    docs = [
        newsroom.Doc(f"{t}_{n}{s}", str(t), f"{t}{s}", f"Headline {t} {s} {n}", "One.\nTwo.\nThree.")
        for t in (1, 3, 5)
        for s in ("ecb", "ecbplus")
        for n in range(3)
    ]
    placed = newsroom.place(docs, 4, seed=7)
    assert placed == newsroom.place(docs, 4, seed=7)  # deterministic
    windows = newsroom.slots(4, seed=7)
    for topic in ("1", "3", "5"):
        ecb = [p.published for p in placed if p.doc.story == f"{topic}ecb"]
        plus = [p.published for p in placed if p.doc.story == f"{topic}ecbplus"]
        assert max(plus) - min(ecb) > timedelta(days=50)  # months apart
        assert max(ecb) - min(ecb) <= timedelta(days=3)  # a story in a few days
    last_slot = windows[-1][-1]
    assert all(p.published <= last_slot for p in placed)
    body = newsroom.page(placed[0], placed, seed=7).decode()
    assert "READ MORE:" in body and "Have a story tip? Email tips@" in body and "<footer>" in body
    assert all(line in body for line in placed[0].doc.text.splitlines())


# -- a brief that reads as one (benchmarks/brief_quality.py, issue 17) ----------------------------


def test_the_brief_gold_parses_and_has_its_rubric() -> None:
    from benchmarks.brief_quality import GOLD, RUBRIC, load_gold

    rubric = RUBRIC.read_text(encoding="utf-8")
    for heading in ("### `why`", "### `audience`", "### `self_contained`", "## The documents"):
        assert heading in rubric
    gold = load_gold(GOLD)
    assert len(gold) >= 150
    assert len({(g.doc, g.index) for g in gold}) == len(gold)  # one item per sentence of a document
    assert {g.set for g in gold} == {"bbc", "ecbplus"}
    for label in (lambda g: g.why, lambda g: g.self_contained, lambda g: g.audience is not None):
        assert 0 < sum(1 for g in gold if label(g)) < len(gold)  # both answers occur
    assert all(g.audience is None or (g.audience.strip() and g.audience == g.audience.lower()) for g in gold)


def test_the_brief_check_set_parses_and_shares_no_document_with_the_gold() -> None:
    from benchmarks.brief_quality import CHECK, GOLD, RUBRIC, load_gold

    assert "## Check set" in RUBRIC.read_text(encoding="utf-8")
    check = load_gold(CHECK)
    assert len(check) >= 150
    assert len({(g.doc, g.index) for g in check}) == len(check)
    assert {g.set for g in check} == {"bbc", "ecbplus"}
    for label in (lambda g: g.why, lambda g: g.self_contained, lambda g: g.audience is not None):
        assert 0 < sum(1 for g in check if label(g)) < len(check)
    assert all(g.audience is None or (g.audience.strip() and g.audience == g.audience.lower()) for g in check)
    assert not {g.doc for g in check} & {g.doc for g in load_gold(GOLD)}  # never the gold's documents


def test_the_brief_check_sentences_are_the_splitters_pieces_of_their_documents() -> None:
    from benchmarks.brief_quality import CHECK, gold_articles, load_gold
    from pipeline.text.sentences import split_sentences

    check = load_gold(CHECK)
    data = ROOT.parent / "shared" / "data"  # the evaluation sets, when this machine has them
    missing = sorted({g.source for g in check if not (data / g.source).is_file()})
    if missing:
        pytest.skip(f"{data} lacks {', '.join(missing)}: the check set's documents are not on this machine")
    articles, absent = gold_articles(data, check)
    assert not absent
    for g in check:
        article = articles[g.doc]
        assert g.sentence in article.text and article.title == g.title, (g.doc, g.index)
        assert split_sentences(article.text)[g.index] == g.sentence, (g.doc, g.index)


def test_check_figures_are_keyed_and_labelled_apart_from_the_gold() -> None:
    from benchmarks.brief_quality import CHOICE_ROWS, LabelledSet
    from benchmarks.core import at_least

    gold, check = (LabelledSet(n, {}, [], [], {}, {}, "") for n in ("gold", "check"))
    keys = [s.key(k) for k, *_ in CHOICE_ROWS for s in (gold, check)]
    assert keys[:4] == [
        "brief.why.precision",
        "brief.check.why.precision",
        "brief.why.audience_precision",
        "brief.check.why.audience_precision",
    ]
    assert "brief.check.bullets.self_contained" in keys
    assert check.label("x") == "x (check set, never tuned on)" and gold.label("x") == "x"
    assert check.target(at_least(0.85)) is None and gold.target(at_least(0.85)) is not None


def test_a_bad_gold_line_is_named(tmp_path: Path) -> None:
    from benchmarks.brief_quality import load_gold

    path = tmp_path / "sentences.jsonl"
    good = {"doc": "d", "set": "bbc", "source": "s.jsonl", "title": "T", "index": 0, "sentence": "A b."}
    path.write_text(
        json.dumps(good | {"why": True, "audience": None, "self_contained": True})
        + "\n"
        + json.dumps(good | {"why": "yes", "audience": None, "self_contained": True})
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="line 2"):
        load_gold(path)


def _toy_digest(thread_id: str, article: str, **sections: tuple[str, ...]) -> ThreadDigest:

    said = {k: tuple(Sentence(t, article) for t in v) for k, v in sections.items() if k != "timeline"}
    events = tuple(
        TimelineEvent("2026-01-01", "strategy", Sentence(t, article), ())
        for t in sections.get("timeline", ())
    )
    return ThreadDigest(
        thread_id=thread_id,
        title="T",
        kind="emergent",
        headline=Sentence(f"The headline of {thread_id}.", article),
        overview=said.get("overview", ()),
        why_it_matters=said.get("why_it_matters", ()),
        tldr=said.get("tldr", ()),
        sources=(),
        new_articles=1,
        reading_minutes=1,
        timeline=events,
        audience=said.get("audience", ()),
    )


def test_brief_quality_scores_a_toy_input(tmp_path: Path) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    from benchmarks.brief_quality import (
        GoldSentence,
        compare_archives,
        masked,
        repeats,
        rule_score,
        score_choices,
    )
    from pipeline.models import Brief, RunStats

    gold = [
        GoldSentence("d1", "bbc", "s", "T", 0, "Prices will rise for   farmers.", True, "farmers", True),
        GoldSentence("d1", "bbc", "s", "T", 1, "It also fell.", False, None, False),
        GoldSentence("d1", "bbc", "s", "T", 2, "The board met on Monday.", False, None, True),
    ]
    digest = _toy_digest(
        "t1",
        "a1",
        why_it_matters=("Prices will rise for farmers.", "The board met on Monday."),
        tldr=("It also fell.", "The board met on Monday.", "A sentence the gold does not hold."),
        audience=("Prices will rise for farmers.",),
    )
    pools = score_choices([digest], {"a1": "d1"}, gold)
    assert (pools["why"].judged, pools["why"].right, pools["why"].value) == (2, 1, 0.5)
    assert (pools["tldr"].judged, pools["tldr"].right, pools["tldr"].unjudged) == (2, 1, 1)
    assert pools["audience"].value == 1.0
    assert rule_score("r", [(True, True), (True, False), (False, True)]).precision == 0.5
    assert rule_score("r", [(True, True), (False, True)]).recall == 0.5

    other = _toy_digest("t2", "a2", overview=("Prices will rise for farmers.",))
    shown = _toy_digest(
        "t0", "a1", overview=("One thing happened.",), timeline=("One thing  happened.",), tldr=("Another.",)
    )
    stats = RunStats(1, 1, 0, 1, 1, 0, 1, 0)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    brief = Brief("b", when, "Brief", "readers", when, "", (shown, digest), stats)
    found = {r.sentence: r.sections for r in repeats(brief)}
    assert found == {
        "One thing happened.": "overview+timeline",
        "The board met on Monday.": "tldr+why",
        "Prices will rise for farmers.": "audience+why",
    }
    across = replace(brief, digests=(digest, other))
    assert "audience+overview+why across threads" in {r.sections for r in repeats(across)}
    assert not repeats(replace(brief, digests=(replace(shown, unchanged=True),)))

    a, b = tmp_path / "a", tmp_path / "b"
    for folder, port in ((a, 4242), (b, 51515)):
        (folder / "x").mkdir(parents=True)
        (folder / "x" / "page.html").write_text(f"<a href='http://127.0.0.1:{port}/p'>same</a>")
        eml = f"Date: Mon, 01 Jan 2026\nSubject: s\n\nhttp://127.0.0.1:{str(port)[:2]}=\n{str(port)[2:]}/q\n"
        (folder / "message.eml").write_text(eml)
    assert compare_archives(a, b) == []  # the port masked, even cut by a soft line break
    (b / "x" / "page.html").write_text("<a href='http://127.0.0.1:1/p'>other</a>")
    (b / "message.eml").write_text((b / "message.eml").read_text().replace("Mon", "Tue"))
    (b / "new.html").write_text("")
    got = {d["file"]: d["how"] for d in compare_archives(a, b)}
    assert got["new.html"] == "only in the second run"
    assert got["x/page.html"].startswith("line 1:")
    assert got["message.eml"].startswith("line 1: Date: Mon"), "nothing but the port is masked"
    # an article's id (a hash of its address, port included) is masked by the id it would have
    # with the port masked; another 12-hex string is kept
    (a / "brief.json").write_text('{"article_id": "0123456789ab", "other": "ba9876543210"}')
    assert masked(a / "brief.json", {b"0123456789ab": b"ffffffffffff"}) == (
        b'{"article_id": "ffffffffffff", "other": "ba9876543210"}'
    )

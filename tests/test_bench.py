"""The benchmark suite runs end to end on a tiny data folder of the real layout, so it cannot rot.

No timing is asserted: only that every figure is produced, quality figures are numbers in
[0, 1], and absent sets are reported as skipped.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

# the bench extra (make test installs it); a venv made with .[dev] only skips these tests
pytest.importorskip("rouge_score", reason="pip install -e '.[dev,bench]'")
pytest.importorskip("sumy", reason="pip install -e '.[dev,bench]'")

from benchmarks.runner import main  # noqa: E402

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
    return data


QUALITY = ("extraction.", "feeds.", "threads.", "summaries.")


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
        "speed.overhead",
        "speed.fetch_c8",
        "speed.idle_rerun",
        "speed.scaling_time",
        "speed.rss_4x",
        "archive.run_seconds_10",
        "archive.bytes_written_40",
        "archive.ratio_40_vs_10",
        "archive.index_bytes_40",
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
    assert results["details"]["extraction"]["reference_checks"]["trafilatura"]["f1"] == pytest.approx(1.0)
    assert {"timestamp", "versions", "wall_seconds"} <= results.keys()
    assert 0.0 <= figures["digest.articles.figures.precision"]["value"] <= 1.0  # the shipped gold set
    assert any(s["set"] == "seed articles" for s in results["skipped"])
    assert "figure" in text and "baseline" in text and "ratio" in text  # the table


def test_absent_sets_are_skipped(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    printed: list[str] = []
    only = "extraction,feeds,threads,summaries,overhead,scaling"
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

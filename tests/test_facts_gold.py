"""The facts gold set (benchmarks/gold/facts/) parses and quotes its documents verbatim, and its
scorer (benchmarks/facts_gold.py) matches as its README says and runs end to end on a toy set."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import facts_gold as fg  # noqa: E402
from benchmarks.core import Options, Report  # noqa: E402

DATA = ROOT.parent / "shared" / "data"  # the evaluation sets, when this machine has them
FIELDS = {
    "role": {"person", "role"},
    "quote": {"quote", "speaker"},
    "figure": {"value", "head"},
    "event": {"date", "precision"},
}
DATE = {"year": r"\d{4}", "month": r"\d{4}-\d\d", "day": r"\d{4}-\d\d-\d\d"}


@pytest.fixture(scope="module")
def gold() -> dict[str, list[dict[str, Any]]]:
    return fg.load_gold()


def test_the_gold_files_parse(gold: dict[str, list[dict[str, Any]]]) -> None:
    assert sum(len(items) for items in gold.values()) >= 150
    _well_formed(gold, at_least=40)


def _well_formed(gold: dict[str, list[dict[str, Any]]], at_least: int) -> None:
    """Every kind has `at_least` items, each with its fields, one id each, one date a document."""
    ids: Counter[str] = Counter()
    published: dict[tuple[str, str], Any] = {}
    for kind, items in gold.items():
        assert len(items) >= at_least, kind
        for item in items:
            ids[item["id"]] += 1
            assert item["id"].startswith(kind + "-")
            assert item["set"] in fg.SOURCES, item["id"]
            assert item["doc"] and item["sentence"].strip() == item["sentence"], item["id"]
            assert FIELDS[kind] <= item.keys(), item["id"]
            assert published.setdefault((item["set"], item["doc"]), item["published"]) == item["published"]
            if item["published"]:
                assert re.fullmatch(DATE["day"], item["published"]) and item["published_from"], item["id"]
    assert max(ids.values()) == 1
    for item in gold["role"]:
        assert item["role"] == "none" or item["head"], item["id"]
        if item["role"] != "none":  # the role and each accepted phrase hold a head word
            heads = [item["head"]] if isinstance(item["head"], str) else item["head"]
            for phrase in (item["role"], *item.get("accept", [])):
                assert any(fg._find(fg.words(phrase), fg.words(h)) >= 0 for h in heads), (item["id"], phrase)
    for item in gold["figure"]:
        assert item["value"] in item["sentence"], item["id"]
    for item in gold["event"]:
        assert re.fullmatch(DATE[item["precision"]], item["date"]), item["id"]


def test_each_sentence_is_verbatim_in_its_document(gold: dict[str, list[dict[str, Any]]]) -> None:
    _verbatim(gold)


def _verbatim(gold: dict[str, list[dict[str, Any]]]) -> None:
    """Each item quotes its document as the README says (skipped when the data is not here)."""
    missing = [p for p in fg.SOURCES.values() if not (DATA / p).is_file()]
    if missing:
        pytest.skip(f"{DATA} lacks {', '.join(missing)}: the documents are not on this machine")
    wanted = {(i["set"], i["doc"]) for items in gold.values() for i in items}
    documents = fg.load_documents(DATA, wanted)
    assert set(documents) == wanted, sorted(wanted - set(documents))
    for items in gold.values():
        for item in items:
            text = documents[(item["set"], item["doc"])].text
            assert item["sentence"] in text, item["id"]
            if item.get("published_from"):
                assert item["published_from"] in text.splitlines()[:4], item["id"]
    for item in gold["quote"]:
        text = documents[(item["set"], item["doc"])].text
        assert text.count(item["quote"]) == 1 and item["quote"] in item["sentence"], item["id"]
        names = [item["speaker"], *item.get("accept", [])]  # as the text names the speaker
        assert any(n.casefold() in text.casefold() for n in names), item["id"]
    for item in gold["role"]:
        assert item["person"] in documents[(item["set"], item["doc"])].text, item["id"]


@pytest.fixture(scope="module")
def check() -> dict[str, list[dict[str, Any]]]:
    return fg.load_gold(fg.GOLD_DIR / fg.CHECK)


def test_the_check_files_parse_and_use_no_gold_document(
    gold: dict[str, list[dict[str, Any]]], check: dict[str, list[dict[str, Any]]]
) -> None:
    assert (fg.GOLD_DIR / fg.CHECK / "README.md").is_file()
    _well_formed(check, at_least=25)
    gold_docs = {(i["set"], i["doc"]) for items in gold.values() for i in items}
    assert not {(i["set"], i["doc"]) for items in check.values() for i in items} & gold_docs


def test_each_check_sentence_is_verbatim_in_its_document(check: dict[str, list[dict[str, Any]]]) -> None:
    _verbatim(check)


def test_roles_match_by_their_phrase_head_and_tense() -> None:
    item = {"role": "AMR's chief executive", "head": "chief executive"}
    assert fg.role_right("AMR’s Chief Executive", item)
    assert fg.role_right("chief executive", item)
    assert not fg.role_right("AMR", item)
    assert not fg.role_right("", item)
    former = {"role": "then president", "head": "president", "accept": ["former president"]}
    assert fg.role_right("former president", former) and not fg.role_right("president", former)
    two = {
        "role": "Ex-BBC chat show host and East Midlands MEP",
        "head": ["MEP", "host"],
        "accept": ["East Midlands MEP", "Ex-BBC chat show host"],
    }
    assert fg.role_right("MEP", two) and fg.role_right("ex-BBC chat show host", two)
    assert not fg.role_right("BBC chat show host", two)
    assert not fg.role_right("chairman", {"role": "none"})


def test_names_values_labels_and_quotes_match_as_the_readme_says() -> None:
    assert fg.same_person("Mr Bush", ["George W Bush"])
    assert fg.same_person("Insp Gaskin", ["Dave Gaskin"])
    assert fg.same_person("a Fox spokesman", ["spokesman"])
    assert fg.same_person("Lewis-Francis.", ["Mark Lewis-Francis"])
    assert not fg.same_person("Harrogate Mr Kennedy", ["Charles Kennedy"])
    assert not fg.same_person("", ["Charles Kennedy"])
    assert fg.value_key("between 1% and 3%") == fg.value_key("1% and 3%")
    assert fg.value_key("22, 000") == fg.value_key("22,000")
    assert fg.value_key("1%") != fg.value_key("1% and 3%")
    label = {"head": "consumer prices", "variants": []}
    assert fg.label_right("Consumer prices", label) and not fg.label_right("producer prices", label)
    assert fg.label_right("garment worker", {"head": "workers"})
    assert not fg.label_right("", {"head": "workers"})
    assert not fg.label_right(" ".join(["workers"] * 13), {"head": "workers"})
    assert fg.quote_overlap("We will grow, and fast.", "We will grow") == 3
    assert fg.quote_overlap("grow", "We will grow") == 0  # a word of it is not the quotation
    assert fg.same_sentence("Sales rose on Monday.", "  sales rose on monday.  ")


TOY_TEXT = (
    "Acme chief executive Jane Doe said on Monday that sales rose 12% to $4bn.\n"
    '"We will keep growing," Ms Doe said.'
)
TOY_GOLD = {
    "role": {
        "id": "role-001",
        "person": "Jane Doe",
        "role": "Acme chief executive",
        "head": "chief executive",
    },
    "quote": {"id": "quote-001", "quote": "We will keep growing", "speaker": "Jane Doe"},
}


def _toy(root: Path) -> tuple[Path, Path]:
    gold_dir, data = root / "gold", root / "data"
    (data / "clustering").mkdir(parents=True)
    gold_dir.mkdir()
    doc = {"id": "1_1ecbplus", "topic": "1", "subtopic": "1ecbplus", "title": "Acme", "text": TOY_TEXT}
    (data / "clustering" / "ecbplus.jsonl").write_text(json.dumps(doc) + "\n", encoding="utf-8")
    for kind, item in TOY_GOLD.items():
        marker = str(item["quote"] if kind == "quote" else item["person"])
        sentence = next(line for line in TOY_TEXT.splitlines() if marker in line)
        record = item | {
            "doc": "1_1ecbplus",
            "set": "ecbplus",
            "published": "2024-03-06",
            "sentence": sentence,
        }
        (gold_dir / fg.FILES[kind]).write_text(json.dumps(record) + "\n", encoding="utf-8")
    return gold_dir, data


def test_the_scorer_runs_on_a_two_item_toy_set(tmp_path: Path) -> None:
    gold_dir, data = _toy(tmp_path)
    printed: list[str] = []
    report = Report(echo=printed.append)
    fg.run(Options(data=data, limit=None, large=False), report, gold_dir)
    figures = {f.key: f for f in report.figures}
    assert set(figures) == {
        "facts.roles.precision",
        "facts.roles.recall",
        "facts.quotes.speaker_accuracy",
        "facts.quotes.recall",
    }
    assert figures["facts.roles.recall"].n == 1 and figures["facts.quotes.recall"].n == 1
    for f in figures.values():
        assert f.value is None or 0.0 <= f.value <= 1.0, f.key
    scores = report.details["facts"]["scores"]
    assert [r["id"] for r in scores["role"]["items"]] == ["role-001"]
    assert scores["quote"]["items"][0]["outcome"] in {"right", "wrong", "no speaker", "missed"}
    assert not report.skipped


def test_absent_documents_are_skipped(tmp_path: Path) -> None:
    gold_dir, _ = _toy(tmp_path)
    report = Report(echo=lambda _: None)
    fg.run(Options(data=tmp_path / "nowhere", limit=None, large=False), report, gold_dir)
    assert report.figures == []
    assert [s["set"] for s in report.skipped] == ["facts gold on ecbplus"]


def test_a_check_set_is_scored_beside_the_gold(tmp_path: Path) -> None:
    gold_dir, data = _toy(tmp_path)
    (gold_dir / fg.CHECK).mkdir()
    for name in fg.FILES.values():
        if (gold_dir / name).is_file():
            (gold_dir / fg.CHECK / name).write_text(
                (gold_dir / name).read_text(encoding="utf-8"), encoding="utf-8"
            )
    report = Report(echo=lambda _: None)
    fg.run(Options(data=data, limit=None, large=False), report, gold_dir)
    keys = [f.key for f in report.figures]
    assert keys == [
        "facts.roles.precision",
        "facts.check.roles.precision",
        "facts.roles.recall",
        "facts.check.roles.recall",
        "facts.quotes.speaker_accuracy",
        "facts.check.quotes.speaker_accuracy",
        "facts.quotes.recall",
        "facts.check.quotes.recall",
    ]
    for f in report.figures:
        assert ("never tuned on" in f.label) == (".check." in f.key), f.key
        assert f.target is None or ".check." not in f.key, f.key  # a check figure is not chased
    assert report.details["facts"]["check"]["scores"]["role"]["items"][0]["id"] == "role-001"

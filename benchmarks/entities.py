"""People and organisations on real news: data/entities/conll2003.jsonl (CoNLL-2003 English dev).

Ours: what a reader sees in a one-article thread's people / organizations panel. Each document
becomes an `Article` (its first line the title, the whole text the text), goes through
`extract_facts`, and then through `digest_fields`, which ranks the mentions and keeps at most
`FieldsTuning.max_people` of each kind, as a brief does. Baseline, measured in the same run: the
names by their shape alone (every run of 2-4 capitalised words inside a sentence is a person,
every other capitalised run is an organisation; no panel cap), the floor any cue has to beat.

Scoring as the data README (f) says: per document, the distinct names listed as people (or
organisations) against the distinct gold `PER` (or `ORG`) strings; a listed name is right when
it equals a gold name of that type or is the last word (surname) of one (compared casefolded, and
without a final full stop: "Norwest Corp" is the gold "Norwest Corp.").
A gold name is recalled when a listed name is right for it; a one-word gold name that is the
last word of a longer gold name of its type in the document ("Simmons" beside "Phil Simmons")
is that name written short, not another one to find. Precision and recall are micro-averaged
over documents. `entities.people.not_people` is a count: listed people that are not a gold
person but equal (or are the last word of) a gold `LOC`, `ORG` or `MISC` name.

Figures before issue 16's name-kind work (commit 21f68e2, all 216 dev documents, this scorer):
people P 0.855 R 0.208, organisations P 0.460 R 0.160, listed people that are gold LOC / ORG /
MISC 26 (by shape: people P 0.585 R 0.733, organisations P 0.140 R 0.310, 403).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.models import Article
from pipeline.understand.facts import extract_facts
from pipeline.understand.fields import digest_fields

from .core import Figure, Options, Report, at_least, capped

NAME = "entities"
SET = "CoNLL-2003 dev"
KINDS = (("people", "PER"), ("orgs", "ORG"))
_CAP_RUN = re.compile(r"(?<![\w’'])[A-Z][\w’'&.-]*(?:\s+[A-Z][\w’'&.-]*)*")


@dataclass(frozen=True)
class Doc:
    id: str
    text: str
    gold: dict[str, frozenset[str]]  # PER / ORG / LOC / MISC -> the distinct strings


def load_docs(path: Path, limit: int | None = None) -> list[Doc]:
    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        gold: dict[str, set[str]] = {}
        for e in raw["entities"]:
            gold.setdefault(e["type"], set()).add(e["text"])
        docs.append(Doc(raw["id"], raw["text"], {t: frozenset(v) for t, v in gold.items()}))
    return capped(docs, limit)


def article(doc: Doc) -> Article:
    """The document as the pipeline holds an article: its headline the title, all of it the text."""
    url = f"http://127.0.0.1:1/conll/{doc.id}"
    title = doc.text.split("\n", 1)[0]
    published = datetime(1996, 8, 30, tzinfo=UTC)  # the corpus's week; only dates read it
    return Article(doc.id, url, url, "Reuters", title, doc.text, published)


def panel(doc: Doc) -> dict[str, list[str]]:
    """The people and organizations a one-article thread's digest lists for this document."""
    a = article(doc)
    fields = digest_fields([a], {a.id: extract_facts(a)}, (), ())
    return {"people": [i.name for i in fields.people], "orgs": [i.name for i in fields.orgs]}


def by_shape(doc: Doc) -> dict[str, list[str]]:
    """The baseline: capitalised runs inside a sentence, people when 2-4 words long."""
    people: list[str] = []
    orgs: list[str] = []
    for line in doc.text.split("\n")[1:]:
        for m in _CAP_RUN.finditer(line):
            if m.start() == 0 or m.group(0).isupper():
                continue
            words = m.group(0).split()
            (people if 2 <= len(words) <= 4 else orgs).append(m.group(0))
    return {"people": people, "orgs": orgs}


def _fold(name: str) -> str:
    """Casefolded, spaces normalised, without an abbreviation's full stop at the end ("Corp.")."""
    return " ".join(name.replace("’", "'").casefold().split()).rstrip(".")


def right(name: str, gold: Iterable[str]) -> bool:
    """README (f): equal to a gold name, or its last word."""
    n = _fold(name)
    return any(n == (g := _fold(x)) or n == g.split()[-1] for x in gold if x.strip())


def distinct_gold(names: Iterable[str]) -> set[str]:
    """Gold names of one type, a surname written alone beside its full name counted once."""
    folded = {_fold(n) for n in names if n.strip()}
    longer = {g.split()[-1] for g in folded if len(g.split()) > 1}
    return {g for g in folded if len(g.split()) > 1 or g not in longer}


@dataclass
class Tally:
    listed: int = 0
    right: int = 0
    gold: int = 0
    found: int = 0

    @property
    def precision(self) -> float:
        return self.right / self.listed if self.listed else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0


def score(docs: Sequence[Doc], predicted: Sequence[dict[str, list[str]]]) -> dict[str, Any]:
    """Micro-averaged precision / recall per kind, the not-people count, and per-document misses."""
    tallies = {kind: Tally() for kind, _ in KINDS}
    not_people = 0
    wrong: list[dict[str, Any]] = []
    for doc, pred in zip(docs, predicted, strict=True):
        for kind, tag in KINDS:
            gold = doc.gold.get(tag, frozenset())
            listed = {_fold(n): n for n in pred[kind]}.values()
            t = tallies[kind]
            t.listed += len(listed)
            hits = [n for n in listed if right(n, gold)]
            t.right += len(hits)
            wanted = distinct_gold(gold)
            t.gold += len(wanted)
            t.found += sum(1 for g in wanted if any(right(n, [g]) for n in listed))
            for n in listed:
                if n in hits:
                    continue
                other = next((o for o in ("LOC", "ORG", "MISC", "PER") if right(n, doc.gold.get(o, ()))), "")
                if kind == "people" and other and other != "PER":
                    not_people += 1
                wrong.append({"doc": doc.id, "kind": kind, "name": n, "gold": other})
    return {"tallies": tallies, "not_people": not_people, "wrong": wrong}


def run(opts: Options, report: Report) -> None:
    path = opts.data / "entities" / "conll2003.jsonl"
    if not path.is_file():
        report.skip(NAME, SET, f"{path} not found")
        return
    docs = load_docs(path, opts.limit)
    if not docs:
        report.skip(NAME, SET, f"no document in {path}")
        return
    with report.timed("entities.ours"):
        mine = score(docs, [panel(d) for d in docs])
    base = score(docs, [by_shape(d) for d in docs])
    n, shape = len(docs), "(by shape)"
    for kind, label in (("people", "people"), ("orgs", "organisations")):
        ours, theirs = mine["tallies"][kind], base["tallies"][kind]
        for measure, target in (("precision", at_least(0.9)), ("recall", None)):
            report.add(
                Figure(
                    f"entities.{kind}.{measure}",
                    f"{label} {measure} (panel)",
                    getattr(ours, measure),
                    getattr(theirs, measure),
                    shape,
                    "",
                    SET,
                    n,
                    target,
                    note=f"{ours.right}/{ours.listed} listed right, {ours.found}/{ours.gold} gold found",
                )
            )
    report.add(
        Figure(
            "entities.people.not_people",
            "listed people that are places, orgs, works (count)",
            float(mine["not_people"]),
            float(base["not_people"]),
            shape,
            "count",
            SET,
            n,
            None,
            note="listed as people, gold LOC / ORG / MISC",
        )
    )
    for w in mine["wrong"][:12]:
        report.note(NAME, f"wrong {w['kind']}: {w['name']!r} in {w['doc']} (gold {w['gold'] or 'none'})")
    report.details[NAME] = {"wrong": mine["wrong"]}

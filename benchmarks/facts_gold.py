"""Facts on real news (issue 16): roles, quote speakers, figure labels and event dates, scored
against the hand-annotated gold set in benchmarks/gold/facts/ (its README gives the annotation
rules, where the items come from and the licences of the text).

The gold items quote sentences of ECB+ and BBC News Summary dev documents. This benchmark needs
the whole documents, so it reads them from `--data`:
* `clustering/ecbplus.jsonl`: the article text is the whole `text` field;
* `summarization/bbc_news_summary.jsonl`: the article text is `docs[0].text`.

Items of a set whose file is absent are reported as skipped. Each document becomes one `Article`:
* its text is as `extract_article` leaves a page (whitespace normalised line by line, no blank
  lines);
* its `published` is the gold's `published` (the document's dateline, or None).

The product's own code runs on the whole document:
* `extract_facts(article)`;
* `fields.digest_fields` on a one-article thread, for the panels.

What is scored (matching rules in full in the gold README):

roles (the Involved panel of `digest_fields`, people then organisations; at most
`FieldsTuning.max_people` a kind, as a reader sees them)
    A gold person is shown when an Involved name names the same entity.
    `facts.roles.precision`: of the gold persons shown with a non-empty role, the share whose
    role is right. It is right when it equals the gold `role` or an `accept` phrase, or is a run
    of their words that holds a `head` word and keeps a former/ex-/then. Case, punctuation and a
    leading article are ignored. A gold "none" with a shown role counts as wrong.
    `facts.roles.recall`: of the gold persons whose role is not "none", the share shown with a
    right role.
    The same two figures on `extract_facts`' mentions (no panel cut) are in the notes and in the
    details, as `extract_precision` and `extract_recall`.
quotes (`extract_facts` quotations; the Voices panel only picks three of them)
    A gold quote is found by a product quotation that contains its words, or lies inside them and
    covers half of them.
    `facts.quotes.recall`: the share of gold quotes found at all.
    `facts.quotes.speaker_accuracy`: of those found, the share whose speaker names the gold
    speaker (or an `accept` form), by `fact_scoring.names_match`. Honorifics and surrounding
    punctuation are dropped first.
figures (`extract_facts` figures; the Key figures panel shows their labels unchanged)
    A gold figure is found by a product figure of its sentence with the same value. Case and
    spaces are ignored, and so is a leading "about", "nearly", "between" and the like. A range
    split in two is not found.
    `facts.figures.recall`: the share of gold figures found.
    `facts.figures.label_precision`: of those found with a label (the panel never shows a figure
    without one: a found figure with an empty label is not shown, so it counts against neither
    figure), the share whose label holds the `head`, or a `variants` phrase, as whole words, in at
    most 12 words. The outcomes in the notes count the empty labels.
events (`extract_facts` events; the Timeline panel shows `Event.iso` unchanged)
    A gold event is found by the product events whose sentence contains the gold sentence or lies
    inside it.
    `facts.events.recall`: the share of gold events found.
    `facts.events.date_accuracy`: of those found, the share where every such event has `iso`
    equal to the gold date, at the gold precision.

The check set (`benchmarks/gold/facts/check/`, when it holds items; its README says how its 35
documents were drawn) is scored the same way: `facts.check.roles.precision`,
`facts.check.quotes.speaker_accuracy`, `facts.check.figures.label_precision`,
`facts.check.events.date_accuracy` and the recall of each, each printed right after its gold
figure and labelled "check set, never tuned on", with a few of its misses in the notes. The
extractor's rules were tuned on the gold, so the check figures are the honest ones; they have no
target (a rule changed for a check item makes the check set one more gold set).

Comparable figures of today:
* `digest.articles.*`, `digest.heldout.*` and `digest.seeds.*` (benchmarks/digest.py) score the same
  extractor against the demo and seed gold, by value or name only.
  Their quotes (speaker and opening words) and events (date, kind and words) figures are the
  nearest to the quote and event figures here. Their figures are matched by value only, with no
  label.
* `fact_scoring.score_facts` also computes a `role_accuracy`: of the matched people with a gold
  role, the share whose role matches by containment. No figure reports it. It is the nearest to
  `facts.roles.recall`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pipeline.ingest.urls import article_id, canonical_url
from pipeline.models import Article, Involved
from pipeline.understand.facts import ArticleFacts, extract_facts
from pipeline.understand.fields import digest_fields, title_words

from .core import Figure, Options, Report, at_least, capped
from .fact_scoring import names_match

NAME = "facts"
GOLD_DIR = Path(__file__).resolve().parent / "gold" / "facts"
FILES = {"role": "roles.jsonl", "quote": "quotes.jsonl", "figure": "figures.jsonl", "event": "events.jsonl"}
SOURCES = {"ecbplus": "clustering/ecbplus.jsonl", "bbc_news_summary": "summarization/bbc_news_summary.jsonl"}
MAX_LABEL_WORDS = 12

_TENSE = frozenset({"former", "ex", "then"})
_ARTICLES = frozenset({"a", "an", "the"})
# dropped from the front of a name before names are compared ("Mr Bush", "Insp Gaskin")
_HONORIFICS = frozenset(
    "mr mrs ms miss dr sir lord lady baroness dame rev prof professor insp inspector sgt det".split()
)
_QUALIFIER = re.compile(
    r"^(?:about|around|approximately|roughly|nearly|almost|some|over|under|more than|less than|"
    r"fewer than|up to|at least|at most|just over|just under|as many as|as much as|between|"
    r"an estimated)\s+"
)


@dataclass(frozen=True)
class Document:
    set: str
    id: str
    title: str
    text: str


# -- loading --------------------------------------------------------------------------------------


def load_gold(folder: Path = GOLD_DIR) -> dict[str, list[dict[str, Any]]]:
    """The gold items per kind (role, quote, figure, event), in file order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, name in FILES.items():
        path = folder / name
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        out[kind] = [json.loads(line) for line in lines if line.strip()]
    return out


def load_documents(data: Path, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Document]:
    """The (set, id) documents of `wanted` found under `data`; sets with no file give none."""
    ids_by_set: dict[str, set[str]] = {}
    for set_name, doc in wanted:
        ids_by_set.setdefault(set_name, set()).add(doc)
    out: dict[tuple[str, str], Document] = {}
    for set_name, ids in ids_by_set.items():
        path = data / SOURCES.get(set_name, f"{set_name}.jsonl")
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            if record.get("id") not in ids:
                continue
            if set_name == "bbc_news_summary":
                first = record["docs"][0]
                title, text = str(first.get("title", "")), str(first.get("text", ""))
            else:
                title, text = str(record.get("title") or ""), str(record.get("text") or "")
            out[(set_name, record["id"])] = Document(set_name, record["id"], title, text)
    return out


def to_article(document: Document, published: str | None) -> Article:
    """The document as `extract_article` would leave its page: lines whitespace-normalised, no
    blank lines, the feed's date (noon UTC of `published`) when the gold gives one."""
    url = f"https://{document.set}.benchmark.invalid/{document.id}"
    canonical = canonical_url(url)
    lines = (" ".join(line.split()) for line in document.text.splitlines())
    day = date.fromisoformat(published) if published else None
    return Article(
        id=article_id(canonical),
        url=url,
        canonical_url=canonical,
        source=document.set,
        title=" ".join(document.title.split()),
        text="\n".join(line for line in lines if line),
        published=datetime(day.year, day.month, day.day, 12, tzinfo=UTC) if day else None,
        found_at=((document.set, url),),
    )


# -- matching -------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.casefold().split())


def words(text: str) -> list[str]:
    """Lower-case words, punctuation dropped: "AMR's Co - Founder" → amr, s, co, founder."""
    return re.findall(r"[^\W_]+", _norm(text))


def _phrase(text: str) -> list[str]:
    """The words of a role, without a leading article or relative pronoun ("who directs the
    Service" is the role "directs the Service")."""
    w = words(text)
    return w[1:] if w and (w[0] in _ARTICLES or w[0] == "who") else w


def _same_word(a: str, b: str) -> bool:
    return a == b or a in (b + "s", b + "es") or b in (a + "s", a + "es")


def _find(seq: Sequence[str], part: Sequence[str]) -> int:
    """Where `part` starts in `seq` (words compared with a final -s/-es either way), or -1."""
    if not part:
        return -1
    for i in range(len(seq) - len(part) + 1):
        if all(_same_word(seq[i + k], part[k]) for k in range(len(part))):
            return i
    return -1


def _heads(item: Mapping[str, Any]) -> list[list[str]]:
    head = item.get("head") or []
    return [words(h) for h in ([head] if isinstance(head, str) else head)]


def role_right(shown: str, item: Mapping[str, Any]) -> bool:
    """Whether a shown role is right for a gold role item (see the module docstring)."""
    p = _phrase(shown)
    if not p or str(item["role"]).lower() == "none":
        return False
    heads = _heads(item)
    for option in (item["role"], *item.get("accept", [])):
        g = _phrase(option)
        if p == g:
            return True
        for start in range(len(g) - len(p) + 1):
            if g[start : start + len(p)] != p:
                continue
            at = [_find(p, h) for h in heads]
            found = [a for a in at if a >= 0]
            if not found:
                continue
            head_at = start + min(found)
            if all(start <= k for k, w in enumerate(g[:head_at]) if w in _TENSE):
                return True
    return False


def _name(text: str) -> str:
    w = text.strip(" .,;:").split()
    while len(w) > 1 and w[0].casefold().rstrip(".") in _HONORIFICS:
        w = w[1:]
    return " ".join(w)


def same_person(predicted: str, names: Iterable[str]) -> bool:
    """`names_match` against any of `names`, honorifics ("Mr", "Dr", "Insp") dropped first."""
    p = _name(predicted)
    return bool(p) and any(names_match(p, _name(n)) or names_match(predicted, n) for n in names if n)


def value_key(value: str) -> str:
    """A figure's value for comparison: case folded, a leading qualifier dropped, no spaces."""
    text = _norm(value)
    while True:
        stripped = _QUALIFIER.sub("", text)
        if stripped == text:
            break
        text = stripped
    return text.replace(" ", "")


def label_right(label: str, item: Mapping[str, Any]) -> bool:
    w = words(label)
    if not w or len(w) > MAX_LABEL_WORDS:
        return False
    return any(_find(w, words(option)) >= 0 for option in (item["head"], *item.get("variants", [])))


def same_sentence(a: str, b: str) -> bool:
    """One sentence holds the other (the product's splitter may cut differently)."""
    x, y = _norm(a), _norm(b)
    return bool(x and y) and (x in y or y in x)


def quote_overlap(text: str, quote: str) -> int:
    """How many of the gold quote's words a product quotation gives (0: it does not find it)."""
    t, g = words(text), words(quote)
    if _find(t, g) >= 0:
        return len(g)
    if len(t) * 2 >= len(g) and _find(g, t) >= 0:
        return len(t)
    return 0


# -- scoring --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    """What the product makes of one document: its facts and its one-article panels."""

    facts: ArticleFacts
    people: tuple[Involved, ...]
    orgs: tuple[Involved, ...]


def run_product(article: Article) -> Product:
    facts = extract_facts(article)
    fields = digest_fields([article], {article.id: facts}, title_words(article.title), ())
    return Product(facts, fields.people, fields.orgs)


def _involved(product: Product, person: str) -> Involved | None:
    shown = [i for i in (*product.people, *product.orgs) if same_person(i.name, [person])]
    exact = [i for i in shown if _norm(_name(i.name)) == _norm(_name(person))]
    chosen = exact or shown
    return chosen[0] if chosen else None


def _mention_role(facts: ArticleFacts, person: str) -> str | None:
    """The role `extract_facts` gives the person most (None: not mentioned)."""
    mentions = [m for m in facts.mentions if same_person(m.name, [person])]
    if not mentions:
        return None
    roles = Counter(m.role for m in mentions if m.role)
    return roles.most_common(1)[0][0] if roles else ""


def _ratio(right: int, total: int) -> float | None:
    return right / total if total else None


def score_roles(items: Sequence[Mapping[str, Any]], products: Mapping[str, Product]) -> dict[str, Any]:
    per_item: list[dict[str, Any]] = []
    tally = Counter[str]()
    for item in items:
        product = products[item["id"]]
        has_role = str(item["role"]).lower() != "none"
        tally["gold_with_role"] += has_role
        shown = _involved(product, item["person"])
        role = shown.role if shown else None
        if shown is None:
            outcome = "not shown"
        elif not role:
            outcome = "no role shown"
        elif role_right(role, item):
            outcome = "right"
        else:
            outcome = "role where none" if not has_role else "wrong role"
        if shown is not None and role:
            tally["shown_with_role"] += 1
            tally["right"] += outcome == "right"
        tally["recalled"] += outcome == "right" and has_role
        extract = _mention_role(product.facts, item["person"])
        if extract:
            tally["extract_with_role"] += 1
            tally["extract_right"] += role_right(extract, item)
            tally["extract_recalled"] += role_right(extract, item) and has_role
        tally["shown"] += shown is not None
        per_item.append(
            {
                "id": item["id"],
                "outcome": outcome,
                "shown": shown.name if shown else None,
                "role": role,
                "extract_role": extract,
            }
        )
    return {
        "precision": _ratio(tally["right"], tally["shown_with_role"]),
        "recall": _ratio(tally["recalled"], tally["gold_with_role"]),
        "extract_precision": _ratio(tally["extract_right"], tally["extract_with_role"]),
        "extract_recall": _ratio(tally["extract_recalled"], tally["gold_with_role"]),
        "shown": _ratio(tally["shown"], len(items)),
        "n_precision": tally["shown_with_role"],
        "n_recall": tally["gold_with_role"],
        "outcomes": dict(Counter(r["outcome"] for r in per_item)),
        "items": per_item,
    }


def score_quotes(items: Sequence[Mapping[str, Any]], products: Mapping[str, Product]) -> dict[str, Any]:
    per_item: list[dict[str, Any]] = []
    for item in items:
        quotes = products[item["id"]].facts.quotes
        scored = [(quote_overlap(q.text, item["quote"]), -n, q) for n, q in enumerate(quotes)]
        best = max((s for s in scored if s[0]), default=None, key=lambda s: (s[0], s[1]))
        if best is None:
            outcome, speaker = "missed", None
        else:
            speaker = best[2].speaker
            names = [item["speaker"], *item.get("accept", [])]
            outcome = "right" if same_person(speaker, names) else ("no speaker" if not speaker else "wrong")
        per_item.append({"id": item["id"], "outcome": outcome, "speaker": speaker})
    found = [r for r in per_item if r["outcome"] != "missed"]
    return {
        "speaker_accuracy": _ratio(sum(r["outcome"] == "right" for r in found), len(found)),
        "recall": _ratio(len(found), len(items)),
        "n_accuracy": len(found),
        "n_recall": len(items),
        "outcomes": dict(Counter(r["outcome"] for r in per_item)),
        "items": per_item,
    }


def score_figures(items: Sequence[Mapping[str, Any]], products: Mapping[str, Product]) -> dict[str, Any]:
    per_item: list[dict[str, Any]] = []
    for item in items:
        figures = [
            f for f in products[item["id"]].facts.figures if same_sentence(f.sentence, item["sentence"])
        ]
        key = value_key(item["value"])
        match = next((f for f in figures if value_key(f.value) == key), None)
        if match is None:
            parts = [f.value for f in figures if value_key(f.value) and value_key(f.value) in key]
            outcome = "split range" if " and " in item["value"] and len(parts) >= 2 else "missed"
            per_item.append({"id": item["id"], "outcome": outcome, "values": [f.value for f in figures]})
            continue
        if label_right(match.label, item):
            outcome = "right"
        else:
            outcome = "empty label" if not match.label.strip() else "wrong label"
        per_item.append({"id": item["id"], "outcome": outcome, "value": match.value, "label": match.label})
    found = [r for r in per_item if r["outcome"] not in ("missed", "split range")]
    shown = [r for r in found if r["outcome"] != "empty label"]  # the panel shows labelled ones only
    return {
        "label_precision": _ratio(sum(r["outcome"] == "right" for r in shown), len(shown)),
        "recall": _ratio(len(found), len(items)),
        "shown_recall": _ratio(sum(r["outcome"] == "right" for r in shown), len(items)),
        "n_precision": len(shown),
        "n_recall": len(items),
        "outcomes": dict(Counter(r["outcome"] for r in per_item)),
        "items": per_item,
    }


def score_events(items: Sequence[Mapping[str, Any]], products: Mapping[str, Product]) -> dict[str, Any]:
    per_item: list[dict[str, Any]] = []
    for item in items:
        events = [e for e in products[item["id"]].facts.events if same_sentence(e.text, item["sentence"])]
        got = [e.iso for e in events]
        if not events:
            outcome = "missed"
        elif all(iso == item["date"] for iso in got):
            outcome = "right"
        elif item["date"] in got:
            outcome = "another date too"  # one event per date the sentence names
        elif any(iso[: len(item["date"])] == item["date"] or item["date"].startswith(iso) for iso in got):
            outcome = "wrong precision"
        else:
            outcome = "wrong date"
        per_item.append({"id": item["id"], "outcome": outcome, "dates": got})
    found = [r for r in per_item if r["outcome"] != "missed"]
    return {
        "date_accuracy": _ratio(sum(r["outcome"] == "right" for r in found), len(found)),
        "recall": _ratio(len(found), len(items)),
        "n_accuracy": len(found),
        "n_recall": len(items),
        "outcomes": dict(Counter(r["outcome"] for r in per_item)),
        "items": per_item,
    }


SCORERS = {"role": score_roles, "quote": score_quotes, "figure": score_figures, "event": score_events}


def evaluate(
    gold: Mapping[str, Sequence[Mapping[str, Any]]], documents: Mapping[tuple[str, str], Document]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Scores per kind over the gold items whose document is in `documents`, and the ids of the
    items left out (document absent)."""
    products: dict[tuple[str, str], Product] = {}
    by_item: dict[str, Product] = {}
    left_out: list[str] = []
    kept: dict[str, list[Mapping[str, Any]]] = {}
    for kind, items in gold.items():
        for item in items:
            key = (item["set"], item["doc"])
            document = documents.get(key)
            if document is None:
                left_out.append(item["id"])
                continue
            if key not in products:
                products[key] = run_product(to_article(document, item.get("published")))
            by_item[item["id"]] = products[key]
            kept.setdefault(kind, []).append(item)
    return {kind: SCORERS[kind](items, by_item) for kind, items in kept.items()}, left_out


# -- the benchmark --------------------------------------------------------------------------------

# (kind, key of the score, key of its n, figure key, label, target)
FIGURES = (
    ("role", "precision", "n_precision", "facts.roles.precision", "roles shown: right", at_least(0.9)),
    ("role", "recall", "n_recall", "facts.roles.recall", "roles: gold shown right", at_least(0.6)),
    (
        "quote",
        "speaker_accuracy",
        "n_accuracy",
        "facts.quotes.speaker_accuracy",
        "quote speakers: right",
        at_least(0.9),
    ),
    ("quote", "recall", "n_recall", "facts.quotes.recall", "quotes: gold found", at_least(0.6)),
    (
        "figure",
        "label_precision",
        "n_precision",
        "facts.figures.label_precision",
        "figure labels shown: right",
        at_least(0.9),
    ),
    ("figure", "recall", "n_recall", "facts.figures.recall", "figures: gold found", at_least(0.6)),
    (
        "figure",
        "shown_recall",
        "n_recall",
        "facts.figures.shown_recall",
        "figures: gold shown with the right label",
        None,
    ),
    (
        "event",
        "date_accuracy",
        "n_accuracy",
        "facts.events.date_accuracy",
        "event dates: right",
        at_least(0.9),
    ),
    ("event", "recall", "n_recall", "facts.events.recall", "events: gold found", at_least(0.6)),
)


def run(opts: Options, report: Report, gold_dir: Path = GOLD_DIR, check_dir: Path | None = None) -> None:
    """The gold's figures and, when `check_dir` (default: the gold's `check/` folder) holds items,
    the same figures on the check set, each right after its gold one."""
    gold = load_gold(gold_dir)
    if not any(gold.values()):
        report.skip(NAME, "facts gold", f"no gold items in {gold_dir}")
        return
    check_dir = gold_dir / CHECK if check_dir is None else check_dir
    check = load_gold(check_dir) if check_dir.is_dir() else {}
    sets: list[_Scored] = []
    for name, items in (("gold", gold), ("check", check)):
        if any(items.values()):
            scored = _score_set(opts, report, name, items)
            if scored is not None:
                sets.append(scored)
    if len(sets) == 2:
        report.note(
            NAME,
            f"check set ({check_dir.name}/, {CHECK_LABEL}): the extractor's rules were tuned on the "
            "gold, so the facts.check.* figures are the honest ones (no target: read them beside the "
            "gold's, never chase them)",
        )
    for kind, measure, n_key, key, label, target in FIGURES:
        for s in sets:
            got = s.scores.get(kind)
            if got is None:
                continue
            if s.name == "gold":
                figure = Figure(
                    key, label, got[measure], None, "", "", s.where(kind), int(got[n_key]), target
                )
            else:
                figure = Figure(
                    key.replace("facts.", "facts.check.", 1),
                    f"{label} ({CHECK_LABEL})",
                    got[measure],
                    None,
                    "",
                    "",
                    s.where(kind),
                    int(got[n_key]),
                )
            report.add(figure)
    for s in sets:
        said = "" if s.name == "gold" else "check: "
        if "role" in s.scores:
            r = s.scores["role"]
            report.note(
                NAME,
                f"{said}roles on extract_facts' mentions (no panel cut): precision "
                f"{_fmt(r['extract_precision'])}, recall {_fmt(r['extract_recall'])}; "
                f"{s.name} persons shown in the panel {_fmt(r['shown'])}",
            )
        for kind, got in s.scores.items():
            report.note(
                NAME,
                f"{said}{kind} outcomes: "
                + ", ".join(f"{k} {v}" for k, v in sorted(got["outcomes"].items())),
            )
        if s.name == "check":
            for line in _misses(s):
                report.note(NAME, f"check: {line}")
    by_name = {s.name: s for s in sets}
    if "gold" in by_name:
        g = by_name["gold"]
        report.details[NAME] = {"gold": str(gold_dir), "left_out": g.left_out, "scores": g.scores}
    if "check" in by_name:
        c = by_name["check"]
        report.details.setdefault(NAME, {})["check"] = {
            "gold": str(check_dir),
            "left_out": c.left_out,
            "scores": c.scores,
        }


CHECK = "check"  # the folder of the check set, beside the gold's files
CHECK_LABEL = "check set, never tuned on"


@dataclass(frozen=True)
class _Scored:
    """One labelled set (the gold or the check set) scored on the product."""

    name: str
    items: Mapping[str, Sequence[Mapping[str, Any]]]
    documents: Mapping[tuple[str, str], Document]
    scores: dict[str, dict[str, Any]]
    left_out: list[str]

    def where(self, kind: str) -> str:
        docs = {
            (i["set"], i["doc"]) for i in self.items.get(kind, ()) if (i["set"], i["doc"]) in self.documents
        }
        return f"{'' if self.name == 'gold' else 'check, '}real news, {len(docs)} docs"


def _score_set(
    opts: Options, report: Report, name: str, gold: Mapping[str, Sequence[Mapping[str, Any]]]
) -> _Scored | None:
    """`gold`'s items scored on the product; None (with a skip or nothing to score) when their
    documents are not under `opts.data`."""
    wanted = {(i["set"], i["doc"]) for items in gold.values() for i in items}
    documents = load_documents(opts.data, wanted)
    if opts.limit is not None:  # the first N documents of each set, in the items' order
        first: dict[str, list[tuple[str, str]]] = {}
        for items in gold.values():
            for i in items:
                keys = first.setdefault(i["set"], [])
                if (i["set"], i["doc"]) in documents and (i["set"], i["doc"]) not in keys:
                    keys.append((i["set"], i["doc"]))
        keep = {k for keys in first.values() for k in capped(keys, opts.limit)}
        documents = {k: d for k, d in documents.items() if k in keep}
    for set_name in sorted({s for s, _ in wanted}):
        path = opts.data / SOURCES.get(set_name, f"{set_name}.jsonl")
        if not path.is_file():
            report.skip(NAME, f"facts {name} on {set_name}", f"{path} not found")
    if not documents:
        return None
    scores, left_out = evaluate(gold, documents)
    if left_out:
        why = "not in the data" + (f" or beyond --limit {opts.limit}" if opts.limit else "")
        report.note(NAME, f"{len(left_out)} {name} items left out: their documents are {why}")
    return _Scored(name, gold, documents, scores, left_out)


def _misses(s: _Scored, per_kind: int = 4) -> list[str]:
    """A few of a set's items the product gets wrong, per kind, for the notes."""
    by_id = {i["id"]: i for items in s.items.values() for i in items}
    out: list[str] = []
    for kind, got in s.scores.items():
        wrong = [r for r in got["items"] if r["outcome"] != "right"]
        for r in wrong[:per_kind]:
            item = by_id[r["id"]]
            if kind == "role":
                said = f"{item['person']}: gold {item['role']!r}, shown {r['role']!r} ({r['outcome']})"
            elif kind == "quote":
                said = (
                    f"{item['quote'][:50]!r}: gold {item['speaker']!r}, got {r['speaker']!r} ({r['outcome']})"
                )
            elif kind == "figure":
                said = f"{item['value']}: gold head {item['head']!r}, " + (
                    f"label {r['label']!r}" if "label" in r else f"values {r['values']}"
                )
                said += f" ({r['outcome']})"
            else:
                said = f"{item['sentence'][:60]!r}: gold {item['date']}, got {r['dates']} ({r['outcome']})"
            out.append(f"{r['id']} ({item['doc']}) {said}")
    return out


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"

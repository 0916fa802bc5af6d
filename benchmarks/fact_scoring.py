"""Scoring extracted facts against hand-annotated gold (tests/data/demo_gold.json).

`score_facts` gives precision and recall per field; `names_match` and `roles_match` are the rules
it matches names and roles by (see their docstrings and `score_facts`'s for what counts as a match).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.understand.facts import ArticleFacts, Figure


def _acronym(name: str) -> str:
    return "".join(c for c in name if c.isupper())


# a currency named after the amount: "14.2 billion Norwegian kroner" states the gold's "14.2
# billion" and its currency (the gold wrote some amounts with the name, some without)
_CURRENCY_NAME = re.compile(
    r"\s+(?:(?:norwegian|danish|swedish)\s+)?(?:dollars|euros?|pounds|pence|cents|yen|yuan|rupees?|baht|"
    r"francs|pesos|roubles|rubles|dirhams|riyals|kroner|kronor)$"
)


def _value(text: str) -> str:
    """A figure's value as compared: case, spacing and a trailing currency name aside."""
    return _CURRENCY_NAME.sub("", _norm(text))


def _ends(figure: Figure) -> list[str]:
    """A figure's value, or for a range the value of each end: the demo gold, annotated when
    ranges were two figures, lists "$115 billion" and "$135 billion" for "$115 billion to $135
    billion", and the one range figure states both."""
    value = _value(figure.value)
    if not figure.high:
        return [value]
    ends = re.split(r"\s?(?:\bto\b|\band\b|-|–)\s?", value)
    return [e for e in ends if e] if len(ends) == 2 else [value]


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').replace("\u00a0", " ")
    return " ".join(text.casefold().split())


def _strip_article(text: str) -> str:
    return re.sub(r"^(?:a|an|the)\s+", "", _norm(text))


def names_match(predicted: str, gold: str) -> bool:
    """Same entity: equal ignoring case and a leading "the", one the surname (last word) of the
    other, or one the acronym of the other."""
    p, g = _strip_article(predicted), _strip_article(gold)
    if not p or not g:
        return False
    if p == g:
        return True
    pw, gw = p.split(), g.split()
    if (len(pw) == 1 or len(gw) == 1) and pw[-1] == gw[-1]:
        return True
    if p.endswith(" " + g) or g.endswith(" " + p):
        return True
    pa, ga = _acronym(predicted), _acronym(gold)
    return (predicted.isupper() and predicted == ga) or (gold.isupper() and gold == pa)


def roles_match(predicted: str, gold: str) -> bool:
    """Any of the gold roles (separated by " | ") equals, contains or is contained in the prediction."""
    p = _strip_article(predicted)
    if not p:
        return False
    return any((g := _strip_article(option)) and (g in p or p in g) for option in gold.split(" | "))


def _prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> dict[str, float]:
    precision = tp_pred / n_pred if n_pred else 1.0
    recall = tp_gold / n_gold if n_gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "predicted": float(n_pred),
        "gold": float(n_gold),
        "matched": float(tp_gold),
    }


def _greedy(pred: Sequence[Any], gold: Sequence[Any], same: Any) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if pi not in used and same(p, g):
                used.add(pi)
                pairs.append((pi, gi))
                break
    return pairs


def score_facts(
    predicted: Mapping[str, ArticleFacts], gold: Mapping[str, Any]
) -> dict[str, dict[str, float]]:
    """Precision and recall per field of `predicted` against a gold file's articles.

    `gold` is the parsed demo_gold.json (or its "articles" mapping): per article id, lists of
    figures {value}, events {date, kind, contains}, people and orgs {name, role} and quotes
    {speaker, starts}. Figures match by value (each distinct value once; a range by each of its
    ends, which it shows both of; a currency named after the amount aside); events, every one
    the extractor gives as the timeline shows every one, by date (to their precision), kind (the
    neutral "event" of a happening of none of the seven kinds included) and the gold words
    contained in the sentence; people and orgs by name (`names_match`), with `role_accuracy`
    over matched ones whose gold role is not empty (`roles_match`); quotes by speaker and
    opening words. `events_dated` ignores the kind.
    Articles missing from `predicted` count as predicting nothing."""
    articles: Mapping[str, Any] = gold.get("articles", gold)
    counts: dict[str, list[int]] = {
        f: [0, 0, 0, 0] for f in ("figures", "events", "events_dated", "people", "orgs", "quotes")
    }
    roles: dict[str, list[int]] = {"people": [0, 0], "orgs": [0, 0]}

    def tally(name: str, pairs: list[tuple[int, int]], n_pred: int, n_gold: int) -> None:
        c = counts[name]
        c[0] += len({p for p, _ in pairs})
        c[1] += n_pred
        c[2] += len({g for _, g in pairs})
        c[3] += n_gold

    for article_id, g in articles.items():
        facts = predicted.get(article_id, ArticleFacts())
        pv = sorted({v for f in facts.figures for v in _ends(f)})
        gv = sorted({_value(f["value"]) for f in g.get("figures", [])})
        tally("figures", _greedy(pv, gv, lambda p, q: p == q), len(pv), len(gv))
        # every event counts, as the timeline shows every one: an event no rule is sure of has
        # the neutral kind "event" (shown without a kind), right only against a gold happening
        # of none of the seven kinds (gold kind "event")
        gevents = g.get("events", [])
        pairs = _greedy(
            facts.events,
            gevents,
            lambda p, q: p.iso == q["date"] and p.kind == q["kind"] and _norm(q["contains"]) in _norm(p.text),
        )
        tally("events", pairs, len(facts.events), len(gevents))
        pairs = _greedy(
            facts.events,
            gevents,
            lambda p, q: p.iso == q["date"] and _norm(q["contains"]) in _norm(p.text),
        )
        tally("events_dated", pairs, len(facts.events), len(gevents))
        for field_name, kind in (("people", "person"), ("orgs", "org")):
            pm = [m for m in facts.mentions if m.kind == kind]
            gm = g.get(field_name, [])
            pairs = _greedy(pm, gm, lambda p, q: names_match(p.name, q["name"]))
            tally(field_name, pairs, len(pm), len(gm))
            for pi, gi in pairs:
                if gm[gi].get("role"):
                    roles[field_name][1] += 1
                    roles[field_name][0] += int(roles_match(pm[pi].role, gm[gi]["role"]))
        gq = g.get("quotes", [])
        pairs = _greedy(
            facts.quotes,
            gq,
            lambda p, q: (
                names_match(p.speaker, q["speaker"]) and _norm(p.text).startswith(_norm(q["starts"]))
            ),
        )
        tally("quotes", pairs, len(facts.quotes), len(gq))
    out = {name: _prf(*c) for name, c in counts.items()}
    for name, (right, total) in roles.items():
        out[name]["role_accuracy"] = right / total if total else 1.0
        out[name]["roles_scored"] = float(total)
    return out

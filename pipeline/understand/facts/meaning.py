"""Whether a sentence says what another already said, in other words.

Two outlets rarely report an event in the same words: "Meta released Muse Spark on Wednesday,
April 8, the first model of its Superintelligence Labs" and "On Wednesday, April 8, Meta
released Muse Spark, the first model from Meta Superintelligence Labs" are one fact. Exact text
and TF-IDF cosine miss that; what the two share is their facts and their informative words. A
sentence's *signature* is the set of them:

    token                  from                                              weight
    #money:14300000000usd  a figure, by kind and amount ("$14.3B" is          3
                           "$14.3 billion")
    @2026-04-08            a date with its year                              3
    ^meta                  a capitalised word but a month or weekday (a      1.5
                           name; "Meta’s" is "Meta")
    %product-launch        a kind of happening the sentence names, by the    1
                           facts stage's `EVENT_RULES` ("released", "went
                           on sale" and "debuted" are one)
    rais                   any other word, not a stop word (negations are    1
                           kept), as a crude stem ("raised" = "raise")
    ~rais                  and again for a past-tense verb (a word in -ed)   0

A sentence *repeats* another when every figure, date, name, past-tense verb (a word in -ed:
"recalled the phone" is not "released the phone") and negation of it is in the other, and the
other holds at least `TUNING.covered` of its weighted tokens and `TUNING.words_covered` of its words and kinds
of happening (numbers aside, and one of them a word: the same names doing something else are
news). Figures are compared exactly: a death toll of 1,204 is not one of 1,201. A sentence with
figures may also repeat several sentences together (`repeats_any`): those that state its
figures. When in doubt a sentence is shown: a repeat costs a line, a missed development costs
trust. Used by the summarizer (one fact is shown once per thread) and by what's new
(`pipeline/understand/novelty.py`: a fact already sent is not sent again in other words).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.text.calendar import MONTHS, WEEKDAYS
from pipeline.text.words import STOP_WORDS, WORD_OR_NUMBER
from pipeline.understand.facts.dates import _resolve_dates
from pipeline.understand.facts.events import EVENT_RULES
from pipeline.understand.facts.figures import _numbers


@dataclass(frozen=True)
class MeaningTuning:
    """When a sentence repeats another. `covered` and the weights were set on the demo's
    paraphrases across outlets (commit 7d00333), `words_covered` in a review of missed
    developments (f1ed951); tests/test_novelty.py holds the cases each one decides."""

    covered: float = 0.65  # share of a sentence's weighted tokens found in the other to call it a repeat
    words_covered: float = 0.6  # and share of its plain words (what is said of the names), unweighted
    stem: int = 6  # letters kept of a stem: "investors" and "investment" meet
    fact_weight: float = 3.0  # a figure or a date
    name_weight: float = 1.5  # a capitalised word


TUNING = MeaningTuning()


_POSSESSIVE = re.compile(r"['’]s$")
# a negation changes what is said: "will not spend" is not "will spend"
_NEGATIONS = {"not", "no", "never", "nor", "none", "nothing", "cannot", "without"}
_STOP = (STOP_WORDS - _NEGATIONS) | {"said", "says", "say", "according", "told", "also"}
# capitalised, but words of a date, not names
_CALENDAR = {m.lower() for m in MONTHS} | {d.lower() for d in WEEKDAYS}


def signature(text: str) -> frozenset[str]:
    """The facts and informative words of a sentence (see the module's table)."""
    figures = _numbers(text)
    dates = _resolve_dates(text, None)
    tokens = {f"#{kind}:{amount:.12g}{unit.lower()}" for _, _, kind, amount, unit in figures}
    tokens |= {f"@{hit.when.isoformat()[: _PRECISION[hit.precision]]}" for hit in dates}
    rest = list(text)
    for a, b in [(f[0], f[1]) for f in figures] + [(h.start, h.end) for h in dates]:
        rest[a:b] = " " * (b - a)  # a figure's digits are not words too
    # what happens, whatever the verb: "released", "went on sale" and "debuted" are one launch
    tokens |= {"%" + kind.replace(" ", "-") for kind, pattern in EVENT_RULES if pattern.search(text)}
    for word in WORD_OR_NUMBER.findall("".join(rest)):
        lower = _POSSESSIVE.sub("", word.lower()).strip("'’-")
        if not lower or lower in _STOP:
            continue
        if word[0].isupper() and lower not in _CALENDAR:
            tokens.add("^" + lower)
        else:
            tokens.add(_stem(lower))
            if lower.endswith("ed") and len(lower) > 4:
                tokens.add("~" + _stem(lower))  # a verb in the past: what happened
    return frozenset(tokens)


_PRECISION = {"day": 10, "week": 10, "month": 7, "year": 4}
_SUFFIX = re.compile(r"(?:ing|ed|es|s|e)$")


def _stem(word: str) -> str:
    """A crude stem: "raised", "raises" and "raise" are "rais"; then at most six letters."""
    return (_SUFFIX.sub("", word) if len(word) > 4 else word)[: TUNING.stem]


def _weight(tokens: Iterable[str]) -> float:
    return sum(
        (TUNING.fact_weight if t[0] in "#@" else TUNING.name_weight if t[0] == "^" else 1.0)
        for t in tokens
        if t[0] != "~"
    )


def repeats(sentence: frozenset[str], other: frozenset[str]) -> bool:
    """Whether a sentence (its signature) says nothing the other does not."""
    if not sentence or any((t[0] in "#@^~" or t in _NEGATIONS) and t not in other for t in sentence):
        # a new figure, date, name, past-tense verb or negation is news: "Amazon will spend" is
        # not "Meta will spend", "recalled the phone" not "released the phone"
        return False
    words = {t for t in sentence if t[0] not in "#@^~" and not t.isdigit()}
    shared = words & other
    if words and (len(shared) < TUNING.words_covered * len(words) or not any(t[0] != "%" for t in shared)):
        return False  # the same names doing something else: "Wang left Meta" is not "Meta hired Wang"
    return _weight(sentence & other) >= TUNING.covered * _weight(sentence)


def repeats_any(sentence: frozenset[str], others: Sequence[frozenset[str]]) -> bool:
    """Whether a sentence repeats one of the others, or, when it states figures or dates, the
    others that state them taken together ("paid $14.3 billion for a 49% stake" and "hired
    Alexandr Wang" shown, "spent $14.3 billion on a 49% stake, which brought in Alexandr Wang"
    is not news). Words alone are never pooled: old words can make a new claim."""
    if any(repeats(sentence, other) for other in others):
        return True
    facts = {t for t in sentence if t[0] in "#@"}
    if not facts:
        return False
    sharing = [o for o in others if facts & o]
    return repeats(sentence, frozenset().union(*sharing)) if sharing else False


def key(text: str) -> str:
    """The signature as one string, to be kept with what a brief showed."""
    return " ".join(sorted(signature(text)))


def from_key(stored: str) -> frozenset[str]:
    return frozenset(stored.split())

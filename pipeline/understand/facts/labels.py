"""The label of a figure, from the words of its clause.

The label comes from the words of the figure's clause: the noun it qualifies (49% stake in
Scale AI → "stake in Scale AI"), the noun before "of" (a valuation of $3.5 billion →
"valuation"), the benchmark of a score (86.4% on CharXiv → "CharXiv score"), a movement (Meta
shares rose 2.1% → "Meta shares rose") or the verb before it (invest $14.3 billion in Scale AI →
"investment in Scale AI"). A range is labelled as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.text.calendar import MONTHS, WEEKDAYS
from pipeline.understand.facts.text import _word_count
from pipeline.understand.facts.words import _FUNCTION_WORDS, _SPEECH_VERBS, _STOPCAPS

_LABEL_VERBS = {
    "invest": "investment",
    "invested": "investment",
    "investing": "investment",
    "paid": "payment",
    "pay": "payment",
    "paying": "payment",
    "spend": "spending",
    "spent": "spending",
    "spending": "spending",
    "raise": "raise",
    "raised": "raise",
    "raising": "raise",
    "committed": "commitment",
    "commit": "commitment",
    "valued": "valuation",
    "lost": "loss",
    "earned": "earnings",
    "fined": "fine",
    "cost": "cost",
    "costs": "cost",
}
_SCORE_VERBS = frozenset("scored posted solved recorded reached achieved scoring scores".split())
_ADVERBS = frozenset(
    "about roughly around nearly almost some just only over under approximately an estimated at least "
    "more than less than as much as up to".split()
)
_CLAUSE_STOP = re.compile(
    r"[,;:()“”\"—–]|\s(?:and|but|while|which|who|when|whereas|although|after|before|because)\s"
)


def _words(text: str) -> list[str]:
    return re.findall(r"[\w$€£%][\w’'.%-]*[\w%]|[\w$€£%]", text)


def _clause_after(sentence: str, end: int) -> str:
    rest = sentence[end:]
    match = _CLAUSE_STOP.search(rest)
    rest = rest[: match.start()] if match else rest
    return rest.rstrip(" .!?")


def _clause_before(sentence: str, start: int) -> str:
    head = sentence[:start]
    stops = [m.end() for m in _CLAUSE_STOP.finditer(head)]
    return head[stops[-1] :] if stops else head


_LABEL_DROP = frozenset("a an the its their his her our this that these those".split())
_LABEL_END = (
    frozenset(
        "is are was were has have had will would could can may might which who whom whose than to as "
        "after before because while when if last next ahead since until and or but by under from".split()
    )
    | frozenset(m.lower() for m in MONTHS)
    | frozenset(d.lower() for d in WEEKDAYS)
)
_TIME_WORDS = frozenset("year month week quarter today yesterday tomorrow decade".split())
_PREPOSITIONS = frozenset("in of on for across off over into with at to".split())
_MOVE_VERBS = frozenset(
    "rose rise rises rising fell fall falls falling slipped slips dropped drops jumped jumps climbed climbs "
    "gained gains declined declines grew grows surged surges sank tumbled slid increased decreased soared "
    "plunged lost".split()
)
_MOVE_TO = re.compile(rf"\b(?:{'|'.join(sorted(_MOVE_VERBS))})\s+(?:\S+\s+)?to\s+$")
_VP_SKIP = frozenset(
    "had have has were was are is already still said say says they would will could planned plan plans to "
    "intend intended expected expect also now".split()
)
_COMPARATIVES = frozenset(
    "more less fewer faster slower larger bigger smaller higher lower cheaper better worse".split()
)


def _is_figure_word(word: str) -> bool:
    return re.match(r"^(?:[$€£]|\d[\d,.]*(?:%|x)$)", word) is not None or word.endswith("%")


def _tidy_label(words: Iterable[str], limit: int = 6) -> str:
    out: list[str] = []
    for w in words:
        w = w.rstrip(".,;:")
        if not w or w.lower() in _LABEL_DROP or _is_figure_word(w):
            continue
        out.append(w)
        if len(out) >= limit:
            break
    while out and (out[-1].lower() in _FUNCTION_WORDS or out[-1].lower() in _PREPOSITIONS):
        out.pop()
    while out and out[0].lower() in _PREPOSITIONS:
        out.pop(0)
    return " ".join(out)


def _noun_phrase_after(
    after: str, max_prepositions: int = 2, skip_first_preposition: bool = False
) -> list[str]:
    """Words after a figure up to the end of its noun phrase (with at most two prepositional phrases)."""
    words = _words(after)
    out: list[str] = []
    prepositions = 0
    for i, w in enumerate(words):
        low = w.lower()
        nxt = words[i + 1].lower() if i + 1 < len(words) else ""
        if (
            re.match(r"^(?:19|20)\d\d$", w)
            or low in _TIME_WORDS
            or (low in ("this", "next") and nxt in _TIME_WORDS)
        ):
            break
        if low == "by" and out and out[-1].endswith("ed"):
            out.append(w)
            continue
        if low in _LABEL_END and not (i == 0 and skip_first_preposition):
            break
        if low in _PREPOSITIONS:
            if i == 0 and not skip_first_preposition:
                break
            prepositions += 1
            if prepositions > max_prepositions:
                break
        out.append(w)
        if len(out) >= 8:
            break
    return out


def _verb_before(before: str) -> str:
    """The word before the figure, skipping adverbs such as 'about', 'more than', 'up to'."""
    words = _words(before)
    while words:
        low = words[-1].lower()
        if low == "to" and len(words) >= 2 and words[-2].lower() == "up":
            words = words[:-2]
        elif low in _ADVERBS or low in ("than", "much", "least", "only", "just"):
            words = words[:-1]
        elif low == "as" and len(words) >= 2 and words[-2].lower() == "much":
            words = words[:-2]
        else:
            break
    return words[-1] if words else ""


def _benchmark(sentence: str, end: int) -> str:
    """The benchmark a score is on: 'on X' after it, else anywhere, else a leading 'On X,'."""
    on = re.compile(r"\bon\s+(?:its\s+|the\s+)?((?:[A-Z][\w.-]*)(?:\s+(?:[A-Z0-9][\w.-]*))*)")
    hit = on.match(sentence[end:].lstrip(" ")) or on.search(sentence)
    if hit is None:
        hit = re.match(r"^(?:On|In)\s+([A-Z][^,]+),", sentence)
    return _tidy_label(_words(hit.group(1)), 4) if hit else ""


def _count_label(sentence: str, start: int, end: int, unit: str) -> str:
    before = _clause_before(sentence, start)
    words = _words(_clause_after(sentence, end))
    upto = next((i for i, w in enumerate(words[:4]) if w.lower() == unit), 0)
    phrase = words[: upto + 1]
    rest = words[upto + 1 :]
    if rest and rest[0].lower() in _PREPOSITIONS - {"to"}:
        phrase += _noun_phrase_after(" ".join(rest), max_prepositions=1, skip_first_preposition=True)[:4]
    label = _tidy_label(phrase)
    of = re.search(
        r"((?:[A-Za-z][\w-]*\s){0,2}[A-Za-z][\w-]*)\s+of\s+(?:about\s+|some\s+|nearly\s+)?$", before
    )
    if of:
        kept = [w for w in of.group(1).split() if w.lower() not in _FUNCTION_WORDS][-2:]
        if kept:
            return _tidy_label([*kept, "of", *label.split()])
    verb = _verb_before(before)
    if (
        _word_count(label) == 1
        and verb.islower()
        and verb not in _FUNCTION_WORDS
        and verb not in _VP_SKIP
        and not re.fullmatch(_SPEECH_VERBS, verb)
    ):
        return f"{verb} {label}"
    return label or unit


def _label(sentence: str, start: int, end: int, kind: str, unit: str) -> str:
    """A short label for the figure at sentence[start:end], from the words of its clause."""
    if kind == "count":
        return _count_label(sentence, start, end, unit)
    before = _clause_before(sentence, start)
    after_text = sentence[end:]
    after_clause = _clause_after(sentence, end)
    after_words = _words(after_clause)
    first = after_words[0].lower() if after_words else ""
    verb = _verb_before(before)
    low_verb = verb.lower()
    # "Meta shares rose 2.1%"
    move = _MOVE_TO.search(before)  # "fell 4.2% to $88.10"
    if low_verb in _MOVE_VERBS or move:
        subject = before[: move.start()] + move.group(0).split()[0] if move else before
        words = [w for w in _words(subject) if not _is_figure_word(w)]
        keep = 4 if len(words) >= 4 and words[-3].lower() in _PREPOSITIONS else 3  # "Shares of X fell"
        return _tidy_label([*words[-keep:], *(["to"] if move else [])])
    if kind == "score" or (kind == "percent" and (low_verb in _SCORE_VERBS or first == "on")):
        bench = _benchmark(sentence, end)
        if bench and bench.split()[0] not in _STOPCAPS:
            return f"{bench} score"
    # "10x less training compute"
    if kind == "multiple" and first in _COMPARATIVES:
        return _tidy_label(_noun_phrase_after(after_clause, 1, skip_first_preposition=True))
    # "61% had already moved ...", "23% said they would wait for ..."
    if kind == "percent" and first in _VP_SKIP:
        rest = after_words
        while rest and rest[0].lower() in _VP_SKIP:
            rest = rest[1:]
        label = _tidy_label(_noun_phrase_after(" ".join(rest), 1, skip_first_preposition=True))
        if label:
            return label
    # "49% stake in Scale AI", "$135 billion spending plan"
    if first and first not in _FUNCTION_WORDS and first not in _PREPOSITIONS and first[0].isalpha():
        label = _tidy_label(_noun_phrase_after(after_clause))
        if label:
            return label
    # "a valuation of $3.5 billion", "capital expenditure of ..."
    of = re.search(
        r"((?:[A-Za-z][\w’'-]*\s)?[A-Za-z][\w’'-]*)\s+of\s+(?:about\s+|up to\s+|roughly\s+)?$", before
    )
    if of:
        kept: list[str] = []
        for w in reversed(of.group(1).split()):
            if (
                w.lower() in _FUNCTION_WORDS
                or w.lower() in _LABEL_END
                or (kept and w.endswith(("ed", "ing")))
            ):
                break
            kept.insert(0, w)
        if kept:
            return _tidy_label(kept)
    pp = re.match(r"^\s*(?:of|on|in|for|to|into|off)\s+[^,;:()“”\"]+", after_text)
    pp_words = _noun_phrase_after(pp.group(0), skip_first_preposition=True) if pp else []
    # "invest $14.3 billion in Scale AI", "paid $14.3 billion for a 49% stake in Scale AI"
    noun = _LABEL_VERBS.get(low_verb, "")
    if noun:
        return _tidy_label([noun, *pp_words]) if pp_words else noun
    if low_verb in ("adding", "added", "adds", "add"):
        return _tidy_label(["added", *pp_words])
    # "$72.22 billion it spent last year"
    relative = re.match(r"^\s+(?:it|they|he|she|the company|which|that)\s+([a-z]+\b[^,;:]*)", after_text)
    if relative:
        head = relative.group(1).split()
        return _tidy_label(head[:4])
    if kind == "percent" and pp_words[:1] == ["of"]:
        tail = [verb] if verb.endswith("ed") else []
        return _tidy_label([*pp_words[1:], *tail]) or _tidy_label(["share", *pp_words])
    if pp_words:
        return _tidy_label(pp_words)
    words = [w for w in _words(before) if not _is_figure_word(w)]
    return _tidy_label(words[-4:])

"""Figures: money, percentages, multiples, counts and scores, one sentence at a time.

    kind      written as                                      amount        unit
    money     $14.3 billion, €870 million, £5m, US$2bn,       14.3e9, ...   USD EUR GBP NOK ...
              12 million dollars, 9.4 pence
    percent   49%, 2.5 per cent                               49.0          %
    multiple  10x, ten times (before more/less/faster/...)    10.0          x
    count     262,000 tokens, 3 billion people, 27 variants   262000.0      the counted noun
    score     a bare number after at/of/scored/posted in a    52.0          points
              sentence about a score, index or benchmark;
              a result or vote (2–1, 9–4) beside won/beat/vote 2.0           result

Not figures: years, dates, durations and ages (12 years, 18 months, 28-year-old), measurements
(9.1 millimetres, 67 watts), ordinals, version numbers (a number after a capitalised word:
Llama 4, GPT-5.4), numbers in words (except "N times") and vague amounts (hundreds of
millions). In a range ($115 billion to $135 billion, $115 to $135 billion) each end is a figure,
the first takes the scale of the second, and both get the label of the whole (see `labels`). One
figure per kind, amount and unit per article: the first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.text.calendar import MONTH_RE, MONTHS
from pipeline.understand.facts.labels import _label
from pipeline.understand.facts.models import Figure
from pipeline.understand.facts.text import _Sentence
from pipeline.understand.facts.words import (
    _DURATION_UNITS,
    _FUNCTION_WORDS,
    _IRREGULAR_PLURALS,
    _MEASURE_UNITS,
    _NUMBER_WORDS,
    _SCALES,
    _STOPCAPS,
)

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MONEY = re.compile(
    rf"(?<![\w$€£])(?P<cur>US\$|\$|€|£|USD ?|EUR ?|GBP ?)(?P<num>{_NUM})"
    # a headline's "Billion" is a scale too
    r"(?:\s?(?P<scale>(?i:trillion|billion|million|thousand)|bn|tn|m|k|B|M|T|K)\b)?"
    r"|(?<![\w$€£.,])(?P<num2>" + _NUM + r")(?:\s(?P<scale2>(?i:trillion|billion|million|thousand)))?"
    r"\s(?P<word>dollars|euros|pounds|pence|cents|yen|yuan|rupees|francs|(?:Norwegian |Danish )?kroner|"
    r"(?:Swedish )?kronor)\b"
)
_PERCENT = re.compile(rf"(?<![\w.,])(?P<num>{_NUM})\s?(?:%|per ?cent\b|percent\b)")
_MULTIPLE = re.compile(
    rf"(?<![\w.,])(?P<num>{_NUM})x\b"
    r"|\b(?P<word>two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|fifty|"
    r"a hundred|hundred|a thousand|\d+(?:\.\d+)?) times (?=(?:more|less|fewer|faster|slower|larger|"
    r"bigger|smaller|higher|lower|cheaper|better|as|the|over|its|their|his|her|that|what)\b)",
    re.IGNORECASE,
)
_COUNT = re.compile(
    rf"(?<![\w$€£.,\-/])(?P<num>{_NUM})(?:\s(?P<scale>million|billion|trillion|thousand))?(?=[\s.,;:]|$)"
)
_RESULT = re.compile(r"(?<![\w.,–-])(?P<a>\d{1,3})[–-](?P<b>\d{1,3})(?![\w.,–-])")
_RESULT_CONTEXT = re.compile(
    r"\b(?:beat\w*|win|wins|won|winning|lost|lose|loss|defeat\w*|draw|drew|victory|voted?|votes|score|"
    r"scored|final|match)\b",
    re.IGNORECASE,
)
_SCORE_CONTEXT = re.compile(
    r"\b(?:scores?|scored|scoring|index|points|rating|ranked|ranking|leaderboard|benchmarks?|elo)\b",
    re.IGNORECASE,
)
_CURRENCY = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "USD": "USD", "EUR": "EUR", "GBP": "GBP"}
_CURRENCY_WORDS = {
    "dollars": "USD",
    "euros": "EUR",
    "pounds": "GBP",
    "pence": "GBP",
    "cents": "USD",
    "yen": "JPY",
    "yuan": "CNY",
    "rupees": "INR",
    "francs": "CHF",
    "norwegian kroner": "NOK",
    "danish kroner": "DKK",
    "kroner": "NOK",
    "swedish kronor": "SEK",
    "kronor": "SEK",
}
_RANGE_SCALE = re.compile(
    rf"^\s?(?:to|-|–|and|or)\s?(?:US\$|\$|€|£)?(?:{_NUM})\s?(?P<scale>trillion|billion|million|thousand|bn|tn)\b"
)
_RANGE_GAP = re.compile(r"\s?(?:to|-|–)\s?")


def _to_float(number: str) -> float:
    return float(number.replace(",", ""))


def _is_year(number: str) -> bool:
    return bool(re.fullmatch(r"(?:1[89]|20|21)\d\d", number))


def _counted_noun(after: str) -> str:
    """The plural noun a count measures, from the words right after it ('' if none)."""
    words: list[str] = re.findall(r"[A-Za-z][\w-]*|\S", after)
    for i, w in enumerate(words[:4]):
        low = w.lower()
        if low in _DURATION_UNITS or low in _MEASURE_UNITS or low.endswith("-year-old"):
            return ""
        if not w[0].isalpha() or low in _FUNCTION_WORDS:
            return ""
        if w[0].isupper():  # "14 European markets": a modifier, the noun comes next
            if i >= 2:
                return ""
            continue
        if low in _IRREGULAR_PLURALS or (
            len(low) > 3 and low.endswith("s") and not low.endswith(("ss", "us", "is", "ous"))
        ):
            return low
        if i >= 2:
            return ""
    return ""


def _overlaps(spans: Sequence[tuple[int, int]], a: int, b: int) -> bool:
    return any(a < y and b > x for x, y in spans)


def money_amount(text: str) -> float:
    """The amount of the first sum of money in `text` ("$14.3B" and "$14.3 Billion" are 14.3e9),
    0 when it names none."""
    return next((amount for _, _, kind, amount, _ in _numbers(text) if kind == "money"), 0.0)


def _numbers(text: str) -> list[tuple[int, int, str, float, str]]:
    """(start, end, kind, amount, unit) of every figure in one sentence, in text order."""
    found: list[tuple[int, int, str, float, str]] = []
    taken: list[tuple[int, int]] = []

    def keep(a: int, b: int, end: int, kind: str, amount: float, unit: str) -> None:
        found.append((a, end, kind, amount, unit))
        taken.append((a, b))

    for m in _MONEY.finditer(text):
        if m.group("num") is not None:
            number, scale = m.group("num"), m.group("scale")
            unit = _CURRENCY[m.group("cur").strip()]
        else:
            number, scale = m.group("num2"), m.group("scale2")
            unit = _CURRENCY_WORDS[m.group("word").lower()]
        if scale is None:  # "$115 to $135 billion"
            ranged = _RANGE_SCALE.match(text[m.end() :])
            scale = ranged.group("scale") if ranged else None
        small = m.group("word") in ("pence", "cents")
        if m.group("word") is None or small:
            end = m.end()  # "9.4 pence": the unit is part of the value
        else:
            end = m.end("scale2") if m.group("scale2") else m.end("num2")
        scale = scale or ""
        factor = _SCALES.get(scale, _SCALES.get(scale.lower(), 1.0))  # "$4.5B" and "$4.5 bn" alike
        amount = _to_float(number) * factor / (100 if small else 1)
        keep(m.start(), m.end(), end, "money", amount, unit)
    for m in _PERCENT.finditer(text):
        if not _overlaps(taken, m.start(), m.end()):
            keep(m.start(), m.end(), m.end(), "percent", _to_float(m.group("num")), "%")
    for m in _MULTIPLE.finditer(text):
        if _overlaps(taken, m.start(), m.end()):
            continue
        if m.group("num") is not None:
            keep(m.start(), m.end(), m.end(), "multiple", _to_float(m.group("num")), "x")
        else:
            word = m.group("word").lower()
            amount = float(_NUMBER_WORDS[word]) if word in _NUMBER_WORDS else _to_float(word)
            keep(m.start(), m.end(), m.start() + len(m.group(0).rstrip()), "multiple", amount, "x")
    if _RESULT_CONTEXT.search(text):
        for m in _RESULT.finditer(text):
            if not _overlaps(taken, m.start(), m.end()):
                keep(m.start(), m.end(), m.end(), "score", _to_float(m.group("a")), "result")
    score_context = _SCORE_CONTEXT.search(text) is not None
    for m in _COUNT.finditer(text):
        if _overlaps(taken, m.start(), m.end()):
            continue
        number, scale = m.group("num"), m.group("scale")
        before = text[max(0, m.start() - 60) : m.start()]
        after = text[m.end() : m.end() + 80]
        prev = re.search(r"([\w’'.-]+)\s*$", before)
        prev_word = prev.group(1) if prev else ""
        if prev_word in MONTHS or re.match(rf"^\s*(?:{MONTH_RE})\b", after):
            continue  # a date
        if prev_word[:1].isupper() and prev_word not in _STOPCAPS:
            continue  # a version number: "Llama 4", "Gemini 3.1"
        if scale is None and _is_year(number):
            continue
        ranged = re.match(rf"^\s?(?:to|-|–|or|and)\s?(?:{_NUM})\b", after)
        noun = _counted_noun(after[ranged.end() :] if ranged else after)
        amount = _to_float(number) * _SCALES.get(scale or "", 1.0)
        if noun:
            keep(m.start(), m.end(), m.end(), "count", amount, noun)
        elif (
            scale is None
            and not ranged
            and score_context
            and re.search(r"\b(?:at|of|scored|scoring|posted|with)\s+$", before)
        ):
            keep(m.start(), m.end(), m.end(), "score", amount, "points")
    return sorted(found)


def _figures(article_id: str, sentences: Sequence[_Sentence]) -> list[Figure]:
    out: list[Figure] = []
    seen: set[tuple[str, float, str]] = set()
    for s in sentences:
        if not s.prose:
            continue
        text = s.text
        found = _numbers(text)
        previous = ""
        for i, (start, end, kind, amount, unit) in enumerate(found):
            # a range ("$115 billion to $135 billion") is labelled as a whole
            label_start, label_end = start, end
            if (
                i + 1 < len(found)
                and found[i + 1][2] == kind
                and _RANGE_GAP.fullmatch(text[end : found[i + 1][0]])
            ):
                label_end = found[i + 1][1]
            if i and found[i - 1][2] == kind and _RANGE_GAP.fullmatch(text[found[i - 1][1] : start]):
                label_start = found[i - 1][0]
            if (kind, amount, unit) in seen:
                continue
            seen.add((kind, amount, unit))
            window = max(0, label_start - 300)
            context = text[window : label_end + 300]
            label = _label(context, label_start - window, label_end - window, kind, unit) or previous or kind
            previous = label
            out.append(Figure(text[start:end], kind, amount, unit, label, text, article_id))
    return out

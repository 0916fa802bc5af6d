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

Also read: numbers in words before a scale ("two million people"), scales glued to the number
("537m euros", "30bn baht", "1.1m of the UK's 1.6m Muslims"), thousands spaced as converted text
spaces them ("22, 000"), a capitalised plural as the counted noun ("40 Palestinians"), the noun
before "of" for a bare count ("the crowd of 22, 000", "a majority of only 14") and, in an
elliptical list, the noun of the count before ("Amicus has 1.2 million members and the TGWU has
800,000").

Not figures: years, dates, durations and ages (12 years, 18 months, 28-year-old), measurements
(9.1 millimetres, 67 watts), ordinals, version numbers (a number after a capitalised word:
Llama 4, GPT-5.4), small numbers in words (except "N times"), vague amounts (hundreds of
millions) and a conversion in brackets after a sum ("537m euros ($701m; £371m)": the same sum).

A range is one figure: "between 1% and 3%", "$115 billion to $135 billion", "$115 to $135
billion" (the first end takes the scale of the second), "three and four million". Its `value` is
the text of both ends, its `amount` the low end and `high` the high end. "From X to Y" is a
change, two figures ("cut its forecast from 1.8% to 0.8%"), unless a word of range comes
before ("ranging from", "ranges from"). Each figure gets the label of `labels`.
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

# "22, 000": converted text (ECB+) spaces the thousands
_NUM = r"\d{1,3}(?:, ?\d{3}(?!\d))+(?:\.\d+)?|\d+(?:\.\d+)?"
_WORD_NUMBER = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|one hundred)"
)
_MONEY = re.compile(
    rf"(?<![\w$€£])(?P<cur>US\$|\$|€|£|USD ?|EUR ?|GBP ?)(?P<num>{_NUM})"
    # a headline's "Billion" is a scale too
    r"(?:\s?(?P<scale>(?i:trillion|billion|million|thousand)|bn|tn|m|k|B|M|T|K)\b)?"
    r"|(?<![\w$€£.,])(?P<num2>" + _NUM + r")(?:\s(?P<scale2>(?i:trillion|billion|million|thousand))|"
    r"(?P<glued>bn|m|tn))?"
    r"\s(?P<word>dollars|euros?(?: cents)?|pounds|pence|cents|yen|yuan|rupees?|baht|francs|pesos|"
    r"roubles|rubles|dirhams|riyals|(?:Norwegian |Danish )?kroner|(?:Swedish )?kronor)\b"
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
    rf"(?<![\w$€£.,\-/])(?P<num>{_NUM}|{_WORD_NUMBER}(?=\s(?:(?:and|to|or)\s{_WORD_NUMBER}\s)?(?:million|billion|trillion)))"
    r"(?:\s(?P<scale>million|billion|trillion|thousand)|(?P<glued>m|bn)\b)?(?=[\s.,;:]|$)",
    re.IGNORECASE,
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
    "euro": "EUR",
    "euro cents": "EUR",
    "euros cents": "EUR",
    "pounds": "GBP",
    "pence": "GBP",
    "cents": "USD",
    "yen": "JPY",
    "yuan": "CNY",
    "rupees": "INR",
    "rupee": "INR",
    "baht": "THB",
    "pesos": "MXN",
    "roubles": "RUB",
    "rubles": "RUB",
    "dirhams": "AED",
    "riyals": "SAR",
    "francs": "CHF",
    "norwegian kroner": "NOK",
    "danish kroner": "DKK",
    "kroner": "NOK",
    "swedish kronor": "SEK",
    "kronor": "SEK",
}
_RANGE_SCALE = re.compile(
    rf"^\s?(?:to|-|–|and|or)\s?(?:US\$|\$|€|£)?(?:{_NUM}|{_WORD_NUMBER})\s?"
    r"(?P<scale>trillion|billion|million|thousand|bn|tn)\b"
)
# between the two ends of a range; "and" only after "between"
_RANGE_GAP = re.compile(r"\s?(?:to|-|–)\s?")
_BETWEEN = re.compile(r"\bbetween\s+(?:about\s+|some\s+)?$", re.IGNORECASE)
_FROM = re.compile(r"\bfrom\s+(?:about\s+|some\s+)?$", re.IGNORECASE)
_UP = re.compile(r"\s*,\s*(?:up|down)\s+(?:by\s+)?", re.IGNORECASE)
_RANGING = re.compile(r"\b(?:rang\w*|var\w*|anywhere)\s+from\s+$", re.IGNORECASE)


def _to_float(number: str) -> float:
    return float(number.replace(",", "").replace(" ", ""))


def _is_year(number: str) -> bool:
    return bool(re.fullmatch(r"(?:1[89]|20|21)\d\d", number))


def _counted_noun(after: str) -> str:
    """The plural noun a count measures, from the words right after it ('' if none)."""
    words: list[str] = re.findall(r"[A-Za-z][\w-]*|\S", after)
    for i, w in enumerate(words[:4]):
        low = w.lower()
        if (
            low in _DURATION_UNITS
            or low in _MEASURE_UNITS
            or low.endswith("-year-old")
            or low in ("times", "dollars", "euros", "pounds")
        ):
            return ""
        if not w[0].isalpha() or low in _FUNCTION_WORDS:
            return ""
        if w[0].isupper():  # "14 European markets": a modifier, the noun comes next
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if (
                i == 0
                and re.fullmatch(r"[A-Z][a-z]{3,}s", w)
                and not low.endswith(("ss", "us"))
                and not nxt[:1].isupper()
            ):
                return low  # "40 Palestinians sheltering in a school": a people, counted
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


def _scale_after(text: str, end: int) -> str | None:
    """The scale of the second end of a range starting at `end` ("$115 to $135 billion")."""
    ranged = _RANGE_SCALE.match(text[end:])
    return ranged.group("scale") if ranged else None


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
            number, scale = m.group("num2"), m.group("scale2") or m.group("glued")
            unit = _CURRENCY_WORDS[m.group("word").lower()]
        if scale is None:  # "$115 to $135 billion"
            scale = _scale_after(text, m.end())
        word = (m.group("word") or "").lower()
        small = word in ("pence", "cents") or word.endswith(" cents")
        end = m.end()  # "537m euros", "9.4 pence": the currency word is part of the value
        scale = scale or ""
        factor = _SCALES.get(scale, _SCALES.get(scale.lower(), 1.0))  # "$4.5B" and "$4.5 bn" alike
        amount = _to_float(number) * factor / (100 if small else 1)
        # "537m euros ($701m; £371m)": a conversion of the sum before it, not another figure
        if (
            found
            and found[-1][2] == "money"
            and re.fullmatch(r"\s*\(\s*(?:[^()]*[;,]\s*)?", text[found[-1][1] : m.start()])
        ):
            taken.append((m.start(), m.end()))
            continue
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
    counts: list[str] = []  # the counted nouns so far, for an elliptical count
    for m in _COUNT.finditer(text):
        if _overlaps(taken, m.start(), m.end()):
            continue
        number, scale = m.group("num"), (m.group("scale") or m.group("glued") or "").lower() or None
        before = text[max(0, m.start() - 60) : m.start()]
        after = text[m.end() : m.end() + 80]
        prev = re.search(r"([\w’'.-]+)\s*$", before)
        prev_word = prev.group(1) if prev else ""
        if prev_word in MONTHS or re.match(rf"^\s*(?:{MONTH_RE})\b", after):
            continue  # a date
        if (
            prev_word[:1].isupper()
            and prev_word not in _STOPCAPS
            and number[0].isdigit()
            and not prev_word.lower().endswith("ly")  # "Nearly 40", "Approximately 1.1m"
            and prev_word.lower() not in ("about", "around", "almost", "some", "over", "just", "between")
            and not re.search(r"[’']s$", prev_word)  # "the UK's 1.6m Muslims"
        ):
            continue  # a version number: "Llama 4", "Gemini 3.1"
        if scale is None and _is_year(number):
            continue
        ranged = re.match(
            rf"^\s?(?:to|-|–|or|and)\s?(?:{_NUM}|{_WORD_NUMBER})(?:\s?(?:million|billion|m|bn))?\b", after
        )
        if scale is None and ranged:
            scale = _scale_after(text, m.end())
        if not number[0].isdigit() and scale is None:
            continue  # "two people": a number in words needs a scale
        if ranged:
            after = after[ranged.end() :]
        noun = _counted_noun(after)
        if not noun and scale and re.match(r"\s+times\b", after):
            noun = "times"  # "downloaded 9 million times a month": a count (its label is none)
        if not noun:
            # "1.1m of the UK's 1.6m Muslims", "1,247 animal and 747 plant species"
            partitive = re.match(
                r"^\s(?:of\s(?:the\s|its\s|their\s)?(?:[A-Z][\w.]*[’']s\s)?(?:(?:"
                + _NUM
                + r")(?:m|bn)?(?:-odd)?\s)?|\w+\s(?:and|or)\s(?:"
                + _NUM
                + r")(?:m|bn)?\s)",
                after,
            )
            if partitive:
                noun = _counted_noun(after[partitive.end() :])
        amount = _number(number) * _SCALES.get(scale or "", 1.0)
        of_noun = re.search(
            r"\b([a-z]+)\s+of\s+(?:about\s+|some\s+|nearly\s+|only\s+|more than\s+)?$", before
        )
        if noun:
            counts.append(noun)
            keep(m.start(), m.end(), m.end(), "count", amount, noun)
        elif (
            scale is None
            and not ranged
            and score_context
            and re.search(r"\b(?:at|of|scored|scoring|posted|with)\s+$", before)
        ):
            keep(m.start(), m.end(), m.end(), "score", amount, "points")
        elif (
            of_noun
            and (amount >= 1000 or of_noun.group(1) in ("majority", "margin"))  # not "a mother of 12"
            and of_noun.group(1) not in _NOT_COUNTED
            and re.match(r"^\s*(?:[.,;:)]|$|\s(?:and|in|on|at|to|for|from|when|while|after|before)\b)", after)
        ):
            # "the crowd of 22, 000", "a majority of only 14"
            keep(m.start(), m.end(), m.end(), "count", amount, of_noun.group(1))
        elif (
            counts and re.match(r"^\s*(?:[.;]|,\s|$)", after) and re.search(r"\b(?:has|have|had)\s+$", before)
        ):
            # "Amicus has 1.2 million members and the TGWU has 800,000."
            keep(m.start(), m.end(), m.end(), "count", amount, counts[-1])
    return sorted(found)


# nouns before "of" that do not say what a bare number counts: "one of 12", "at the age of 28"
_NOT_COUNTED = frozenset(
    "one two some any each all none most many part rest out top age ages total number ranks list "
    "scale series version level chapter page item round rounds minute minutes".split()
)


def _number(number: str) -> float:
    """A number as written, in digits ("22, 000") or in words before a scale ("two")."""
    low = number.lower()
    if low[0].isdigit():
        return _to_float(number.replace(" ", ""))
    if low == "one hundred":
        return 100.0
    tens = {"thirty": 30, "forty": 40, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "one": 1}
    return float(_NUMBER_WORDS.get(low, tens.get(low, 0)))


def _ranges(
    text: str, found: list[tuple[int, int, str, float, str]]
) -> list[tuple[int, int, str, float, str, float]]:
    """The figures of one sentence with each range joined into one (start, end, kind, amount,
    unit, high): "between 1% and 3%", "$115 billion to $135 billion"; "from X to Y" is a change."""
    out: list[tuple[int, int, str, float, str, float]] = []
    i = 0
    while i < len(found):
        start, end, kind, amount, unit = found[i]
        if i + 1 < len(found) and found[i + 1][2] == kind and found[i + 1][4] in (unit, found[i + 1][4]):
            gap = text[end : found[i + 1][0]]
            head = text[max(0, start - 40) : start]
            between = _BETWEEN.search(head) and re.fullmatch(r"\s?and\s?", gap)
            span = _RANGE_GAP.fullmatch(gap) and (not _FROM.search(head) or _RANGING.search(head))
            if (between or span) and (kind != "count" or found[i + 1][4] == unit):
                nxt = found[i + 1]
                out.append((start, nxt[1], kind, amount, nxt[4], nxt[3]))
                i += 2
                continue
        out.append((start, end, kind, amount, unit, 0.0))
        i += 1
    return out


# what a source's figures are said to show: the measure is what follows ("CML figures showed gross
# lending fell by 4%" measures "gross lending")
_REPORTED = re.compile(r"^.*\b(?:showed|shows|(?<!value )added)\s+(?=\S)")  # not "value added tax"


# words that are never what a figure measures, alone ("32% lower than loans agreed but not yet made")
_NO_MEASURE = frozenset("made done given taken whereas although though unless".split())


def _tidy(label: str, sentence: str) -> str:
    """The label as a reader sees it: without what a report is said to show before the measure,
    "" when what is left is no noun phrase ("made", "year-on-year", "planned to move new
    projects"; "confirmed deaths" is one), and without the capital
    of its sentence's first word, as it reads inside one: "Shares in Veltrion fell 6%" gives
    "shares in Veltrion" (a name keeps it: "Apple shares")."""
    label = _REPORTED.sub("", label)
    words = label.split()
    if len(words) == 1 and (
        words[0].lower() in _FUNCTION_WORDS | _NO_MEASURE or re.fullmatch(r"[a-z]+-on-[a-z]+", label)
    ):
        return ""
    if (
        len(words) > 1
        and re.fullmatch(r"[a-z]+ed", words[0])
        and words[1].lower() in _FUNCTION_WORDS | {"yes"}
    ):
        return ""  # "58% planned to move new projects", "wanted to increase": a verb, not what is counted
    if (
        len(words) > 1
        and sentence.startswith(words[0])
        and words[0][1:].islower()
        and words[1] in ("in", "of", "at", "for", "on", "from")
    ):
        return label[0].lower() + label[1:]
    return label


def _figures(article_id: str, sentences: Sequence[_Sentence]) -> list[Figure]:
    out: list[Figure] = []
    for s in sentences:
        if not s.prose:
            continue
        text = s.text
        previous: Figure | None = None
        for start, end, kind, amount, unit, high in _ranges(text, _numbers(text)):
            window = max(0, start - 300)
            context = text[window : end + 300]
            label = _tidy(_label(context, start - window, end - window, kind, unit), text)
            if (
                not label
                and previous
                and _UP.fullmatch(text[text.find(previous.value) + len(previous.value) : start])
            ):
                label = previous.label  # "revenue was 10bn euros, up 8.1%": the change of the same measure
            previous = Figure(text[start:end], kind, amount, unit, label, text, article_id, high)
            out.append(previous)
    return out

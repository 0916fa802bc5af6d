"""Dates written in a sentence, resolved against the article's date.

The article's `published` date is the anchor; without one, only dates that carry a year resolve.

    written                                          resolves to                          precision
    April 8, 2026 / 8 April 2026 / Wednesday,        that day (without a year: the        day
      April 8 / on April 8 / Apr 8 / Jan 22LeCun       anchor's year, or the year before
      (a timeline's date glued to its item)            when that is over 120 days past the
                                                       anchor and the clause is not future)
    November 2025                                    that month                           month
    in / since / during / that / the / early / late  the most recent June not after the   month
      June ("the April exit": after "the", only a      anchor
      month followed by a happening)
    last June                                        the most recent June before the      month
                                                       anchor's month
    in / since / for / by / until / between 2013,    that year                            year
      mid-2025, the summer of 2025, summer 2026,
      the first quarter of 2026, "in 2023 and 2024"
    Wednesday (alone)                                the most recent Wednesday on or      day
                                                       before the anchor (the anchor if
                                                       it is one)
    today, tonight / tomorrow                        the anchor / anchor + 1 day          day
    yesterday / last week / last month              anchor − 1 day / − 7 days / the      day / week
                                                       month before                         / month
    last year, late last year / this year            anchor year − 1 / anchor year        year
    last summer (spring, autumn, fall, winter)       the year of the most recent one      year

In a clause that speaks of the future (will, would, expects to, plans to, is due to, is set to,
next), a weekday or a bare month is the next one instead: "will launch on Monday". Skipped:
this week, this month, by / until June, a year ago, two days after, the same month, the last
year / the last week (a span up to now: "over the last year"), and a year used as an
adjective or possessive (the 2018 Turing Award, last year's model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from pipeline.text.calendar import MONTH_ABBR_RE, MONTH_ABBREVIATIONS, MONTH_RE, MONTHS, WEEKDAY_RE, WEEKDAYS
from pipeline.understand.facts.text import _clause_around


@dataclass(frozen=True)
class _DateHit:
    start: int
    end: int
    when: date
    precision: str


_D_MDY = re.compile(
    rf"(?:\b(?P<wd>{WEEKDAY_RE}),?\s+)?\b(?P<month>{MONTH_RE}|{MONTH_ABBR_RE})\s+(?P<day>\d{{1,2}})"
    # a timeline glues its date to the item's first word: "Jan 22LeCun departs Meta"
    r"(?:st|nd|rd|th)?(?:\b|(?=[A-Z][a-z]))"
    rf"(?!\s*(?:%|,\d))(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?"
)
_D_DMY = re.compile(
    rf"(?:\b(?P<wd>{WEEKDAY_RE}),?\s+)?\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{MONTH_RE})\b"
    rf"(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?"
)
_D_MY = re.compile(rf"\b(?P<month>{MONTH_RE}),?\s+(?:of\s+)?(?P<year>(?:19|20)\d\d)\b")
_D_M = re.compile(
    rf"\b(?P<pre>[Ii]n|[Ll]ast|[Tt]his|[Tt]hat|[Tt]he|[Ss]ince|[Dd]uring|[Ee]arly|[Ll]ate|[Mm]id|[Mm]id-|[Ff]rom)"
    rf"(?:\s+|(?<=-))(?P<month>{MONTH_RE})\b(?!\s*,?\s*\d)"
)
_SEASON = r"summer|spring|autumn|fall|winter"
_D_Y = re.compile(
    r"(?:\b(?:[Ii]n|[Ss]ince|[Dd]uring|[Ff]or|[Bb]y|[Uu]ntil|[Ff]rom|[Tt]hrough|[Ee]arly|[Ll]ate|[Ee]nd of|"
    r"[Bb]etween)\s+"
    rf"(?:the\s+(?:(?:early|late)\s+)?(?:{_SEASON}|first|second|third|fourth|final|last)\s+(?:half\s+|quarter\s+)?of\s+)?"
    r"|\b[Mm]id-|\b(?:(?:first|second|third|fourth|final|last)\s+(?:half|quarter)|"
    rf"{_SEASON})\s+(?:of\s+)?)(?P<year>(?:19|20)\d\d)\b(?!\s*(?:%|percent|per cent|-))"
)
_D_YEAR_MORE = re.compile(r"^\s*(?:,|and|or|,\s*and)\s*(?P<year>(?:19|20)\d\d)\b(?!\s*%)")
# not a weekday's possessive ("Thursday's play-in round", "Thursday ’ s" as tokenised text has it):
# it names another happening than the sentence's
_D_WEEKDAY = re.compile(rf"\b(?P<wd>{WEEKDAY_RE})\b(?!s\b)(?!\s?[’']\s?s\b)")
# A clause that says what will happen: its weekday or bare month is the next one, not the last.
_FUTURE = re.compile(
    r"\b(?:will|would|shall|expects? to|expected to|plans? to|planned to|is due to|are due to|"
    r"is set to|are set to|is scheduled|are scheduled|intends? to|next|"
    # a fixture: "advances to play Saturday", "is to face Texas on Sunday" (not "flew to Paris to
    # meet Macron on Monday": that was a purpose, told in the past)
    r"(?:advances|advance|is|are) to (?:play|face|meet|host|visit)|upcoming)\b",
    re.IGNORECASE,
)
_D_RELATIVE = re.compile(
    r"\b(?P<rel>yesterday|today|tonight|tomorrow|last week|last month|"
    r"(?:(?:late|early|earlier|later)\s+)?last year|this year"
    rf"|last (?:{_SEASON}))\b(?![’']s)",
    re.IGNORECASE,
)
# a day without a year further than this past the anchor is last year's ("Dec 3" in January);
# nearer, it is an upcoming date ("sales begin on April 24" in an article of April 8)
# what "the <month>" must name to be a date: a happening ("the April exit")
_HAPPENING_AFTER = re.compile(
    r"\s+(?:exit|departure|launch|release|update|announcement|deal|round|layoffs|cuts|"
    r"reorgani[sz]ation|restructuring|meeting|vote|election|deadline|report|ruling|decision|"
    r"hearing|talks|summit|conference|keynote|earnings|results|sale|listing|filing|split|merger|"
    r"acquisition|lawsuit|outage|attack|recall|rollout|debut|reshuffle|shake-up)\b"
)
_SLACK = timedelta(days=120)
_SEASON_END = {"spring": 5, "summer": 8, "autumn": 11, "fall": 11, "winter": 2}


def _future(sentence: str, start: int, end: int) -> bool:
    """Whether the clause of a date says, before the date, that it is still to come."""
    clause = _clause_around(sentence, start, end)
    head = clause[: max(0, clause.find(sentence[start:end]))]
    return _FUTURE.search(head) is not None


def _resolve_dates(text: str, anchor: date | None) -> list[_DateHit]:
    hits: list[_DateHit] = []

    def free(a: int, b: int) -> bool:
        return all(b <= h.start or a >= h.end for h in hits)

    def add(a: int, b: int, when: date | None, precision: str) -> None:
        if when is not None and free(a, b):
            hits.append(_DateHit(a, b, when, precision))

    for pattern in (_D_MDY, _D_DMY):
        for m in pattern.finditer(text):
            name = m.group("month")
            month, day = MONTHS.get(name) or MONTH_ABBREVIATIONS[name], int(m.group("day"))
            year = int(m.group("year")) if m.group("year") else anchor.year if anchor else None
            if year is None or not 1 <= day <= 31:
                continue
            try:
                when = date(year, month, day)
                if anchor and not m.group("year") and when > anchor + _SLACK and not _future(text, *m.span()):
                    when = date(year - 1, month, day)  # "Dec 3" in a January article: last December
            except ValueError:
                continue
            add(m.start(), m.end(), when, "day")
    for m in _D_MY.finditer(text):
        add(m.start(), m.end(), date(int(m.group("year")), MONTHS[m.group("month")], 1), "month")
    if anchor is not None:
        for m in _D_M.finditer(text):
            month = MONTHS[m.group("month")]
            if m.group("pre").lower() == "the" and not _HAPPENING_AFTER.match(text, m.end()):
                continue  # "the April exit", not "the May government" or "the March for Science"
            if m.group("pre").lower() == "last":
                year = anchor.year if month < anchor.month else anchor.year - 1
            elif _future(text, m.start(), m.end()):
                year = anchor.year if month >= anchor.month else anchor.year + 1
            else:
                year = anchor.year if month <= anchor.month else anchor.year - 1
            add(m.start(), m.end(), date(year, month, 1), "month")
    for m in _D_Y.finditer(text):
        add(m.start(), m.end(), date(int(m.group("year")), 1, 1), "year")
        between = m.group(0).lower().startswith("between")
        more = None if between else _D_YEAR_MORE.match(text[m.end() :])
        if more:
            a = m.end() + more.start("year")
            add(a, a + 4, date(int(more.group("year")), 1, 1), "year")
    if anchor is not None:
        for m in _D_WEEKDAY.finditer(text):
            if _future(text, m.start(), m.end()):
                ahead = (WEEKDAYS[m.group("wd")] - anchor.weekday()) % 7
                if not ahead and re.search(r"\bnext\s+$", text[: m.start()], re.IGNORECASE):
                    ahead = 7  # "next Sunday" written on a Sunday: a week on
                add(m.start(), m.end(), anchor + timedelta(days=ahead), "day")
            else:
                delta = (anchor.weekday() - WEEKDAYS[m.group("wd")]) % 7
                add(m.start(), m.end(), anchor - timedelta(days=delta), "day")
        for m in _D_RELATIVE.finditer(text):
            rel = m.group("rel").lower()
            if rel.startswith("last") and re.search(r"\b(?:the|over|past|in)\s+$", text[: m.start()], re.I):
                continue  # "over the last year", "in the last week": a span up to now, not a date
            if rel == "yesterday":
                add(m.start(), m.end(), anchor - timedelta(days=1), "day")
            elif rel in ("today", "tonight"):
                add(m.start(), m.end(), anchor, "day")
            elif rel == "tomorrow":
                add(m.start(), m.end(), anchor + timedelta(days=1), "day")
            elif rel == "last week":
                add(m.start(), m.end(), anchor - timedelta(days=7), "week")
            elif rel == "last month":
                first = anchor.replace(day=1) - timedelta(days=1)
                add(m.start(), m.end(), first.replace(day=1), "month")
            elif rel.endswith("last year"):
                add(m.start(), m.end(), date(anchor.year - 1, 1, 1), "year")
            elif rel == "this year":
                add(m.start(), m.end(), date(anchor.year, 1, 1), "year")
            else:
                season = rel.split()[-1]
                year = anchor.year if anchor.month > _SEASON_END[season] else anchor.year - 1
                add(m.start(), m.end(), date(year, 1, 1), "year")
    return sorted(hits, key=lambda h: h.start)

"""The facts of one article, as `extract_facts` returns them.

Every `sentence` / `text` field is a verbatim substring of the article's text; `role` is verbatim
from its `sentence` (or ""). Amounts are normalised (14.3e9, 49.0, 10.0), `value` is as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Figure:
    value: str  # as written: "$14.3 billion", "49%", "10x", "3 billion"
    kind: str  # money | percent | multiple | count | score
    amount: float  # normalised: 14.3e9, 49.0, 10.0
    unit: str  # USD | EUR | GBP | % | x | points | the counted noun
    label: str  # the noun phrase it measures, or "" when none is well formed
    sentence: str
    article_id: str
    high: float = 0.0  # a range's high end ("between 1% and 3%": amount 1.0, high 3.0), else 0


@dataclass(frozen=True)
class Event:
    date: date
    precision: str  # day | week | month | year
    text: str  # the sentence, verbatim
    kind: str  # a kind of EVENT_RULES, or "event" when no rule is sure
    article_id: str
    title: str = ""  # its main clause without the date, a few words: "Horton was shot and killed"

    @property
    def iso(self) -> str:
        """The date as precise as the text: "2026-04-08", "2025-11" or "2013"."""
        if self.precision == "year":
            return f"{self.date:%Y}"
        if self.precision == "month":
            return f"{self.date:%Y-%m}"
        return self.date.isoformat()


@dataclass(frozen=True)
class Mention:
    name: str
    kind: str  # person | org
    role: str  # verbatim from `sentence`, or ""
    sentence: str
    article_id: str


@dataclass(frozen=True)
class Quote:
    text: str
    speaker: str
    sentence: str
    article_id: str


@dataclass(frozen=True)
class ArticleFacts:
    figures: tuple[Figure, ...] = ()
    events: tuple[Event, ...] = ()
    mentions: tuple[Mention, ...] = ()
    quotes: tuple[Quote, ...] = ()

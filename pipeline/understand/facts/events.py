"""Events: one per distinct date in a sentence, with a kind from keyword rules.

A sentence becomes one event per distinct date in it (see `dates`). Its kind is the first rule,
in this order, whose keywords occur in the clause around the date (between commas, dashes, colons
and words such as when / after / which / who / while / but); when the clause has none and the
date opens the sentence ("In April 2025, ..."), the clauses after it, nearest first; then the
whole sentence; and when the sentence has none either it is not an event (nothing is guessed).

    order  kind            keywords (stems, case-insensitive)
    1      legal           court, lawsuit, sue, fine(d), regulator, antitrust, appeal, ruling,
                           judge, verdict, settlement, probe, investigat-, penalty, complaint,
                           injunction, sanction
    2      research        paper, study, survey, poll, benchmark, leaderboard, preprint, peer
                           review, findings, experiment, architecture, evaluation, published
    3      revelation      report(ed) (on <date>,) that, reveal, leak, disclose, document(s), found that,
                           showed that, review of, according to people / documents / materials
    4      product launch  launch, release, unveil, roll out, rollout, debut, ship, went / goes
                           live, introduce, arrive, pre-order, on sale, sales begin
    5      financial       raise (not "raise questions"), funding, invest, valuation, valued at,
                           stake, revenue, sales, profit, earnings, shares, stock, spending,
                           spend + an amount, capital expenditure, capex, paid, price, acquire,
                           deal, budget, finance, market value, a money amount
    6      organizational  join, leave, left (a company / to / for / late / in ...), depart,
                           exit, hire, appoint, resign, reorganise, restructure, layoffs, job
                           cuts, cut N jobs, founded, set up, formed, created, split into,
                           merge, lab, division, unit, career, tenure, step down, recruit
    7      strategy        strategy, strategic, plan(s) to, a / the plan, pivot, shift,
                           decide, decision, bet, approach, argue, priority, focus, roadmap,
                           direction, pledge, commit to, intend, aim
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from pipeline.understand.facts.dates import _resolve_dates
from pipeline.understand.facts.models import Event
from pipeline.understand.facts.text import _EVENT_CLAUSE_STOP, _clause_around, _Sentence


def _kw(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# (kind, keywords) in priority order: the first kind whose keywords occur wins.
EVENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "legal",
        _kw(
            r"\b(?:court|courts|lawsuits?|sue[sd]?|suing|fine[sd]?(?![\w-])|fining|regulators?|antitrust|"
            r"appeal\w*|rulings?|ruled|judge|verdict|settle(?:ment|d)|probe|investigat\w+|penalt\w+|"
            r"complaints?|injunction|sanction\w*)\b"
        ),
    ),
    (
        "research",
        _kw(
            r"\b(?:papers?|study|studies|survey\w*|polls?|benchmark\w*|leaderboards?|preprints?|"
            r"peer[- ]review\w*|findings|experiment\w*|architecture|evaluations?|published)\b"
        ),
    ),
    (
        "revelation",
        _kw(
            r"\b(?:report(?:s|ed)?(?: on [^.]{3,25}?,)? (?:that|found|showed)|"
            r"reveal\w*|leak\w*|disclos\w+|documents?|"
            r"found that|showed that|review of|"
            r"according to (?:people|documents|materials|filings|a report))\b"
        ),
    ),
    (
        "product launch",
        _kw(
            r"\b(?:launch\w*|releas(?:e|es|ed|ing)|unveil\w*|roll(?:s|ed|ing)? out|rollout|debut\w*|"
            r"ship(?:s|ped|ping)?|went live|goes live|go live|introduc(?:e|es|ed|ing)|arriv(?:e|es|ed|ing)|"
            r"pre-orders?|on sale|sales begin\w*|sales start\w*)\b"
        ),
    ),
    (
        "financial",
        re.compile(
            r"(?i:\b(?:rais(?:e|es|ed|ing)\b(?! (?:questions|concerns|doubts|the question))|funding|"
            r"invest\w*|valuation|valued at|stakes?|revenue|sales|profits?|earnings|shares|stock|spending|"
            r"spen[dt]\w*(?=(?:\s+(?:about|roughly|nearly|some|up to|as much as|more than|heavily|over))*\s+"
            r"(?:[$€£]|heavily|billions|millions|\d+(?:\.\d+)?\s+(?:billion|million)))|"
            r"capital expenditure|capex|paid|pays?|pric(?:e|es|ed|ing)|acqui\w+|deal|budget|financ\w+|"
            r"market value)\b)|[$€£]\s?\d"
        ),
    ),
    (
        "organizational",
        re.compile(
            r"(?i:\b(?:join(?:s|ed|ing)?|leav(?:e|es|ing)|depart\w*|exit\w*|hir(?:e|es|ed|ing)|appoint\w*|"
            r"resign\w*|reorgani[sz]\w*|restructur\w*|layoffs?|job cuts|cut\w* (?:about |roughly |some |"
            r"nearly |around )?[\d,]+ (?:jobs|positions|roles|staff)|found(?:ed|ing|s)|co-found\w*|set up|"
            r"formed|created|split \w+ into|split into|merg(?:e|ed|er|ing)|labs?|divisions?|units?|career|"
            r"tenure|step(?:s|ped)? down|recruit\w*|headcount)\b)"
            r"|\bleft (?:[A-Z]|the (?:company|firm|lab|group|board|team|business)|to |for |late|early|in |"
            r"last|after)"
        ),
    ),
    (
        "strategy",
        _kw(
            r"\b(?:strateg\w+|plan(?:s|ned)?\s+to|planning\s+to|(?:a|the|its|their|his|her)\s+plans?|pivot\w*|shift\w*|decid\w+|decision|bets?|betting|"
            r"approach\w*|argu\w+|priorit\w+|focus\w*|roadmap|direction|pledg\w+|commit(?:s|ted)? to|"
            r"intend\w*|aim\w*)\b"
        ),
    ),
)


def event_kind(text: str) -> str | None:
    """The kind of the first rule (in priority order) whose keywords occur in `text`."""
    for kind, pattern in EVENT_RULES:
        if pattern.search(text):
            return kind
    return None


def _events(article_id: str, sentences: Sequence[_Sentence], anchor: date | None) -> list[Event]:
    out: list[Event] = []
    for s in (s for s in sentences if s.prose):
        seen: set[tuple[date, str]] = set()
        for hit in _resolve_dates(s.text, anchor):
            if (hit.when, hit.precision) in seen:
                continue
            kind = event_kind(_clause_around(s.text, hit.start, hit.end))
            if kind is None and len(s.text[: hit.start].split()) <= 2:
                kind = _kind_after(s.text, hit.end)  # "In April 2025, Meta released Llama 4, ..."
            kind = kind or event_kind(s.text)
            if kind is None:
                continue
            seen.add((hit.when, hit.precision))
            out.append(Event(hit.when, hit.precision, s.text, kind, article_id))
    return out


def _kind_after(sentence: str, end: int) -> str | None:
    """The kind of the text after a date that opens its sentence, one clause more at a time (a
    date that opens a sentence belongs to the clause it introduces: "In April 2025, Meta
    released Llama 4, which researchers ..." is a launch)."""
    rest = sentence[end:]
    for stop in [*(m.start() for m in _EVENT_CLAUSE_STOP.finditer(rest)), len(rest)]:
        kind = event_kind(rest[:stop])
        if kind is not None:
            return kind
    return None

"""Events: one per dated sentence, on the date of its main clause, with a kind from keyword rules.

A sentence that names a date (see `dates`) is one event. Its date is the one attached to the
main verb's clause, not another date the sentence names: a date in a clause of comparison ("than
in 2004", "up from $72 billion in 2025", "well above 2003's") is never it, and one in a clause of
time ("after being convicted in June 1998") only when the main clause has none. A sentence whose
only dates are compared with is no event, and nor is a dateline or byline ("PUBLISHED: 22:07 GMT,
7 July 2012"). Each event has a short `title` from the words of its main clause, without the date.

Its kind is the first rule, in this order, whose keywords occur in the clause around the date
(between commas, dashes, colons and words such as when / after / which / who / while / but); when
the clause has none and the date opens the sentence ("In April 2025, ..."), the clauses after it,
nearest first. When no rule is sure, the kind is the neutral "event" (a keyword elsewhere in the
sentence is not enough: "Mara Quill left Orbis Shipping in March 2019" is no launch, nor is a
navy's "launched an operation" or a prosecutor's "released a statement").

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

from pipeline.understand.facts.dates import _DateHit, _resolve_dates
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
            r"\b(?:launch\w*(?! (?:(?:a|an|the|its|their|his|her)\s+)?(?:\w+\s+)?"
            r"(?:operation|offensive|attack|strike|raid|assault|investigation|inquiry|probe|campaign|bid|appeal|search|manhunt|rescue|missiles?|"
            r"rockets?|war)\b)|releas(?:e|es|ed|ing)(?! (?:(?:a|an|the|its|his|her|their)\s+)?(?:\w+\s+)?"
            r"(?:statement|report|figures|data|details|names?|video|footage|hostages?|prisoners?|him|her|them|"
            r"on bail|from)\b)|unveil\w*|roll(?:s|ed|ing)? out|rollout|debut\w*|"
            r"(?-i:ship(?:s|ped|ping)?)|went live|goes live|go live|introduc(?:e|es|ed|ing)|"
            r"arriv(?:e|es|ed|ing) (?:in|on)(?= (?-i:[A-Z]))"
            r"(?! (?-i:(?:January|February|March|April|May|June|July|August|September|October|November|"
            r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
            r"Sunday))\b)|pre-orders?|on sale|sales begin\w*|sales start\w*)\b"
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


NEUTRAL = "event"  # the kind of an event no rule is sure of
_NEAR = 40  # characters between a date and a keyword outside its clause that still decide its kind


def event_kind(text: str) -> str | None:
    """The kind of the first rule (in priority order) whose keywords occur in `text`."""
    for kind, pattern in EVENT_RULES:
        if pattern.search(text):
            return kind
    return None


# a dateline or a byline: "PUBLISHED: 22:07 GMT, 7 July 2012", "Updated: July 7, 2012, 10:04 PM ET"
_DATELINE = re.compile(
    r"^\W*(?:published|updated|posted|last updated|first published|modified|by\b|posted on)\b|"
    r"\b\d{1,2}\s?:\s?\d\d\s?(?:[ap]\.?\s?m\.?|gmt|bst|utc|et|est|edt|pt|pst|cet)\b",
    re.IGNORECASE,
)
# what a clause that holds a date must not be for the date to be its sentence's event
_COMPARED = re.compile(
    r"\b(?:than|compared (?:with|to)|above|below|up from|down from|double|twice|versus)\s+(?:\S+\s+){0,4}$",
    re.IGNORECASE,
)
_SUBORDINATE = re.compile(
    r"^\s*(?:when|after|before|since|because|although|though|while|until|as|which|who|whom|that|if)\b",
    re.IGNORECASE,
)
# relative dates that need the article's date: without one, the main clause's date is unknown
_UNRESOLVED = re.compile(
    r"\b(?:yesterday|today|tomorrow|last (?:year|month|week)|this (?:year|month|week)|"
    r"(?:on )?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))\b",
    re.IGNORECASE,
)
_OPENS_SUBORDINATE = re.compile(
    r"\b(?:when|after|before|since|because|although|though|while|until|which|who|whom|whereas)\s*$",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"[A-Za-z][\w’'-]*")


def _is_dateline(text: str, hits: Sequence[_DateHit]) -> bool:
    """A dateline or byline line, not a sentence: it says when the page was written."""
    if _DATELINE.search(text) and len(_WORD_RE.findall(text)) <= 14:
        return True
    rest = text
    for h in sorted(hits, key=lambda h: -h.start):
        rest = rest[: h.start] + rest[h.end :]
    return len(_WORD_RE.findall(rest)) <= 2  # "Wed, Sep 19 2012 at 11:02 AM"


def _date_rank(sentence: str, start: int, end: int) -> int | None:
    """How surely a date is its sentence's event date: 0 in the main clause, 1 in a clause of
    time (after / when / before ...), None in a comparison ("than in 2004", "up from $72
    billion in 2025", "well above 2003's"): another event the sentence names."""
    clause = _clause_around(sentence, start, end)
    at = sentence.find(clause) if clause else 0
    head = sentence[max(at, 0) : start]
    if _COMPARED.search(head) or re.search(r"\bthan\s*(?:when|in|on|at|during)?\s*$", sentence[: max(at, 0)]):
        return None
    if (clause and _SUBORDINATE.match(clause) and head.strip()) or _OPENS_SUBORDINATE.search(
        sentence[: max(at, 0)]
    ):
        return 1
    if re.match(r"(?i)(?:since|from|until|through)\b", sentence[start:end]):
        return 1  # "board director since 1984", "for three years from 1987": a state, not a happening
    # a date in a clause opened by a comma after the main one ("..., up from X in 2025")
    before = sentence[:at].rstrip()
    if before.endswith(",") and re.match(
        r"\s*(?:up|down|roughly|about|nearly|compared|against)\b", clause, re.I
    ):
        return None
    return 0


def _events(article_id: str, sentences: Sequence[_Sentence], anchor: date | None) -> list[Event]:
    """One event per dated sentence: the date of its main clause (see the module docstring)."""
    out: list[Event] = []
    for s in (s for s in sentences if s.prose):
        hits = _resolve_dates(s.text, anchor)
        if not hits or _is_dateline(s.text, hits):
            continue
        ranked = [
            (r, i, h) for i, h in enumerate(hits) if (r := _date_rank(s.text, h.start, h.end)) is not None
        ]
        if not ranked:
            continue  # its only dates are of things it compares with
        rank, _, hit = min(ranked, key=lambda t: (t[0], t[1]))
        if rank and anchor is None and _UNRESOLVED.search(s.text):
            continue  # "grew 1.6% last year after shrinking in 2003": the main date is unknown
        # dates joined to it by "and" are the same verb's ("published papers in 2023 and 2024")
        chosen = [hit]
        for other in hits:
            last = chosen[-1]
            if other.start >= last.end and re.fullmatch(
                r"\s*(?:,|and|or|, and)\s*", s.text[last.end : other.start]
            ):
                chosen.append(other)
        for h in chosen:
            out.append(
                Event(
                    h.when,
                    h.precision,
                    s.text,
                    _sure_kind(s.text, h.start, h.end),
                    article_id,
                    title(s.text, h.start, h.end),
                )
            )
    return out


def _sure_kind(sentence: str, start: int, end: int) -> str:
    """The kind of a date's clause; else of the clauses it opens ("In April 2025, Meta released
    ...") or of the "when" clause after it ("after mid-2025, when the company created ..."); else
    of the whole sentence when one rule alone matches it; else the neutral kind."""
    kind = event_kind(_clause_around(sentence, start, end))
    if kind is None and len(sentence[:start].split()) <= 2:
        kind = _kind_after(sentence, end)
    when = re.match(r"\s*,?\s*when\b([^,;:]*)", sentence[end:])
    if kind is None and when:
        kind = event_kind(when.group(1))
    if kind is None:
        # else the rule whose keyword is nearest the date, if one is near: "Axios reported on
        # April 6, 2026, that ..." is a revelation, a keyword three clauses away says nothing
        near = [
            (max(0, m.start() - end, start - m.end()), order, k)
            for order, (k, pattern) in enumerate(EVENT_RULES)
            for m in pattern.finditer(sentence)
        ]
        best = min(near, default=None)
        kind = best[2] if best is not None and best[0] <= _NEAR else None
    return kind or NEUTRAL


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


_TITLE_STOP = re.compile(
    r"\s*(?:[,;:(“”\"]|\s[–—]\s|\s-\s(?=[A-Z\"“])|\s(?:when|after|before|while|because|although|though|which|who|whereas|"
    r"as|but|despite|amid|according)\s)"
)
_DATE_WORDS = re.compile(
    r"(?:\s+(?:on|in|during|since|by|at|from|last|this|early|late|mid|the|of))*\s*$", re.IGNORECASE
)
_SAID = re.compile(r",?\s+(?:\w+\s+){0,3}(?:said|says|reported|announced|told \w+)\s*[.!?]?$")
_MAX_TITLE_WORDS = 12


def title(sentence: str, start: int, end: int) -> str:
    """A short title for the event of a sentence, in its own words: its main clause without the
    date ("Horton was shot and killed" for "Horton was shot and killed in October 2011 when
    gunfire erupted outside..."), at most twelve words."""
    text = sentence
    lead = re.match(r"^[^,]{0,60},\s+", text)
    # "In December, the school imposed ...": the opening says when
    if lead and (lead.end() > end or start < lead.end()):
        text, start, end = text[lead.end() :], 0, 0
    # the date and the words that introduce it go
    head = text[:start]
    dangling = _DATE_WORDS.search(head)
    head = head[: dangling.start()] if dangling else head
    tail = re.sub(r"^\s*(?:night|morning|afternoon|evening|local time)\b", "", text[end:])
    body = (head + " " + tail.lstrip()) if start or end else text
    body = " ".join(body.split())
    cut = next(
        (m.start() for m in _TITLE_STOP.finditer(body) if len(body[: m.start()].split()) >= 3), len(body)
    )
    words = _SAID.sub("", body[:cut]).strip(" .!?").split()
    while words and words[-1].lower() in {"on", "in", "at", "the", "a", "an", "of", "to", "and", "by", "for"}:
        words.pop()
    words = words[:_MAX_TITLE_WORDS]
    while words and words[-1].lower() in {
        "on",
        "in",
        "at",
        "the",
        "a",
        "an",
        "of",
        "to",
        "and",
        "by",
        "for",
        "its",
        "their",
        "his",
        "her",
        "with",
    }:
        words.pop()
    if not words:
        return ""
    return (words[0][:1].upper() + words[0][1:] + " " + " ".join(words[1:])).strip()

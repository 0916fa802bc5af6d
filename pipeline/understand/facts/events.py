"""Events: one per dated happening a sentence tells, each with its date, a kind and a title.

A sentence that names a date (see `dates`) tells the event of its main clause, on the date
attached to it, not another date the sentence names: a date in a clause of comparison ("than in
2004", "up from $72 billion in 2025", "well above 2003's") is never it, and one in a clause of
time ("after being convicted in June 1998") only when the main clause has none. Dates joined by
"and" ("in 2023 and 2024") are the same verb's. Besides, each clause that tells a happening of
its own, with a verb and a date of its own, is an event of its own: a verb joined to the main
one (", and released V-JEPA 2 in June 2025"), a clause of time ("when it paid $14.3 billion ...
in June 2025", "since Meta reorganised ... last year", "before leaving last year"), a relative
clause (", which raised $40 million in 2024", ", whose complaint helped trigger the
investigation in 2022"), "with" and a participle (", with sales beginning on April 24"), and an
amount compared with that has a verb of its own ("roughly double the $72.22 billion it spent
last year"). Not one: a date in what a clause reports someone said or acknowledged ("after
O'Brien acknowledged he gave about $6,000 ... in 1999"), a date inside a quotation (a speaker's
"today"), a date something is true "as of", a dateline or byline ("PUBLISHED: 22:07 GMT, 7 July
2012"). So each event is one happening on its own date, and its `title` says which, in the
sentence's words, without the date unless the words need it ("spent Thursday trying to ..."):
the main clause ("Horton was shot and killed"), or the
clause of its own ("Brixel raised $40 million" for "Brixel, which raised $40 million in 2024,
launched its first app on Tuesday").

Its kind is the first rule, in this order, whose keywords occur in the clause around the date
(between commas, dashes, colons and words such as when / after / which / who / while / but); when
the clause has none and the date opens the sentence ("In April 2025, ..."), the clauses after it,
nearest first; else the first keyword of a "when" clause right after the date; else the clauses
before it, back to the start of its happening's clause ("A poll of 1,200 readers, run on
Thursday"); else a keyword right next to it. When no rule is sure, the kind is the neutral
"event" (a keyword elsewhere in the sentence is not enough: "Mara Quill left Orbis Shipping in
March 2019" is no launch, nor is a navy's "launched an operation", a prosecutor's "released a
statement", or analysts "divided on Thursday" over a model launched a day earlier).

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
            r"according to (?:people|documents|materials|filings|a report|reports? (?:by|from|in)|"
            r"reporting (?:by|from|in)))\b"
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
            # "Llama 2 arrived in July 2023": a name with a version is a product
            r"(?-i:[A-Z])[\w-]+ \d+(?:\.\d+)? arriv(?:e|es|ed)|"
            # "Meta's April 2026 announcement of Muse Spark", "announced Llama 4"
            r"announce(?:s|d|ment of)\s+(?:its\s+|the\s+)?(?-i:[A-Z])\w*|"
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


# a clause that tells a happening of its own beside the main clause's, with its own verb: a
# verb joined to the main one (", and released V-JEPA 2 in June 2025"), a clause of time ("when
# it paid ...", "since Meta reorganised ...", "before leaving ..."), a relative clause (",
# which raised ...", ", whose complaint helped ...", "where he founded ...") or "with" and a
# participle (", with sales beginning on April 24")
_PAST = (
    r"[a-z]+ed|began|begun|went|made|paid|took|sold|bought|held|won|lost|left|led|met|set|cut|put|"
    r"gave|grew|rose|fell|became|came|brought|built|spent|struck|ran|told|got|saw|shut|hit|quit|"
    r"wrote|drew|kept|sent|said|shared|split|won|went"
)
_OWN_CLAUSE = re.compile(
    rf",\s+and\s+(?=(?:then\s+|later\s+)?(?:{_PAST})\b)|\b(?:when|after|before|since|until|where)\s+|"
    r",\s*(?:which|who|whose)\s+|,\s*with\s+(?=(?:[\w’'-]+\s+){1,3}[a-z]{2,}ing\b)"
)
_VERB = re.compile(rf"\b(?:{_PAST}|[a-z]{{2,}}ing|went live|goes live)\b")
# what someone said, acknowledged or found inside the clause: its date is of what was reported
# ("after O'Brien acknowledged he gave about $6,000 ... in 1999"), not a happening it tells
_REPORTED = re.compile(
    r"\b(?:said|says|acknowledged|admitted|confirmed|denied|claimed|stated|told\s+\w+|announced|"
    r"insisted|argued|recalled|added|believed|knew|learned|reported)\s+(?:that\s+)?"
    r"(?:he|she|they|it|we|I|(?-i:[A-Z])[\w’'-]*)\b",
    re.IGNORECASE,
)
# the verb a compared amount has of its own: "roughly double the $72.22 billion it spent last
# year", "the $72.22 billion spent in 2025" (but not "up from $72.22 billion in 2025")
_OWN_VERB = re.compile(rf"\b(?:{_PAST})\s+(?:(?:in|on|during|at)\s+)?$")
# a date something is true as of, not a happening: "All information is current as of May 26"
_AS_OF = re.compile(r"\bas of\s+(?:the\s+)?$", re.IGNORECASE)


def _events(article_id: str, sentences: Sequence[_Sentence], anchor: date | None) -> list[Event]:
    """The events of each dated sentence: the date of its main clause, and of each clause that
    tells a happening of its own (see the module docstring)."""
    out: list[Event] = []
    for s in (s for s in sentences if s.prose):
        text = s.text
        hits = [
            h
            for h in _resolve_dates(text, anchor)
            if not _AS_OF.search(text[: h.start]) and not _quoted(text, h.start)
        ]
        if not hits or _is_dateline(text, hits):
            continue
        ranked = []
        for i, h in enumerate(hits):
            rank = _date_rank(text, h.start, h.end)
            if rank is None and _own_compared(text, h):
                rank = 2  # the date of an amount compared with, told by a verb of its own
            if rank is not None:
                ranked.append((rank, i, h))
        if not ranked:
            continue  # its only dates are of things it compares with
        rank, _, hit = min(ranked, key=lambda t: (t[0], t[1]))
        if rank and anchor is None and _UNRESOLVED.search(text):
            continue  # "grew 1.6% last year after shrinking in 2003": the main date is unknown
        if rank and _background(text, hit):
            continue  # "passing a mark that had stood since 1999": the main clause has no date
        # dates joined to it by "and" are the same verb's ("published papers in 2023 and 2024")
        chosen = [hit]
        for other in hits:
            last = chosen[-1]
            if other.start >= last.end and re.fullmatch(
                r"\s*(?:,|and|or|, and)\s*", text[last.end : other.start]
            ):
                chosen.append(other)
        for h in chosen:
            kind = _sure_kind(text, h.start, h.end)
            out.append(Event(h.when, h.precision, text, kind, article_id, _main_title(text, h)))
        told = {(h.when, h.precision) for h in chosen}
        for r, _, h in sorted(ranked, key=lambda t: t[1]):
            if (h.when, h.precision) in told:
                continue
            opener = _own_clause(text, h, hit, compared=r == 2)
            if opener is None:
                continue
            told.add((h.when, h.precision))
            kind = _sure_kind(text, h.start, h.end, opener[1])
            out.append(Event(h.when, h.precision, text, kind, article_id, _clause_title(text, h, *opener)))
    return out


# a relative clause that tells what was already so: "a mark that had stood since 1999", "Drake,
# which had beaten Bradley on Thursday"
_BACKGROUND = re.compile(r"\b(?:which|who|that)\s+(?:had|has|have)\b(?:(?![,;:—–]).)*$", re.IGNORECASE)


def _background(sentence: str, hit: _DateHit) -> bool:
    """Whether the only date of a sentence is of its background, not of its main clause: a date
    in a relative clause in the perfect."""
    return _BACKGROUND.search(sentence[: hit.start]) is not None


def _main_title(sentence: str, hit: _DateHit) -> str:
    """The title of a sentence's main event (`_main_title_of`), or of the "when" clause right
    after its date when the date's own clause names no happening."""
    title_of = _main_title_of(sentence, hit)
    # "The split traces back to last summer, when Meta invested $14.3 billion in Scale AI": the
    # "when" clause tells what happened then, when the date's own clause names no happening
    when = re.match(r"\s*,\s*when\s+", sentence[hit.end :])
    if when and event_kind(_clause_around(sentence, hit.start, hit.end)) is None:
        clause = sentence[hit.end + when.end() :]
        found = _first_kind(re.split(r"[,;:]", clause)[0])
        if found is not None:
            told = title(clause, 0, 0, opening=False)
            if len(told.split()) >= 3:
                return told
    return title_of


def _main_title_of(sentence: str, hit: _DateHit) -> str:
    """The title of a sentence's main event: of the relative clause its date is in, when it is in
    one ("LeCun founded the FAIR lab" for "LeCun, who founded the FAIR lab in 2013, ended up
    ..."); else the sentence's main clause without its relative clauses."""
    relative = None
    for m in re.finditer(r",\s*(?:which|who|whose|where)\s+", sentence[: hit.start]):
        relative = m
    between = sentence[relative.end() : hit.start] if relative else ""
    if relative and not re.search(r"[,;:]", between) and _VERB.search(between):
        return _clause_title(sentence, hit, relative.start(), relative.end())
    # "Brixel, which raised $40 million in 2024, launched ...": the aside is another thing
    kept, start, end, at = [], hit.start, hit.end, 0
    for m in re.finditer(r",\s*(?:which|who|whose)\b[^,;:]*,", sentence):
        if m.start() <= hit.start < m.end():
            continue
        kept.append(sentence[at : m.start()])
        if m.end() <= hit.start:
            start, end = start - (m.end() - m.start()), end - (m.end() - m.start())
        at = m.end()
    kept.append(sentence[at:])
    return title("".join(kept), start, end)


def _quoted(sentence: str, at: int) -> bool:
    """Whether `at` is inside a quotation: a speaker's "today" is not the article's date, and
    what they say is theirs, not a happening the article tells."""
    head = sentence[:at]
    return head.count("“") > head.count("”") or head.count('"') % 2 == 1


def _own_compared(sentence: str, hit: _DateHit) -> bool:
    """A compared amount's date that is the date of a verb of its own, never after "than"."""
    head = sentence[: hit.start]
    return bool(_OWN_VERB.search(head)) and not re.search(r"\bthan\b[^,;]*$", head)


def _own_clause(sentence: str, hit: _DateHit, main: _DateHit, compared: bool) -> tuple[int, int] | None:
    """(start, end) of the opener of the clause that tells `hit`'s happening apart from the main
    date's, or None when `hit` is another date of the main clause, a date in what someone
    reported, or a clause without a verb of its own."""
    if compared:
        begin = sentence.rfind(",", 0, hit.start)
        if begin < 0 or begin < main.end <= hit.start:
            return None
        return begin, begin + 1
    opener = None
    for m in _OWN_CLAUSE.finditer(sentence, 0, hit.start):
        opener = m
    if opener is None:
        return None
    between = sentence[opener.end() : hit.start]
    if opener.start() < main.start < hit.start:
        return None  # the main date is in this clause too
    if hit.start < main.start and not re.search(r"[,;:]|\s[–—]\s", sentence[hit.end : main.start]):
        return None
    if not _VERB.search(between) or _REPORTED.search(between) or re.search(r"\bthan\b", between):
        return None
    return opener.start(), opener.end()


def _sure_kind(sentence: str, start: int, end: int, bound: int = 0) -> str:
    """The kind of a date's clause; else of the clauses it opens ("In April 2025, Meta released
    ..."); else of the "when" clause after it ("after mid-2025, when the company created ...");
    else of the clauses before it back to `bound` (the start of its event's own clause), nearest
    first ("A poll of 1,200 readers, run on Thursday"); else of a keyword right next to the date;
    else the neutral kind: a keyword elsewhere in the sentence says nothing of the date's
    happening ("Analysts were divided on Thursday over whether Muse Spark, the closed model Meta
    launched a day earlier, ..." is no launch)."""
    kind = event_kind(_clause_around(sentence, start, end))
    if kind is None and len(sentence[:start].split()) <= 2:
        kind = _kind_after(sentence, end)
    when = re.match(r"\s*,?\s*when\b([^,;:]*)", sentence[end:])
    if kind is None and when:
        kind = _first_kind(when.group(1))
    if kind is None and len(sentence[:start].split()) > 2:
        kind = _kind_before(sentence, start, bound)
    if kind is None:
        # a keyword next to the date: "Axios reported on April 6, 2026, that ..." is a revelation
        near = [
            (max(0, m.start() - end, start - m.end()), order, k)
            for order, (k, pattern) in enumerate(EVENT_RULES)
            for m in pattern.finditer(sentence)
        ]
        best = min(near, default=None)
        kind = best[2] if best is not None and best[0] <= _NEAR else None
    return kind or NEUTRAL


def _first_kind(text: str) -> str | None:
    """The kind of the keyword that comes first in `text` ("when the launch of Llama 4 was
    overshadowed by questions about a leaderboard entry" is a launch)."""
    found = [(m.start(), order, k) for order, (k, p) in enumerate(EVENT_RULES) if (m := p.search(text))]
    return min(found)[2] if found else None


def _kind_before(sentence: str, start: int, bound: int) -> str | None:
    """The kind of the clauses before a date, back to `bound`, nearest first."""
    stops = [m.start() for m in _EVENT_CLAUSE_STOP.finditer(sentence, bound, start)]
    ends = [start, *reversed(stops)]
    for i, hi in enumerate(ends[1:], 1):
        lo = ends[i + 1] if i + 1 < len(ends) else bound
        kind = event_kind(sentence[lo:hi])
        if kind is not None:
            return kind
    return None


def _kind_after(sentence: str, end: int) -> str | None:
    """The kind of the text after a date that opens its sentence, one clause more at a time (a
    date that opens a sentence belongs to the clause it introduces: "In April 2025, Meta
    released Llama 4, which researchers ..." is a launch), up to a clause of its own ("In
    December, the school imposed a ban after O'Brien acknowledged he gave about $6,000" is no
    payment)."""
    rest = sentence[end:]
    for m in [*_EVENT_CLAUSE_STOP.finditer(rest), None]:
        kind = event_kind(rest[: m.start() if m else len(rest)])
        if kind is not None:
            return kind
        if m and m.group(0).strip().isalpha():
            return None  # "after", "when", "which": another clause
    return None


_TITLE_STOP = re.compile(
    r"\s*(?:(?<!\d),|,(?!\s?\d{3}\b)|[;:(“”\"]|\s[–—]\s|\s-\s(?=[A-Z\"“])|\s(?:when|after|before|while|because|"
    r"although|though|which|who|whereas|as|but|despite|amid|according|and that)\s)"
)
# an aside after the name that opens a sentence: "Yann LeCun, founder of AMI Labs, said ..."
_APPOSITIVE = re.compile(
    r"^([A-Z][\w’'.&-]*(?:\s(?:[A-Z][\w’'.&-]*|\d[\w.]*)){0,3}),\s+(?:(?:one|founder|head|chief|former|an?|the)\b|[a-z])"
    r"[^,;:]{0,70},\s+(?=[a-z])"
)
_DATE_WORDS = re.compile(
    r"(?:\s+(?:on|in|during|since|by|at|from|last|this|early|late|mid|the|of|after|before|until|around))*\s*$",
    re.IGNORECASE,
)
_SAID = re.compile(r",?\s+(?:\w+\s+){0,3}(?:said|says|reported|announced|told \w+)\s*[.!?]?$")
_MAX_TITLE_WORDS = 14
# a date that can be a verb's object: "spent Thursday", "returns tomorrow", "sentenced November 8"
_OBJECT_DATE = re.compile(
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|tonight|tomorrow|yesterday|"
    r"January|February|March|April|May|June|July|August|September|October|November|December)\b"
)


def title(sentence: str, start: int, end: int, opening: bool = True) -> str:
    """A short title for the event of a sentence, in its own words: its main clause without the
    date ("Horton was shot and killed" for "Horton was shot and killed in October 2011 when
    gunfire erupted outside..."), at most fourteen words (a name the cut falls in finished).
    `opening`: the sentence may open with a phrase of time ("In December, ...") that is not its
    title."""
    text = sentence
    if opening and len(text[:start].split()) <= 2:
        # "In December, the school imposed ...", "On Wednesday, April 8, Meta released ...": the
        # opening says when (not "Pre-orders open on Thursday, with ...": a clause)
        after = re.match(r"\s*,\s+", text[end:])
        lead = re.match(r"^[^,]{0,60},\s+", text)
        if after:
            text, start, end = text[end + after.end() :], 0, 0
        elif lead and start < lead.end():
            text, start, end = text[lead.end() :], 0, 0
    aside = _APPOSITIVE.match(text)
    if aside and not aside.start(0) <= start < aside.end(0):
        cut = aside.end(0) - aside.end(1) - 1
        text = aside.group(1) + " " + text[aside.end(0) :]
        if start >= aside.end(0):
            start, end = start - cut, end - cut
    elif aside and re.match(rf"\s*,\s+(?:{_PAST})\b", text[aside.end(1) :]):
        # "Llama 4, released in April 2025, disappointed ...": the aside tells the date's event
        body = text[aside.end(1) : aside.end(0)].strip(" ,")
        offset = aside.end(1) + text[aside.end(1) :].find(body) - len(aside.group(1)) - 1
        text, start, end = aside.group(1) + " " + body, start - offset, end - offset
    # the date and the words that introduce it go
    head = text[:start]
    dangling = _DATE_WORDS.search(head)
    cut_head = head[: dangling.start()] if dangling else head
    if (
        dangling
        and not head[dangling.start() :].strip()
        and re.search(r"\b[a-z]+\s*$", head)
        and re.match(_OBJECT_DATE, text[start:end])
    ) or (re.search(r"\b[a-z]+ed\s*$", cut_head) and re.match(r"\s*that\b", text[end:])):
        # no word introduces it, the date is the verb's object ("spent Thursday trying to work
        # out", "returns tomorrow"), or without it a participle dangles ("an interview released
        # on Friday that ..."): it stays
        head, start = head + text[start:end], end
    else:
        head = head[: dangling.start()] if dangling else head
    # "between 2019 and 2024": the range's other end goes too
    tail = re.sub(r"^\s*(?:and|to|-|–)\s*(?:19|20)\d\d\b", "", text[end:]) if start or end else text[end:]
    tail = re.sub(r"^\s*(?:night|morning|afternoon|evening|local time)\b", "", tail)
    tail = tail.lstrip()
    body = (head.rstrip() + (" " if tail[:1].isalnum() else "") + tail) if start or end else text
    body = " ".join(body.split())
    cut = next(
        (m.start() for m in _TITLE_STOP.finditer(body) if len(body[: m.start()].split()) >= 2), len(body)
    )
    # "Yann LeCun said in a podcast interview released on Friday that ...": what was said is
    # another clause, once the title has said who said it where
    said = next(
        (m.start() for m in re.finditer(r"\sthat\s", body) if len(body[: m.start()].split()) >= 6), cut
    )
    cut = min(cut, said)
    words = _SAID.sub("", body[:cut]).strip(" .!?").split()
    while words and words[-1].lower() in {"on", "in", "at", "the", "a", "an", "of", "to", "and", "by", "for"}:
        words.pop()
    words = _capped(words)
    while words and words[-1].lower() in _TITLE_END_STOP:
        words.pop()
    if not words:
        return ""
    return (words[0][:1].upper() + words[0][1:] + " " + " ".join(words[1:])).strip()


# words a title does not end with
_TITLE_END_STOP = frozenset(
    "on in at the a an of to and by for its their his her with what that whether how which who this "
    "these those our as but or from into over under after before".split()
)
_TITLE_PREPOSITIONS = frozenset("on in at of to by for with from into over under".split())


def _capped(words: list[str]) -> list[str]:
    """At most `_MAX_TITLE_WORDS` words, cut between two phrases: a name the cut falls in is
    finished ("to Muse Spark", not "to Muse"), and a cut inside a phrase goes back to before its
    preposition ("ban", not "ban on its men's basketball" of "... basketball team")."""
    out = words[:_MAX_TITLE_WORDS]
    rest = words[_MAX_TITLE_WORDS:]
    while (
        out and rest and out[-1][:1].isupper() and rest[0][:1].isupper() and len(out) < _MAX_TITLE_WORDS + 3
    ):
        out.append(rest.pop(0))
    while out and rest and out[-1].lower() in _TITLE_END_STOP:
        rest.insert(0, out.pop())
    if rest and rest[0].lower() not in _TITLE_END_STOP and not rest[0][:1].isupper():
        at = max((i for i, w in enumerate(out) if w.lower() in _TITLE_PREPOSITIONS), default=-1)
        if at >= 5:
            out = out[:at]
    return out


_PRONOUN_SUBJECT = frozenset({"it", "he", "she", "they", "we", "i"})


def _clause_title(sentence: str, hit: _DateHit, start: int, end: int) -> str:
    """The title of a happening told in a clause of its own (its opener at `start`:`end`): the
    clause without the date, its relative pronoun replaced by what it stands for ("Brixel
    raised $40 million" for "Brixel, which raised $40 million in 2024, ..."), a pronoun subject
    left out ("Paid $14.3 billion for a 49% stake in Scale AI" for "... when it paid ..."); ""
    when that leaves fewer than two words."""
    clause = sentence[end:]
    # "roughly double the $72.22 billion it spent last year": the amount and its verb
    lead = re.match(
        r"\s*(?:(?:roughly|about|nearly|almost|more than|less than)\s+)?(?:double|twice|triple|half)\s+",
        clause,
    )
    if lead:
        clause, end = clause[lead.end() :], end + lead.end()
    words = title(clause, hit.start - end, hit.end - end, opening=False).split()
    if words and words[0].lower() in _PRONOUN_SUBJECT:
        words = words[1:]
    if not words:
        return ""
    if not clause[:1].isupper():
        words[0] = words[0][:1].lower() + words[0][1:]
    relative = re.search(r"\b(which|who|whose)\s+$", sentence[start:end])
    if relative:
        antecedent = _antecedent(sentence[:start])
        if antecedent:
            words = [*antecedent.split(), *words]
            if relative.group(1) == "whose":
                words[len(antecedent.split()) - 1] += "’" if antecedent.endswith("s") else "’s"
    if len(words) < 2:
        return ""
    words = _capped(words)
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


def _antecedent(before: str) -> str:
    """The name a relative clause speaks of: the words before its comma, back to the clause
    before ("Brixel", "Sundal Microsystems of Norway"), when they are a short name."""
    segment = re.split(r"[,;:(]|\s[–—]\s", before)[-1].strip()
    segment = re.sub(r"^(?:including|such as|and|or|like)\s+", "", segment)
    words = segment.split()
    if not words or len(words) > 6 or not (words[0][:1].isupper() or words[0].lower() == "the"):
        return ""
    return segment

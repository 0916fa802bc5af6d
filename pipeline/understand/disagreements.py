"""Where sources disagree: figures and dates that different sources of one thread give
differently for the same thing (a count after the same verb, a date of the same happening)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pipeline.models import Article, Claim, Disagreement, Sentence, TimelineEvent
from pipeline.text.calendar import month_of, readable_date
from pipeline.text.sentences import split_sentences
from pipeline.text.words import COMMON_WORDS, WORD
from pipeline.understand.facts import ArticleFacts, Event, Figure, Mention


@dataclass(frozen=True)
class DisagreementTuning:
    """When two figures or dates are one thing told differently. Set by hand on the demo's
    planted disagreement and the seeds' (commit 6c52282; `same_time_days` in f1ed951); `make
    bench` reports disagreements precision and recall on both."""

    max_date_gap_days: int = 120  # two dates further apart are two events, not a disagreement
    max_spread: float = 1.6  # two amounts further apart than this ratio measure different things
    same_time_days: int = 2  # counts told further apart may both be right at their time


TUNING = DisagreementTuning()


# Verbs that name the same one-off happening in a person's career, so two dates for it can be
# compared. (A company launches and raises many times: its dates are not compared.)
_HAPPENINGS = {
    "leaving": re.compile(r"\b(left|leav\w*|depart\w*|exit\w*|quit|resign\w*|stepped down|ended)\b", re.I),
    "joining": re.compile(r"\b(joined|joins|hired|appointed)\b", re.I),
}
# an announcement or a plan dates the news of a happening, not the happening itself
_INTENT = re.compile(r"\b(announc\w*|plan\w*|will|would|set to|expect\w*|intend\w*|reported(?:ly)?)\b", re.I)


def disagreements(
    articles: Sequence[Article],
    facts: Mapping[str, ArticleFacts],
    earlier_events: Sequence[TimelineEvent] = (),
    events: Sequence[int] | None = None,
) -> tuple[Disagreement, ...]:
    """Figures and dates that different sources give differently for the same thing. Dates are
    also compared with the thread's events from earlier briefs (`earlier_events`): a source
    today that dates a departure differently from one last week is a disagreement too, shown
    once a new article takes part in it. With `events` (a label per article: which event it
    tells), only articles of one event are compared: two death tolls of two earthquakes are
    two facts, not a disagreement."""
    if events is not None and len(set(events)) > 1:
        found: list[Disagreement] = []
        for label in sorted(set(events)):
            told = [a for a, e in zip(articles, events, strict=True) if e == label]
            found.extend(disagreements(told, facts, earlier_events))
        return tuple(found)
    by_id = {a.id: a for a in articles}
    found = _figure_disagreements(
        [f for a in articles for f in facts.get(a.id, ArticleFacts()).figures], by_id
    )
    found += _date_disagreements(
        [e for a in articles for e in facts.get(a.id, ArticleFacts()).events],
        [m for a in articles for m in facts.get(a.id, ArticleFacts()).mentions],
        by_id,
        earlier_events,
    )
    return tuple(found)


def _claim(value: str, article: Article, sentence: str) -> Claim:
    return Claim(value, article.source, article.url, Sentence(sentence, article.id))


# What a money figure measures, from the words of its sentence.
_MONEY_MEASURES = {
    "valuation": re.compile(r"\bvalu\w*", re.I),
    "investment": re.compile(r"\b(invest\w*|stake|acqui\w*|deal|bought|paid)\b", re.I),
    "funding": re.compile(r"\b(rais\w*|round|seed|funding)\b", re.I),
    "spending": re.compile(r"\b(spend\w*|spent|capex|capital expenditure)\b", re.I),
}


def _figure_disagreements(figures: Sequence[Figure], articles: Mapping[str, Article]) -> list[Disagreement]:
    """Two articles giving different amounts for the same thing: a money figure of the same
    measure (valuation, investment, funding, spending: from its sentence), or a count of the
    same thing after the same verb told within two days, about the same named subject, the
    amounts within a factor of 1.6 of each other. A range ("$115 billion to $135 billion"), a
    bound ("at least 500"), a count that changes ("rose to") or two values in one sentence are
    never a disagreement; nor is one article."""
    measured: list[tuple[str, Figure]] = []
    for f in figures:
        if f.amount <= 0 or f.high:
            continue  # a range is no claim another value contradicts
        if f.kind == "count":
            # "cut 600 jobs" against "cut 750 jobs": the same thing done, told at the same time
            verb = _count_verb(f)
            if f.unit and verb and not _approximate(f) and not _CHANGING.search(f.sentence):
                measured.append((f"the number of {f.unit}\t{verb}", f))
            continue
        if f.kind != "money":
            continue
        # the measure named closest to the figure's label wins; then any named in the sentence
        measure = next((m for m, p in _MONEY_MEASURES.items() if p.search(f.label)), None) or next(
            (m for m, p in _MONEY_MEASURES.items() if p.search(f.sentence)), None
        )
        if measure is not None:
            measured.append((measure, f))
    subjects = {id(f): _subjects(f, articles) for _, f in measured}  # each article read once per figure
    groups: list[tuple[str, list[Figure]]] = []
    for measure, f in measured:
        for g_measure, group in groups:
            first = group[0]
            if (
                g_measure == measure
                and f.unit == first.unit
                and f.article_id != first.article_id
                and f"{f.amount:.3g}" != f"{first.amount:.3g}"
                and max(f.amount, first.amount) / min(f.amount, first.amount) <= TUNING.max_spread
                and subjects[id(f)] & subjects[id(first)]
                and first.value not in f.sentence
                and f.value not in first.sentence
                and _same_time(f, first, articles)
            ):
                if all(f"{f.amount:.3g}" != f"{g.amount:.3g}" for g in group):
                    group.append(f)
                break
        else:
            groups.append((measure, [f]))
    return [
        Disagreement(
            measure.split("\t")[0],
            tuple(
                _claim(f.value, articles[f.article_id], f.sentence)
                for f in sorted(group, key=lambda f: f.amount)
            ),
        )
        for measure, group in groups
        if len(group) > 1 and all(f.article_id in articles for f in group)
    ]


# a count on its way somewhere is not a claim another count contradicts: a toll that rose
_CHANGING = re.compile(
    r"\b(?:rose|risen|rising|rises|climbed|climbing|increased|grew|jumped|fell|dropped|so far|"
    r"up to|at least|now|reached|to date)\b",
    re.IGNORECASE,
)


def _count_verb(figure: Figure) -> str:
    """The word just before a count, which says what was counted ("cut", "hired", "killed"), as
    a stem; "" when none."""
    at = figure.sentence.find(figure.value)
    words = WORD.findall(figure.sentence[:at]) if at > 0 else []
    return words[-1].lower()[:5] if words else ""


def _same_time(a: Figure, b: Figure, articles: Mapping[str, Article]) -> bool:
    """Whether two figures were published within `TUNING.same_time_days` days of each other (money measures
    such as a valuation do not move from day to day; counts may, so only they are asked)."""
    if a.kind != "count":
        return True
    when = [articles[f.article_id].published for f in (a, b) if f.article_id in articles]
    if len(when) < 2 or when[0] is None or when[1] is None:
        return True
    return abs(when[0] - when[1]).days < TUNING.same_time_days


_APPROXIMATE = re.compile(
    r"\b(?:about|around|roughly|nearly|almost|some|over|more than|at least|up to|fewer than|less than|"
    r"approximately|an estimated|as many as)\s*$",
    re.IGNORECASE,
)


def _approximate(figure: Figure) -> bool:
    """Whether a count is given as a bound or an estimate ("at least 14"), which a different
    exact count does not contradict."""
    at = figure.sentence.find(figure.value)
    return at >= 0 and _APPROXIMATE.search(figure.sentence[max(0, at - 30) : at]) is not None


def _subjects(figure: Figure, articles: Mapping[str, Article]) -> set[str]:
    """The names around a figure: in every sentence of its article that gives the same value
    (an article often states its key figure twice, naming the subject only once)."""
    article = articles.get(figure.article_id)
    sentences = [s for s in split_sentences(article.text) if figure.value in s] if article else []
    return set().union(*(_names_in(s) for s in sentences or [figure.sentence]))


def _names_in(sentence: str) -> set[str]:
    """Capitalised words past the first: the names a sentence is about."""
    words = WORD.findall(sentence)
    return {w for w in words[1:] if w[0].isupper() and w.lower() not in COMMON_WORDS}


@dataclass(frozen=True)
class _Dated:
    """One source's dated sentence: from this brief's facts or the thread's stored timeline."""

    when: str  # ISO, as precise as the text: "2026-01-22" or "2025-11"
    text: str
    article_id: str
    source: str
    url: str
    new: bool  # from an article of this brief


def _date_disagreements(
    events: Sequence[Event],
    mentions: Sequence[Mention],
    articles: Mapping[str, Article],
    earlier: Sequence[TimelineEvent] = (),
) -> list[Disagreement]:
    """The same happening (left, joined) of the same person dated differently by different
    articles: to the day or the month, compared at the coarser of the two ("November 2025"
    agrees with "12 November 2025", not with "22 January 2026"), the dates close enough to be
    one event. A person is found by full name or by surname ("LeCun departs Meta")."""
    dated = [
        _Dated(e.iso, e.text, e.article_id, articles[e.article_id].source, articles[e.article_id].url, True)
        for e in events
        if e.precision in ("day", "month") and e.article_id in articles
    ]
    dated += [
        _Dated(t.date, t.text.text, t.text.article_id, t.cited[0][0], t.cited[0][1], False)
        for t in earlier
        if _ISO.fullmatch(t.date) and t.cited and t.text.article_id not in articles
    ]
    people = {m.name for m in mentions if m.kind == "person" and len(m.name) > 3}
    keyed: dict[tuple[str, str], dict[tuple[str, str], _Dated]] = defaultdict(dict)
    for d in dated:
        named = _nearest_person(d, people)
        for happening, pattern in _HAPPENINGS.items():
            if named and pattern.search(d.text):
                keyed[(happening, named)].setdefault((d.when, d.text), d)
    out: list[Disagreement] = []
    seen: set[frozenset[str]] = set()
    for (happening, name), found in sorted(keyed.items()):
        # what a source states, not what was announced or planned ("announced in November that
        # he would leave" agrees with "left on 22 January"), when any source states it
        stated = [d for d in found.values() if not _INTENT.search(d.text)] or list(found.values())
        by_date: dict[str, _Dated] = {}
        for d in sorted(stated, key=lambda d: (not d.new, d.when, d.source, d.text)):  # this brief's first
            by_date.setdefault(d.when, d)
        # a month another source gives to the day is not a second value
        dates = {
            w: d
            for w, d in by_date.items()
            if not (len(w) == 7 and any(o.startswith(w) for o in by_date if o != w))
        }
        whens = sorted(dates)
        if len(whens) < 2 or len({d.article_id for d in dates.values()}) < 2:
            continue
        if not any(d.new for d in dates.values()) or not _any_differ(whens):
            continue
        if (month_of(whens[-1]) - month_of(whens[0])).days > TUNING.max_date_gap_days:
            continue
        key = frozenset(d.text for d in dates.values())
        if key in seen:
            continue
        seen.add(key)
        claims = tuple(
            Claim(readable_date(w), d.source, d.url, Sentence(d.text, d.article_id))
            for w, d in sorted(dates.items())
        )
        out.append(Disagreement(f"the date {name} {_VERB[happening]}", claims))
    return out


def _nearest_person(dated: _Dated, people: Iterable[str]) -> str | None:
    """The person a dated sentence dates: of those it names (in full, or by a surname of four
    letters or more), the one named nearest the date's month ("LeCun's departure follows the
    April exit of Joelle Pineau" dates Pineau's exit, not LeCun's)."""
    month = month_of(dated.when)
    at = re.search(rf"\b(?:{month:%B}|{month:%b})(?![a-z])", dated.text)  # "Mar", not "Mark"
    best: tuple[int, str] | None = None
    for name in sorted(people):  # between equals, the same one on every run
        surname = name.split()[-1]
        pattern = re.escape(name) if len(surname) < 4 else rf"(?<![A-Za-z]){re.escape(surname)}(?![a-z])"
        for m in re.finditer(pattern, dated.text):
            distance = min(abs(m.start() - at.end()), abs(at.start() - m.end())) if at else 0
            if best is None or distance < best[0]:
                best = (distance, name)
    return best[1] if best else None


def _any_differ(whens: Sequence[str]) -> bool:
    """Whether two of the ISO dates name different days or months, compared at the coarser."""
    return any(
        a[: min(len(a), len(b))] != b[: min(len(a), len(b))]
        for i, a in enumerate(whens)
        for b in whens[i + 1 :]
    )


_ISO = re.compile(r"\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?")  # a day or a month


_VERB = {"leaving": "left", "joining": "joined"}

"""From a thread's articles and their facts to the fields of its digest, each traceable to a
sentence of a source: key figures, timeline, people and organizations, voices, tags, the
impact / horizon / tone badges, "what this means for <audience>", a comparison table, and
the connections between threads.

The badges follow fixed rules on signals counted in the articles (README: "How badges are
decided"); nothing here writes a word that is not in a source, except the badge names.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from . import novelty
from .facts import ArticleFacts, Event, Figure, Mention, Quote
from .models import (
    Article,
    Claim,
    Comparison,
    Connection,
    Disagreement,
    Involved,
    KeyFigure,
    Sentence,
    ThreadDigest,
    TimelineEvent,
    Voice,
)
from .sentences import split_sentences

MAX_FIGURES = 6
MAX_EVENTS = 10
MAX_PEOPLE = 8
MAX_VOICES = 3
MAX_TAGS = 8

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
_STOP = frozenset(
    "the a an of in on at to for by with from and or but that this its their his her was were is are be "
    "been has have had will would could said says after before over than as into about more most".split()
)
CAUTION = re.compile(
    r"\b(risks?|concerns?|warn\w*|doubts?|threat\w*|scandal\w*|fail\w*|declin\w*|critic\w*|lawsuits?|"
    r"fines?|fined|cuts?|loss\w*|fell|falls?|drop\w*|controvers\w*|backlash|disappoint\w*|uncertain\w*|"
    r"betray\w*|delay\w*|problems?|dead end)\b",
    re.IGNORECASE,
)
POSITIVE = re.compile(
    r"\b(growth|grow\w*|records?|success\w*|gains?|improv\w*|beat|beats|surg\w*|prais\w*|wins?|won|rose|"
    r"rise|boost\w*|breakthrough\w*|welcom\w*|strong\w*|leads?|top)\b",
    re.IGNORECASE,
)
SHORT_TERM = re.compile(
    r"\b(today|this week|immediately|now|launch\w*|rolled out|rolling out|went live)\b", re.I
)
LONG_TERM = re.compile(r"\b(years|decades?|long[- ]term|eventually|future|generations?|by 20[3-9]\d)\b", re.I)
AUDIENCE_WORDS = re.compile(
    r"\b(developers?|engineers?|companies|businesses|enterprises?|customers?|users?|teams?|startups?|"
    r"researchers?|builders?|buyers?|investors?|industry|practitioners?)\b",
    re.IGNORECASE,
)
CONSEQUENCE = re.compile(
    r"\b(means?|could|would|will|should|must|may|signals?|implications?|forces?|choice|decide|depend\w*|"
    r"switch\w*|migrat\w*|access|cost\w*|options?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Fields:
    """What digest_fields adds to a thread's digest."""

    category: str
    figures: tuple[KeyFigure, ...]
    timeline: tuple[TimelineEvent, ...]
    people: tuple[Involved, ...]
    orgs: tuple[Involved, ...]
    voices: tuple[Voice, ...]
    tags: tuple[str, ...]
    impact: str
    horizon: str
    tone: str
    audience: tuple[Sentence, ...]
    comparison: Comparison | None
    disagreements: tuple[Disagreement, ...]


def digest_fields(
    articles: Sequence[Article],
    facts: Mapping[str, ArticleFacts],
    keywords: Sequence[str],
    shown: Iterable[str],
    earlier_events: Sequence[TimelineEvent] = (),
) -> Fields:
    """The facts-based fields of one thread's digest. `shown` are sentences already in the
    overview / why it matters / TL;DR (not repeated); `earlier_events` are the thread's
    events from earlier briefs, kept so the timeline grows."""
    by_id = {a.id: a for a in articles}
    all_facts = [facts[a.id] for a in articles if a.id in facts]
    figures = _key_figures([f for fa in all_facts for f in fa.figures], keywords)
    timeline = _timeline([e for fa in all_facts for e in fa.events], by_id, earlier_events)
    people = _involved([m for fa in all_facts for m in fa.mentions if m.kind == "person"])
    orgs = _involved([m for fa in all_facts for m in fa.mentions if m.kind == "org"])
    voices = _voices([q for fa in all_facts for q in fa.quotes])
    text = " ".join(a.text for a in articles)
    used = set(shown)
    return Fields(
        category=_category(timeline),
        figures=figures,
        timeline=timeline,
        people=people,
        orgs=orgs,
        voices=voices,
        tags=_tags(keywords, text, people, orgs),
        impact=_impact(articles, figures),
        horizon=_horizon(text),
        tone=_tone(text),
        audience=_audience_sentences(articles, used),
        comparison=_comparison([f for fa in all_facts for f in fa.figures], orgs + people),
        disagreements=disagreements(articles, facts, earlier_events),
    )


def connections(
    digests: Sequence[ThreadDigest], articles: Mapping[str, Article], facts: Mapping[str, ArticleFacts]
) -> tuple[Connection, ...]:
    """For each pair of threads that involve the same people or organizations, the sentence of
    a source of the first that names one of them together with something of the second."""
    out: list[Connection] = []
    names = {d.thread_id: {i.name for i in d.people + d.orgs} for d in digests}
    for a in digests:
        for b in digests:
            if a.thread_id >= b.thread_id:
                continue
            shared = sorted(names[a.thread_id] & names[b.thread_id])
            if not shared:
                continue
            sentence = _linking_sentence(a, b, shared, articles)
            if sentence is not None:
                origin = articles[sentence.article_id]
                cited = (origin.source, origin.url)
                named = sorted(shared, key=lambda n: n not in sentence.text)[:4]  # those it names first
                out.append(
                    Connection(a.thread_id, b.thread_id, a.title, b.title, tuple(named), sentence, cited)
                )
    return tuple(out)


def _linking_sentence(
    a: ThreadDigest, b: ThreadDigest, shared: Sequence[str], articles: Mapping[str, Article]
) -> Sentence | None:
    """A sentence of a source of `a` naming a shared entity and a word of `b`'s title."""
    b_words = {w.lower() for w in _WORD.findall(b.title) if w.lower() not in _STOP}
    best: tuple[int, Sentence] | None = None
    for ref in a.sources:
        article = articles.get(ref.article_id)
        if article is None:
            continue
        for sentence in _sentences(article.text):
            hits = sum(1 for name in shared if name in sentence)
            if not hits:
                continue
            overlap = len(b_words & {w.lower() for w in _WORD.findall(sentence)})
            score = hits + 2 * overlap
            if overlap and (best is None or score > best[0]):
                best = (score, Sentence(sentence, article.id))
    return best[1] if best else None


def _sentences(text: str) -> list[str]:
    return [s for s in split_sentences(text) if 6 <= len(s.split()) <= 60]


def _key_figures(figures: Sequence[Figure], keywords: Sequence[str]) -> tuple[KeyFigure, ...]:
    """3–6 figures, ranked by how many sources report them, then by how central their sentence
    is (thread keywords in it); the same figure from several sources is shown once."""
    groups: dict[tuple[str, str, float], list[Figure]] = defaultdict(list)
    for f in figures:
        if f.kind == "count" and f.amount < 10:
            continue  # "two people", "three countries": context, not indicators
        groups[(f.kind, f.unit, float(f"{f.amount:.3g}"))].append(f)
    kw = [k.lower() for k in keywords]

    def rank(group: list[Figure]) -> tuple[int, int, int]:
        sources = len({f.article_id for f in group})
        central = sum(1 for k in kw if k in group[0].sentence.lower())
        weight = {"money": 3, "percent": 2, "multiple": 2, "score": 2, "count": 1}.get(group[0].kind, 0)
        return (sources, central + weight, len(group[0].label))

    ranked = sorted(groups.values(), key=rank, reverse=True)[:MAX_FIGURES]
    return tuple(
        KeyFigure(
            value=g[0].value,
            label=g[0].label,
            context=Sentence(g[0].sentence, g[0].article_id),
            sources=len({f.article_id for f in g}),
        )
        for g in ranked
    )


def _timeline(
    events: Sequence[Event], articles: Mapping[str, Article], earlier: Sequence[TimelineEvent]
) -> tuple[TimelineEvent, ...]:
    """Dated events, oldest first; one event told by several sources is shown once, citing all."""
    merged: list[TimelineEvent] = list(earlier)
    for event in sorted(events, key=lambda e: (e.date, e.article_id)):
        article = articles.get(event.article_id)
        if article is None:
            continue
        cite = (article.source, article.url)
        when = event.iso
        if event.precision == "year" and article.published and event.date.year >= article.published.year:
            continue  # "this year", "in 2026": too vague to place on a timeline
        for i, known in enumerate(merged):
            if known.date == when and _similar(known.text.text, event.text) >= 0.3:
                if cite[0] not in {c[0] for c in known.cited}:
                    merged[i] = TimelineEvent(known.date, known.kind, known.text, (*known.cited, cite))
                break
        else:
            merged.append(TimelineEvent(when, event.kind, Sentence(event.text, event.article_id), (cite,)))
    merged.sort(key=lambda e: e.date)
    return tuple(merged[-MAX_EVENTS:])


def _similar(a: str, b: str) -> float:
    wa = {w.lower() for w in _WORD.findall(a)} - _STOP
    wb = {w.lower() for w in _WORD.findall(b)} - _STOP
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


def _involved(mentions: Sequence[Mention]) -> tuple[Involved, ...]:
    """People (or organizations) by how many articles name them, with the role given most."""
    canonical: dict[str, str] = {}
    for m in sorted(mentions, key=lambda m: -len(m.name)):
        key = m.name.lower()
        if key in canonical:
            continue
        # "LeCun" is the "Yann LeCun" already seen
        longer = next((c for c in canonical.values() if c.lower().endswith(" " + key)), None)
        canonical[key] = longer or m.name
    articles: dict[str, set[str]] = defaultdict(set)
    roles: dict[str, Counter[str]] = defaultdict(Counter)
    context: dict[str, Mention] = {}
    for m in mentions:
        name = canonical[m.name.lower()]
        articles[name].add(m.article_id)
        if m.role:
            roles[name][m.role] += 1
            if not (name in context and context[name].role):
                context[name] = m  # show the name where the sources say who they are
        context.setdefault(name, m)
    ranked = sorted(articles, key=lambda n: (-len(articles[n]), -sum(roles[n].values()), n))[:MAX_PEOPLE]
    return tuple(
        Involved(
            name=n,
            kind=context[n].kind,
            role=roles[n].most_common(1)[0][0] if roles[n] else "",
            context=Sentence(context[n].sentence, context[n].article_id),
        )
        for n in ranked
    )


def _voices(quotes: Sequence[Quote]) -> tuple[Voice, ...]:
    """Up to three quotations, each from a different speaker, longest (most substantial) first."""
    out: list[Voice] = []
    speakers: set[str] = set()
    for q in sorted(quotes, key=lambda q: -len(q.text)):
        if not q.speaker or q.speaker in speakers:
            continue
        speakers.add(q.speaker)
        out.append(Voice(q.text, q.speaker, q.article_id))
        if len(out) == MAX_VOICES:
            break
    return tuple(out)


def _tags(
    keywords: Sequence[str], text: str, people: Sequence[Involved], orgs: Sequence[Involved]
) -> tuple[str, ...]:
    """The thread's keywords found in its articles, then its most named organizations and people."""
    found = [k for k in keywords if re.search(rf"(?<!\w){re.escape(k)}(?!\w)", text)]
    names = [i.name for i in (*orgs[:3], *people[:3])]
    tags: list[str] = []
    for tag in (*found, *names):
        slug = re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")
        if slug and slug not in tags:
            tags.append(slug)
    return tuple(tags[:MAX_TAGS])


def _category(timeline: Sequence[TimelineEvent]) -> str:
    """The most frequent kind of event in the thread; "news" when it has no dated event."""
    kinds = Counter(e.kind for e in timeline)
    return kinds.most_common(1)[0][0] if kinds else "news"


def _impact(articles: Sequence[Article], figures: Sequence[KeyFigure]) -> str:
    """High: 4+ distinct sources, or 3+ with a money figure of a billion or more.
    Medium: 2+ sources, or any money figure of 100 million or more. Low otherwise."""
    sources = {s for a in articles for s, _ in a.found_at} or {a.source for a in articles}
    big = max((_money(f.value) for f in figures), default=0.0)
    if len(sources) >= 4 or (len(sources) >= 3 and big >= 1e9):
        return "High"
    if len(sources) >= 2 or big >= 1e8:
        return "Medium"
    return "Low"


def _money(value: str) -> float:
    m = re.search(r"[$€£]\s?([\d.,]+)\s*(billion|bn|million|m|trillion)?", value, re.IGNORECASE)
    if not m:
        return 0.0
    number = float(m.group(1).replace(",", "") or 0)
    scale = {"billion": 1e9, "bn": 1e9, "million": 1e6, "m": 1e6, "trillion": 1e12}
    return number * scale.get((m.group(2) or "").lower(), 1.0)


def _horizon(text: str) -> str:
    """Short-term when near-term cues (today, launch, rolled out…) outnumber long-term ones
    (years, decade, future…) two to one; Long-term the other way round; Medium-term otherwise."""
    short, long = len(SHORT_TERM.findall(text)), len(LONG_TERM.findall(text))
    if short >= 2 * max(long, 1):
        return "Short-term"
    if long >= 2 * max(short, 1):
        return "Long-term"
    return "Medium-term"


def _tone(text: str) -> str:
    """Cautionary when cautionary words (risk, concern, fail, fine…) outnumber positive ones
    (growth, record, success…) by 30 %; Positive the other way round; Neutral otherwise."""
    caution, positive = len(CAUTION.findall(text)), len(POSITIVE.findall(text))
    if caution > 1.3 * positive and caution >= 2:
        return "Cautionary"
    if positive > 1.3 * caution and positive >= 2:
        return "Positive"
    return "Neutral"


def _audience_sentences(articles: Sequence[Article], used: set[str]) -> tuple[Sentence, ...]:
    """Up to two sentences that speak of consequences for the people the brief is for."""
    scored: list[tuple[int, Sentence]] = []
    for article in articles:
        for text in _sentences(article.text):
            if text in used or text.endswith("?"):
                continue
            who, what = len(AUDIENCE_WORDS.findall(text)), len(CONSEQUENCE.findall(text))
            if who and what:
                scored.append((who + what, Sentence(text, article.id)))
    scored.sort(key=lambda s: -s[0])
    out: list[Sentence] = []
    for _, candidate in scored:
        if all(_similar(candidate.text, o.text) < 0.5 for o in out):
            out.append(candidate)
        if len(out) == 2:
            break
    return tuple(out)


def _comparison(figures: Sequence[Figure], involved: Sequence[Involved]) -> Comparison | None:
    """The same kind of measure (a label's last word: valuation, score, funding…) given for two
    or more different entities, each named in the figure's own sentence."""
    names = [i.name for i in involved]
    by_measure: dict[tuple[str, str], dict[str, tuple[str, str]]] = defaultdict(dict)
    for f in figures:
        words = _WORD.findall(f.label.lower())
        if not words:
            continue
        entity = next((n for n in names if n in f.sentence), None)
        if entity is None:
            continue
        by_measure[(words[-1], f.unit)].setdefault(entity, (f.value, f.article_id))
    best = max(by_measure.items(), key=lambda kv: len(kv[1]), default=None)
    if best is None or len(best[1]) < 2:
        return None
    (measure, _), rows = best
    return Comparison(measure, tuple((e, v, a) for e, (v, a) in rows.items()))


# -- where sources disagree --------------------------------------------------------------------

# Verbs that name the same one-off happening in a person's career, so two dates for it can be
# compared. (A company launches and raises many times: its dates are not compared.)
_HAPPENINGS = {
    "leaving": re.compile(r"\b(left|leav\w*|depart\w*|exit\w*|quit|resign\w*|stepped down|ended)\b", re.I),
    "joining": re.compile(r"\b(joined|joins|hired|appointed)\b", re.I),
}
# an announcement or a plan dates the news of a happening, not the happening itself
_INTENT = re.compile(r"\b(announc\w*|plan\w*|will|would|set to|expect\w*|intend\w*|reported(?:ly)?)\b", re.I)
MAX_DATE_GAP_DAYS = 120  # two dates further apart are two events, not a disagreement


def disagreements(
    articles: Sequence[Article],
    facts: Mapping[str, ArticleFacts],
    earlier_events: Sequence[TimelineEvent] = (),
) -> tuple[Disagreement, ...]:
    """Figures and dates that different sources give differently for the same thing. Dates are
    also compared with the thread's events from earlier briefs (`earlier_events`): a source
    today that dates a departure differently from one last week is a disagreement too, shown
    once a new article takes part in it."""
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
MAX_SPREAD = 1.6  # two amounts further apart than this ratio measure different things


def _figure_disagreements(figures: Sequence[Figure], articles: Mapping[str, Article]) -> list[Disagreement]:
    """Two articles giving different amounts for the same thing: a money figure of the same
    measure (valuation, investment, funding, spending: from its sentence), or a count of the
    same thing after the same verb told within two days, about the same named subject, the
    amounts within a factor of 1.6 of each other. A range ("$115 billion to $135 billion"), a
    bound ("at least 500"), a count that changes ("rose to") or two values in one sentence are
    never a disagreement; nor is one article."""
    measured: list[tuple[str, Figure]] = []
    for f in figures:
        if f.amount <= 0:
            continue
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
                and max(f.amount, first.amount) / min(f.amount, first.amount) <= MAX_SPREAD
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
SAME_TIME = 2  # days: counts told further apart may both be right at their time


def _count_verb(figure: Figure) -> str:
    """The word just before a count, which says what was counted ("cut", "hired", "killed"), as
    a stem; "" when none."""
    at = figure.sentence.find(figure.value)
    words = _WORD.findall(figure.sentence[:at]) if at > 0 else []
    return words[-1].lower()[:5] if words else ""


def _same_time(a: Figure, b: Figure, articles: Mapping[str, Article]) -> bool:
    """Whether two figures were published within `SAME_TIME` days of each other (money measures
    such as a valuation do not move from day to day; counts may, so only they are asked)."""
    if a.kind != "count":
        return True
    when = [articles[f.article_id].published for f in (a, b) if f.article_id in articles]
    if len(when) < 2 or when[0] is None or when[1] is None:
        return True
    return abs(when[0] - when[1]).days < SAME_TIME


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
    words = _WORD.findall(sentence)
    return {w for w in words[1:] if w[0].isupper() and w.lower() not in _STOP}


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
        for d in sorted(stated, key=lambda d: (not d.new, d.when, d.article_id)):  # this brief's first
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
        if (_month(whens[-1]) - _month(whens[0])).days > MAX_DATE_GAP_DAYS:
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
    month = _month(dated.when)
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


def _month(when: str) -> date:
    return date(int(when[:4]), int(when[5:7]), 1)


def readable_date(when: str) -> str:
    """An ISO date as a reader writes it: "22 January 2026", "November 2025", "2013"."""
    try:
        if len(when) == 10:
            d = date.fromisoformat(when)
            return f"{d.day} {d:%B %Y}"
        if len(when) == 7:
            return f"{_month(when):%B %Y}"
    except ValueError:
        pass
    return when


_VERB = {"leaving": "left", "joining": "joined"}


# -- what is new since the last brief ---------------------------------------------------------


def shown_keys(digest: ThreadDigest) -> set[str]:
    """What a digest shows a reader, as keys a later brief can compare against: each sentence
    as text and as its meaning (`novelty.key`), each figure as text and as its amount."""
    sentences = (*digest.overview, *digest.why_it_matters, *digest.tldr, *digest.audience)
    keys = {"sentence:" + _norm(s.text) for s in sentences}
    keys |= {"meaning:" + novelty.key(s.text) for s in sentences}
    keys |= {"figure:" + _norm(f.value) for f in digest.figures}
    keys |= {"figure:" + a for f in digest.figures if (a := _amount(f.value))}
    keys |= {_event_key(e) for e in digest.timeline}
    return keys


def _event_key(event: TimelineEvent) -> str:
    return f"event:{event.date}:{_norm(event.text.text)}"


def only_new(digest: ThreadDigest, earlier: set[str], since: str) -> ThreadDigest:
    """The digest without what earlier briefs already showed of its thread, in the same words
    or in others (a sentence that repeats one shown, `novelty.repeats`; a figure of the same
    amount; a timeline event, which the thread page keeps); `unchanged` when no new sentence
    or figure is left (a story is never sent again without a new fact)."""
    if not earlier:
        return digest
    meanings = [novelty.from_key(k[len("meaning:") :]) for k in earlier if k.startswith("meaning:")]

    def known(text: str) -> bool:
        if "sentence:" + _norm(text) in earlier:
            return True
        return novelty.repeats_any(novelty.signature(text), meanings)

    def fresh(items: tuple[Sentence, ...]) -> tuple[Sentence, ...]:
        return tuple(s for s in items if not known(s.text))

    overview, why, tldr = fresh(digest.overview), fresh(digest.why_it_matters), fresh(digest.tldr)
    figures = tuple(
        f
        for f in digest.figures
        if "figure:" + _norm(f.value) not in earlier and "figure:" + _amount(f.value) not in earlier
    )
    unchanged = not (overview or tldr or figures)
    return replace(
        digest,
        timeline=tuple(e for e in digest.timeline if _event_key(e) not in earlier),
        overview=overview,
        why_it_matters=why,
        tldr=tldr,
        figures=figures,
        audience=fresh(digest.audience),
        since=since,
        unchanged=unchanged,
    )


def _amount(value: str) -> str:
    """A figure's kind and amount, so "$14.3B" and "$14.3 billion" are one figure ("" if none)."""
    return next((t for t in novelty.signature(value) if t.startswith("#")), "")


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))

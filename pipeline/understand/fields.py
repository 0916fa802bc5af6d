"""Digest fields: from a thread's articles and their facts to what its digest shows beside the
summary, each traceable to a sentence of a source: key figures, timeline, people and
organizations, voices, tags, the impact / horizon / tone badges, "what this means for
<audience>", a comparison table, and the connections between threads.

The badges follow fixed rules on signals counted in the articles (README: "How badges are
decided"); nothing here writes a word that is not in a source, except the badge names.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pipeline.models import (
    Article,
    Comparison,
    Connection,
    DigestFields,
    Involved,
    KeyFigure,
    Sentence,
    ThreadDigest,
    TimelineEvent,
    Voice,
)
from pipeline.text.sentences import split_sentences
from pipeline.text.words import COMMON_WORDS, WORD
from pipeline.understand.facts import ArticleFacts, Event, Figure, Mention, Quote, money_amount
from pipeline.understand.headings import audience_groups, changes_for


@dataclass(frozen=True)
class FieldsTuning:
    """How much each panel shows, and when two sentences tell one event. Set by hand on the demo
    corpus and the seeds when the fields were written (commit f54a562); `make bench` scores the
    fields against tests/data/demo_gold.json and the seeds' gold."""

    max_figures: int = 6
    max_events: int = 10
    max_people: int = 8
    max_voices: int = 3
    max_tags: int = 8
    min_count: int = 10  # "two people", "three countries": context, not indicators
    same_event: float = 0.3  # word overlap at which two sentences of one date tell one event
    same_audience: float = 0.5  # word overlap at which two audience sentences say the same
    sentence_words: tuple[int, int] = (
        6,
        60,
    )  # a connecting or audience sentence: not a fragment, not a run-on
    # how much a kind of figure counts towards being a key indicator (ties: the longer label)
    figure_weights: tuple[tuple[str, int], ...] = (
        ("money", 3),
        ("percent", 2),
        ("multiple", 2),
        ("score", 2),
        ("count", 1),
    )


TUNING = FieldsTuning()

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
CONSEQUENCE = re.compile(
    r"\b(means?|could|would|will|should|must|may|signals?|implications?|forces?|choice|decide|depend\w*|"
    r"switch\w*|migrat\w*|access|cost\w*|options?)\b",
    re.IGNORECASE,
)


def digest_fields(
    articles: Sequence[Article],
    facts: Mapping[str, ArticleFacts],
    keywords: Sequence[str],
    shown: Iterable[str],
    earlier_events: Sequence[TimelineEvent] = (),
    audience: str = "readers",
    earlier_roles: Sequence[Involved] = (),
) -> DigestFields:
    """The facts-based fields of one thread's digest. `shown` are sentences already in the
    overview / why it matters / TL;DR (not repeated); `earlier_events` are the thread's
    events from earlier briefs, kept so the timeline grows; `audience` is who the brief is for
    ("What this means for <audience>"); `earlier_roles` the roles its people and organisations
    were given in earlier briefs, shown when today's articles give none."""
    by_id = {a.id: a for a in articles}
    all_facts = [facts[a.id] for a in articles if a.id in facts]
    figures = _key_figures([f for fa in all_facts for f in fa.figures], keywords)
    timeline = _timeline([e for fa in all_facts for e in fa.events], by_id, earlier_events)
    kept = {i.name: i for i in earlier_roles if i.role}
    today = [s for a in articles for s in split_sentences(a.text)] if kept else []
    people = _involved([m for fa in all_facts for m in fa.mentions if m.kind == "person"], kept, today)
    orgs = _involved([m for fa in all_facts for m in fa.mentions if m.kind == "org"], kept, today)
    voices = _voices([q for fa in all_facts for q in fa.quotes])
    text = " ".join(a.text for a in articles)
    used = set(shown)
    return DigestFields(
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
        audience=_audience_sentences(articles, used, audience),
        comparison=_comparison([f for fa in all_facts for f in fa.figures], orgs + people),
    )


def title_words(title: str) -> tuple[str, ...]:
    """A thread's keywords when none are configured: the capitalised words of its title."""
    return tuple(w for w in re.findall(r"[A-Z][\w'’-]+", title) if len(w) > 2)


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
    b_words = {w.lower() for w in WORD.findall(b.title) if w.lower() not in COMMON_WORDS}
    best: tuple[int, Sentence] | None = None
    for ref in a.sources:
        article = articles.get(ref.article_id)
        if article is None:
            continue
        for sentence in _sentences(article.text):
            hits = sum(1 for name in shared if name in sentence)
            if not hits:
                continue
            overlap = len(b_words & {w.lower() for w in WORD.findall(sentence)})
            score = hits + 2 * overlap
            if overlap and (best is None or score > best[0]):
                best = (score, Sentence(sentence, article.id))
    return best[1] if best else None


def _sentences(text: str) -> list[str]:
    shortest, longest = TUNING.sentence_words
    return [s for s in split_sentences(text) if shortest <= len(s.split()) <= longest]


def _key_figures(figures: Sequence[Figure], keywords: Sequence[str]) -> tuple[KeyFigure, ...]:
    """3–6 figures, ranked by how many sources report them, then by how central their sentence
    is (thread keywords in it); the same figure from several sources is shown once."""
    groups: dict[tuple[str, str, float], list[Figure]] = defaultdict(list)
    for f in figures:
        if f.kind == "count" and f.amount < TUNING.min_count:
            continue
        groups[(f.kind, f.unit, float(f"{f.amount:.3g}"))].append(f)
    kw = [k.lower() for k in keywords]

    def rank(group: list[Figure]) -> tuple[int, int, int]:
        sources = len({f.article_id for f in group})
        central = sum(1 for k in kw if k in group[0].sentence.lower())
        weight = dict(TUNING.figure_weights).get(group[0].kind, 0)
        return (sources, central + weight, len(group[0].label))

    ranked = sorted(groups.values(), key=rank, reverse=True)[: TUNING.max_figures]
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
    cited = [e for e in events if e.article_id in articles]  # ties broken by content, not by id
    for event in sorted(cited, key=lambda e: (e.date, articles[e.article_id].order)):
        article = articles.get(event.article_id)
        if article is None:
            continue
        cite = (article.source, article.url)
        when = event.iso
        if event.precision == "year" and article.published and event.date.year >= article.published.year:
            continue  # "this year", "in 2026": too vague to place on a timeline
        for i, known in enumerate(merged):
            if known.date == when and _similar(known.text.text, event.text) >= TUNING.same_event:
                if cite[0] not in {c[0] for c in known.cited}:
                    merged[i] = TimelineEvent(known.date, known.kind, known.text, (*known.cited, cite))
                break
        else:
            merged.append(TimelineEvent(when, event.kind, Sentence(event.text, event.article_id), (cite,)))
    merged.sort(key=lambda e: e.date)
    return tuple(merged[-TUNING.max_events :])


def _similar(a: str, b: str) -> float:
    wa = {w.lower() for w in WORD.findall(a)} - COMMON_WORDS
    wb = {w.lower() for w in WORD.findall(b)} - COMMON_WORDS
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


def _involved(
    mentions: Sequence[Mention], earlier: Mapping[str, Involved], today: Sequence[str] = ()
) -> tuple[Involved, ...]:
    """People (or organizations) by how many articles name them, with the role given most; with
    none given today, the role an earlier brief of the thread learnt ("a role, once learnt, is
    kept for the thread")."""
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
    ranked = sorted(articles, key=lambda n: (-len(articles[n]), -sum(roles[n].values()), n))[
        : TUNING.max_people
    ]
    out = []
    for n in ranked:
        kept = None if roles[n] else _earlier_role(n, earlier)
        surname = n.split()[-1]
        if (
            kept
            and kept.kind == "person"
            and (
                _MOVED_ON.search(kept.context.text)
                or any(surname in t and _MOVED_ON.search(t) for t in today)
            )
        ):
            kept = None  # an old role is not shown as current when a source says the person moved on
        out.append(
            Involved(
                name=n,
                kind=context[n].kind,
                role=roles[n].most_common(1)[0][0] if roles[n] else kept.role if kept else "",
                context=Sentence(context[n].sentence, context[n].article_id),
                role_from=kept.context if kept else None,
            )
        )
    return tuple(out)


_MOVED_ON = re.compile(
    r"\b(?:left|leaves|leaving|quit|quits|resign\w*|depart\w*|stepped down|steps down|exit\w*|fired|ousted|"
    r"retire\w*|former|ex-|replaced|succeeded|joined|joins|hired|appointed|named|promoted)\b",
    re.IGNORECASE,
)


def _earlier_role(name: str, earlier: Mapping[str, Involved]) -> Involved | None:
    """The role kept for `name`, or for the fuller name it is the surname of ("LeCun")."""
    if name in earlier:
        return earlier[name]
    longer = [i for n, i in earlier.items() if n.endswith(" " + name) or name.endswith(" " + n)]
    return longer[0] if len({i.role for i in longer}) == 1 else None


def _voices(quotes: Sequence[Quote]) -> tuple[Voice, ...]:
    """Up to three quotations, each from a different speaker, longest (most substantial) first;
    a named speaker before one the text leaves unnamed ("spokesman", "police")."""
    out: list[Voice] = []
    speakers: set[str] = set()
    for q in sorted(quotes, key=lambda q: (q.speaker[:1].islower(), -len(q.text))):
        if not q.speaker or q.speaker in speakers:
            continue
        speakers.add(q.speaker)
        out.append(Voice(q.text, q.speaker, q.article_id))
        if len(out) == TUNING.max_voices:
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
    return tuple(tags[: TUNING.max_tags])


def _category(timeline: Sequence[TimelineEvent]) -> str:
    """The most frequent kind of event in the thread; "news" when it has no dated event."""
    kinds = Counter(e.kind for e in timeline)
    return kinds.most_common(1)[0][0] if kinds else "news"


def _impact(articles: Sequence[Article], figures: Sequence[KeyFigure]) -> str:
    """High: 4+ distinct sources, or 3+ with a money figure of a billion or more.
    Medium: 2+ sources, or any money figure of 100 million or more. Low otherwise."""
    sources = {s for a in articles for s, _ in a.found_at} or {a.source for a in articles}
    big = max((money_amount(f.value) for f in figures), default=0.0)
    if len(sources) >= 4 or (len(sources) >= 3 and big >= 1e9):
        return "High"
    if len(sources) >= 2 or big >= 1e8:
        return "Medium"
    return "Low"


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


def _audience_sentences(articles: Sequence[Article], used: set[str], audience: str) -> tuple[Sentence, ...]:
    """Up to two sentences that say what changes for the people the brief is for: for a group
    of the brief's `audience` (`headings.changes_for`), on its own."""
    groups = audience_groups(audience)
    scored: list[tuple[int, Sentence]] = []
    for article in articles:
        for text in _sentences(article.text):
            if text in used or text.endswith("?") or not changes_for(text, groups):
                continue
            scored.append(
                (len(groups.findall(text)) + len(CONSEQUENCE.findall(text)), Sentence(text, article.id))
            )
    scored.sort(key=lambda s: -s[0])
    out: list[Sentence] = []
    for _, candidate in scored:
        if all(_similar(candidate.text, o.text) < TUNING.same_audience for o in out):
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
        words = WORD.findall(f.label.lower())
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

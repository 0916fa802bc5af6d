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
from dataclasses import dataclass, replace

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
from pipeline.understand.facts import (
    NEUTRAL,
    ArticleFacts,
    Event,
    Figure,
    Mention,
    Quote,
    in_lower_case,
    money_amount,
)
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
    same_count_from: float = 1e6  # counts this large are one figure whatever noun they count
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
    earlier_figures: Sequence[KeyFigure] = (),
    central: int | None = None,
) -> DigestFields:
    """The facts-based fields of one thread's digest. `shown` are sentences already in the
    overview / why it matters / TL;DR (not repeated); `earlier_events` are the thread's
    events from earlier briefs, kept so the timeline grows; `audience` is who the brief is for
    ("What this means for <audience>"); `earlier_roles` the roles its people and organisations
    were given in earlier briefs, shown when today's articles give none; `earlier_figures` the
    key figures of its last brief (each with the date it was first shown), kept while they are
    headline. `central`: how many of the articles, the most central first (they come in that
    order), the fields read the text of, as the run reads the facts of as many (None: all); a
    story of hundreds of articles had its text scanned whole, over half of a ~5,000-article
    run's summarizing."""
    by_id = {a.id: a for a in articles}
    all_facts = [facts[a.id] for a in articles if a.id in facts]
    figures = _key_figures([f for fa in all_facts for f in fa.figures], keywords, earlier_figures)
    history = _timeline([e for fa in all_facts for e in fa.events], by_id, earlier_events)
    timeline = history[-TUNING.max_events :]
    kept = {i.name: i for i in earlier_roles if i.role}
    today = [s for a in articles for s in split_sentences(a.text)] if kept else []
    people = _involved([m for fa in all_facts for m in fa.mentions if m.kind == "person"], kept, today)
    orgs = _involved([m for fa in all_facts for m in fa.mentions if m.kind == "org"], kept, today)
    people, orgs = (tuple(_cited_today(i, by_id) for i in group) for group in (people, orgs))
    voices = _voices([q for fa in all_facts for q in fa.quotes])
    read = articles[:central]  # what is read in the text itself, as the facts are
    text = " ".join(a.text for a in read)
    used = set(shown)
    return DigestFields(
        category=_category(history),
        figures=figures,
        timeline=timeline,
        people=people,
        orgs=orgs,
        voices=voices,
        tags=_tags(keywords, text, people, orgs),
        impact=_impact(articles, figures),
        horizon=_horizon(text),
        tone=_tone(text),
        audience=_audience_sentences(read, used, audience),
        comparison=_comparison([f for fa in all_facts for f in fa.figures], orgs + people, by_id),
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


def _key_figures(
    figures: Sequence[Figure], keywords: Sequence[str], earlier: Sequence[KeyFigure] = ()
) -> tuple[KeyFigure, ...]:
    """3–6 figures that have a label (a figure with no well-formed label is not an indicator),
    ranked by how many sources report them, then by how central their sentence is (thread
    keywords in it); the same figure from several sources is shown once, with the label of its
    first labelled sentence. The thread's key figures of its last brief stay, marked as reported
    earlier, while the slots allow and no figure of today gives the same measure anew."""
    groups: dict[tuple[str, str, float, float], list[Figure]] = defaultdict(list)
    for f in figures:
        if f.kind == "count" and f.amount < TUNING.min_count:
            continue
        # a count of millions is one fact whatever it counts ("3 billion daily users", "3 billion
        # people"): two of them in one thread are the same figure told by two sentences
        unit = "" if f.kind == "count" and f.amount >= TUNING.same_count_from else f.unit
        groups[(f.kind, unit, float(f"{f.amount:.3g}"), float(f"{f.high:.3g}"))].append(f)
    labelled = [[f for f in g if f.label] for g in groups.values()]
    kw = [k.lower() for k in keywords]

    def rank(group: list[Figure]) -> tuple[int, int, int]:
        sources = len({f.article_id for f in group})
        central = sum(1 for k in kw if k in group[0].sentence.lower())
        weight = dict(TUNING.figure_weights).get(group[0].kind, 0)
        return (sources, central + weight, len(group[0].label))

    ranked = sorted((g for g in labelled if g), key=rank, reverse=True)[: TUNING.max_figures]
    before = {_figure_key(k.value): k for k in earlier}
    out = [
        KeyFigure(
            value=g[0].value,
            label=g[0].label,
            context=Sentence(g[0].sentence, g[0].article_id),
            sources=len({f.article_id for f in g}),
            earlier=before[_figure_key(g[0].value)].earlier if _figure_key(g[0].value) in before else "",
        )
        for g in ranked
    ]
    shown = {_figure_key(k.value) for k in out}
    measures = {k.label.lower() for k in out}
    for k in earlier:
        if len(out) >= TUNING.max_figures:
            break
        if _figure_key(k.value) not in shown and k.label.lower() not in measures and k.earlier:
            out.append(k)  # still a headline figure of the thread: a later brief keeps it
            shown.add(_figure_key(k.value))
    return tuple(out)


def _figure_key(value: str) -> str:
    """A figure's value for comparison: "$14.3 billion" and "$14.3B" are one, "27" and "27%"
    two."""
    amount = money_amount(value)
    if amount:
        return f"money:{amount:.4g}"
    return re.sub(r"\s*(?:per ?cent|percent)\b", "%", "".join(value.lower().split()))


# an opening that leans on a sentence the reader of the timeline cannot see
_REFERENCE = re.compile(
    r"^(?:[“\"']\s*)?(?:(?:He|She|It|They|His|Her|Its|Their|This|That|These|Those|There|Then|Later|"
    r"Afterwards|Meanwhile|Earlier|Instead|Also)\b|(?:The|This|That)\s+(?:company|firm|group|club|"
    r"man|woman|boy|girl|couple|pair|player|star|team|side|move|deal|decision|agency|party|"
    r"government|country|lab|startup|star|singer|actor|official|suspect|victim)\b|(?:[A-Z][a-z]+|\d+|"
    r"A|An)\s+(?:days?|weeks?|months?|years?|hours?)\s+(?:later|earlier|after|before)\b|(?:The|A)\s+"
    r"(?:next|following|previous)\s+(?:day|week|month|year)\b)"
)
_PRONOUN = re.compile(r"^(?P<p>He|She|His|Her)\b")
_NAME = re.compile(r"^(?P<n>(?:[A-Z][\w’'.-]+\s+){0,3}[A-Z][\w’'.-]+)\s+(?:[a-z])")


def _standalone(event: Event, articles: Mapping[str, Article]) -> str | None:
    """The event's title as a reader can take it alone: a leading "He" / "She" resolved to the
    person the sentence before it names first, or None when it leans on a sentence the reader
    cannot see ("Two months later ...", "The company ...", "Her exit ...")."""
    title = event.title or event.text
    if not _REFERENCE.match(event.text):
        return title
    pronoun = _PRONOUN.match(title)
    article = articles.get(event.article_id)
    if pronoun is None or article is None:
        return None
    before = article.text[: article.text.find(event.text)]
    sentences = split_sentences(before.split("\n")[-1]) if before.strip() else []
    name = _NAME.match(sentences[-1]) if sentences else None
    if (
        name is None
        or _REFERENCE.match(sentences[-1])
        or name.group("n").split()[0] in ("The", "A", "In", "On")
    ):
        return None
    subject = name.group("n")
    if pronoun.group("p") in ("His", "Her"):
        subject = subject + ("’" if subject.endswith("s") else "’s")
    return subject + title[pronoun.end() :]


def _timeline(
    events: Sequence[Event], articles: Mapping[str, Article], earlier: Sequence[TimelineEvent]
) -> tuple[TimelineEvent, ...]:
    """Dated events, oldest first, one entry per event: one event told by several sentences or
    sources is shown once, by its clearest sentence (its own title, the fewest words), citing
    all; an event kept from an earlier brief keeps the sentence it was shown with (a reader saw
    it so, and the thread page lists it once); an event that leans on a sentence the reader
    cannot see is left out."""
    merged: list[TimelineEvent] = list(earlier)
    kept = len(merged)  # the entries before it are the earlier briefs'
    told = [e for e in events if e.article_id in articles]  # ties broken by content, not by id
    for event in sorted(told, key=lambda e: (e.date, articles[e.article_id].order)):
        article = articles.get(event.article_id)
        if article is None:
            continue
        cite = (article.source, article.url)
        when = event.iso
        if event.precision == "year" and article.published and event.date.year >= article.published.year:
            continue  # "this year", "in 2026": too vague to place on a timeline
        title = _standalone(event, articles)
        if title is None:
            continue
        for i, known in enumerate(merged):
            # dates joined by "and" in one clause ("in 2023 and 2024") are one entry, at the first
            same = known.text.text == event.text and (known.title == title or known.date == when)
            if same or (known.date == when and _same_event(known, event)):
                clearer = (
                    i >= kept
                    and len(event.text.split()) < len(known.text.text.split())
                    and known.text.text != event.text
                )
                cited = known.cited if cite[0] in {c[0] for c in known.cited} else (*known.cited, cite)
                kind = event.kind if known.kind == NEUTRAL else known.kind
                if clearer:
                    merged[i] = TimelineEvent(
                        known.date, kind, Sentence(event.text, event.article_id), cited, title
                    )
                else:
                    merged[i] = replace(known, cited=cited, kind=kind if i >= kept else known.kind)
                break
        else:
            merged.append(
                TimelineEvent(when, event.kind, Sentence(event.text, event.article_id), (cite,), title)
            )
    merged.sort(key=lambda e: e.date)
    return tuple(merged)


def _same_event(known: TimelineEvent, event: Event) -> bool:
    """Two sentences of one date tell one event: they are not of two different sure kinds (a
    launch and the shares' fall of the next day are two), and they share most of their words,
    or they are of the same sure kind and name the same person or organisation ("Quill left
    Vantor" and "Quill's departure from Vantor"). An event of no sure kind is one with another
    only when their titles, what each says happened, share half their words ("Analysts were
    divided over Muse Spark" and "Meta shares slipped 0.8%" on one Thursday are two)."""
    if NEUTRAL not in (known.kind, event.kind) and known.kind != event.kind:
        return False
    if NEUTRAL in (known.kind, event.kind):
        return _similar(known.title or known.text.text, event.title or event.text) >= 0.5
    if _similar(known.text.text, event.text) >= TUNING.same_event:
        return True
    if known.kind != event.kind or event.kind == NEUTRAL:
        return False
    return bool(_names(known.text.text) & _names(event.text))


def _names(text: str) -> set[str]:
    """The capitalised words of a sentence but its first: the names it speaks of."""
    words = WORD.findall(text)
    return {w.strip("’'s") for w in words[1:] if w[:1].isupper() and w.lower() not in COMMON_WORDS}


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
                role=in_lower_case(roles[n].most_common(1)[0][0]) if roles[n] else kept.role if kept else "",
                context=Sentence(context[n].sentence, context[n].article_id),
                role_from=kept.context if kept else None,
                role_cited=kept.role_cited if kept else (),
            )
        )
    return tuple(out)


def _cited_today(involved: Involved, today: Mapping[str, Article]) -> Involved:
    """A role kept from before whose sentence is in one of today's articles is cited there."""
    said = involved.role_from
    if said is None or said.article_id not in today:
        return involved
    return replace(involved, context=said, role_from=None, role_cited=())


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
    """The most frequent kind of event in the thread's whole timeline (not only its latest
    entries); "news" when it has no dated event of a sure kind (the neutral "event" is none)."""
    kinds = Counter(e.kind for e in timeline if e.kind != NEUTRAL)
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


_SUBJECT = re.compile(
    r"(?:[A-Z][\w.-]*(?:\s+(?:[A-Z0-9][\w.-]*))*)(?:\s+and\s+(?:[A-Z][\w.-]*(?:\s+(?:[A-Z0-9][\w.-]*))*))?"
)
_THE_SUBJECT = re.compile(r"\b(?:the|its) (?:model|company|firm|system|startup|product|phone|chip)\b")


def _comparison(
    figures: Sequence[Figure], involved: Sequence[Involved], articles: Mapping[str, Article] | None = None
) -> Comparison | None:
    """One measure (a figure's label and unit: "Intelligence Index score", "valuation") given
    for three or more subjects. A figure's subjects are the names right before it in its clause
    ("GPT-5.4 and Gemini 3.1 Pro at 57", "Ostrava Systems scored 71"; "the model" is the one
    its article's title names first), else a name of the panel in its sentence. The rows cite
    the sentences that give them."""
    names = [i.name for i in involved]
    by_measure: dict[tuple[str, str], dict[str, tuple[str, str, str]]] = defaultdict(dict)
    for f in figures:
        if not f.label:
            continue
        for entity in _subjects_of(f, names, articles or {}):
            by_measure[(f.label.lower(), f.unit)].setdefault(entity, (f.value, f.article_id, f.sentence))
    best = max(by_measure.items(), key=lambda kv: len(kv[1]), default=None)
    if best is None or len(best[1]) < 3:
        return None
    (_, _), rows = best
    label = next(f.label for f in figures if f.label.lower() == best[0][0])
    sources: list[Sentence] = []
    for _, (_, article_id, sentence) in rows.items():
        if all(s.text != sentence for s in sources):
            sources.append(Sentence(sentence, article_id))
    return Comparison(label, tuple((e, v, a) for e, (v, a, _) in rows.items()), tuple(sources))


def _subjects_of(figure: Figure, names: Sequence[str], articles: Mapping[str, Article]) -> list[str]:
    """Who a figure is of: the names just before it, after the figure before it."""
    at = figure.sentence.find(figure.value)
    if at < 0:
        return []
    head = figure.sentence[:at]
    cut = max(
        head.rfind(","), head.rfind(";"), *(head.rfind(p) for p in (" behind ", " ahead of ", " than "))
    )
    lead = head[cut + 1 :] if cut >= 0 else head
    words = lead.split()
    found: list[str] = []
    found_at = -1
    for m in _SUBJECT.finditer(lead):
        if m.group(0).split()[0] in ("The", "A", "An", "In", "On", "At", "Independent"):
            continue
        found, found_at = [n.strip() for n in re.split(r"\s+and\s+", m.group(0))], m.start()
    the = _THE_SUBJECT.search(lead)
    if found and not (the and the.start() > found_at):
        return found
    article = articles.get(figure.article_id)
    if the and article is not None and words:
        title = _SUBJECT.search(article.title)
        return [title.group(0)] if title else []
    entity = next((n for n in names if n in figure.sentence), None)
    return [entity] if entity else []

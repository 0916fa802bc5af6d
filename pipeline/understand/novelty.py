"""What is new since the last brief: a digest without what earlier briefs of its thread showed,
in the same words or in others (the rules of `pipeline/understand/facts/meaning.py`)."""

from __future__ import annotations

from dataclasses import replace

from pipeline.models import Sentence, ThreadDigest, TimelineEvent
from pipeline.text.words import WORD
from pipeline.understand.facts import meaning


def shown_keys(digest: ThreadDigest) -> set[str]:
    """What a digest shows a reader, as keys a later brief can compare against: each sentence
    as text and as its meaning (`meaning.key`), each figure as text and as its amount."""
    sentences = (*digest.overview, *digest.why_it_matters, *digest.tldr, *digest.audience)
    keys = {"sentence:" + _norm(s.text) for s in sentences}
    keys |= {"meaning:" + meaning.key(s.text) for s in sentences}
    keys |= {"figure:" + _figure_text(f.value) for f in digest.figures}
    keys |= {"figure:" + a for f in digest.figures if (a := _amount(f.value))}
    keys |= {_event_key(e) for e in digest.timeline}
    return keys


def _event_key(event: TimelineEvent) -> str:
    return f"event:{event.date}:{_norm(event.text.text)}"


def only_new(digest: ThreadDigest, earlier: set[str], since: str) -> ThreadDigest:
    """The digest without what earlier briefs already showed of its thread, in the same words
    or in others (a sentence that repeats one shown, `meaning.repeats`; a figure of the same
    amount, unless marked as reported earlier; a timeline event, which the thread page keeps);
    `unchanged` when no new sentence or figure is left (a story is never sent again without a
    new fact)."""
    if not earlier:
        return digest
    meanings = [meaning.from_key(k[len("meaning:") :]) for k in earlier if k.startswith("meaning:")]

    def known(text: str) -> bool:
        if "sentence:" + _norm(text) in earlier:
            return True
        return meaning.repeats_any(meaning.signature(text), meanings)

    def fresh(items: tuple[Sentence, ...]) -> tuple[Sentence, ...]:
        return tuple(s for s in items if not known(s.text))

    overview, why, tldr = fresh(digest.overview), fresh(digest.why_it_matters), fresh(digest.tldr)
    # a figure shown before stays when it is marked as reported earlier (a headline figure the
    # thread keeps); only a figure no brief showed counts as news
    figures = tuple(
        f
        for f in digest.figures
        if f.earlier
        or (
            "figure:" + _figure_text(f.value) not in earlier
            and ("figure:" + _amount(f.value) not in earlier or not _amount(f.value))
        )
    )
    unchanged = not (overview or tldr or any(not f.earlier for f in figures))
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
    # the smallest amount: a range ("$115 billion to $135 billion") holds two, and which one a
    # set gives first depends on the hash seed
    return min((t for t in meaning.signature(value) if t.startswith("#")), default="")


def _figure_text(value: str) -> str:
    """A figure as written, in lower case ("$14.3 billion", "71"): its amount is part of it, so a
    figure shown before never hides another amount in the same words ("$20 billion")."""
    return " ".join(value.lower().split())


def _norm(text: str) -> str:
    return " ".join(WORD.findall(text.lower()))

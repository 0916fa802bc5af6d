"""A thread's articles → a `Summary` of sentences picked verbatim from them.

Offline and extractive: nothing is written that is not in a source. Sentences are scored by
how central they are to the thread (TF-IDF cosine to the thread's centroid), how much other
sources say the same, and where they sit in their article (news puts the point first); the
overview and the TL;DR are chosen with maximal marginal relevance so they do not repeat each
other. "Why it matters" takes only sentences that state an effect on someone, and a TL;DR bullet
only one that reads on its own (`headings.py` has the rules); with none, the section is empty.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.models import Article, Sentence, SourceRef, Summary, Thread
from pipeline.text.sentences import split_sentences
from pipeline.understand.facts import meaning
from pipeline.understand.headings import (
    leans_on_before,
    reads_alone,
    sentence_key,
    states_consequence,
    without_connective,
)
from pipeline.understand.tfidf import cosine, tfidf_rows

WORDS_PER_MINUTE = 230


@dataclass(frozen=True)
class SummaryTuning:
    overview_sentences: int = 3
    overview_extra: int = 2  # more overview sentences when TL;DR bullets that read alone are few
    why_sentences: int = 2
    tldr_bullets: int = 4
    min_words: int = 8
    max_words: int = 45
    bullet_words: int = 35  # a TL;DR bullet is at most this long
    diversity: float = 0.65  # MMR: weight on relevance against redundancy
    lead_bonus: float = 0.15  # bonus for the first sentences of an article
    agreement_weight: float = 0.3  # weight on similarity to other sources' sentences
    dangling_penalty: float = 0.6  # score factor for a sentence that needs the one before it
    title_weight: float = 0.5  # weight on similarity to the articles' titles
    max_redundancy: float = 0.6  # a sentence closer than this to one picked says the same
    spread_penalty: float = 0.05  # cost of a second sentence from one article, to spread the picks
    # sentences are drawn from the thread's most relevant articles, the first of each: the
    # similarities of every pair of candidates are held at once (at 59 articles of ~80
    # sentences, 78 MB, the peak of a run of 5,000 articles; `make bench`)
    max_articles: int = 24
    max_sentences: int = 60


@dataclass(frozen=True)
class _Candidate:
    text: str
    article_index: int
    position: int


def summarize_thread(
    thread: Thread,
    articles: Sequence[Article],
    tuning: SummaryTuning = SummaryTuning(),
    shown: Collection[str] = (),
) -> Summary:
    """The summary of one thread from its articles (in the thread's order, most relevant
    first): headline, overview, why it matters, TL;DR, and its sources numbered by date.
    `shown` are sentences the brief already shows (in a thread above that shares an article):
    the summary takes its next candidates instead."""
    if not articles:
        raise ValueError(f"thread {thread.id} has no articles")
    ordered = sorted(articles, key=lambda a: a.order)
    refs = tuple(SourceRef.of(n, a) for n, a in enumerate(ordered, start=1))
    candidates = _candidates(articles, tuning, {sentence_key(t) for t in shown})
    picks: dict[str, list[Sentence]] = {"overview": [], "why": [], "tldr": []}
    if candidates:
        scores, sims = _score(candidates, articles, tuning)
        chosen: list[int] = []
        overview = _mmr(scores, sims, chosen, tuning.overview_sentences, tuning, candidates, after=())
        chosen += overview
        # why it matters states an effect on someone; none that does, no section
        consequence = np.array([states_consequence(c.text) for c in candidates])
        why = _mmr(scores, sims, chosen, tuning.why_sentences, tuning, candidates, require=consequence)
        chosen += why
        # a bullet is read on its own: short, and leaning on no sentence the reader cannot see
        bullet = np.array(
            [len(c.text.split()) <= tuning.bullet_words and reads_alone(c.text) for c in candidates]
        )
        tldr = _mmr(scores, sims, chosen, tuning.tldr_bullets, tuning, candidates, require=bullet)
        chosen += tldr
        # the bullets that could not be had (too few sentences read alone) leave their room to
        # the overview, which is read in order and says the rest
        room = min(tuning.tldr_bullets - len(tldr) + tuning.why_sentences - len(why), tuning.overview_extra)
        if room > 0:
            overview += _mmr(scores, sims, chosen, room, tuning, candidates, after=overview)
        # keep the overview in reading order: by article, then position
        overview.sort(key=lambda i: (candidates[i].article_index, candidates[i].position))
        for key, indexes in (("overview", overview), ("why", why), ("tldr", tldr)):
            for i in indexes:
                c = candidates[i]
                picks[key].append(Sentence(c.text, articles[c.article_index].id))
    lead = articles[0]
    words = sum(a.word_count for a in articles)
    dates = [a.published for a in articles if a.published is not None]
    return Summary(
        thread_id=thread.id,
        title=thread.title,
        kind=thread.kind,
        headline=Sentence(lead.title, lead.id),
        overview=tuple(picks["overview"]) or _first_paragraph(lead),
        why_it_matters=tuple(picks["why"]),
        tldr=tuple(picks["tldr"]),
        sources=refs,
        new_articles=len(articles),
        reading_minutes=max(1, math.ceil(words / WORDS_PER_MINUTE)),
        date=max(dates) if dates else None,
    )


def _first_paragraph(article: Article) -> tuple[Sentence, ...]:
    """The overview of last resort: the article's first paragraph, if it has any text."""
    first = next((p.strip() for p in article.text.split("\n") if p.strip()), "")
    return (Sentence(first, article.id),) if first else ()


def _candidates(
    articles: Sequence[Article], tuning: SummaryTuning, shown: Collection[str] = ()
) -> list[_Candidate]:
    out: list[_Candidate] = []
    seen: set[str] = set(shown)
    for index, article in enumerate(articles[: tuning.max_articles]):
        for position, sentence in enumerate(split_sentences(article.text)[: tuning.max_sentences]):
            n = len(sentence.split())
            key = sentence_key(sentence)
            if not tuning.min_words <= n <= tuning.max_words or key in seen:
                continue
            if sentence.endswith(("?", ":")) or sentence[-1:] not in '.!"”’)' or not sentence[0].isalnum():
                continue  # questions, lead-ins, list items and fragments make poor summary sentences
            seen.add(key)
            # shown less an opening connective that links it to a sentence the reader may not see
            out.append(_Candidate(without_connective(sentence), index, position))
    return out


def _score(
    candidates: Sequence[_Candidate], articles: Sequence[Article], tuning: SummaryTuning
) -> tuple[np.ndarray, np.ndarray]:
    texts = [c.text for c in candidates]
    matrix = tfidf_rows(texts + [a.title for a in articles])
    if not matrix.nnz:  # only stop words
        n = len(candidates)
        return np.ones(n), np.eye(n)
    sent = matrix[: len(texts)]
    centroid = np.asarray(sent.mean(axis=0))
    titles = matrix[len(texts) :]
    relevance = cosine(sent, centroid).ravel()
    title_sim = cosine(sent, titles).max(axis=1).ravel() if titles.shape[0] else 0
    sims = cosine(sent)
    owners = np.array([c.article_index for c in candidates])
    other = owners[:, None] != owners[None, :]
    agreement = np.where(other, sims, 0).max(axis=1) if len(articles) > 1 else np.zeros(len(texts))
    lead = np.array([tuning.lead_bonus * max(0.0, 1 - c.position / 4) for c in candidates])
    scores = relevance + tuning.title_weight * title_sim + tuning.agreement_weight * agreement + lead
    return np.asarray(scores, dtype=float), np.asarray(sims, dtype=float)


def _before(candidates: Sequence[_Candidate]) -> np.ndarray:
    """For each candidate, the index of the candidate just before it in its article, or
    len(candidates) when that sentence is no candidate."""
    where = {(c.article_index, c.position): i for i, c in enumerate(candidates)}
    return np.array(
        [where.get((c.article_index, c.position - 1), len(candidates)) for c in candidates], dtype=int
    )


def _mmr(
    scores: np.ndarray,
    sims: np.ndarray,
    chosen: Sequence[int],
    k: int,
    tuning: SummaryTuning,
    candidates: Sequence[_Candidate],
    require: np.ndarray | None = None,
    after: Sequence[int] | None = None,
) -> list[int]:
    """Up to `k` candidates by maximal marginal relevance, none of `chosen`, each of `require`
    when given. `after`: the section is read in order and holds these already, so a sentence
    that opens on the one before is not penalised right after it."""
    picked: list[int] = []
    taken = list(chosen)
    said: dict[int, frozenset[str]] = {}

    def says_again(i: int) -> bool:
        for j in (i, *taken):
            if j not in said:
                said[j] = meaning.signature(candidates[j].text)
        return meaning.repeats_any(said[i], [said[j] for j in taken])

    # one pass over the candidates per pick, as arrays: a big thread has thousands of them
    open_ = np.ones(len(scores), dtype=bool) if require is None else np.array(require, dtype=bool)
    open_[taken] = False
    redundancy = sims[:, taken].max(axis=1) if taken else np.zeros(len(scores))
    owner = np.array([c.article_index for c in candidates])
    per_article = np.zeros(int(owner.max()) + 1 if len(owner) else 0)
    lean = np.array([leans_on_before(c.text) for c in candidates], dtype=bool)
    before = _before(candidates)
    in_section = np.zeros(len(scores) + 1, dtype=bool)  # the last slot stands for "no sentence before"
    if after is not None:
        in_section[list(after)] = True
    while len(picked) < k:
        # a sentence that opens on the one before costs its score, unless that one is shown
        # right before it (an overview is read in order: "He said ..." after the sentence naming him)
        leaning_cost = np.where(lean & ~in_section[before], tuning.dangling_penalty, 1.0)
        # too close to a sentence already shown says the same; a second sentence of one
        # article costs a little, to spread the picks over sources
        value = (
            tuning.diversity * scores * leaning_cost
            - (1 - tuning.diversity) * redundancy
            - tuning.spread_penalty * per_article[owner]
        )
        eligible = open_ & (redundancy <= tuning.max_redundancy) & np.isfinite(value)
        if not eligible.any():
            break
        best = int(np.argmax(np.where(eligible, value, -np.inf)))
        open_[best] = False
        if says_again(best):  # says in other words what a taken sentence says
            continue
        picked.append(best)
        taken.append(best)
        if after is not None:
            in_section[best] = True
        redundancy = np.maximum(redundancy, sims[:, best])
        per_article[owner[best]] += 1
    return picked

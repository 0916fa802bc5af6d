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
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.models import Article, Sentence, SourceRef, Summary, Thread
from pipeline.text.sentences import split_sentences
from pipeline.understand.facts import meaning
from pipeline.understand.headings import reads_alone, states_consequence
from pipeline.understand.tfidf import cosine, tfidf_rows

WORDS_PER_MINUTE = 230


@dataclass(frozen=True)
class SummaryTuning:
    overview_sentences: int = 3
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
) -> Summary:
    """The summary of one thread from its articles (in the thread's order, most relevant
    first): headline, overview, why it matters, TL;DR, and its sources numbered by date."""
    if not articles:
        raise ValueError(f"thread {thread.id} has no articles")
    ordered = sorted(articles, key=lambda a: a.order)
    refs = tuple(SourceRef.of(n, a) for n, a in enumerate(ordered, start=1))
    candidates = _candidates(articles, tuning)
    picks: dict[str, list[Sentence]] = {"overview": [], "why": [], "tldr": []}
    if candidates:
        scores, sims = _score(candidates, articles, tuning)
        chosen: list[int] = []
        overview = _mmr(scores, sims, chosen, tuning.overview_sentences, tuning, candidates)
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


def _candidates(articles: Sequence[Article], tuning: SummaryTuning) -> list[_Candidate]:
    out: list[_Candidate] = []
    seen: set[str] = set()
    for index, article in enumerate(articles[: tuning.max_articles]):
        for position, sentence in enumerate(split_sentences(article.text)[: tuning.max_sentences]):
            n = len(sentence.split())
            key = " ".join(sentence.lower().split())
            if not tuning.min_words <= n <= tuning.max_words or key in seen:
                continue
            if sentence.endswith(("?", ":")) or sentence[-1:] not in '.!"”’)' or not sentence[0].isalnum():
                continue  # questions, lead-ins, list items and fragments make poor summary sentences
            seen.add(key)
            out.append(_Candidate(sentence, index, position))
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
    scores = scores * np.array([1.0 if reads_alone(t) else tuning.dangling_penalty for t in texts])
    return np.asarray(scores, dtype=float), np.asarray(sims, dtype=float)


def _mmr(
    scores: np.ndarray,
    sims: np.ndarray,
    chosen: Sequence[int],
    k: int,
    tuning: SummaryTuning,
    candidates: Sequence[_Candidate],
    require: np.ndarray | None = None,
) -> list[int]:
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
    while len(picked) < k:
        # too close to a sentence already shown says the same; a second sentence of one
        # article costs a little, to spread the picks over sources
        value = (
            tuning.diversity * scores
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
        redundancy = np.maximum(redundancy, sims[:, best])
        per_article[owner[best]] += 1
    return picked

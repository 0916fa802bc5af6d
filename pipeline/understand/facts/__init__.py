"""One article → its facts: key figures, dated events, people and organisations, quotations.

Offline, rule-based and explainable, like the rest of the pipeline: nothing is inferred that the
text does not say, every `sentence`/`text` field is a verbatim substring of `article.text`, and
there is no list of known people or companies: names are found by their shape and by the words
around them, so the rules work on names they have never seen (`benchmarks/fact_scoring.py`
scores the output against hand-annotated gold). Each step's rules are documented in its module:

    module     holds
    models     Figure, Event, Mention, Quote, ArticleFacts: what `extract_facts` returns
    text       sentences with their offsets; the clause and window helpers the rules share
    words      shared word lists (generic English, no names)
    figures    money, percentages, multiples, counts and scores
    labels     the label of a figure, from the words of its clause
    dates      dates in the text, resolved against the article's `published` date
    events     one event per dated sentence; its kind by EVENT_RULES (`event_kind`)
    names      candidate names: runs of capitalised tokens, titles stripped into the role
    kinds      what a name's own words say it is: titles, nationalities, places, events, works
    cues       the person / organisation / product / place cues and roles around a name
    entities   occurrences merged into entities, classified, reported as mentions
    quotes     quotations and their speakers
    meaning    whether one sentence says what another said (the summarizer, what's new)
"""

from __future__ import annotations

from pipeline.models import Article
from pipeline.understand.facts.entities import _entities, _mentions, in_lower_case
from pipeline.understand.facts.events import EVENT_RULES, NEUTRAL, _events, event_kind
from pipeline.understand.facts.figures import _figures, money_amount
from pipeline.understand.facts.models import ArticleFacts, Event, Figure, Mention, Quote
from pipeline.understand.facts.names import _candidates
from pipeline.understand.facts.quotes import _quotes
from pipeline.understand.facts.text import _sentences

__all__ = [
    "EVENT_RULES",
    "NEUTRAL",
    "ArticleFacts",
    "Event",
    "Figure",
    "Mention",
    "Quote",
    "event_kind",
    "extract_facts",
    "in_lower_case",
    "money_amount",
]


def extract_facts(article: Article) -> ArticleFacts:
    """Figures, dated events, people and organisations, and quotations of one article."""
    paragraphs, sentences = _sentences(article.text)
    anchor = article.published.date() if article.published else None
    figures = _figures(article.id, sentences)
    events = _events(article.id, sentences, anchor)
    entities = _entities(_candidates(sentences), sentences)
    mentions = _mentions(article.id, entities, sentences)
    quotes = _quotes(article.id, paragraphs, sentences, entities)
    return ArticleFacts(tuple(figures), tuple(events), tuple(mentions), tuple(quotes))

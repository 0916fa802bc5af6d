"""Understand: articles become threads, facts and digests, every sentence taken from a source.

threads        configured threads (configured.py: a story, not a subject) and emerging stories
clustering     the grouping both share (tfidf: the vectors they compare)
rank           which threads a brief shows, in which order
facts          one article's figures, dated events, people, organisations and quotes
summarize      a thread's headline, overview, why it matters and TL;DR
fields         a digest's figures, timeline, people, voices, badges and connections
disagreements  where sources give a figure or a date differently
novelty        what is new since the last brief
llm            an optional model's rewrite, kept only when grounded
"""

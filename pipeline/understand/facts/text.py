"""Sentences of an article, and the clause and window helpers the rules share.

Every `sentence` / `text` field of the facts is a verbatim substring of `article.text`: sentences
come from `sentences.split_sentences`, paragraph by paragraph, with their offset in the paragraph.
A "sentence" longer than `_MAX_SENTENCE` characters is a list, a table or debris, not prose, and
no facts are read from it. `_clause_around` is the clause of a span: between commas, dashes,
colons and words such as when / after / which / who / while / but (dates and events read it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.text.sentences import split_sentences

# A "sentence" longer than this is a list, a table or debris, not prose: no facts are read from it
# (which also keeps the work per article linear in its length).
_MAX_SENTENCE = 1000


@dataclass(frozen=True)
class _Sentence:
    text: str
    paragraph: int
    start: int  # offset in its paragraph

    @property
    def prose(self) -> bool:
        return len(self.text) <= _MAX_SENTENCE


def _sentences(text: str) -> tuple[list[str], list[_Sentence]]:
    paragraphs = [p for p in (line.strip() for line in text.split("\n")) if p]
    out: list[_Sentence] = []
    for number, paragraph in enumerate(paragraphs):
        cursor = 0
        for sentence in split_sentences(paragraph):
            at = paragraph.find(sentence, cursor)
            if at < 0:  # cannot happen (split_sentences is verbatim); stay safe
                at = paragraph.find(sentence)
            out.append(_Sentence(sentence, number, max(at, 0)))
            cursor = max(at, 0) + len(sentence)
    return paragraphs, out


def _word_count(text: str) -> int:
    return len(text.split())


_EVENT_CLAUSE_STOP = re.compile(
    r"[,;:()“”\"—–]|\s(?:when|after|before|while|but|although|though|because|which|who|whereas)\s"
)


def _clause_around(sentence: str, start: int, end: int) -> str:
    lo, hi = 0, len(sentence)
    for m in _EVENT_CLAUSE_STOP.finditer(sentence):
        if m.end() <= start:
            lo = m.end()
        elif m.start() >= end:
            hi = m.start()
            break
    return sentence[lo:hi]


_WINDOW = 240  # characters of context read on each side of a name

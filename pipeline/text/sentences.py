"""Splitting text into sentences, each one verbatim: every summary, figure and quote cites one."""

from __future__ import annotations

import re

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "no",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "gov",
        "sen",
        "rep",
        "gen",
        "col",
        "lt",
        "sgt",
        "adm",
        "capt",
        "cmdr",
        "maj",
        "cpl",
        "supt",
        "insp",
        "rev",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "u.n",
        "a.m",
        "p.m",
        "approx",
        "est",
        "fig",
    ]
)
_SENTENCE_END = re.compile(r"(?<=[.!?])([\"”’')\]]*)\s+(?=[\"“‘'(\[]?[A-Z0-9$€£])")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences, keeping each one verbatim (a substring of `text`)."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            end = match.end(1)
            candidate = paragraph[start:end]
            last_word = re.findall(r"([A-Za-z.]+)\.[\"”’')\]]*$", candidate)
            if last_word and last_word[0].lower().rstrip(".") in _ABBREVIATIONS:
                continue
            if last_word and len(last_word[0]) == 1 and last_word[0].isupper():  # an initial: "J. Smith"
                continue
            out.append(candidate.strip())
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            out.append(tail)
    return out

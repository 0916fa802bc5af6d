"""Candidate names: runs of capitalised tokens, found by their shape.

Candidate names are runs of capitalised tokens (with "&", particles such as de / van / von, and
"of" after Institute, University, ...), minus function words, months, weekdays and common
acronyms (AI, CEO, ...). A sentence's first word counts only when it is also capitalised inside
a sentence elsewhere, is possessive, is followed by a speech verb or an appositive, or has inner
capitals (LeCun, AMI). Each occurrence then collects cues from the words around it (see `cues`).

Persons must have a name's shape (`_person_shaped`): 2-4 capitalised words, no digits, no
organisation word (Labs, Capital, ...) and no word that names a thing (Award, Index, Park).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.text.calendar import MONTHS, WEEKDAYS
from pipeline.understand.facts.text import _Sentence
from pipeline.understand.facts.words import (
    _NAME_CONNECTORS,
    _OF_ORG_WORDS,
    _ORG_NOUNS,
    _ORG_WORDS,
    _PRODUCT_NOUNS,
    _ROLE_NOUNS,
    _SPEECH_VERBS,
    _STOPCAPS,
    _THING_WORDS,
)

_TOKEN = re.compile(r"\w+(?:[’'.\-/]\w+)*|[^\w\s]")
_NAMELIKE = re.compile(r"^[^\W\d_][^\W\d_]*(?:[-’'][^\W\d_]+)*$")
_OPENERS = ("“", '"', ":", "‘", "(", "—", "–")
_ADJECTIVE_SUFFIX = re.compile(r"-(?:based|born|led|backed|owned|listed|style|era|made|run)$")


_DESCRIPTOR_NOUN_RE = "|".join(
    sorted(
        {f"{n}s" for n in _ORG_NOUNS | _PRODUCT_NOUNS}
        | _ORG_NOUNS
        | _PRODUCT_NOUNS
        | set(
            "industry research researchers sector market race boom operations work strategy talent spending "
            "efforts effort policy safety companies".split()
        ),
        key=len,
        reverse=True,
    )
)


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int
    end: int


@dataclass
class _Occ:
    """One occurrence of a candidate name, with the cues its context gives."""

    sent: int
    start: int
    end: int  # end of the name, without a possessive
    tokens: tuple[str, ...]
    possessive: bool
    initial: bool  # first word of its sentence (or of a quotation)
    person: float = 0.0
    org: float = 0.0
    product: float = 0.0
    place: float = 0.0
    pre_org: float = 0.0  # organisation cue from the words before it, shared with a list that follows
    person_roles: list[tuple[int, str]] = field(default_factory=list)  # (priority, role)
    org_roles: list[tuple[int, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(self.tokens)


def _is_cap(token: str) -> bool:
    return token[:1].isupper()


def _is_person_token(token: str) -> bool:
    if token.lower() in _NAME_CONNECTORS:
        return True
    if not _NAMELIKE.match(token) or token.isupper():
        return False
    return token[:1].isupper() and any(c.islower() for c in token)


def _person_shaped(tokens: Sequence[str]) -> bool:
    """2-4 capitalised words (and particles such as "de"), no digits, nothing that names a thing."""
    words = [t for t in tokens if t.lower() not in _NAME_CONNECTORS]
    if not 2 <= len(words) <= 4:
        return False
    if any(t in _ORG_WORDS or t in _STOPCAPS or t in _THING_WORDS for t in words):
        return False
    return all(_is_person_token(t) for t in tokens)


def _vocabulary(tokenised: Sequence[Sequence[_Tok]]) -> tuple[set[str], set[str]]:
    """Words seen capitalised inside a sentence, and words seen in lower case, in the article."""
    mid_caps: set[str] = set()
    lower_words: set[str] = set()
    for toks in tokenised:
        first_word = next((i for i, t in enumerate(toks) if t.text[0].isalnum()), 0)
        for i, t in enumerate(toks):
            word = re.sub(r"[’']s$", "", t.text)
            if word.islower():
                lower_words.add(word)
            elif i != first_word and _is_cap(word) and toks[i - 1].text not in _OPENERS:
                mid_caps.add(word)
    return mid_caps, lower_words


def _span(toks: Sequence[_Tok], i: int) -> list[int]:
    """Indexes of the name that starts at token i: capitalised tokens, "&", particles, "X of Y"."""
    parts = [i]
    j = i
    n = len(toks)
    while not toks[j].text.endswith(("’s", "'s")) and j + 1 < n:
        if toks[j + 1].start != toks[j].end + 1:  # names are separated by one space
            break
        nxt = toks[j + 1].text
        if _is_cap(nxt) and nxt.lower() in _ROLE_NOUNS:
            break
        if _is_cap(nxt) and nxt not in MONTHS and nxt not in WEEKDAYS and nxt != "I":
            j += 1
            parts.append(j)
            continue
        connector = (
            nxt.lower() in _NAME_CONNECTORS or nxt == "&" or (nxt == "of" and toks[j].text in _OF_ORG_WORDS)
        )
        if connector and j + 2 < n and _is_cap(toks[j + 2].text) and toks[j + 2].text not in _STOPCAPS:
            j += 2
            parts.extend([j - 1, j])
            continue
        break
    return parts


def _candidates(sentences: Sequence[_Sentence]) -> list[_Occ]:
    tokenised = [
        [_Tok(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(s.text)] if s.prose else []
        for s in sentences
    ]
    mid_caps, lower_words = _vocabulary(tokenised)
    out: list[_Occ] = []
    for index, (s, toks) in enumerate(zip(sentences, tokenised, strict=True)):
        i = 0
        while i < len(toks):
            word = re.sub(r"[’']s$", "", toks[i].text)
            initial = i == 0 or toks[i - 1].text in _OPENERS
            the_name = word == "The" and not initial and i + 1 < len(toks) and _is_cap(toks[i + 1].text)
            if not _is_cap(word) or _ADJECTIVE_SUFFIX.search(word) or (word in _STOPCAPS and not the_name):
                i += 1
                continue
            parts = _span(toks, i)
            i = parts[-1] + 1
            if len(parts) > 2 and toks[parts[0]].text.lower() in _ROLE_NOUNS:  # "Goalkeeper Samir Haddad"
                parts = parts[1:]
            raw = [toks[k].text for k in parts]
            possessive = raw[-1].endswith(("’s", "'s"))
            raw[-1] = re.sub(r"[’']s$", "", raw[-1])
            end = toks[parts[-1]].end - (2 if possessive else 0)
            follow = s.text[end:]
            if not possessive and raw[-1].endswith("s") and follow[:1] in ("’", "'"):
                possessive = True  # "AMI Labs’ plans"
            tokens = tuple(raw)
            if initial and tokens[0] != "The":
                # a sentence's first word is capitalised anyway: keep it only with some support
                first = tokens[0]
                commonish = first.lower() in lower_words or re.search(r"(?:ing|ed|ly)$", first) is not None
                inner_caps = re.search(r"[a-z][A-Z]", first) is not None or (
                    first.isupper() and len(first) > 1
                )
                if len(tokens) == 1:
                    speech = re.match(rf"^\s+(?:{_SPEECH_VERBS})\b", follow) is not None
                    appositive = re.match(r"^,\s+(?:the|a|an|who|which)\s", follow) is not None
                    if (commonish and not inner_caps) or not (
                        first in mid_caps or possessive or speech or inner_caps or appositive
                    ):
                        continue
                elif commonish and first not in mid_caps:  # "Existing Llama weights"
                    tokens, parts, initial = tokens[1:], parts[1:], False
            # "Canadian AI company", "European AI startups": the acronym is an adjective here
            while len(tokens) > 1 and tokens[-1] in _STOPCAPS and not possessive:
                if re.match(rf"^\s+(?:{_DESCRIPTOR_NOUN_RE})\b", s.text[end:]) is None:
                    break
                tokens, parts = tokens[:-1], parts[:-1]
                end = toks[parts[-1]].end
            if len(tokens) == 1 and tokens[0] in _STOPCAPS:
                continue
            out.append(_Occ(index, toks[parts[0]].start, end, tokens, possessive, initial))
    return out

"""Quotations and their speakers.

Text between “…” or "…" of at least 4 words, attributed by “…,” said NAME (also "said ORG
spokesperson NAME"), “…,” NAME said, NAME said: “…”, according to NAME, “…”, a pronoun (he said:
the last person named in the previous sentence), or, for a quote that follows an attributed quote
in the same paragraph, that quote's speaker. Unattributed quotes are dropped; the speaker is the
name the article gives, resolved to the full name of the entity it refers to.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from pipeline.understand.facts.entities import _Entity, _name_key
from pipeline.understand.facts.models import Quote
from pipeline.understand.facts.names import _person_shaped
from pipeline.understand.facts.text import _WINDOW, _Sentence, _word_count
from pipeline.understand.facts.words import _ROLE_NOUN_RE, _ROLE_NOUNS, _SPEECH_VERBS, _STOPCAPS

_QUOTE_SPAN = re.compile(r"“([^“”]+)”|\"([^\"]+)\"")
_NAME_RE = (
    r"(?P<name>[A-Z][\w’'.-]*(?:\s+(?:(?:de|van|von|der|den|da|di|du|la|le|del)\s+)?[A-Z][\w’'.-]*){0,3})"
)
# "said Veltrion spokesperson Ruben Claes": the role words before the name are not the speaker
_AFTER_SAID_NAME = re.compile(
    rf"^\s*,?\s*(?:{_SPEECH_VERBS})\s+(?:(?:[A-Z][\w&’'-]*\s+){{0,3}}(?:[a-z][\w-]*\s+){{0,3}}"
    rf"(?i:{_ROLE_NOUN_RE})\s+(?=[A-Z]))?{_NAME_RE}"
)
_AFTER_NAME_SAID = re.compile(rf"^\s*,?\s*{_NAME_RE}\s+(?:[a-z]+ly\s+)?(?:{_SPEECH_VERBS})\b")
_AFTER_PRONOUN = re.compile(
    rf"^\s*,?\s*(?:he|she)\s+(?:[a-z]+ly\s+)?(?:{_SPEECH_VERBS})\b|^\s*,?\s*(?:{_SPEECH_VERBS})\s+(?:he|she)\b"
)
_BEFORE_NAME_SAID = re.compile(
    rf"{_NAME_RE}\s+(?:has\s+|had\s+)?(?:{_SPEECH_VERBS})(?:\s+(?:that|reporters|the\s+\w+|in\s+a\s+\w+))?\s*[:,]?\s*$"
)
_BEFORE_PARTIAL = re.compile(
    rf"{_NAME_RE}(?:\s+of\s+(?:the\s+)?[A-Z][\w&’'-]*(?:\s+[A-Z&][\w&’'-]*){{0,4}})?\s+(?:{_SPEECH_VERBS})"
    r"\s+(?!that\s+[A-Z])[^“”\".!?;]{1,80}$"
)
_BEFORE_ACCORDING = re.compile(rf"[Aa]ccording to\s+{_NAME_RE}\s*,?\s*$")
_BEFORE_PRONOUN = re.compile(rf"\b(?:[Hh]e|[Ss]he)\s+(?:[a-z]+ly\s+)?(?:{_SPEECH_VERBS})\s*[:,]?\s*$")


def _clean_name(name: str) -> str:
    name = re.sub(r"[’']s?$", "", name.strip()).rstrip(".,")
    words = name.split()
    titles = [i for i, w in enumerate(words) if w.lower() in _ROLE_NOUNS]
    if titles:  # "Corvane CEO Dana Whitcombe"
        words = words[titles[-1] + 1 :]
    while words and words[-1] in _STOPCAPS:
        words.pop()
    while words and words[0] in _STOPCAPS:
        words.pop(0)
    return " ".join(words)


def _resolve_speaker(name: str, entities: Sequence[_Entity]) -> str:
    name = _clean_name(name)
    if not name:
        return ""
    key = _name_key(name)
    for e in entities:
        if e.key == key or key in e.written_keys:
            return e.name if e.kind in ("person", "org", "") else name
    for e in entities:
        if e.kind == "person" and e.name.split()[-1].casefold() == key.split()[-1]:
            return e.name
    return name


def _quotes(
    article_id: str,
    paragraphs: Sequence[str],
    sentences: Sequence[_Sentence],
    entities: Sequence[_Entity],
) -> list[Quote]:
    out: list[Quote] = []
    persons = [e for e in entities if e.kind == "person" or (not e.kind and _person_shaped(e.name.split()))]
    person_at: dict[int, list[tuple[int, str]]] = {}
    for e in persons:
        for o in e.occs:
            person_at.setdefault(o.sent, []).append((o.start, e.name))
    by_paragraph: dict[int, list[int]] = {}
    for index, s in enumerate(sentences):
        by_paragraph.setdefault(s.paragraph, []).append(index)
    for number, paragraph in enumerate(paragraphs):
        members = by_paragraph.get(number, [])
        starts = [sentences[i].start for i in members]
        last_speaker = ""
        last_end = -1
        for m in _QUOTE_SPAN.finditer(paragraph):
            inner_start = m.start(1) if m.group(1) is not None else m.start(2)
            inner = m.group(1) if m.group(1) is not None else m.group(2)
            stripped = inner.strip()
            text = stripped.rstrip(",").rstrip()
            if text.endswith(("—", "–", "-")):
                text = text[:-1].rstrip()
            offset = inner_start + inner.find(stripped)
            after = paragraph[m.end() : m.end() + _WINDOW]
            before = paragraph[max(0, m.start() - _WINDOW) : m.start()]
            speaker = ""
            at = bisect.bisect_right(starts, offset) - 1
            first_sentence = members[max(at, 0)] if members else 0
            for pattern in (_AFTER_SAID_NAME, _AFTER_NAME_SAID):
                hit = pattern.match(after)
                if hit and _clean_name(hit.group("name")):
                    speaker = _resolve_speaker(hit.group("name"), entities)
                    break
            if not speaker:
                for pattern in (_BEFORE_NAME_SAID, _BEFORE_ACCORDING, _BEFORE_PARTIAL):
                    hit = pattern.search(before)
                    if hit and _clean_name(hit.group("name")):
                        speaker = _resolve_speaker(hit.group("name"), entities)
                        break
            if not speaker and (_AFTER_PRONOUN.match(after) or _BEFORE_PRONOUN.search(before)):
                named = sorted(person_at.get(first_sentence - 1, []))
                if first_sentence > 0 and named:
                    speaker = named[-1][1]
            if not speaker and last_speaker and not re.search(r"[“\"]", paragraph[last_end : m.start()]):
                between = paragraph[last_end : m.start()]
                # the attribution of the quote before ended its sentence: this one goes on
                if re.search(r"[.!?]\s*$", between) or not between.strip():
                    speaker = last_speaker
            last_end = m.end()
            if not speaker or _word_count(text) < 4:
                last_speaker = speaker or last_speaker
                continue
            last_speaker = speaker
            last = max(first_sentence, members[bisect.bisect_left(starts, offset + len(text)) - 1])
            first_s, last_s = sentences[first_sentence], sentences[last]
            sentence = paragraph[first_s.start : last_s.start + len(last_s.text)]
            out.append(Quote(text, speaker, sentence, article_id))
    return out

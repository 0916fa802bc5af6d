"""Candidate names: runs of capitalised tokens, found by their shape.

Candidate names are runs of capitalised tokens (with "&", particles such as de / van / von,
"of" / "for" / "on" after Institute, University, Office, ...; initials: "A.G. Edwards & Sons",
"George W. Bush"), minus function words, months, weekdays and common acronyms (AI, CEO, ...).
One name goes on over "and" where one article covers both halves ("the Public and Commercial
Services Union") or an "of" / "for" governs them ("Department for Education and Skills"), over
"of" before a company's legal form ("Gold Fields of South Africa Ltd"), and over a preposition
after a description of a body ("the pressure group Human Rights in China").

A sentence's first word counts only when it is also capitalised inside a sentence elsewhere, is
possessive, is followed by a speech verb or an appositive, or has inner capitals (LeCun, AMI).
Each occurrence then collects cues from the words around it (see `cues`).

Persons must have a name's shape (`_person_shaped`): 2-4 capitalised words, no digits, no
organisation word (Labs, Capital, ...) and no word that names a thing (Award, Index, Park).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.text.calendar import MONTHS, WEEKDAYS
from pipeline.understand.facts.kinds import (
    _PEERAGE,
    _PERSON_ONLY_TITLES,
    _PLACE_FIRST,
    _TITLE_WORDS,
    is_demonym,
    is_title_head,
)
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
_SHOUTED = re.compile(r"\b[A-Z][A-Z'’-]+\b")
_DATELINE = re.compile(r"^(?:\S+\s+){0,6}\d{4}-\d{2}-\d{2}$")
_PARTICLE = re.compile(r"^(?:al|el|ad|ash|ul|ud|ed|bin|ibn)-[A-Z]")  # "Zine al-Abidine Ben Ali"
_WORDS = re.compile(r"\b[^\W\d_]{2,}\b")
# "Frankfurt-based", "Trouble-hit", "State-owned": an adjective, not a name's word (a closed list:
# "Kim Jong-un", "Tsai Ing-wen" are names)
_ADJECTIVE_SUFFIX = re.compile(
    r"-(?:based|born|led|backed|owned|listed|style|era|made|run|hit|strapped|laden|rich|controlled|"
    r"funded|linked|bound|focused|driven|affiliated|registered|headquartered|sponsored|dominated|"
    r"inspired|era|class|bred|raised|trained|educated)$"
)


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
    org_weak: float = 0.0  # what an organisation shares with places and people: "at X", "X said"
    title: str = ""  # the title stripped from the name, verbatim: "Attorney General"
    titled: bool = False  # after a title only a person holds ("President X", "Mr X"): a person alone
    nationality: bool = False  # after a nationality ("American Andy Roddick")

    @property
    def name(self) -> str:
        return " ".join(self.tokens)


def _is_cap(token: str) -> bool:
    return token[:1].isupper()


def _is_person_token(token: str) -> bool:
    if token.lower() in _NAME_CONNECTORS or _PARTICLE.match(token) or re.fullmatch(r"[A-Z]\.", token):
        return True  # "de", "al-Abidine", the initial of "George W. Bush"
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


def _dotted(toks: Sequence[_Tok], j: int) -> bool:
    """Token j ends with a full stop of its own and a capitalised word follows one space later."""
    return (
        j + 2 < len(toks)
        and toks[j + 1].text == "."
        and toks[j + 1].start == toks[j].end
        and toks[j + 2].start == toks[j + 1].end + 1
        and _is_cap(toks[j + 2].text)
    )


def _legal_after(toks: Sequence[_Tok], parts: Sequence[int]) -> bool:
    """The capitalised run after "of" ends with a company's legal form and the name before it is
    not a person's: "Gold Fields of South Africa Ltd" is one name, not "Gold Fields" and "South
    Africa Ltd" ("Lynn Reaser of Barnett Banks Inc" stays two)."""
    if _person_shaped([toks[k].text for k in parts]):
        return False
    k = j = parts[-1] + 2
    while k + 1 < len(toks) and toks[k + 1].start == toks[k].end + 1 and _is_cap(toks[k + 1].text):
        k += 1
    return k > j and toks[k].text in _LEGAL_FORMS


def _middle_initial(toks: Sequence[_Tok], j: int, inside: bool) -> bool:
    """The initial at token j goes on to the name after it. Dotted letters do ("A.G. Edwards",
    "U.N. Security Council"); a letter after a first name does when one surname follows, or a
    company's name ("George W. Bush", "Nick J. Rahall II", "Edward D. Jones & Co"), not when a
    whole name does ("Malcolm X. Attallah Shabazz": a sentence ended there)."""
    if "." in toks[j].text or not inside:
        return True
    rest = [toks[k].text for k in _span(toks, j + 2)]
    return len(rest) == 1 or rest[1] in _NAME_SUFFIXES or any(t == "&" or t in _ORG_WORDS for t in rest)


def _initial_dot(toks: Sequence[_Tok], k: int) -> bool:
    return (
        _INITIALS.match(toks[k].text) is not None
        and k + 1 < len(toks)
        and toks[k + 1].text == "."
        and toks[k + 1].start == toks[k].end
    )


def _one_name_with_and(toks: Sequence[_Tok], parts: list[int]) -> list[int]:
    """ "the Test and County Cricket Board", "the London International Financial Futures and
    Options Exchange": after "the", a run with no organisation word, "and", and a run that ends
    with one are one name (one article for both: two bodies would be "the X and the Y")."""
    j = parts[-1]
    if j + 2 >= len(toks) or toks[j + 1].text != "and" or toks[j].text.endswith(("’s", "'s")):
        return parts
    if toks[j + 1].start != toks[j].end + 1 or toks[j + 2].start != toks[j + 1].end + 1:
        return parts
    if not _is_cap(toks[j + 2].text) or toks[j + 2].text in _STOPCAPS:
        return parts
    if toks[j].text in _ORG_WORDS or (len(parts) == 1 and toks[j].text.isupper()):
        return parts  # "the Labour Party and Conservative Party", "the IMF and World Bank": two
    rest = _span(toks, j + 2)
    last = rest[-1]
    noun_after = last + 1 < len(toks) and toks[last + 1].text.lower() in _ORG_NOUNS
    if toks[last].text.rstrip("’'s") not in _ORG_WORDS and not noun_after:
        return parts  # "the UN Relief and Works agency" is one name
    return [*parts, j + 1, *rest]


# An organisation described before its name: "the pressure group Human Rights in China said".
_ORG_DESCRIPTION = re.compile(
    r"\b(?:group|organi[sz]ation|charity|campaign|coalition|alliance|movement|lobby|body|"
    r"non-profit|nonprofit)\s+$"
)


def _one_name_with_preposition(toks: Sequence[_Tok], parts: list[int]) -> list[int]:
    """After a description of an organisation its name goes on over "in", "for", "of", "on",
    "against" and the capitalised words after: "Human Rights in China", "Physicians for Human
    Rights"."""
    j = parts[-1]
    if j + 2 >= len(toks) or toks[j + 1].text not in ("in", "for", "of", "on", "against", "without"):
        return parts
    if toks[j].text.endswith(("’s", "'s")) or toks[j + 2].start != toks[j + 1].end + 1:
        return parts
    if not _is_cap(toks[j + 2].text) or toks[j + 2].text in _STOPCAPS:
        return parts
    return [*parts, j + 1, *_span(toks, j + 2)]


def _span(toks: Sequence[_Tok], i: int) -> list[int]:
    """Indexes of the name that starts at token i: capitalised tokens, "&", particles, "X of Y",
    initials ("A.G. Edwards & Sons", "Edward D. Jones & Co", "U.N. Security Council")."""
    parts = [i]
    j = i
    n = len(toks)
    governed = False  # an "of" / "for" / "on" joined the name
    while not toks[j].text.endswith(("’s", "'s")) and j + 1 < n:
        if _dotted(toks, j) and (is_title_head(toks[j].text) or _INITIALS.match(toks[j].text)):
            if toks[j + 2].text in _STOPCAPS and not is_title_head(toks[j].text):
                break  # "in the U.S. The company": the sentence goes on, not the name
            after_word = len(parts) >= 2 and toks[parts[-2]].text != "."  # not "U. S." (letters)
            if not is_title_head(toks[j].text) and not _middle_initial(toks, j, after_word):
                break  # "Malcolm X. Attallah Shabazz": a sentence ends after a letter
            # "Navy Vice Adm. Mark Fitzgerald", "Edward D. Jones & Co"
            j += 2
            parts.extend([j - 1, j])
            continue
        if toks[j + 1].start != toks[j].end + 1:  # names are separated by one space
            break
        nxt = toks[j + 1].text
        if (
            _is_cap(nxt)
            and nxt.lower() in _ROLE_NOUNS
            and not is_title_head(toks[j].text)
            and toks[j].text not in _TITLE_WORDS
            and not _surname_after_first_name(toks, j)
        ):  # "Corvane CEO Dana Whitcombe"; but "Prime Minister", "Foreign Secretary" are one title
            break
        if (_is_cap(nxt) and nxt not in MONTHS and nxt not in WEEKDAYS and nxt != "I") or (
            _PARTICLE.match(nxt) and j + 2 < n and _is_cap(toks[j + 2].text)
        ):
            j += 1
            parts.append(j)
            continue
        connector = (
            nxt.lower() in _NAME_CONNECTORS
            or nxt == "&"
            or (
                nxt == "of"
                and (toks[j].text in _OF_ORG_WORDS or _title_of(toks, j) or _legal_after(toks, parts))
            )
            or (
                nxt in ("for", "on")
                and toks[j].text in _OF_ORG_WORDS
                and j + 2 < n
                and toks[j + 2].text.rstrip("s") not in WEEKDAYS
            )  # "Office for National Statistics", not "Bank on Thursdays"
        )
        if nxt == "of" and j + 3 < n and toks[j + 2].text == "the" and _title_of(toks, j):
            j += 3
            parts.extend([j - 2, j - 1, j])
            continue
        if connector and j + 2 < n and _is_cap(toks[j + 2].text) and toks[j + 2].text not in _STOPCAPS:
            j += 2
            parts.extend([j - 1, j])
            governed = governed or nxt in ("of", "for", "on")
            continue
        if nxt == "and" and governed and _last_of_body(toks, j + 2):
            # "Department for Education and Skills", "Internet Corporation for Assigned Names and
            # Numbers": after "of" / "for", one or two words after "and" end the body's name
            j += 2
            parts.extend([j - 1, j])
            if j + 1 < n and toks[j + 1].start == toks[j].end + 1 and _is_cap(toks[j + 1].text):
                j += 1
                parts.append(j)
        break
    return parts


def _surname_after_first_name(toks: Sequence[_Tok], j: int) -> bool:
    """ "Sen. Barbara Boxer (D-Calif.)": a capitalised role noun right after a title only a person
    holds and one name word, with no name after it, is the surname ("Corvane CEO Dana Whitcombe"
    has a name after it; "Chief Operating Officer of Sony" is a title)."""
    title = j - 2 if j >= 2 and toks[j - 1].text == "." else j - 1
    if title < 0 or toks[title].text not in _PERSON_ONLY_TITLES:
        return False
    after = j + 2
    if after < len(toks) and toks[after].text in ("of", "for", "at"):
        return False
    return not (after < len(toks) and toks[after].start == toks[j + 1].end + 1 and _is_cap(toks[after].text))


def _last_of_body(toks: Sequence[_Tok], k: int) -> bool:
    """One or two capitalised words at token k, then the name ends (no acronym, no possessive)."""
    run = k
    while run < len(toks) and toks[run].start == toks[run - 1].end + 1 and _is_cap(toks[run].text):
        run += 1
    words = [t.text for t in toks[k:run]]
    return (
        1 <= len(words) <= 2
        and toks[k].start == toks[k - 1].end + 1
        and not any(w.isupper() or w.endswith(("’s", "'s")) or w in _STOPCAPS for w in words)
        and not (run < len(toks) and toks[run].text in ("of", "for", "&"))
    )


_NAME_SUFFIXES = frozenset({"Jr", "Sr", "Jnr", "Snr", "II", "III", "IV"})
# Initials: "D" of "Edward D. Jones", "A.G" of "A.G. Edwards", "U.N" of "U.N. Security Council".
_INITIALS = re.compile(r"^(?:[A-Z]\.)*[A-Z]$")
# A company's legal form, the last word of its name.
_LEGAL_FORMS = frozenset(
    "Ltd Inc Corp Co Plc plc PLC LLC LLP AG SA SE NV BV GmbH SpA AB ASA Oyj Bhd Tbk Pty".split()
)


def _title_of(toks: Sequence[_Tok], j: int) -> bool:
    """ "Secretary of State Condoleezza Rice": a title, "of", and two capitalised words or more
    (the title's end and the name); "President of France" stays two names."""
    if not is_title_head(toks[j].text):
        return False
    k, caps = j + 2, 0
    if k < len(toks) and toks[k].text == "the":  # "Secretary of the Interior Dirk Kempthorne"
        k, caps = k + 1, -1
    while k < len(toks) and _is_cap(toks[k].text) and toks[k].start == toks[k - 1].end + 1:
        caps, k = caps + 1, k + 1
    return caps >= 2


def _title_split(tokens: Sequence[str], initial: bool) -> tuple[int, bool]:
    """Where a title before a name ends (the index of the name's first token, 0 for none) and
    whether the title is one only a person holds. "Attorney General Wally Oppal" -> 2,
    "Secretary of State Condoleezza Rice" -> 3, "Navy Vice Adm . Mark Fitzgerald" -> 4,
    "American Andy Roddick" -> 1 (a nationality; at a sentence's start, after any word:
    "Controversial Australian Anthony Hill"); "General Motors" -> 0 (no name follows)."""
    heads = [i for i, t in enumerate(tokens[:-1]) if is_title_head(t)]
    start, person_only = 0, False
    if heads:
        k = heads[-1]
        person_only = tokens[k].rstrip(".") in _PERSON_ONLY_TITLES
        start = k + 1
        if start < len(tokens) and tokens[start] == ".":
            start += 1
        if start < len(tokens) and tokens[start] == "of":  # "of State", "of Foreign Affairs"
            rest = len(tokens) - start - 1
            start += 1 + max(1, rest - 2)
            person_only = person_only and rest >= 3
    else:
        nationality = [i for i, t in enumerate(tokens[:3]) if is_demonym(t)]
        lead = tokens[1 if initial else 0 : nationality[-1] + 1] if nationality else ()
        if nationality and all(is_demonym(t) or t in _PLACE_FIRST for t in lead):
            start = nationality[-1] + 1
    name = tokens[start:]
    if not start or not name or name[0] in _NAME_SUFFIXES:
        return 0, False
    if not all(_is_person_token(t) or t in _PEERAGE for t in name):
        return 0, False
    if any(t in _ORG_WORDS or t in _THING_WORDS for t in name):
        return 0, False
    return start, person_only


def _shouted(sentence: str) -> bool:
    """A headline in capitals, or a dateline ("LONDON 1996-08-30", "AL-RAM, West Bank
    1996-08-30"): its capitals say nothing of what a name is."""
    words = _WORDS.findall(sentence)
    if _DATELINE.match(sentence.strip()):
        return True
    return bool(words) and len(_SHOUTED.findall(sentence)) >= 0.6 * len(words)


def _candidates(sentences: Sequence[_Sentence]) -> list[_Occ]:
    tokenised = [
        [_Tok(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(s.text)]
        if s.prose and not _shouted(s.text)
        else []
        for s in sentences
    ]
    mid_caps, lower_words = _vocabulary(tokenised)
    out: list[_Occ] = []
    for index, (s, toks) in enumerate(zip(sentences, tokenised, strict=True)):
        i = 0
        while i < len(toks):
            word = re.sub(r"[’']s$", "", toks[i].text)
            initial = i == 0 or toks[i - 1].text in _OPENERS
            the_name = (
                word in ("The", "New", "First")
                and not initial
                and i + 1 < len(toks)
                and _is_cap(toks[i + 1].text)
            )  # "the New York Stock Exchange", "First Chicago NBD Corp"
            if not _is_cap(word) or _ADJECTIVE_SUFFIX.search(word) or (word in _STOPCAPS and not the_name):
                i += 1
                continue
            parts = _span(toks, i)
            if i > 0 and toks[i - 1].text.lower() == "the":
                parts = _one_name_with_and(toks, parts)
            if _ORG_DESCRIPTION.search(s.text[: toks[i].start]):
                parts = _one_name_with_preposition(toks, parts)
            i = parts[-1] + 1
            # an initial keeps its full stop: "A.G. Edwards", "Edward D. Jones"
            parts = [k for k in parts if not (toks[k].text == "." and _INITIALS.match(toks[k - 1].text))]
            raw = [toks[k].text + ("." if _initial_dot(toks, k) else "") for k in parts]
            possessive = raw[-1].endswith(("’s", "'s"))
            raw[-1] = re.sub(r"[’']s$", "", raw[-1])
            end = toks[parts[-1]].end - (2 if possessive else 0)
            follow = s.text[end:]
            if not possessive and raw[-1].endswith("s") and follow[:1] in ("’", "'"):
                possessive = True  # "AMI Labs’ plans"
            tokens = tuple(raw)
            if _ADJECTIVE_SUFFIX.search(tokens[-1]):  # "Northern Ireland-born": an adjective
                continue
            title, titled, nationality = "", False, False
            cut, person_only = _title_split(tokens, initial)
            if cut:
                nationality = not any(is_title_head(t) for t in tokens[:cut])
                if not nationality:
                    title, titled = s.text[toks[parts[0]].start : toks[parts[cut - 1]].end], person_only
                tokens, parts, initial = tokens[cut:], parts[cut:], False
            elif "." in tokens:  # a title abbreviation before something that is not a name
                keep = [k for k, t in enumerate(tokens) if t != "."]
                tokens, parts = tuple(tokens[k] for k in keep), [parts[k] for k in keep]
            if initial and tokens[0] != "The":
                # a sentence's first word is capitalised anyway: keep it only with some support
                first = tokens[0]
                # "Existing", "Reportedly" open sentences; "King" seen mid-sentence is a name
                commonish = first.lower() in lower_words or (
                    re.search(r"(?:ing|ed|ly)$", first) is not None and first not in mid_caps
                )
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
            occ = _Occ(index, toks[parts[0]].start, end, tokens, possessive, initial)
            occ.title, occ.titled, occ.nationality = title, titled, nationality
            out.append(occ)
    return out

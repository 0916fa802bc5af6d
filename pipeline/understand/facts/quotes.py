"""Quotations and their speakers.

Text between “…” or "…" of at least 4 words is a quotation when its sentence says who spoke. The
attribution is read in the quote's own sentence, after the quote (“…,” said NAME / “…,” NAME
said / “…,” NAME, an economist with X, told the newspaper) or before it (NAME said: “…” / NAME
told BBC News: “…” / according to NAME, “…” / NAME said that … “…” / …, saying: “…”). Its
speaker is the person the clause names:

- in a phrase with several names, the person, not the organisation or the place he is of ("ADB
  chief economist Ifzal Ali", "Biancardi's attorney, James Zeszutek"), nor the agency that
  reports ("AP quoted prosecutor Russell McGuire as saying", "…, quoted by the Associated Press");
- an organisation only when the clause names no person ("investment bank Merrill Lynch said");
- an unnamed speaker as the text calls him ("a Fox spokesman", "police", "the source");
- for a pronoun (he said, she added), the nearest earlier subject: the first person named in the
  nearest sentence before that names one outside a quotation (the people a quotation names are
  spoken about, not speaking), or a name no cue typed whose verb follows it ("Victoria Wood
  slated comedian Sacha Baron Cohen ..."); "X said: “…,” he said" is X's;
- for a description ("the judge said", "The Judge wrote:"), the person named with that title or
  role in the sentences just before; none when no one was;
- a writer's words are his, not those of the person he writes about ("said Cobain biographer
  Charles Cross"), and the words an outlet quotes are its source's ("…," the newspaper quotes a
  source close to the firm), as is a person of an organisation ("Deutsche Bank's Simon Champion").

A quotation may run over several paragraphs (ECB+ gives each sentence its line): a mark left
open at a paragraph's end goes on to the paragraph that closes it or opens a new quotation (at
most `_RUN_LINES` on), and its attribution is the one after its end. A straight mark is a stray,
and its quotation left out, when the line that would close it ends in no punctuation, or a line
between tells who said what or holds several sentences; a run with marks of both kinds is left
out too.

A quote with no attribution of its own continues the quote before it: in its paragraph after
that quote's sentence ended, or at the start of the next paragraph when the previous one ended
with an attributed quote. Unattributed quotes are dropped; a named speaker is resolved to the
full name of the entity it refers to.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.understand.facts.entities import _Entity, _name_key
from pipeline.understand.facts.kinds import is_title_head, not_a_personal_name
from pipeline.understand.facts.models import Quote
from pipeline.understand.facts.names import _person_shaped
from pipeline.understand.facts.text import _Sentence, _word_count
from pipeline.understand.facts.words import _ROLE_NOUN_RE, _ROLE_NOUNS, _SPEECH_VERBS, _STOPCAPS

ATTRIBUTION_CHARS = 300  # how far after a quotation its attribution ("…," she said) is looked for

# A name word: a capitalised word, or initials ("J.", "U.S."); a full stop ends a name otherwise.
_NAME_WORD = r"(?:[A-Z][.\u2024](?:[A-Z][.\u2024])*|[A-Z][\w’'-]*)"
_NAME_RE = re.compile(
    rf"{_NAME_WORD}(?:\s+(?:(?:de|van|von|der|den|da|di|du|la|le|del|bin|al)\s+)?{_NAME_WORD})*"
)
_VERB = rf"(?:{_SPEECH_VERBS}|responded|reiterated|warned|saying|adding|warning|writing|insisting)"
_PRONOUN = re.compile(r"^(?:he|she)$", re.IGNORECASE)
_HONORIFICS = frozenset(
    "Mr Mrs Ms Miss Dr Prof Sir Dame Rev Lord Lady Insp Supt Sgt Det Pc Lt Capt Col Cpl Gen Adm Sen Rep "
    "Gov".split()
)
# Who a clause may name without naming a person: the text's own words for him.
_UNNAMED = re.compile(
    r"(?:^|\s)((?:[A-Z][\w&’'-]*\s+){0,3}(?:[a-z][\w’'-]*\s+){0,2}(?:spokesman|spokeswoman|spokesperson|"
    r"source|sources|police|prosecutors|officials|official))(?:\s+(?:for|of|at)\s+(?:the\s+)?"
    r"((?:[A-Z][\w&’'-]*)(?:\s+(?:of\s+|and\s+)?[A-Z][\w&’'-]*)*)|\s+(close\s+to\s+[\w\s&’'-]{3,60}))?\s*$"
)
# Where an attribution after a quote ends: a new clause that is not about the speaker.
_CLAUSE_END = re.compile(
    r",\s*(?:quoted|according|adding|who|which|where|when|as|in|at|on|after|before|while|citing)\b"
    r"|\s(?:who|which|in\s+a|at\s+a|on\s+\w+day|adding|as\s+saying)\b|[;:()]"
)
# A name in a prepositional phrase ("of the Center for ...", "by All England Club chairman X").
_AFTER_PREPOSITION = re.compile(
    rf"\b(?:of|for|at|with|from|by|to|about|on|in|against|over)\s+(?:the\s+|a\s+)?"
    rf"(?:(?:[A-Z][\w’'&.-]*|{_ROLE_NOUN_RE})\s+){{0,5}}$"
)
_QUALIFIES_ROLE = re.compile(rf"^[’']?s?\s+(?:[\w-]+\s+){{0,3}}(?i:{_ROLE_NOUN_RE})\s*,?\s+[A-Z]")
# "Cobain biographer Charles Cross": a name before the lower-case noun of an agent names whom he
# works on; the name after it speaks (not "X of box office tracker Y", nor "X and drummer Y")
_FUNCTION_WORD = (
    r"(?:of|for|at|with|from|by|and|or|in|on|to|the|a|an|after|under|over|later|never|either|however|"
    r"whether|neither|rather|together|ever|former|other|another|before|further|sooner|earlier)\b"
)
# the agent noun is followed by the name of the one who spoke (two capitalised words): "said
# Cobain biographer Charles Cross", not "said John Smith after Chelsea beat Arsenal"
_QUALIFIES_AGENT = re.compile(
    rf"^\s+(?:(?!{_FUNCTION_WORD})[a-z][\w-]*\s+){{0,2}}(?!{_FUNCTION_WORD})[a-z][\w-]*(?:er|or|ist|ian)"
    r"\s+[A-Z][\w’'-]+\s+[A-Z]"
)
# "But the Tory leader argued", "But a spokesman for the Home Office defended": an unnamed subject
_DESCRIBED_SUBJECT = re.compile(
    rf"^(?:But|And|Yet|So)\s+(?i:the|a|an)\s+(?:[\w-]+\s+){{0,3}}(?i:{_ROLE_NOUN_RE})\s+"
    r"(?:(?:for|of|at)\s+(?:the\s+)?(?:[A-Z][\w’'-]*\s+)+)?(?:[a-z]+ed|said|says|told)\b"
)
# A lower-case noun a person's name may follow ("Only Fools and Horses star David Jason").
_PERSON_NOUN = re.compile(r"[a-z]+(?:er|or|ist|ian|ant)|star|legend|veteran|icon")
# A name that is its sentence's subject: its verb follows, after an apposition or an adverb.
_SUBJECT_VERB = re.compile(
    r"^\s*(?:,[^,.;:]{1,100},\s*)?(?:(?:has|had|also|later|then|[a-z]+ly)\s+)?"
    r"(?:[a-z]+ed|said|says|told|tells|wrote|writes|spoke|added|adds)\b"
)
_REPORTED_BY = re.compile(r"\b(?:quoted|cited)\s+((?:[a-z][\w-]*\s+)*)(?=[A-Z])")
# "“…,” the newspaper quotes a source close to the Chinese firm": the outlet reports, its source spoke
# (its subject an outlet right before the verb: not "said John Smith, who was quoted in the FT")
_OUTLET_QUOTES = re.compile(
    r"^[\s,]*(?:the|a|an)\s+(?:[\w’'-]+\s+){0,3}?(?:quotes|quoted|cites|cited)\s+(?!as\b|by\b|in\b|widely\b)"
)
# A description that names no one ("the judge", "The Judge"): the person of that title named before.
_DESCRIPTION = re.compile(r"^(?:the|The)\s+(?P<noun>[A-Za-z-]+)$")
_COURT_TITLES = frozenset({"Magistrate", "Coroner"})  # titles before a name that are no role noun


@dataclass(frozen=True)
class _Span:
    start: int  # the opening mark (0 when the quotation began in an earlier paragraph)
    end: int  # after the closing mark, or where the quotation stops
    inner: str
    inner_start: int
    opens_before: bool = False  # the quotation began in an earlier paragraph
    goes_on: bool = False  # no closing mark: the quotation goes on into the next paragraph


def _quote_spans(paragraph: str, inside: str = "") -> list[_Span]:
    """The quotations of a paragraph, curly or straight. A straight mark after a sentence's end
    and before a capital opens a new quotation when the text after it reads as quoted, up to a
    comma or an attribution at the next mark ('properly. "If the next ... country," Dr Tamimi
    said': the quotation before went on to a new one without a closing mark).

    `inside` ("curly" or "straight") says a quotation of that kind is open from the paragraph
    before: the paragraph's first closing mark ends it (one line of a quotation spread over
    several, as ECB+ gives each sentence its line), or the whole paragraph is quoted when it has
    no mark. A quotation still open at the paragraph's end is a span that goes on."""
    if inside and not re.search(r"[“”\"]", paragraph):
        return [_Span(0, len(paragraph), paragraph, 0, opens_before=True, goes_on=True)]
    out: list[_Span] = []
    curly_from = 0
    first_curly = re.search(r"[“”]", paragraph)
    if inside == "curly" and first_curly and first_curly.group(0) == "”":
        out.append(
            _Span(0, first_curly.end(), paragraph[: first_curly.start()].rstrip(), 0, opens_before=True)
        )
        curly_from = first_curly.end()
    pairs = list(re.finditer(r"“([^“”]+)”", paragraph[curly_from:]))
    out += [
        _Span(curly_from + m.start(), curly_from + m.end(), m.group(1), curly_from + m.start(1))
        for m in pairs
    ]
    last_open = paragraph.rfind("“")
    if last_open >= max(curly_from, max((curly_from + m.end() for m in pairs), default=0)) and last_open >= 0:
        out.append(_Span(last_open, len(paragraph), paragraph[last_open + 1 :], last_open + 1, goes_on=True))
    marks = [i for i, c in enumerate(paragraph) if c == '"']
    if inside == "straight" and marks and marks[0] > 0:  # the first mark closes the open quotation
        out.append(_Span(0, marks[0] + 1, paragraph[: marks[0]].rstrip(), 0, opens_before=True))
        marks = marks[1:]
    opened: int | None = None
    for k, at in enumerate(marks):
        if opened is None:
            opened = at
            continue
        nxt = marks[k + 1] if k + 1 < len(marks) else None
        segment = paragraph[at + 1 : nxt] if nxt is not None else ""
        sentence_ended = (
            re.search(r"[.!?]\s+$", paragraph[opened + 1 : at]) is not None
            and paragraph[at + 1 : at + 2].isupper()
        )
        if nxt is None:
            # 'champion. "There might ... afternoon.' and the next paragraph goes on; not 'him?
            # "Colts interim coach Bruce Arians asked.' (ECB+ spacing: a closing mark)
            reopens = sentence_ended and re.match(rf"^[^.!?]*\b(?:{_VERB})\b", paragraph[at + 1 :]) is None
        else:
            reopens = sentence_ended and (
                re.search(r"[,.!?]\s*$", segment) is not None
                or re.match(
                    rf"^\s*(?:[A-Z][\w’'.-]*\s+){{0,3}}(?:he|she|[A-Z][\w’'-]*)\s+(?:{_SPEECH_VERBS})\b",
                    paragraph[nxt + 1 :],
                )
                is not None
            )
        end = at if reopens else at + 1
        out.append(_Span(opened, end, paragraph[opened + 1 : at].rstrip(), opened + 1))
        opened = at if reopens else None
    if opened is not None and "”" not in paragraph[opened:]:  # not 'he "adjusted ..., ” officials say'
        out.append(_Span(opened, len(paragraph), paragraph[opened + 1 :], opened + 1, goes_on=True))
    return sorted(out, key=lambda span: span.start)


# A line that tells who said what ("However, Hartog said there will be ..."): no line of a quotation.
_TELLS = re.compile(rf"\b(?:[A-Z][\w’'-]+|he|she|they)\s+(?:{_SPEECH_VERBS})\b")
_RUN_LINES = 5  # how many paragraphs one quotation may span; a mark left open longer is a stray


def _paragraph_spans(paragraphs: Sequence[str]) -> list[list[_Span]]:
    """Each paragraph's quotations, with those that go on over the next paragraphs (up to
    `_RUN_LINES`) to a closing mark or to a paragraph that opens a new quotation; a quotation
    that never ends is left out, as a paragraph's unclosed mark always was."""
    out: list[list[_Span]] = []
    inside = ""
    run: list[int] = []  # the paragraphs of the quotation still open
    for number, paragraph in enumerate(paragraphs):
        if inside and re.search(r'"' if inside == "curly" else r"[“”]", paragraph):
            inside, run = "", _drop_open(out, run)  # marks of both kinds: which one closes is unsure
        if (
            inside == "straight"
            and '"' not in paragraph
            and (_TELLS.search(paragraph) or re.search(r"[.!?]\s+[A-Z]", paragraph))
        ):
            # "However, Hartog said ...", or a paragraph of several sentences with no mark: the
            # article's own text (a quotation's line with no mark is one sentence, as in ECB+)
            inside, run = "", _drop_open(out, run)
        spans = _quote_spans(paragraph, inside)
        first = spans[0] if spans else None
        if inside and (first is None or not first.goes_on or not first.opens_before):
            closes = first is not None and first.opens_before
            if (
                inside == "straight"
                and closes
                and first is not None
                and not re.search(r"[,.!?…—–’'-]$", first.inner)
            ):
                # a straight mark says not which way it turns, and no quotation ends so ("Moffat
                # added the actor had "): the open mark was a stray
                inside, run = "", _drop_open(out, run)
                spans = _quote_spans(paragraph)
            run = []
        out.append(spans)
        tail = spans[-1] if spans else None
        if tail is not None and tail.goes_on:
            if not tail.opens_before:
                inside = "curly" if paragraph[tail.start] == "“" else "straight"
            run.append(number)
            if len(run) > _RUN_LINES:
                inside, run = "", _drop_open(out, run)
        else:
            inside = ""
    _drop_open(out, run)  # open at the article's end
    return out


def _drop_open(out: list[list[_Span]], run: Sequence[int]) -> list[int]:
    for number in run:
        out[number] = [span for span in out[number] if not span.goes_on]
    return []


@dataclass(frozen=True)
class _Named:
    """A name in a paragraph: where it is, and the entity it belongs to."""

    start: int
    end: int
    name: str
    kind: str  # person | org | "person?" (not listed, shaped like a person's name) | ""
    possessive: bool


def _clean_name(name: str) -> str:
    name = name.replace("\u2024", ".")
    name = re.sub(r"[’']s?$", "", name.strip()).rstrip(",")
    words = name.split()
    owners = [i for i, w in enumerate(words[:-1]) if re.search(r"[’']s$", w)]
    if owners:  # "Deutsche Bank's Simon Champion": the bank's man, not the bank
        words = words[owners[-1] + 1 :]
    cut = [
        i
        for i, w in enumerate(words)
        if w.lower() in _ROLE_NOUNS or w.rstrip(".") in _HONORIFICS or w in _COURT_TITLES
    ]
    if cut and cut[-1] + 1 < len(words):  # "Corvane CEO Dana Whitcombe", "Harrogate Mr Kennedy"
        words = words[cut[-1] + 1 :]
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


def _personish(e: _Entity) -> bool:
    words = e.name.split()
    return e.kind == "person" or (not e.kind and _person_shaped(words) and not not_a_personal_name(words))


def _names_by_paragraph(
    sentences: Sequence[_Sentence], entities: Sequence[_Entity]
) -> dict[int, list[_Named]]:
    out: dict[int, list[_Named]] = {}
    for e in entities:
        kind = e.kind or ("person?" if _personish(e) else "")
        for o in e.occs:
            s = sentences[o.sent]
            at = s.start + o.start
            out.setdefault(s.paragraph, []).append(_Named(at, s.start + o.end, e.name, kind, o.possessive))
    for named in out.values():
        named.sort(key=lambda n: n.start)
    return out


def _head(phrase: str) -> str:
    """The phrase up to what it says of its head: "Noah Greenwald of the Center for ...",
    "James Carrick, an economist with ABN Amro" → the name; a comma after a role noun is the
    name's apposition ("Biancardi's attorney, James Zeszutek")."""
    for cut in re.finditer(r",|\s(?:of|at|for|from|with|who|which)\s", phrase):
        before = phrase[: cut.start()]
        if not re.search(r"[A-Z][\w’'.-]*$", before):
            if cut.group(0) == "," and re.search(r"[a-z]$", before):
                continue  # "his lawyer, Antony Townsden": the name is the role's apposition
            if cut.group(0) != ",":
                continue  # "a spokesman for the Business Software Alliance"
        return before
    return phrase


def _speaker_in(
    phrase: str, at: int, named: Sequence[_Named], entities: Sequence[_Entity], first: bool = True
) -> str:
    """The speaker a phrase of the attribution names: the person of its head, else the name
    after its last role noun, else an organisation, else the unnamed speaker as the text calls
    him. `at` is where the phrase starts in its paragraph. "he" for a pronoun."""
    phrase = phrase.rstrip()
    reported = _REPORTED_BY.search(phrase)
    if reported:  # "AP quoted prosecutor Russell McGuire": the agency reports, the prosecutor speaks
        at += reported.end()
        phrase = phrase[reported.end() :]
    words = phrase.strip(" ,").split()
    if len(words) == 1 and _PRONOUN.match(words[0]):
        return "he"
    lead = len(phrase) - len(phrase.lstrip(" ,"))
    at, phrase = at + lead, phrase[lead:]
    # the names the phrase is about, not those of its prepositions ("of the Center for ...") or
    # possessives ("Biancardi's attorney")
    inside = [
        n
        for n in named
        if at <= n.start
        and n.end <= at + len(phrase)
        and not n.possessive
        and not _governed(phrase[: n.start - at], at, named)
    ]
    # a named person first, then a name shaped like one ("Microsoft Trustworthy Computing director
    # Yunsun Wee": the unlisted words before a role noun are its organisation)
    # and not a name that qualifies the role of the next ("Trend Micro advanced threat researcher
    # Paul Ferguson")
    inside = [
        n
        for n in inside
        if not _QUALIFIES_ROLE.match(phrase[n.end - at :])
        and not _QUALIFIES_AGENT.match(phrase[n.end - at :])
    ]
    people = [n for n in inside if n.kind == "person"] or [n for n in inside if n.kind == "person?"]
    if people:
        return people[0].name
    described = _DESCRIPTION.match(phrase.strip(" ,"))
    if described and _names_a_title(described.group("noun")):
        return "the " + described.group("noun").lower()  # resolved against the people named before
    head = _head(phrase)
    role = [m for m in re.finditer(r"[\w-]+", head) if m.group(0).lower() in _ROLE_NOUNS]
    if role:  # "Microsoft Trustworthy Computing director Yunsun Wee"
        after_role = _NAME_RE.match(head[role[-1].end() :].lstrip())
        if after_role and _clean_name(after_role.group(0)):
            return _resolve_speaker(after_role.group(0), entities)
    # an organisation that heads the phrase, not one that describes a person ("one Reddit commenter")
    orgs = [
        n
        for n in inside
        if n.kind == "org" and re.match(r"^(?:\s*$|\s*,|\s+(?:of|for|at|in)\s)", phrase[n.end - at :])
    ]
    if orgs:
        return orgs[0].name
    unnamed = _UNNAMED.search(phrase.strip(" ,"))
    if unnamed and not re.search(r"[A-Z][\w’'-]*\s+[A-Z][\w’'-]*\s*$", unnamed.group(1)):
        name = re.sub(r"^(?:the|a|an|one|its|his|her|their)\s+", "", unnamed.group(1), flags=re.IGNORECASE)
        if unnamed.group(3):  # "a source close to the Chinese firm"
            return f"{name} {' '.join(unnamed.group(3).split())}"
        return name + (f" for {unnamed.group(2)}" if unnamed.group(2) else "")
    # "Mr White said", "Speaking in Harrogate Mr Kennedy said": a name the article lists nowhere
    loose = _NAME_RE.fullmatch(head.strip(" ,")) or re.search(
        rf"\b(?:Mr|Mrs|Ms|Dr|Prof|Sir|Dame)[.\u2024]?\s+{_NAME_WORD}(?:\s+{_NAME_WORD})*$", head.strip(" ,")
    )
    if loose and _clean_name(loose.group(0)):
        return _resolve_speaker(loose.group(0), entities)
    return ""


_ABBREVIATION = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Rev|St|Gen|Sen|Rep|Gov|Lt|Col|Sgt|Capt|Insp|Det|Prof|Jr|Sr|[A-Z])\."
)


def _masked(text: str) -> str:
    """The text with the full stops of abbreviations and initials ("the Rev. Larry Kroon")
    replaced by a one-dot leader, so that a full stop ends a sentence; offsets are kept."""
    return _ABBREVIATION.sub(lambda m: m.group(0)[:-1] + "\u2024", text)


def _after_speaker(after: str, at: int, named: Sequence[_Named], entities: Sequence[_Entity]) -> str:
    """The speaker of `“…,” said X` or `“…,” X said`: `after` is the rest of the sentence."""
    after = _masked(after)
    outlet = _OUTLET_QUOTES.match(after)
    if outlet:
        rest = after[outlet.end() :]
        stop = _CLAUSE_END.search(rest)
        phrase = rest[: stop.start()] if stop else rest.rstrip(' .!?"”')
        return _speaker_in(phrase, at + outlet.end(), named, entities)
    verb_first = re.match(rf"^[\s,]*(?:{_VERB})\s+(?!that\b)", after)
    if verb_first:
        rest = after[verb_first.end() :]
        stop = _CLAUSE_END.search(rest)
        phrase = rest[: stop.start()] if stop else rest.rstrip(' .!?"”')
        return _speaker_in(phrase, at + verb_first.end(), named, entities)
    name_first = re.match(
        rf"^[\s,]*(?P<np>[^.!?;:“”\"]{{1,160}}?)\s+(?:(?:has|had|also|later|then|[a-z]+ly)\s+)?(?:{_VERB})\b",
        after,
    )
    if name_first and _word_count(name_first.group("np")) <= 16:
        return _speaker_in(name_first.group("np"), at + name_first.start("np"), named, entities)
    return ""


def _before_speaker(before: str, at: int, named: Sequence[_Named], entities: Sequence[_Entity]) -> str:
    """The speaker of `X said: “…”`, `X told BBC News: “…”`, `according to X, “…”`, `X said that
    … “…”`, `X …, saying: “…”`: `before` is the sentence up to the quote."""
    before = _masked(before)
    according = re.search(r"[Aa]ccording to\s+(?P<np>[^,“”\"]{1,80}?)\s*,?\s*$", before)
    if according:
        return _speaker_in(according.group("np"), at + according.start("np"), named, entities)
    ing = re.search(r"(?:,|\band)\s+(?:saying|adding|added|warning|writing|insisting)\s*[:,]?\s*$", before)
    if ing:  # "Tory leader Michael Howard reiterated calls ..., warning:": the clause's subject
        clause = before[: ing.start()]
        last = re.split(r"\s(?:but|and|while|whereas)\s+(?=[a-z]+\s+[a-z]+,|[A-Z]|he\b|she\b)", clause)[-1]
        verb = re.search(r"\s(?:[a-z]+ed|said|says|told|wrote|saw)\b", last)
        subject = last[: verb.start()] if verb else last
        subject = re.sub(r"\s+(?:also|later|then|again|[a-z]+ly)$", "", subject)  # "... spokesman also"
        return _speaker_in(subject, at + len(clause) - len(last), named, entities)
    verbs = list(re.finditer(rf"\s+(?:(?:has|had|also|later|then|[a-z]+ly)\s+)?(?:{_VERB})\b", before))
    if not verbs:
        return ""
    said = verbs[-1]  # the last speech verb before the quote
    tail = before[said.end() :]
    # "X said:", "X told BBC News:", "X said that ...", "X responded to the figures:"
    if not re.fullmatch(r"[^“”\"!?;]{0,100}", tail) or re.search(r"[.!?]\s+[A-Z]", tail):
        return ""
    head = before[: said.start()]
    clause = re.split(r"[.!?;]\s+|(?:,\s*|\s)(?:but|while|whereas)\s+|,\s*and\s+(?=[A-Z]|he\b|she\b)", head)[
        -1
    ]
    # "Reacting to a comment by X, the American said:": the participle's phrase is not the subject
    opening = re.match(
        r"^(?:[A-Z][a-z]+ly\s*,\s*)?(?:(?:[A-Z][a-z]+|[a-z]+)ing|Asked)\b[^,]*,\s*|^[A-Z][a-z]+ly\s*,\s*",
        clause,
    )
    if opening:
        clause = clause[opening.end() :]
    clause_at = at + len(head) - len(clause)
    return _speaker_in(clause, clause_at, named, entities)


def _governed(before: str, at: int, named: Sequence[_Named]) -> bool:
    """A preposition governs the name after `before` (which starts at `at` in its paragraph),
    one that is no part of another name ("National Bureau of Statistics chief Li Deshui")."""
    hit = _AFTER_PREPOSITION.search(before)
    if hit is None or re.search(r"[A-Z][\w’'-]*\s+(?:Mr|Mrs|Ms|Dr|Sir|Dame|Lord|Lady|Prof)\.?\s+$", before):
        return False  # "Speaking in Harrogate Mr Kennedy said": the honorific starts the subject
    if re.search(r"\b[A-Z][a-z]+\s*$", before[: hit.start()]) and is_title_head(
        before[: hit.start()].split()[-1]
    ):
        return False  # "said Secretary of the Interior Dirk Kempthorne": a title
    if re.search(r"[A-Z][\w’'-]*\s+$", before[: hit.start()]) and re.search(
        rf"\s(?:{_ROLE_NOUN_RE})\s+$", before
    ):
        return False  # "The Thick of It writer Armando Ianucci": the "of" is in a title, the role heads him
    return not any(n.start <= at + hit.start() < n.end for n in named)


def _attributed(after: str, before: str) -> bool:
    """The quote's sentence has an attribution of its own (resolved or not: "the paper says")."""
    after, before = _masked(after), _masked(before)
    return (
        re.match(rf"^[\s,]*(?:[^.!?;:“”\"]{{1,60}}?\s+)?(?:{_VERB})\b", after) is not None
        or _OUTLET_QUOTES.match(after) is not None
        or re.search(rf"\b(?:{_VERB})\b[^.!?“”\"]{{0,60}}$", before) is not None
    )


def _subject(n: _Named, s: _Sentence) -> bool:
    """A name no cue made a person's is the subject of its sentence: its verb follows it (after an
    apposition or an adverb), no lower-case word but a role governs it ("identified as X"), and it
    is no title ("The Lord Chancellor, Lord Falconer, agreed")."""
    before = s.text[: n.start - s.start]
    word = re.search(r"\b([a-z][\w-]*)\s+$", before)
    if word and word.group(1) not in _ROLE_NOUNS and not _PERSON_NOUN.fullmatch(word.group(1)):
        return False
    last = n.name.split()[-1]
    if last.lower() in _ROLE_NOUNS or is_title_head(last):
        return False
    return _SUBJECT_VERB.match(s.text[n.end - s.start :]) is not None


def _pronoun_speaker(
    sentence: int,
    sentences: Sequence[_Sentence],
    named: dict[int, list[_Named]],
    quoted: dict[int, list[range]],
) -> str:
    """The nearest earlier subject: the first person named, outside a quotation and a
    prepositional phrase, in the nearest sentence before `sentence` (at most four back) that
    names one; none when that sentence's subject is a description ("The Brazilian confirmed
    ...")."""
    for back in range(sentence - 1, max(-1, sentence - 5), -1):
        s = sentences[back]
        spans = quoted.get(s.paragraph, [])
        people = [
            n
            for n in named.get(s.paragraph, [])
            if (
                n.kind == "person"
                # a name no cue made a person's, when it is the sentence's subject ("Victoria Wood
                # slated comedian Sacha Baron Cohen ...")
                or (n.kind == "person?" and _subject(n, s))
            )
            and s.start <= n.start < s.start + len(s.text)
            and not any(n.start in r for r in spans)
            and not n.possessive
            and not _governed(s.text[: n.start - s.start], s.start, named.get(s.paragraph, []))
        ]
        if people:
            return people[0].name
        if (
            re.match(r"^[“\"‘]?(?:The|A|An)\s+(?:[a-z0-9][\w-]*\s+)*[a-z][\w-]*\s", s.text)
            or _DESCRIBED_SUBJECT.match(s.text)
            or re.match(r"^[“\"‘]?(?:The|A|An)\s+[A-Z][a-z]+\s+(?:[a-z]+ed|said|says|told)\b", s.text)
        ):
            return ""  # "The 25-year-old, who ...", "The Brazilian confirmed": someone unnamed
    return ""


def _names_a_title(noun: str) -> bool:
    """ "judge", "Judge", "minister": a word that heads a title before a name, or a role noun
    (not the unnamed speakers, "the spokesman", which are the speaker as the text calls him)."""
    low = noun.lower()
    if _UNNAMED.search(low):
        return False
    return is_title_head(noun.capitalize()) or low in _ROLE_NOUNS or noun.capitalize() in _COURT_TITLES


def _described_speaker(noun: str, sentence: int, entities: Sequence[_Entity]) -> str:
    """The person a description ("the judge said") refers to: the person named with that title
    or role most recently before `sentence` (at most six sentences back); none when no one was."""
    word = re.compile(rf"\b{re.escape(noun)}\b", re.IGNORECASE)
    titled = [
        (o.sent, e.name)
        for e in entities
        if e.kind == "person"
        for o in e.occs
        if sentence - 6 <= o.sent <= sentence
        and any(word.search(role) for role in (o.title, *(r for _, r in o.person_roles)) if role)
    ]
    return max(titled)[1] if titled else ""


def _full_name(name: str, entities: Sequence[_Entity]) -> str:
    """A first name alone ("Doug said") is the one person introduced with it ("Doug McDermott");
    it stays as it is when none or several were."""
    if " " in name or not name[:1].isupper():
        return name
    full = {
        e.name
        for e in entities
        if e.name.split()[0] == name
        and (
            (e.kind == "person" and len(e.name.split()) >= 2)
            or (_personish(e) and len(e.name.split()) == 2)  # "Doug McDermott", no cue needed
        )
    }
    return full.pop() if len(full) == 1 else name


def _without_court_title(name: str) -> str:
    """ "Magistrate Lee Gilmore" → "Lee Gilmore": the name as introduced, without its title."""
    words = name.split()
    return " ".join(words[1:]) if len(words) >= 3 and words[0] in _COURT_TITLES else name


def _sentences_of(paragraph: str, span: _Span, sentences: Sequence[_Sentence], members: Sequence[int]) -> str:
    """The sentences of the paragraph that the span's words are in, verbatim."""
    inside = [
        sentences[i]
        for i in members
        if sentences[i].start < span.end and span.start < sentences[i].start + len(sentences[i].text)
    ]
    if not inside:
        return paragraph
    return paragraph[inside[0].start : inside[-1].start + len(inside[-1].text)]


def _run_attribution(
    number: int,
    paragraphs: Sequence[str],
    spans: Sequence[Sequence[_Span]],
    named: dict[int, list[_Named]],
    entities: Sequence[_Entity],
) -> str:
    """The attribution of a quotation that goes on from paragraph `number`: the one after the
    mark that closes it (or after the first quotation of the paragraph that opens a new one), "he"
    for a pronoun, "" for none."""
    for later in range(number + 1, min(len(paragraphs), number + _RUN_LINES + 2)):
        if not spans[later]:
            return ""
        first = spans[later][0]
        if first.opens_before and first.goes_on:
            continue
        paragraph = paragraphs[later]
        after = paragraph[first.end : first.end + ATTRIBUTION_CHARS]
        after = re.split(r"[“\"]|(?<=[.!?])\s", after, maxsplit=1)[0]
        return _after_speaker(after, first.end, named.get(later, []), entities)
    return ""


# The end of a sentence that reports speech: "…, Insp Gaskin said." / "…, said the agency."
_REPORTED = re.compile(
    rf",\s*([^,.!?;:]{{1,60}}?\s+(?:{_VERB})|(?:{_VERB})\s+(?:[a-z]+\s+){{0,3}}(?:[A-Z][\w’'-]*\s*){{1,4}})\.$"
)


def _reported_speaker(
    index: int, sentences: Sequence[_Sentence], named: dict[int, list[_Named]], entities: Sequence[_Entity]
) -> str:
    """The speaker of a quotation with no attribution that follows a sentence reporting what
    someone said and naming him at its end ("Two deaths so close together was unusual for the
    time of year, Insp Gaskin said." and the quotation on the next line): more of his words."""
    s = sentences[index]
    if re.search(r"[“”\"]", s.text):
        return ""
    told = _REPORTED.search(s.text)
    if told is None:
        return ""
    at = s.start + told.start(1)
    speaker = _after_speaker(" " + told.group(1), at - 1, named.get(s.paragraph, []), entities)
    if speaker == "he":  # "And Tony Blair would be in the front line, he said": unsure whose
        return ""
    if speaker.startswith("the "):
        return _described_speaker(speaker[4:], index, entities)
    return _without_court_title(speaker)


def _quotes(
    article_id: str,
    paragraphs: Sequence[str],
    sentences: Sequence[_Sentence],
    entities: Sequence[_Entity],
) -> list[Quote]:
    out: list[Quote] = []
    named = _names_by_paragraph(sentences, entities)
    by_paragraph: dict[int, list[int]] = {}
    for index, s in enumerate(sentences):
        by_paragraph.setdefault(s.paragraph, []).append(index)
    spans = _paragraph_spans(paragraphs)
    quoted: dict[int, list[range]] = {
        number: [range(span.start, span.end) for span in found] for number, found in enumerate(spans)
    }
    carried = ""  # the speaker of a quote that ended the previous paragraph
    running = ""  # the speaker of a quotation that goes on from the paragraph before
    for number, paragraph in enumerate(paragraphs):
        members = by_paragraph.get(number, [])
        starts = [sentences[i].start for i in members]
        here = named.get(number, [])
        last_speaker, continued = carried, carried
        last_end: int | None = None
        carried = ""
        for m in spans[number]:
            inner_start, inner = m.inner_start, m.inner
            stripped = inner.strip()
            text = stripped.rstrip(",").rstrip()
            if text.endswith(("—", "–", "-")):
                text = text[:-1].rstrip()
            offset = inner_start + inner.find(stripped)
            at = max(bisect.bisect_right(starts, offset) - 1, 0)
            end_at = max(bisect.bisect_right(starts, m.end - 1) - 1, 0)
            first_sentence = members[at] if members else 0
            last_sentence = members[end_at] if members else 0
            open_s, close_s = sentences[first_sentence], sentences[last_sentence]
            sentence_end = close_s.start + len(close_s.text)
            # the attribution is the words up to the next quotation mark, within a sentence's
            # reach: a page of quotes (a JSON blob) is not read to its end once per quote
            after = paragraph[m.end : min(max(m.end, sentence_end), m.end + ATTRIBUTION_CHARS)]
            cut = re.search(r"[“\"]", after)
            after = after[: cut.start()] if cut else after
            before_from = max(open_s.start, last_end or 0)
            before = paragraph[before_from : m.start]
            if m.opens_before:  # more of a quotation whose speaker its first line found
                speaker = running
                running = running if m.goes_on else ""
                last_speaker = speaker or last_speaker
                last_end = m.end
                if speaker and _word_count(text) >= 4:
                    out.append(
                        Quote(text, speaker, _sentences_of(paragraph, m, sentences, members), article_id)
                    )
                    if members and m.end > sentences[members[-1]].start:
                        carried = speaker  # the paragraph ends with this quotation's sentence
                continue
            speaker = _after_speaker(after, m.end, here, entities)
            if m.goes_on:  # the attribution comes where the quotation ends, paragraphs later
                speaker = _run_attribution(number, paragraphs, spans, named, entities)
            if not speaker or speaker == "he":  # "X said: “…,” he said": he is X
                speaker = _before_speaker(before, before_from, here, entities) or speaker
            if not speaker and not before.strip() and number > 0 and paragraphs[number - 1].endswith(":"):
                # 'X says his organization will probably sue:' and the quotation on the next line
                previous = paragraphs[number - 1]
                speaker = _before_speaker(
                    previous[: len(previous) - 1], 0, named.get(number - 1, []), entities
                )
            if speaker == "he":
                speaker = _pronoun_speaker(first_sentence, sentences, named, quoted)
            elif speaker.startswith("the "):
                speaker = _described_speaker(speaker[4:], first_sentence, entities)
            speaker = _full_name(_without_court_title(speaker), entities)
            if not speaker and continued and m.start == 0 and not _attributed(after, before):
                speaker = continued  # the paragraph opens with more of the last one's quote
            continued = ""
            if not speaker and last_speaker and last_end is not None and not _attributed(after, before):
                between = paragraph[max(last_end, 0) : m.start]
                # the names of the last quote's own attribution ("said Iron Maiden's Bruce
                # Dickinson.") are not someone else's sentence
                told = re.search(r"[.!?]\s", between) if re.match(r"^\s*(?:,|[a-z])", between) else None
                since = last_end + (told.end() if told else 0)
                if any(
                    since <= n.start < m.start and n.kind in ("person", "person?") and n.name != last_speaker
                    for n in here
                ):
                    between = "“"  # a sentence about someone else came between: no more of the last quote
                # the attribution of the quote before ended its sentence: this one goes on
                if not re.search(r"[“\"]", between) and (
                    re.search(r"[.!?]\s*$", between) or not between.strip()
                ):
                    speaker = last_speaker
            if not speaker and not before.strip() and not _attributed(after, before) and first_sentence > 0:
                speaker = _reported_speaker(first_sentence - 1, sentences, named, entities)
            last_end = m.end
            if not speaker or _word_count(text) < 4:
                last_speaker = speaker or last_speaker
                continue
            last_speaker = speaker
            running = speaker if m.goes_on else ""
            last = max(first_sentence, members[bisect.bisect_left(starts, offset + len(text)) - 1])
            first_s, last_s = sentences[first_sentence], sentences[last]
            sentence = paragraph[first_s.start : last_s.start + len(last_s.text)]
            out.append(Quote(text, speaker, sentence, article_id))
            if last_s is sentences[members[-1]]:
                carried = speaker  # the paragraph ends with this quote's sentence
    return out

"""Cues and roles: what the words around one occurrence of a name say it is.

Each occurrence collects cues from the words around it:

- person: a role beside it (NAME, an analyst at X / chief AI officer NAME / NAME ... as ROLE /
  its leader, NAME / NAME, who leads X), a speech verb (said NAME, NAME said), NAME, who,
  founded by NAME, hired NAME, a pronoun that can only be it, a title (Mr, Dr), being referred
  to by surname alone. Persons must have a name's shape (see `names`).
- organisation: an organisation word in the name (Labs, Inc, Capital, Partners, Research,
  University, ...; AI as its last word; "&"), an organisation noun beside it (the consultancy X,
  X, the startup, X lab), a role of it (analyst at X, X spokesperson), joined / left / at X,
  years at X, stake in X, researchers from X, companies like X, reports from X, rivalry
  (compete with X, racing X), X's before a
  name, X <verb> ... its, a corporate verb (announced, raised, hired, said, ...), "The" inside
  a sentence, "calling itself X".
- product (not reported): digits (Llama 4), a product noun after it (X model, X app, X podcast),
  the object of release / launch / download, X, the ... model.
- place (not reported): after in / from / across / based in, unless organisation cues are
  stronger; a word that only modifies an organisation named next (the Paris venture firm X).

A person's role is a noun phrase of the text, or none: a title before the name (its tense kept:
"former Labour MP", "then president"; with the office split off before it: "then Home Office
Minister"; ended by a verb: "a deal that brought chief AI officer X"), an apposition ("X, UK
economist for Capital Economics", "X's attorney, NAME", "the chairman of ..., NAME"), a copular
clause ("who was the mandatory challenger ..."), "as ROLE", or a verb of office ("who directs Y").
Nationality, kinship, a party alone, "its leader" and phrases that hold a verb give none.

Names listed together and the evidence each kind needs are in `entities`.
"""

from __future__ import annotations

import re

from pipeline.understand.facts.kinds import (
    _MEDIA_LAST,
    _TITLE_HEADS,
    _WORK_AFTER,
    _WORK_NOUNS,
    _WORK_VERBS,
    is_demonym,
    names_a_place,
    names_an_event,
)
from pipeline.understand.facts.names import _Occ, _person_shaped
from pipeline.understand.facts.text import _WINDOW, _word_count
from pipeline.understand.facts.words import (
    _CORPORATE_VERBS,
    _FUNCTION_RE,
    _FUNCTION_WORDS,
    _NAME_CONNECTORS,
    _ORG_NOUN_RE,
    _ORG_NOUNS,
    _ORG_WORDS,
    _PRODUCT_NOUN_RE,
    _ROLE_NOUN_RE,
    _ROLE_NOUNS,
    _SPEECH_VERBS,
    _STOPCAPS,
)

_ROLE_WORD_RE = re.compile(rf"\b(?:{_ROLE_NOUN_RE})\b", re.IGNORECASE)
_ROLE_PLURAL_RE = re.compile(rf"\b(?:{_ROLE_NOUN_RE})s\b", re.IGNORECASE)
# Verbs that name an office held ("X, who directs Y"); "who founded Y", "who owns Y" hold none.
_ROLE_VERB_RE = (
    "leads|led|runs|ran|heads|headed|maintains|maintained|chairs|chaired|manages|"
    "managed|oversees|oversaw|directs|directed|edits|edited|coaches|coached"
)
# Words after which a noun is the head of its phrase ("the startup founded by", "the company he ...").
_HEAD_END = (
    "he|she|they|it|we|that|which|who|whose|founded|co-founded|started|built|based|backed|owned|run|led|"
    "with|from|for|in|at|of|on|known|called|behind|where|and"
)


_TWO_NAMES = re.compile(r"[A-Z][\w-]+\s+[A-Z][\w-]+")
# Roles that no organisation gives: "Wimbledon champion", "Texas inmate", "Oscar winner".
_UNEMPLOYED_ROLES = frozenset(
    "champion challenger candidate suspect defendant inmate icon thrower jumper sprinter boxer artist actor "
    "actress singer writer author novelist farmer politician comedian activist campaigner".split()
)
_EMPLOYED_ROLE_RE = "|".join(
    sorted((re.escape(r) for r in _ROLE_NOUNS - _UNEMPLOYED_ROLES), key=len, reverse=True)
)
# Lowercase words that qualify a role before its organisation: "chief AI officer", "state
# District Judge", "former Meta chief AI scientist".
_ROLE_MODIFIERS = frozenset(
    "chief vice senior deputy assistant associate executive managing general principal lead acting "
    "interim state federal national regional district county city".split()
)
_PARTY_WORDS = frozenset("Democrat Republican Conservative Tory Labour Liberal".split())
# Words that say a role was held before: "former Labour MP", "then president", "ex-minister".
_TENSE_WORDS = frozenset("former then ex onetime erstwhile".split())
_HONORIFICS = frozenset("Mr Mrs Ms Miss Dr Prof Sir Dame Rev".split())
# The first words of compound positions: "running back", "full back".
_BACKS = frozenset("running full half fly quarter centre center line".split())
# Common verbs that stand before a role noun without ending in -ed or -ing: "a deal that brought
# chief AI officer X", "found polygamist leader X guilty", "to remove state District Judge X".
_VERBS = frozenset(
    "found find finds remove removes brought bring brings made make makes took take takes met meet meets "
    "saw see sees told tell tells gave give gives became become becomes name names appoint appoints hire "
    "hires elect elects beat beats replace replaces succeed succeeds join joins face faces fire fires sue "
    "sues thank thanks praise praises visit visits welcome welcomes urge urges ask asks interview "
    "interviews sent send sends let lets put puts chose choose chooses left leave leaves won win wins "
    "lost lose loses got get gets kept keep keeps led ran run runs sold sell sells paid pay "
    "pays like likes than versus vs against".split()
)
# Role nouns that are verbs too, and the words after which they are: "will head", "to coach".
_VERB_ROLES = frozenset("head chair coach captain skipper referee judge partner host".split())
_BEFORE_A_VERB = frozenset("will would shall should can could may might must cannot".split())


def _trim_role(role: str) -> str:
    # "executive vice president of X and former director of Y": the first of two roles
    role = re.split(
        rf"\s+and\s+(?:(?:a|an|the|former|ex-|then)\s*)?(?:[\w-]+\s+){{0,2}}?(?:{_ROLE_NOUN_RE})\b", role
    )[0]
    role = re.split(
        r"\s+(?:who|which|that|whose|where|said|says|after|before|when|while|since|until|"
        r"has|have|had|is|was|were|will|would|"  # "chief executive of Sea Micro has said": a verb
        r"and\s+(?:a|an|the)\s+\w+\s+(?:at|of))\b",
        role,
    )[0]
    role = re.sub(r"^(?:as)\s+", "", role.strip())
    return role.strip(" ,;:")


def _role_phrase(text: str) -> str:
    """The role at the start of `text`: its words up to the last role noun before a break."""
    kept: list[str] = []
    last = -1
    for w in re.findall(r"[\w’'&-]+|[^\w\s]", text)[:8]:
        low = w.lower()
        if not re.match(r"^[\w&]", w) or (low in _FUNCTION_WORDS and low != "of"):
            break
        kept.append(w)
        if low in _ROLE_NOUNS:
            last = len(kept)
    return " ".join(kept[:last]) if last > 0 else ""


def _has_role_noun(text: str) -> bool:
    """A role noun in `text`; a plural one only in "one of the project's maintainers"."""
    if _ROLE_WORD_RE.search(text) is not None:
        return True
    return text.lower().startswith("one of") and _ROLE_PLURAL_RE.search(text) is not None


def _role_word(word: str) -> bool:
    """A role noun, also with a prefix: "co-chairman", "vice-president", "ex-minister"."""
    low = word.lower()
    return low in _ROLE_NOUNS or re.sub(r"^(?:co|vice|deputy|ex|acting|assistant)-", "", low) in _ROLE_NOUNS


def _title_before(before: str) -> str:
    """The title right before a name: "chief AI officer", "Stanford professor", "then
    president", "former star running back", "" if none. A word that is a verb ends it ("a deal
    that brought chief AI officer X", "jurors found polygamist leader X")."""
    prev = re.findall(r"[\w’'&.-]+|[^\w\s]", before)
    while prev and prev[-1].rstrip(".") in _HONORIFICS and len(prev) >= 2:
        prev = prev[:-1]  # "MAB spokesman Dr Azzam Tamimi": the honorific is no part of the role
    if not prev or before.endswith(("’s ", "'s ")):
        return ""
    compound = len(prev) >= 2 and prev[-1].lower() == "back" and prev[-2].lower() in _BACKS  # "running back"
    if not (_role_word(prev[-1]) or compound) and not (
        prev[-1].islower() and prev[-1].capitalize() in _TITLE_HEADS
    ):
        return ""
    if len(prev) >= 2 and prev[-2].lower() in _BEFORE_A_VERB and prev[-1].lower() in _VERB_ROLES:
        return ""  # "will head Dole's team", "to coach Milan": a verb, not a title
    k = len(prev) - (2 if compound else 1)
    capitalised = False
    while k >= 1:
        w = prev[k - 1]
        low = w.lower()
        if low in _TENSE_WORDS:
            k -= 1  # "former", "then": the tense is part of the role
            break
        if w in ("-", "–") and k >= 2 and prev[k - 2].lower() in _TENSE_WORDS:
            k -= 2  # "then - assistant coach" (a spacing of "then-assistant coach")
            break
        breaks = (
            low in _FUNCTION_WORDS
            or not re.match(r"^[\w]", w)
            or low.endswith(("ed", "ing"))
            or re.fullmatch(_SPEECH_VERBS, low) is not None
            or low in _VERBS
        )
        if (breaks and low not in ("chief", "vice", "senior")) or w.endswith(("’s", "'s")):
            break
        if capitalised and w.islower() and low not in _ROLE_MODIFIERS:
            break  # "the claims Tory Party co-chairman": the role's organisation ends it
        if low == "old" and k >= 2 and prev[k - 2] in ("-", "–"):
            break  # "The 36 - year - old champion": an age
        capitalised = capitalised or w[:1].isupper()
        k -= 1
    return " ".join(prev[k:])


def _with_tense(title: str, before: str) -> str:
    """A title split off before a name, with the capitalised words that end right before it
    (the office it is of: "Home Office Minister") and a tense word before those ("then Home
    Office Minister", "former Labour MP")."""
    head = before[: len(before.rstrip()) - len(title)] if before.rstrip().endswith(title) else ""
    if not head:
        return title
    run = re.search(r"(?:(?<=\s)|^)((?:[A-Z][\w’'&.-]*\s+)+)$", head)
    words = run.group(1).split() if run else []
    while words and (words[0] in _STOPCAPS or words[0] in _TITLE_HEADS):
        words.pop(0)  # "although Prime Minister", "Earlier Foreign Secretary"
    if (
        words
        and run is not None
        and head[: len(head) - len(run.group(1))].strip() == ""
        and re.search(r"(?:ly|ed|ing)$", words[0])
    ):
        words = words[1:]  # a sentence's first word, capitalised anyway ("Reportedly", "Speaking")
    extended = " ".join([*words, title])
    rest = head[: len(head) - len(" ".join(words)) - (1 if words else 0)] if words else head
    tense = re.search(r"(?:^|\s)((?:former|then|ex|onetime|erstwhile)(?:\s*-\s*|\s+))$", rest, re.IGNORECASE)
    if tense:
        extended = tense.group(1) + extended
    return extended if extended in before else title


def _appositive_cues(occ: _Occ, after: str) -> None:
    """`NAME, an analyst at X,` / `NAME, who leads X,` / `X, the startup` / `X, the ... model`."""
    # "King, 39, a medical records clerk at X,": the age first
    appositive = (
        re.match(r"^(?:,\s+(?:aged\s+)?\d{1,3})?,\s+([^,;:“”\"()—–]+)", after) if not occ.possessive else None
    )
    if not appositive:
        return
    text = appositive.group(1)
    who = re.match(
        rf"^who\s+(?:now\s+|previously\s+|currently\s+|also\s+|once\s+)?((?:{_ROLE_VERB_RE})\s+.+)$", text
    )
    role = _trim_role(text.rstrip("."))
    copular = _copular_role(text)
    org_head = re.match(
        rf"^(?:the|a|an|its)\s+((?:[\w’'-]+\s+){{0,3}}?(?:{_ORG_NOUN_RE}))(?:\s+(?:{_HEAD_END})\b|\s*$)", text
    )
    product_head = re.match(
        rf"^(?:the|a|an|its)\s+(?:[\w’'-]+\s+){{0,3}}?(?:{_PRODUCT_NOUN_RE})(?:\s+(?:{_HEAD_END})\b|\s*$)",
        text,
    )
    verb_first = re.match(
        rf"^(?:and|or|which|that|where|whose|when|while|but|{_SPEECH_VERBS}|[a-z]+ed|[a-z]+ing)\b", role
    )
    if who:
        occ.person += 3
        # "who ran FAIR for several years" → "who ran FAIR": the clause reads as a role only with
        # its pronoun ("Joelle Pineau, who ran FAIR", not "Joelle Pineau, ran FAIR")
        held = re.split(
            r"\s+for\s+(?:several|many|more|\d)|,?\s+and\s+(?=(?:has|have|had|is|was|will|then|later|now|since)\b)",
            text.rstrip("."),
        )[0]
        occ.person_roles.append((5, "who " + _trim_role(held[len("who ") :])))
    elif re.match(r"^(?:founded|co-founded|based|headquartered|incorporated|listed)\b", text):
        occ.org += 2
    elif copular:
        occ.person += 3
        occ.person_roles.append((5, copular))
    elif text.startswith("who "):
        occ.person += 2
    elif (
        re.match(r"^[A-Z]", text)
        and re.search(r"[A-Z][\w’'-]+\s+[A-Z][\w’'-]+$", role)
        and not re.search(r"\b(?:of|for|at|with|from)\s+(?:the\s+)?(?:[A-Z][\w’'-]+\s+)*[A-Z][\w’'-]+$", role)
    ):
        pass  # "Condoleezza Rice, UN Secretary General Kofi Annan, ...": the next name of a list
        # (not "Paul Dales, UK economist for Capital Economics,": an affiliation)
    elif re.match(r"^[A-Z][\w’'-]+\s+[A-Z][\w’'-]+(?:\s+and\b|\s*$)", text):
        pass  # "Clive Owen, Jamie Foxx and Alan Alda": the next names of a list
    elif (
        role
        and _has_role_noun(role)
        and _word_count(role) <= 12
        and not (verb_first or org_head or product_head or _verb_before_role(role) or _not_its_head(role))
    ):
        occ.person += 3
        occ.person_roles.append((1, role))
    elif org_head:
        occ.org += 3
        occ.org_roles.append((1, org_head.group(1)))
    elif product_head:
        occ.product += 3


def _whose(role: str, before: str) -> bool:
    """A bare role after a possessive pronoun: "The lab lost its leader, Joelle Pineau", "its
    leader Joelle Pineau had already left": whose, the role does not say."""
    at = before.rfind(role)
    return (
        role.lower() in ("leader", "head", "chief", "boss", "member")
        and at >= 0
        and re.search(r"\b(?i:its|his|her|their)\s+$", before[:at]) is not None
    )


def _verb_before_role(role: str) -> bool:
    """A verb before the role's noun: "later told the audience the MEP ...", "beat his former
    co-star ... to win best musical actor": a clause, not an apposition."""
    words = re.findall(r"[\w’'-]+", role)
    head = next((i for i, w in enumerate(words) if _role_word(w)), len(words))
    return any(
        w.lower() in _VERBS
        or re.fullmatch(_SPEECH_VERBS, w.lower())
        or w.lower() in ("is", "was", "has", "had")
        for w in words[:head]
    )


def _not_its_head(role: str) -> bool:
    """The role noun only qualifies another noun: "author Ian Fleming's first James Bond book"."""
    words = re.findall(r"[\w’'-]+", role)
    at = [i for i, w in enumerate(words) if _role_word(w)]
    if not at or at[-1] + 1 >= len(words):
        return False
    nxt = words[at[-1] + 1]
    return not (
        nxt.islower() and (nxt in _FUNCTION_WORDS or nxt == "general" or re.search(r"(?:ed|ing|en)$", nxt))
    )


def _copular_role(text: str) -> str:
    """The role a copular relative clause gives: "who is now Veritas' deputy leader" → "Veritas'
    deputy leader", "who was the mandatory challenger nominated by the IBF" → "the mandatory
    challenger nominated by the IBF" (a narrative "was" is no "former")."""
    hit = re.match(r"^who\s+(?:is|was|remains|has\s+been)\s+(?:now\s+|also\s+|currently\s+)?", text)
    if not hit:
        return ""
    role = _trim_role(text[hit.end() :].rstrip("."))
    if not role or not _has_role_noun(role) or _word_count(role) > 12:
        return ""
    if not re.match(r"^(?:the|a|an|one|its|his|her|their|[A-Z][\w’'-]*)\b", role):
        return ""  # "who was found guilty of murdering a judge": a verb, no noun phrase
    return role


def _person_cues(occ: _Occ, before: str, after: str) -> None:
    _appositive_cues(occ, after)
    copular = re.match(r"^\s+(who\s+(?:is|was)\s+[^,;:“”\"()—–]+)", after)  # "Damien Hockney who is now ..."
    if copular and _copular_role(copular.group(1)):
        occ.person += 3
        occ.person_roles.append((5, _copular_role(copular.group(1))))
    # "hired NAME as chief financial officer"
    as_role = re.match(
        rf"^(?:\s+[\w’'-]+){{0,3}}?\s+as\s+((?:(?:its|their|the|a|an)\s+)?(?:[\w’'&-]+\s+){{0,4}}?"
        rf"(?:{_ROLE_NOUN_RE}))\b",
        after,
    )
    if as_role and not re.search(r"[,.;]|\b(?:him|her|them|it|himself|herself)\b", after[: as_role.start(1)]):
        occ.person += 2
        role = _role_phrase(re.sub(r"^(?:its|their|the|a|an)\s+", "", after[as_role.start(1) :]))
        occ.person_roles.append((2, role))
    # "NAME ..., where he founded X and served as chief AI scientist" (NAME the subject)
    served = re.search(
        r"\b(?:(?:served|serves|worked|works|remained|was named|was appointed|was hired|stepped down)\s+as|"
        r"became|becomes)\s+(?:(?:its|their|the|a|an)\s+)?(?:[\w-]+[’']s\s+)?"
        rf"((?:[\w’'&-]+\s+){{0,4}}?(?:{_ROLE_NOUN_RE}))\b",
        after,
    )
    subject = re.search(r"[A-Z]", before.lstrip('“"‘(')[1:]) is None
    between = after[: served.start()] if served else ""
    if served and not as_role and subject and re.search(r"[A-Z][a-z]+\s+[A-Z][a-z]+", between) is None:
        held = _role_phrase(after[served.start(1) :])
        if held and re.match(r"^(?:served|worked|remained|stepped)\b", served.group(0)):
            # "served as chief AI scientist before leaving": a past role, shown with its verb
            held = re.sub(r"\s+", " ", after[served.start() : served.start(1)]) + held
        occ.person_roles.append((2, held))
    # a personal pronoun that can only refer to this name
    pronoun = re.search(r"\b(?:he|she|his|her|him|himself|herself)\b", after)
    if (pronoun and _TWO_NAMES.search(after[: pronoun.start()]) is None) or (
        re.search(r"\b(?:[Hh]is|[Hh]er)\b", before) and _TWO_NAMES.search(before) is None
    ):
        occ.person += 1.5
    title = _with_tense(occ.title, before) if occ.title else _title_before(before)
    if title and all(w in _PARTY_WORDS for w in title.split()):
        occ.person += 3  # "Conservative Graham Brady": a party, no role
        title = ""
    if title:
        occ.person += 3
        if not _whose(title, before):
            occ.person_roles.append((3, title))
    if occ.nationality:
        occ.person += 2  # "American Andy Roddick", "Briton Tim Henman"
    if re.match(r"^,\s+(?:aged\s+)?\d{1,3}\s*[,.;)]", after):
        occ.person += 3  # "Phil Simmons, 33,": an age
    if re.match(
        r"^\s+(?:has\s+|had\s+|have\s+)?(?:died|resigned|retired|married|testified|apologi[sz]ed|smiled|"
        r"laughed|wept|was\s+(?:born|killed|arrested|injured|wounded|shot|sentenced|jailed|charged|"
        r"elected|sworn|knighted|buried))\b",
        after,
    ):
        occ.person += 2  # what only a person does
    # "its leader, NAME" / "A company spokesperson, NAME,"
    the_role = re.search(
        r"(?:\b(?i:a|an|the|its|his|her|their)\s+|(?<=\s)(?=[A-Z][\w-]*[’']s?\s)|^)"
        rf"((?:[A-Z][\w-]*[’']s?\s+)?(?:(?!(?i:{_FUNCTION_RE})\s)[\w&’'-]+\s+){{0,3}}[\w-]+)\s*,\s*$",
        before,
    )
    of_role = re.search(  # "The chairman of the MCB's public affairs committee, Sher Khan,"
        rf"(?:\b(?i:a|an|the)\s+|^)((?:[\w-]+\s+){{0,2}}(?i:{_ROLE_NOUN_RE})\s+(?:of|for|at|from)\s+"
        r"[^,;:“”\"()]{1,60}?)\s*,\s*$",
        before,
    )
    vague = the_role and _whose(the_role.group(1), before[: the_role.end(1)])
    if the_role and any(w.lower() in _FUNCTION_WORDS for w in the_role.group(1).split()):
        the_role = None  # "one of DOD's leaders but his lawyer, X": two phrases, not a role
    if the_role and _has_role_noun(the_role.group(1).split()[-1]) and not vague:
        occ.person += 3
        occ.person_roles.append((4, the_role.group(1)))
    elif of_role and _word_count(of_role.group(1)) <= 12:
        occ.person += 3
        occ.person_roles.append((4, of_role.group(1)))
    elif the_role and the_role.group(1).split()[-1].lower() in _ORG_NOUNS:  # "His new company, X"
        occ.org += 3
        occ.org_roles.append((2, the_role.group(1)))
    if re.search(rf"(?:[,”\"]\s*(?:{_SPEECH_VERBS})|according to)\s+$", before) or (
        re.match(rf"^\s+(?:has\s+|had\s+|have\s+)?(?:{_SPEECH_VERBS})\b", after)
        # not the object of a preposition: in "Andrew Feldman, chief executive of Sea Micro has
        # said", the one who said is the subject before it
        and not re.search(r"\b(?:of|at|for|from|with)\s+(?:the\s+)?$", before)
    ):
        occ.person += 1
    if re.search(
        r"\b(?:founded|co-founded|led|run|headed|created|directed|chaired|started)\s+by\s+$", before
    ) or (
        _person_shaped(occ.tokens)
        and re.search(
            r"\b(?:hired|hires|appointed|appoints|named|promoted|fired|poached|recruited)\s+$", before
        )
    ):
        occ.person += 2
    if re.search(r"\b(?:Mr|Mrs|Ms|Dr|Prof|Sir|Dame|Mx)\.?\s+$", before):
        occ.person += 3


# The last word of a building's name: in one, it is a place.
_FACILITIES = frozenset(
    "Hospital Clinic Hotel Prison Jail Museum Cathedral Church Mosque Temple Palace".split()
)

# What only an organisation has, or only a person, after "X's" (other nouns say nothing).
_CORPORATE_POSSESSION = re.compile(
    r"^\s+(?:[a-z-]+\s+)?(?:shares?|stock|revenue|sales|profits?|earnings|apps?|platforms?|products?|"
    r"models?|users|customers|employees|staff|board|investors|shareholders|divisions?|units?|labs?|"
    r"headquarters|subsidiar\w+|market|business|strategy|plans?|spending|capex|valuation)\b"
)
_PERSONAL_POSSESSION = re.compile(
    r"^\s+(?:[a-z-]+\s+)?(?:departure|exit|career|life|wife|husband|family|childhood|vision|stature|"
    r"brainchild|tenure|retirement|resignation|own)\b"
)


def _org_cues(occ: _Occ, before: str, after: str, after_np: str) -> bool:
    """Organisation cues; False when the name only modifies an organisation named next."""
    tokens = occ.tokens
    words = [t for t in tokens if t.lower() not in _NAME_CONNECTORS]
    if re.search(r"\b(?:calling|calls|called|named) itself\s+$", before):
        occ.org += 2
    if "&" in tokens:
        occ.org += 2
    if any(t in _ORG_WORDS for t in words) or (len(words) >= 2 and words[-1] in ("AI", "AG", "SA")):
        occ.org += 3
    if re.match(rf"^\s+(?:[a-z][\w-]*\s+){{0,3}}(?:{_ORG_NOUN_RE})\s+[A-Z]", after):
        occ.place += 2  # a modifier of the organisation named next: "the Paris venture firm X"
        return False
    if tokens[0] == "The" and not occ.initial and tokens[-1] in _MEDIA_LAST:
        occ.org += 3  # "The Compute Desk", "The Times"
    elif tokens[0] == "The" and not occ.initial:
        occ.org_weak += 1  # "The Oval", "The Godfather" as often as "The Times"
    org_before = re.search(rf"\b(?i:the|a|an)\s+((?:[\w’'-]+\s+){{0,3}}?(?:{_ORG_NOUN_RE}))\s+$", before)
    if org_before is None:  # "joined Canadian AI startup Cohere": a nationality opens the phrase
        described = re.search(rf"\b([A-Z][a-z]+\s+(?:[\w’'-]+\s+){{0,2}}?(?:{_ORG_NOUN_RE}))\s+$", before)
        org_before = described if described and is_demonym(described.group(1).split()[0]) else None
    if org_before:
        # "the lab Yann LeCun founded in 2013": the noun belongs to a relative clause, not to the name
        relative = re.match(
            r"^\s+(?:[a-z]+ed|founded|built|led|runs|run|started|set up|leads)\b"
            r"(?!\s+(?:the|a|an|its|his|her|their|[A-Z0-9$€£]))",
            after,
        )
        cue = 0.5 if relative else 3.0
        occ.org += cue
        occ.pre_org = max(occ.pre_org, cue)
        occ.org_roles.append((1, org_before.group(1)))
    org_after = (
        re.match(rf"^\s+(?:((?!(?:{_FUNCTION_RE})\b)[a-z][\w-]*)\s+)?({_ORG_NOUN_RE})\b(?!\s+[A-Z])", after)
        if not occ.possessive
        else None
    )
    if org_after and is_demonym(tokens[0]) and re.search(r"\b(?:a|an)\s+$", before):
        occ.place += 2  # "an Italian Roman Catholic organisation", "a Polish SPC group": a description
    elif org_after:
        # "the Dutch chipmaker", "the FAIR lab": after an article a word may only describe
        descriptor = len(tokens) == 1 and not tokens[0].isupper() and re.search(r"\b(?:the|a|an)\s+$", before)
        occ.org += 1 if descriptor else 2
        occ.org_roles.append((3, " ".join(g for g in org_after.groups() if g)))
    if re.search(rf"\b(?:{_EMPLOYED_ROLE_RE})s?\s+(?:at|with|from)\s+(?:the\s+)?$", before, re.IGNORECASE):
        occ.org += 3  # "an analyst at X", "engineers from X"
        occ.pre_org = max(occ.pre_org, 3)
    elif re.search(rf"\b(?:{_ROLE_NOUN_RE})s?\s+(?:of|for)\s+(?:the\s+)?$", before, re.IGNORECASE):
        occ.org_weak += 2  # "founder of X", but also "governor of Texas"
    held = re.match(rf"^([’']s?)?\s+((?:[a-z][\w-]*\s+){{0,2}})({_ROLE_NOUN_RE})\b", after)
    if held and not _person_shaped(tokens) and held[3].lower() not in _UNEMPLOYED_ROLES:
        corporate = re.match(
            r"^(?:spokes\w+|executive|chief|officer|cfo|ceo|cto|chairman|chairwoman)$", held[3]
        )
        if held[1] or (corporate and not held[2]) or len(tokens) > 1:
            occ.org += 3  # "X spokesperson", "X's chief executive"
        else:
            occ.org_weak += 2  # "a Texas trader", "the Dole campaign manager": places and people too
    if re.search(
        r"\b(?:joined|joins|join|left|left for|leaving|leave|quit|works at|worked at|working at|"
        r"(?:departure|exit|resignation|dismissal|move|defection) from)\s+$",
        before,
    ):
        occ.org += 2
        occ.pre_org = max(occ.pre_org, 2)
    elif re.search(
        r"\b(?:career|years|year|tenure|job|jobs|role|roles|positions?|stint|time|work|works|worked|working|"
        r"employed|staff|researchers?|engineers?|executives?|employees?)\s+at\s+$",
        before,
    ):
        occ.org += 2
    elif re.search(r"\bat\s+$", before):
        occ.org_weak += 0.5  # "at Microsoft", "at Headingley"
    if re.search(r"\b(?:stakes?|invest\w*|shares)\s+in\s+$", before):
        occ.org += 2
    if re.search(
        r"\b(?:companies|firms|labs|rivals|competitors|startups|outlets|publications|newspapers)"
        r"\s+(?:like|such as|including)\s+$|\b(?:[Rr]eports?|[Rr]eporting)\s+(?:from|by)\s+(?:the\s+)?$",
        before,
    ):
        occ.org += 3  # "companies like OpenAI and Google", "reports from TechCrunch"
        occ.pre_org = max(occ.pre_org, 3)
    if re.search(
        r"\b(?:researchers|engineers|staff|employees|executives|models|weights|families|family|talent|offers?)"
        r"\s+from\s+$",
        before,
    ) or re.search(
        r"\b(?:compet\w*\s+with|rivals?|racing|race\s+with|catch(?:ing)?\s+up\s+with|contention\s+with|"
        r"gap\s+with)\s+$",
        before,
    ):
        occ.org += 2
        occ.pre_org = max(occ.pre_org, 2)
    if occ.possessive:
        capital_next = re.match(r"^\s+[A-Z]", after_np) is not None  # "OpenAI's GPT-5.4"
        if capital_next:
            occ.org_weak += 2  # "OpenAI's GPT-5.4" (but also "London's FTSE 100 index")
            occ.product += 0.5
        elif _CORPORATE_POSSESSION.match(after_np):
            occ.org_weak += 0.5  # "Meta's shares", "Meta's apps"
        elif _PERSONAL_POSSESSION.match(after_np):
            occ.person += 0.5  # "LeCun's departure", "LeCun's vision"
    elif re.match(
        r"^\s+(?:shares|stock)\s+(?:rose|fell|jumped|climbed|dropped|slid|gained|lost|were|have|had)\b", after
    ):
        occ.org += 2  # "Meta shares rose 2.1%": a listed company
    elif not org_after:  # "the Dutch chipmaker abused its ...": the subject is the noun, not the name
        if re.match(
            rf"^\s+(?:has\s+|have\s+|had\s+|is\s+|was\s+|also\s+|now\s+)?(?:{_CORPORATE_VERBS})\b", after
        ):
            occ.org_weak += 1  # countries and people say and announce too
        if re.match(r"^\s+(?:has\s+|had\s+|is\s+|was\s+)?[a-z]\w+\b[^,;.]{0,60}?\bits\b", after):
            occ.org_weak += 1
    return True


def _product_and_place_cues(occ: _Occ, before: str, after: str) -> None:
    if names_an_event(occ.tokens):
        occ.product += 4  # "Commonwealth Games", "Hurricane Ivan": an event, not a name to list
    if names_a_place(occ.tokens):
        occ.place += 4  # "Sri Lanka", "Czech Republic", "West Bank"
    if re.match(r"^\s+(?:police|area|suburbs?|residents|mayor|city\s+council)\b", after) or re.search(
        r"\b(?:north|south|east|west|northern|southern|eastern|western|central|downtown|greater)\s+$", before
    ):
        occ.place += 3  # "Liege police", "the Chicago area", "north London": what only a place has
    if occ.tokens[-1] in _FACILITIES and re.search(
        r"\b(?:in|at|to|into|from|outside|near)\s+(?:the\s+|[A-Z][\w-]*[’']s\s+)?$", before
    ):
        occ.place += 3  # "recovering in Moscow's Central Clinical Hospital": a building
    if re.search(
        rf"\b(?:the|a|an|his|her|its|their|new|latest|hit)\s+(?:[a-z][\w-]*\s+)?(?:{_WORK_NOUNS})\s+(?:[“\"‘]\s*)?$"
        rf"|\b(?:{_WORK_VERBS})\s+(?:[“\"‘]\s*)?$",
        before,
    ) or re.match(rf"^[”\"’]?\s+(?:{_WORK_AFTER})\b", after):
        occ.product += 3  # "the film Hotel Rwanda", "directed American Pie": a work
    if re.search(r"\b(?:1[89]|20)\d\d\s+$", before):
        occ.product += 2  # "the 1965 Fender Stratocaster": a model of its year
    if re.search(r"[“\"]\s*$", before) and re.match(
        r"^(?:[’']s)?(?:\s+[A-Z][\w’'-]*){0,4}\s*[,.]?\s*[”\"]", after
    ):
        occ.product += 2  # a title in quotation marks: "The Godfather", "Schindler's List"
    if any(c.isdigit() for c in occ.name) or re.match(r"^\s+\d+(?:\.\d+)?(?![\d.,]*\s*(?:%|[–-]\d))", after):
        occ.product += 3  # "Llama 4", "GPT-5.4"
    if not occ.possessive and re.match(
        rf"^\s+(?:(?!(?:{_FUNCTION_RE})\b)[a-z][\w-]*\s+)?(?:{_PRODUCT_NOUN_RE})\b", after
    ):
        occ.product += 3  # "X model", "the Kiln inference toolkit"
    if re.search(
        r"\b(?:released|release|releases|launched|launches|launch of|unveiled|unveils|shipped|ships|"
        r"introduced|downloaded|download|fine-tuned|deployed|debuted|rolled out|called|named|dubbed|"
        r"code name|known internally as|known as)\s+(?:the\s+|its\s+|a\s+)?(?:[a-z][\w-]*\s+)?$",
        before,
    ):
        occ.product += 2
    if re.search(rf"\b(?:{_PRODUCT_NOUN_RE})\s+$", before):
        occ.product += 3  # "the technology podcast X"
    if re.search(r"\w[’']s\s+$", before):
        occ.product += 1  # "Meta's X"
    if (
        not occ.pre_org
        and re.search(r"\b(?:in|from|across|near|outside|around|throughout|based in)\s+(?:the\s+)?$", before)
        and not re.search(r"\b(?:stakes?|invest\w*|shares|departure|exit)\s+(?:in|from)\s+$", before)
    ):
        occ.place += 1.5


def _cues(occ: _Occ, sentence: str) -> None:
    """Collect the person/org/product/place cues and roles of one occurrence, in place."""
    before = sentence[max(0, occ.start - _WINDOW) : occ.start]
    after = sentence[occ.end : occ.end + _WINDOW]
    after_np = after[2:] if occ.possessive and after[:2] in ("’s", "'s") else after
    if occ.possessive and after_np[:1] in ("’", "'"):
        after_np = after_np[1:]
    _person_cues(occ, before, after)
    if _org_cues(occ, before, after, after_np):
        _product_and_place_cues(occ, before, after)

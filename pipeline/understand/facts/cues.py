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
)

_ROLE_WORD_RE = re.compile(rf"\b(?:{_ROLE_NOUN_RE})\b", re.IGNORECASE)
_ROLE_PLURAL_RE = re.compile(rf"\b(?:{_ROLE_NOUN_RE})s\b", re.IGNORECASE)
_ROLE_VERB_RE = (
    "leads|led|runs|ran|heads|headed|maintains|maintained|founded|co-founded|chairs|chaired|manages|"
    "managed|oversees|oversaw|directs|directed|edits|edited|owns|owned|coaches|coached"
)
# Words after which a noun is the head of its phrase ("the startup founded by", "the company he ...").
_HEAD_END = (
    "he|she|they|it|we|that|which|who|whose|founded|co-founded|started|built|based|backed|owned|run|led|"
    "with|from|for|in|at|of|on|known|called|behind|where|and"
)


_TWO_NAMES = re.compile(r"[A-Z][\w-]+\s+[A-Z][\w-]+")


def _trim_role(role: str) -> str:
    role = re.split(
        r"\s+(?:who|which|that|whose|where|said|says|after|before|when|while|since|until|"
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


def _title_before(before: str) -> str:
    """The title right before a name: "chief AI officer", "Stanford professor", "" if none."""
    prev = re.findall(r"[\w’'&.-]+|[^\w\s]", before)
    if not prev or before.endswith(("’s ", "'s ")):
        return ""
    if prev[-1].lower() not in _ROLE_NOUNS and not (
        prev[-1].islower() and prev[-1].capitalize() in _TITLE_HEADS
    ):
        return ""
    k = len(prev) - 1
    while k >= 1:
        w = prev[k - 1]
        low = w.lower()
        breaks = (
            low in _FUNCTION_WORDS
            or not re.match(r"^[\w-]", w)
            or low.endswith(("ed", "ing"))
            or re.fullmatch(_SPEECH_VERBS, low) is not None
        )
        if (breaks and low not in ("chief", "vice", "senior", "former")) or w.endswith(("’s", "'s")):
            break
        k -= 1
    return " ".join(prev[k:])


def _appositive_cues(occ: _Occ, after: str) -> None:
    """`NAME, an analyst at X,` / `NAME, who leads X,` / `X, the startup` / `X, the ... model`."""
    appositive = re.match(r"^,\s+([^,;:“”\"()—–]+)", after) if not occ.possessive else None
    if not appositive:
        return
    text = appositive.group(1)
    who = re.match(
        rf"^who\s+(?:now\s+|previously\s+|currently\s+|also\s+|once\s+)?((?:{_ROLE_VERB_RE})\s+.+)$", text
    )
    role = _trim_role(text.rstrip("."))
    org_head = re.match(
        rf"^(?:the|a|an|its)\s+((?:[\w’'-]+\s+){{0,3}}?(?:{_ORG_NOUN_RE}))(?:\s+(?:{_HEAD_END})\b|\s*$)", text
    )
    product_head = re.match(
        rf"^(?:the|a|an|its)\s+(?:[\w’'-]+\s+){{0,3}}?(?:{_PRODUCT_NOUN_RE})(?:\s+(?:{_HEAD_END})\b|\s*$)",
        text,
    )
    verb_first = re.match(
        rf"^(?:and|or|which|that|where|whose|when|while|but|{_SPEECH_VERBS}|[a-z]+ed)\b", role
    )
    if who:
        occ.person += 3
        occ.person_roles.append(
            (5, _trim_role(re.split(r"\s+for\s+(?:several|many|more|\d)", who.group(1))[0]))
        )
    elif re.match(r"^(?:founded|co-founded|based|headquartered|incorporated|listed)\b", text):
        occ.org += 2
    elif text.startswith("who "):
        occ.person += 2
    elif re.match(r"^[A-Z]", text) and re.search(r"[A-Z][\w’'-]+\s+[A-Z][\w’'-]+$", role):
        pass  # "Condoleezza Rice, UN Secretary General Kofi Annan, ...": the next name of a list
    elif (
        role
        and _has_role_noun(role)
        and _word_count(role) <= 12
        and not (verb_first or org_head or product_head)
    ):
        occ.person += 3
        occ.person_roles.append((1, role))
    elif org_head:
        occ.org += 3
        occ.org_roles.append((1, org_head.group(1)))
    elif product_head:
        occ.product += 3


def _person_cues(occ: _Occ, before: str, after: str) -> None:
    _appositive_cues(occ, after)
    # "hired NAME as chief financial officer"
    as_role = re.match(
        rf"^(?:\s+[\w’'-]+){{0,3}}?\s+as\s+((?:(?:its|their|the|a|an)\s+)?(?:[\w’'&-]+\s+){{0,4}}?"
        rf"(?:{_ROLE_NOUN_RE}))\b",
        after,
    )
    if as_role and not re.search(r"[,.;]", after[: as_role.start(1)]):
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
        occ.person_roles.append((2, _role_phrase(after[served.start(1) :])))
    # a personal pronoun that can only refer to this name
    pronoun = re.search(r"\b(?:he|she|his|her|him|himself|herself)\b", after)
    if (pronoun and _TWO_NAMES.search(after[: pronoun.start()]) is None) or (
        re.search(r"\b(?:[Hh]is|[Hh]er)\b", before) and _TWO_NAMES.search(before) is None
    ):
        occ.person += 1.5
    title = occ.title or _title_before(before)
    if title:
        occ.person += 3
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
        r"(?:\b(?i:a|an|the|its|his|her|their)\s+|^)((?:[\w&’'-]+\s+){0,3}[\w-]+)\s*,\s*$", before
    )
    if the_role and _has_role_noun(the_role.group(1).split()[-1]):
        occ.person += 3
        occ.person_roles.append((4, the_role.group(1)))
    elif the_role and the_role.group(1).split()[-1].lower() in _ORG_NOUNS:  # "His new company, X"
        occ.org += 3
        occ.org_roles.append((2, the_role.group(1)))
    if re.search(rf"(?:[,”\"]\s*(?:{_SPEECH_VERBS})|according to)\s+$", before) or re.match(
        rf"^\s+(?:has\s+|had\s+|have\s+)?(?:{_SPEECH_VERBS})\b", after
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
    if org_after:
        # "the Dutch chipmaker", "the FAIR lab": after an article a word may only describe
        descriptor = len(tokens) == 1 and not tokens[0].isupper() and re.search(r"\b(?:the|a|an)\s+$", before)
        occ.org += 1 if descriptor else 2
        occ.org_roles.append((3, " ".join(g for g in org_after.groups() if g)))
    if re.search(rf"\b(?:{_ROLE_NOUN_RE})s?\s+(?:at|with|from)\s+(?:the\s+)?$", before, re.IGNORECASE):
        occ.org += 3  # "an analyst at X", "engineers from X"
        occ.pre_org = max(occ.pre_org, 3)
    elif re.search(rf"\b(?:{_ROLE_NOUN_RE})s?\s+(?:of|for)\s+(?:the\s+)?$", before, re.IGNORECASE):
        occ.org_weak += 2  # "founder of X", but also "governor of Texas"
    held = re.match(rf"^([’']s?)?\s+((?:[a-z][\w-]*\s+){{0,2}})({_ROLE_NOUN_RE})\b", after)
    if held and not _person_shaped(tokens):
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
    if re.search(
        rf"\b(?:the|a|an|his|her|its|their|new|latest|hit)\s+(?:[a-z][\w-]*\s+)?(?:{_WORK_NOUNS})\s+(?:[“\"‘]\s*)?$"
        rf"|\b(?:{_WORK_VERBS})\s+(?:[“\"‘]\s*)?$",
        before,
    ) or re.match(rf"^[”\"’]?\s+(?:{_WORK_AFTER})\b", after):
        occ.product += 3  # "the film Hotel Rwanda", "directed American Pie": a work
    if re.search(r"\b(?:1[89]|20)\d\d\s+$", before):
        occ.product += 2  # "the 1965 Fender Stratocaster": a model of its year
    if re.search(r"[“\"]\s*$", before) and re.match(r"^\s*[,.]?\s*[”\"]", after):
        occ.product += 2  # a title in quotation marks
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

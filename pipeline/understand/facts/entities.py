"""Entities: the occurrences of one name merged, classified, and reported as mentions.

Names listed together (X, Y and Z) share the cue before the list, and a name listed with an
organisation is one unless another cue says otherwise.

A person needs person evidence of at least 1 and at least as much as its organisation and its
product evidence; an organisation needs organisation evidence of at least 2, more than its product
evidence and at least 1 more than its place evidence; anything else is not reported.

Mentions of one entity are merged within the article: a surname with the full name (LeCun → Yann
LeCun), an acronym with its expansion (FAIR → Fundamental AI Research), a first word with its
organisation (Veltrion → Veltrion Semiconductors, AMI → AMI Labs). The role is the one found most
often (between equals: appositive, then "as ROLE", title before the name, "the ROLE, NAME", "who
leads X"), verbatim from its sentence.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pipeline.understand.facts.cues import _cues
from pipeline.understand.facts.kinds import generic_alone, names_a_place, names_an_event, not_a_personal_name
from pipeline.understand.facts.models import Mention
from pipeline.understand.facts.names import _Occ, _person_shaped
from pipeline.understand.facts.text import _Sentence
from pipeline.understand.facts.words import _ORG_WORDS, _ROLE_NOUNS

_ABBREVIATED = re.compile(r"[A-Z][a-z]{1,3}\.?")  # "Insp", "Sgt", "Det.", "Gov"
_LIST_SEP = re.compile(r"^(?:\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)$")


@dataclass
class _Entity:
    name: str
    occs: list[_Occ]
    kind: str = ""  # person | org | "" (neither, or not enough evidence)

    @property
    def key(self) -> str:
        return _name_key(self.name)

    @functools.cached_property
    def written_keys(self) -> frozenset[str]:
        """The keys of every way the article writes it (read once its occurrences are final)."""
        return frozenset(_name_key(o.name) for o in self.occs)

    def total(self, attribute: str) -> float:
        return float(sum(getattr(o, attribute) for o in self.occs))


def _name_key(name: str) -> str:
    name = re.sub(r"^the\s+", "", name.strip(), flags=re.IGNORECASE)
    return " ".join(re.sub(r"[’']s?$", "", name).casefold().split())


def _acronym(name: str) -> str:
    return "".join(c for c in name if c.isupper())


def _list_ends(run: Sequence[tuple[_Occ, _Occ]], text: str) -> bool:
    """Names joined by commas alone are a list when there are three or more of them, or when an
    "and" or a closing bracket follows the last ("(DeepSeek, Qwen)", "NYT, Fortune, and ...")."""
    if len(run) >= 2:
        return True
    if not run:
        return False
    last = run[-1][1]
    return (
        re.match(r"^(?:[’']s(?:\s+[A-Z][\w’'-]*)+)?\s*(?:\)|,?\s+(?:and|or)\b)", text[last.end :]) is not None
    )


def _share_list_cues(occs: Sequence[_Occ], sentences: Sequence[_Sentence]) -> list[tuple[_Occ, _Occ]]:
    """Pairs of names listed together ("X, Y and Z"); the cue before a list goes to all of it. A
    list ends with "and" or "or": "At the Oval, Surrey captain Chris Lewis" lists nothing."""
    by_sentence: dict[int, list[_Occ]] = {}
    for occ in occs:
        by_sentence.setdefault(occ.sent, []).append(occ)
    listed: list[tuple[_Occ, _Occ]] = []
    for index, group in by_sentence.items():
        text = sentences[index].text
        comma_before = False
        run: list[tuple[_Occ, _Occ]] = []
        closed = False  # the run has an "and" or "or"
        for a, b in itertools.pairwise(group):
            gap = text[a.end + (2 if a.possessive else 0) : b.start]
            # ", and" joins clauses as often as list items: only inside a list that has a comma
            is_list = _LIST_SEP.match(gap) is not None and (
                not re.match(r"^\s*,\s*(?:and|or)\s", gap) or comma_before
            )
            comma_before = is_list and gap.strip() == ","
            if is_list:
                run.append((a, b))
                closed = closed or gap.strip() != ","
                continue
            listed.extend(run if closed or _list_ends(run, text) else [])
            run, closed = [], False
        listed.extend(run if closed or _list_ends(run, text) else [])
    for a, b in listed:
        if a.pre_org and _person_shaped(b.tokens):
            b.org_weak += a.pre_org  # "his former coach at Torino, Emiliano Mondonico"
        elif a.pre_org:
            b.org += a.pre_org
        b.pre_org = max(b.pre_org, a.pre_org)
    return listed


def _merge_target(single: _Entity, index: Mapping[str, Sequence[_Entity]]) -> tuple[_Entity | None, bool]:
    """The entity a one-word name is a short form of, and whether it is a person's surname.
    `index` maps a word to the longer names that start or end with it or abbreviate to it."""
    word = single.name
    multi = index.get(word, ())
    people = [
        e
        for e in multi
        if _person_shaped(e.name.split())
        and e.name.split()[-1] == word
        and e.total("person") + single.total("person") >= 1
        and e.total("product") == 0  # "Meta" is not the surname of the "Ray-Ban Meta" glasses
        # nor of a heading's "Departs Meta": a word that acts as a company is no surname (what
        # people share with companies alone, "Shearer's Newcastle team mate", says nothing)
        and (
            single.total("org") == 0
            or single.total("org") + single.total("org_weak") <= single.total("person") + 2
        )
        and not not_a_personal_name(e.name.split())
    ]
    if len(people) > 1:  # "Robert Kilroy-Silk" four times, "Whatever Kilroy-Silk" once: the first
        people.sort(key=lambda e: -len(e.occs))
        people = people[:1] if len(people[0].occs) >= 2 * len(people[1].occs) else people
    if len(people) == 1:
        return people[0], True
    if word.isupper() and len(word) >= 2:  # "FAIR" for "Fundamental AI Research"
        acronym = next((e for e in multi if _acronym(e.name) == word), None)
        if acronym is not None:
            return acronym, False
    # "Veltrion" for "Veltrion Semiconductors", "Scale" for "Scale AI"
    suffixed = [
        e
        for e in multi
        if e.name.split()[0] == word and len(e.name.split()) == 2 and e.name.split()[1] in _ORG_WORDS | {"AI"}
    ]
    if len(suffixed) == 1:
        return suffixed[0], False
    # "AMI" for "AMI Labs", unless the short form is the more common one
    # ("Meta" is not "Meta Superintelligence Labs")
    longer = [
        e
        for e in multi
        if e.name.split()[0] == word
        and not _person_shaped(e.name.split())
        and len(single.occs) <= len(e.occs)
    ]
    return (longer[0], False) if len(longer) == 1 else (None, False)


def _headline(sentence: str) -> bool:
    """A heading in title case ("The Open Research Promise"): every word of four letters or more
    capitalised. Its capitals say nothing about what a name is, so it gives no cues."""
    words = [w for w in re.findall(r"[A-Za-z][\w’'-]*", sentence) if len(w) >= 4]
    return len(words) >= 2 and all(w[0].isupper() for w in words)


_OPENS_WITH_PRONOUN = re.compile(r"^[“\"‘(]?(?:He|She|His|Her)\b")


def _next_sentence_pronoun(occs: Sequence[_Occ], sentences: Sequence[_Sentence]) -> None:
    """A person-shaped name that opens a sentence, the only one there, is a person when the next
    sentence of its paragraph opens with he / she / his / her ("Yann LeCun ... left Meta. His
    departure came ...")."""
    by_sentence: dict[int, list[_Occ]] = {}
    for occ in occs:
        by_sentence.setdefault(occ.sent, []).append(occ)
    for number, found in by_sentence.items():
        shaped = [o for o in found if _person_shaped(list(o.tokens))]
        following = sentences[number + 1] if number + 1 < len(sentences) else None
        if (
            len(shaped) == 1
            and shaped[0].start == 0
            and following is not None
            and following.paragraph == sentences[number].paragraph
            and _OPENS_WITH_PRONOUN.match(following.text)
        ):
            shaped[0].person += 1.5


def _entities(occs: list[_Occ], sentences: Sequence[_Sentence]) -> list[_Entity]:
    for occ in occs:
        if not _headline(sentences[occ.sent].text):
            _cues(occ, sentences[occ.sent].text)
    _next_sentence_pronoun(occs, sentences)
    listed = _share_list_cues(occs, sentences)
    groups: dict[str, _Entity] = {}
    for occ in occs:
        key = _name_key(occ.name)
        if not key:
            continue
        entity = groups.get(key)
        if entity is None:
            groups[key] = _Entity(occ.name, [occ])
        else:
            entity.occs.append(occ)
            if len(occ.tokens) > len(entity.name.split()):
                entity.name = occ.name
    entities = list(groups.values())
    index: dict[str, list[_Entity]] = {}
    for e in entities:
        words = e.name.split()
        if len(words) > 1:
            for word in dict.fromkeys((words[0], words[-1], _acronym(e.name))):
                index.setdefault(word, []).append(e)
    merged: set[str] = set()
    for single in [e for e in entities if len(e.name.split()) == 1]:
        target, surname = _merge_target(single, index)
        if target is not None:
            if surname:
                single.occs[0].person += 2  # referred to by surname alone: a person
            target.occs.extend(single.occs)
            merged.add(single.key)
    entities = [e for e in entities if e.key not in merged]
    owner: dict[int, _Entity] = {}
    for e in entities:
        e.occs.sort(key=lambda o: (o.sent, o.start))
        e.kind = _classify(e)
        owner.update((id(o), e) for o in e.occs)
    # a name listed with organisations ("OpenAI, Google and Anthropic") is one too, unless
    # something says it is a person, a product or a place
    neighbours: dict[int, list[_Entity]] = {}
    for a, b in listed:
        x, y = owner.get(id(a)), owner.get(id(b))
        if x is not None and y is not None and x is not y:
            neighbours.setdefault(id(x), []).append(y)
            neighbours.setdefault(id(y), []).append(x)
    queue = [e for e in entities if e.kind == "org"]
    while queue:
        for y in neighbours.get(id(queue.pop()), []):
            words = y.name.split()
            if _person_shaped(words) or not_a_personal_name(words) or generic_alone(words):
                continue  # "Clinton, Bob Dole and Ross Perot", "Britain, France and Germany"
            if not y.kind and y.total("product") <= 0.5 and y.total("person") == 0 and y.total("place") == 0:
                y.kind = "org"
                queue.append(y)
    return entities


def _classify(entity: _Entity) -> str:
    person, org, weak = entity.total("person"), entity.total("org"), entity.total("org_weak")
    product, place = entity.total("product"), entity.total("place")
    words = entity.name.split()
    if generic_alone(words) or names_a_place(words) or names_an_event(words):
        return ""
    named = any(len(o.tokens) > 1 for o in entity.occs) or any(o.titled for o in entity.occs)
    shaped = _person_shaped(words) or (len(words) == 1 and _person_shaped([*words, words[0]]))
    if shaped and named and not not_a_personal_name(words) and person >= max(1.0, org, product):
        return "person"
    # weak cues ("at X", "X said", "The X") only add to an organisation word or noun beside it,
    # or to one word that is no place ("Microsoft said ... its")
    evidence = org + (weak if org >= 1 else 0)
    if len(words) == 1 and place == 0 and person < weak and not any(o.titled for o in entity.occs):
        evidence = org + weak  # "Meta released ... Meta said ... its": one word, never a place
    personal = shaped and not not_a_personal_name(words)
    if len(words) > 1 and personal and not any(w in _ORG_WORDS for w in words):
        # "Bob Dole" at / said, "the Dole campaign": a person's name needs a firm sign and no other
        evidence = org if org >= 3 and person < 1 else 0
    if evidence >= 2 and evidence > product and evidence >= place + 1:
        return "org"
    return ""


def _pick_role(roles: Iterable[tuple[int, str]]) -> str:
    """The most frequent role; between equals, the one from the surer pattern."""
    candidates = [(p, r.strip()) for p, r in roles if r.strip()]
    if not candidates:
        return ""
    counts = Counter(r.casefold() for _, r in candidates)
    # an abbreviated rank alone ("Insp", "Sgt") only when the text gives no other role
    return min(
        candidates,
        key=lambda pr: (_ABBREVIATED.fullmatch(pr[1]) is not None, -counts[pr[1].casefold()], pr[0]),
    )[1]


def _mentions(article_id: str, entities: Sequence[_Entity], sentences: Sequence[_Sentence]) -> list[Mention]:
    out: list[Mention] = []
    for e in sorted((e for e in entities if e.kind), key=lambda e: (e.occs[0].sent, e.occs[0].start)):
        roles: list[tuple[int, str, int]] = []
        for o in e.occs:
            source = o.person_roles if e.kind == "person" else o.org_roles
            roles.extend((p, r, o.sent) for p, r in source)
        role = _pick_role((p, r) for p, r, _ in roles if not (e.kind == "org" and r.lower() in _KIND_ONLY))
        where = next((s for _, r, s in roles if r == role), e.occs[0].sent) if role else e.occs[0].sent
        sentence = sentences[where].text
        out.append(Mention(e.name, e.kind, role if role in sentence else "", sentence, article_id))
    return out


# what an organisation is called without saying anything of it: "the FAIR lab" is no description
_KIND_ONLY = frozenset(
    "lab laboratory group division unit company firm organisation organization body".split()
)
_TITLE_WORDS = _ROLE_NOUNS | {"senior", "deputy", "vice", "managing", "former", "acting", "assistant"}


def in_lower_case(role: str) -> str:
    """A title that opened its sentence, as it reads inside one: "Chief executive Anouk Verhoeven
    said ..." gives "chief executive" (not "Chief Executive Officer", a title written so)."""
    words = role.split()
    if (
        len(words) > 1
        and words[0].lower() in _TITLE_WORDS
        and words[0][1:].islower()
        and (words[1].islower() or words[0].lower() in ("former", "acting"))  # "Former FAIR leader"
    ):
        return role[0].lower() + role[1:]
    return role

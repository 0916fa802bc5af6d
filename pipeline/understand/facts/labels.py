"""The label of a figure: the noun phrase it measures, from the words of its clause.

The rules, tried in this order; the first that finds a well-formed noun phrase wins:

    rule                 written as                                     label
    benchmark            86.4% on CharXiv, placed it at 52 on its Index  CharXiv score
    comparative          10x less training compute                      less training compute
    modifier             a $2.58 trillion (£1.38 trillion) budget,       budget, stake in Scale AI,
                         a 49% stake in Scale AI, 6,650 garment workers  garment workers
    "of"                 a valuation of $3.5 billion, cuts of 9.6%,      valuation, cuts,
                         a rise in producer prices of 7.1%              rise in producer prices
    aside                consumer prices - at 2.4% - rose               consumer prices
    money "in"           $717m (£379m) in disaster relief               disaster relief
    verb noun            invest $14.3 billion in Scale AI               investment in Scale AI
    object               increased its dividend payment by 25%          dividend payment
    subject              foreign aid is due to rise by 10%,              foreign aid,
                         Spending is forecast to grow by 3.5%,           Spending,
                         net income fell to 537m euros, imports rose     net income, total imports
                         again to a new record of £27.9bn, Damage to
                         the church was estimated at $1 million          Damage to church
    "up N%" aside        revenue was 10bn euros, up 8.1%                 revenue (the clause before)

"Of" does not name what a level measures ("a seventy-year high of 5.2 million", "a new record of
£27.9bn"): the subject of the clause does. A label is *well formed* when it is at most eight
words, ends with a noun (not a function word, a unit or scale word such as "percent" or
"trillion", a verb of change such as "rise", or an adverb) and does not begin with a verb form
("due to rise", "landed CBS", "have promised to give" are not labels). When no rule gives one,
the figure has no label ("") and is not a key indicator: a bad label costs more than none.
"""

from __future__ import annotations

import re

from pipeline.text.calendar import MONTHS, WEEKDAYS
from pipeline.understand.facts.words import _FUNCTION_WORDS, _STOPCAPS

# nouns before "of" that take a part, not a measure: "one of 12 seats", "most of the 400 staff"
_INFINITIVE_BEFORE = frozenset(
    "expected due set likely poised plans plan planned wants want going able hopes hope aims aim "
    "intends intend needs need tries try seeks seek".split()
)
_NOT_COUNTED = frozenset("one two some any each all none most many part rest out top age number".split())

_LABEL_VERBS = {
    "invest": "investment",
    "invested": "investment",
    "investing": "investment",
    "invests": "investment",
    "paid": "payment",
    "pay": "payment",
    "paying": "payment",
    "pays": "payment",
    "spend": "spending",
    "spent": "spending",
    "spends": "spending",
    "raise": "funding",
    "raised": "funding",
    "raising": "funding",
    "raises": "funding",
    "committed": "commitment",
    "commit": "commitment",
    "fined": "fine",
    "lost": "loss",
    "earned": "earnings",
}
_SCORE_VERBS = frozenset("scored posted solved recorded reached achieved scoring scores placed".split())
# words between a verb and its figure that say how much, not what
_QUALIFIERS = frozenset(
    "about roughly around nearly almost some just only over under approximately at least between "
    "more than less than as much as up to a an the breakneck record further another extra total "
    "mere whopping staggering".split()
)
# a verb of the figure's clause that says the figure is the subject's amount or its change
_CHANGE_VERBS = frozenset(
    "rose rise rises rising risen fell fall falls falling fallen slipped slip slips dropped drop drops "
    "jumped jump jumps climbed climb climbs gained gain gains declined decline declines grew grow grows "
    "growing grown surged surge surges sank sink tumbled tumble slid slide increased increase increases "
    "decreased decrease soared soar plunged plunge expanded expand expands shrank shrink contracted "
    "peak peaked reach reached reaches hit hits top topped totalled totaled total stood stand "
    "stands remain remained remains exceed exceeded came come amount amounted run ran edged edge "
    "estimated put valued priced set forecast projected predicted expected seen tipped".split()
)
_COPULAS = frozenset("is are was were be been being 's".split())
_AUXILIARIES = frozenset(
    "has have had will would could can may might should must shall is are was were be been being "
    "does do did".split()
)
# between the auxiliary and the verb: "is due to rise", "is also set to rise", "is now expected to grow"
_VERB_LINKS = frozenset(
    "due set expected forecast projected predicted likely poised tipped estimated seen thought "
    "believed to also now still already again further then currently already".split()
)
# transitive verbs of change: their object is what changes ("increased its dividend by 25%")
_OBJECT_VERBS = frozenset(
    "increased increase increases raised raise raises cut cuts cutting lowered lower lowers reduced "
    "reduce reduces boosted boost boosts lifted lift lifts slashed slash trimmed trim doubled halved "
    "revised revise hiked hike".split()
)
# nouns that say where a figure stands, not what it measures: "a record of £27.9bn"
_LEVEL_NOUNS = frozenset(
    "high low record peak level levels total maximum minimum average figure sum amount rate vicinity "
    "region excess tune order range".split()
)
_UNIT_WORDS = frozenset(
    "percent per cent percentage points point trillion billion million thousand bn m tn k money "
    "dollars euros pounds pence cents yen yuan baht rupees each apiece times".split()
)
_TIME_WORDS = frozenset(
    "year years month months week weeks quarter quarters today yesterday tomorrow decade night morning "
    "afternoon evening weekend period".split()
) | frozenset({m.lower() for m in MONTHS} | {d.lower() for d in WEEKDAYS})
_PREPOSITIONS = frozenset("in of on for across off over into with at to from among between".split())
_LEADING_PREPOSITIONS = frozenset("below above under beyond near within against by".split())
_NOUN_PREPOSITIONS = frozenset("in of for on from to".split())  # that may join a noun phrase
_CLAUSE_WORDS = frozenset(
    "and but while which who whom whose when whereas although though after before because that as "
    "if since until where so than said says told according".split()
)
_NOT_NOUNS = frozenset(
    "up down out off away back again also only just even still yet very more most less least much "
    "many few such own same other another new high low higher lower ahead behind apart alone together "
    "each".split()
)
_COMPARATIVES = frozenset(
    "more less fewer faster slower larger bigger smaller higher lower cheaper better worse".split()
)
_WORD = re.compile(r"[$€£]?[\w][\w’'.,%-]*[\w%]|[$€£]?\w|[-–—(),;:“”\"]")


def _is_figure_word(word: str) -> bool:
    return re.match(r"^(?:[$€£]|(?:US|A|C|HK)\$|\d)", word) is not None


def _words(text: str) -> list[str]:
    """Words and punctuation marks, the figure and its separators kept as tokens."""
    return [w.rstrip(".") if w[-1:] == "." and len(w) > 1 else w for w in _WORD.findall(text)]


def _is_verb_form(word: str) -> bool:
    low = word.lower()
    return low in _CHANGE_VERBS or low in _AUXILIARIES or low in _OBJECT_VERBS or low in _LABEL_VERBS


def _well_formed(words: list[str]) -> bool:
    if not words or len(words) > 8:
        return False
    last, first = words[-1].lower(), words[0].lower()
    if (
        last in _FUNCTION_WORDS
        or last in _PREPOSITIONS
        or last in _UNIT_WORDS
        or last in _TIME_WORDS
        or last in _NOT_NOUNS
        or (last in _CHANGE_VERBS and last not in _NOUNS_TOO)
        or last.endswith("ly")
        or _is_figure_word(last)
        or not last[0].isalpha()
    ):
        return False
    if len(words) == 1 and last.endswith("ed"):
        return False  # "imported", "dropped": a verb
    if first.endswith("ing") and first in ("following", "including", "according", "excluding", "regarding"):
        return False  # "following the latest meeting": a preposition, not a noun
    if (
        first in _FUNCTION_WORDS
        or first in _PREPOSITIONS
        or first in _AUXILIARIES
        or first in _VERB_LINKS
        or first in _UNIT_WORDS
        or (_is_verb_form(first) and first not in _NOUNS_TOO)
    ):
        return False
    return not any(w.lower() in _AUXILIARIES or w.lower() in _CLAUSE_WORDS for w in words)


def _tidy(words: list[str]) -> str:
    """The phrase without determiners, figures and dangling prepositions, or "" when it is not a
    well-formed noun phrase."""
    out = [
        w
        for w in words
        if w.lower() not in _DETERMINERS | {"all", "both"} and not _is_figure_word(w) and w not in "-–—"
    ]
    while out and (out[-1].lower() in _PREPOSITIONS or out[-1].lower() in _FUNCTION_WORDS):
        out.pop()
    while out and (
        out[0].lower() in _QUALIFIERS | _LEADING_ADVERBS
        or (out[0].endswith("ly") and out[0][0].isupper() and len(out) > 1)
    ):
        if out[0].lower() == "overall" and len(out) > 1:
            break  # "Overall UK exports": part of the name of the measure
        out.pop(0)
    return " ".join(out) if _well_formed(out) else ""


def _noun_phrase(words: list[str], prepositions: int = 1) -> list[str]:
    """The noun phrase that opens `words` (with at most `prepositions` prepositional phrases, a
    phrase of time dropped: "loss for the same period"), or [] when `words` opens with none."""
    out: list[str] = []
    pp = 0
    last_pp = -1
    for i, w in enumerate(words):
        low = w.lower()
        if out and low in ("that", "which", "who", "whom", "whose"):
            break  # "customers that bought …": a relative clause after the noun is not its phrase
        if low in _DETERMINERS | {"all", "both"} and (not out or out[-1].lower() in _NOUN_PREPOSITIONS):
            out.append(w)
            continue
        if out and out[-1].lower() in _DETERMINERS and re.fullmatch(r"(?:19|20)\d\d", w):
            out.append(w)  # "its 2005 growth forecast": a year as a modifier
            continue
        if (
            out
            and w.islower()
            and low.endswith("ed")
            and out[-1].lower() not in _NOUN_PREPOSITIONS | _DETERMINERS
        ):
            break  # "budget submitted to Congress": a participle after the noun starts a clause
        if (
            low in _TIME_WORDS
            or re.fullmatch(r"(?:19|20)\d\d", w)
            or low in ("same", "next", "last", "previous")
        ):
            if last_pp >= 0 and all(
                x.lower() in _DETERMINERS | {"same", "previous"} for x in out[last_pp + 1 :]
            ):
                out = out[:last_pp]  # "loss for the same period": when, not what
            break
        if not w[0].isalnum() or (
            (low in _FUNCTION_WORDS and low not in _NOUN_PREPOSITIONS and low not in _DETERMINERS)
            or (_is_verb_form(w) and out and low not in _NOUNS_TOO)
        ):
            break
        if low in _NOUN_PREPOSITIONS:
            if not out or pp >= prepositions or i + 1 >= len(words):
                break
            nxt = words[i + 1]
            if nxt.lower() in _TIME_WORDS or re.fullmatch(r"(?:19|20)\d\d|\d.*", nxt):
                break  # "in 2004", "in March": when, not what
            if _holds_a_figure(words[i + 1 : i + 4]):
                break  # "invest $14.3 billion in Scale AI for a 49% stake": another figure's phrase
            pp += 1
            last_pp = len(out)
        elif out and out[-1].lower() not in _NOUN_PREPOSITIONS and low.endswith("ing") and not w[0].isupper():
            break  # "people sheltering": a participle clause starts
        out.append(w)
        if len(out) >= 9:
            break
    while out and (out[-1].lower() in _PREPOSITIONS or out[-1].lower() in _DETERMINERS):
        out.pop()
    return out


def _holds_a_figure(words: list[str]) -> bool:
    """An amount among `words`, up to their first punctuation ("a 49% stake", "the 2005 fiscal
    year", "China's 340 million"; not "the 12-member eurozone", nor one after a comma)."""
    for w in words:
        if not w[0].isalnum() and w[0] not in "$€£¥":
            return False
        if re.fullmatch(r"[$€£¥]?\d[\d.,]*(?:%|bn|m|k)?", w):
            return True
    return False


def _skip_aside(words: list[str]) -> list[str]:
    """`words` after a figure without a leading conversion or aside: "(£230bn)", "($701m; £371m)"."""
    if words[:1] == ["("]:
        close = next((i for i, w in enumerate(words) if w == ")"), None)
        if close is not None:
            return words[close + 1 :]
    return words


def _head_before_of(words: list[str]) -> list[str]:
    """The noun phrase before "of" ("a valuation", "annual sales growth", "a sharp rise in
    producer prices"): at most five words, from after the verb that takes it ("expects",
    "expecting", "reported")."""
    phrase = _subject_before(words)
    ahead = words[: len(words) - len(phrase)]
    for k in range(len(phrase) - 2, -1, -1):
        w, prev = phrase[k], phrase[k - 1] if k else (ahead[-1] if ahead else "")
        verb_s = w.islower() and w.endswith("s") and prev[:1].isupper() and not re.search(r"[’']s$", prev)
        verb_ing = w.islower() and w.endswith("ing") and prev.lower() not in _DETERMINERS
        # "represents an increase", "expects the": a word in -s before a determiner is a verb
        verb_det = w.islower() and w.endswith("s") and phrase[k + 1].lower() in _DETERMINERS
        # "expected to report annual profits of" (not "guided to capital expenditure of")
        after_to = prev.lower() == "to" and k >= 2 and phrase[k - 2].lower() in _INFINITIVE_BEFORE
        verb_ed = w.islower() and w.endswith("ed") and phrase[k + 1].lower() == "to"  # "guided to"
        # "Veltrion offered rebates of", "the bank agreed loans of", "and reported revenue of": a
        # past verb after its subject (not "the reported revenue", "newly created jobs")
        finite_ed = (
            w.islower()
            and w.endswith("ed")
            and (not prev or prev[0].isalpha())
            and prev.lower() not in _DETERMINERS | _PREPOSITIONS
            and not prev.lower().endswith("ly")
        )
        if verb_s or verb_ing or verb_det or after_to or verb_ed or finite_ed:
            phrase = phrase[k + 1 :]
            break
    # ", below the legal ceiling of 10%": the preposition that opens the phrase is no part of it
    while len(phrase) > 1 and phrase[0].lower() in _PREPOSITIONS | _LEADING_PREPOSITIONS:
        phrase = phrase[1:]
    return phrase[-5:]


def _subject_before(words: list[str]) -> list[str]:
    """The noun phrase that ends `words` (the subject before its verb), skipping an aside between
    dashes ("Overall UK exports - including both goods and services -")."""
    i = len(words)
    if i and words[-1] in "-–—":
        opening = next((k for k in range(i - 2, -1, -1) if words[k] in "-–—"), None)
        if opening is None:
            return []
        i = opening
    out: list[str] = []
    for k in range(i - 1, -1, -1):
        w = words[k]
        low = w.lower()
        if not w[0].isalnum() and w not in ("’s", "'s"):
            break
        if (
            low in _CLAUSE_WORDS
            or (low in _FUNCTION_WORDS and low not in _NOUN_PREPOSITIONS and low not in ("a", "an", "the"))
            or (_is_verb_form(w) and low not in _NOUNS_TOO)
            or (w[0].isupper() and low in {s.lower() for s in ("But", "And", "Still", "Yet", "So", "Now")})
        ):
            break
        if w.islower() and low.endswith("ed") and out and out[0].lower() in _DETERMINERS:
            break  # "AMR reported a loss": a verb before its object, but "fixed assets": an adjective
        out.insert(0, w)
        if len(out) >= 10:
            break
    # the phrase is what follows the last determiner-free start: drop a leading preposition
    while out and out[0].lower() in _PREPOSITIONS:
        out.pop(0)
    # keep the head and one prepositional phrase: "Growth in industrial output", not more, and no
    # phrase of time ("total revenue for the year")
    cut = [k for k, w in enumerate(out) if w.lower() in _NOUN_PREPOSITIONS]
    if len(cut) >= 2:
        out = out[: cut[1]]
    for k in cut[:1]:
        if any(w.lower() in _TIME_WORDS or w.lower() in ("same", "previous") for w in out[k:]):
            out = out[:k]
    return [w for w in out if w not in ("’s", "'s")]


def _verb_chain_start(words: list[str]) -> tuple[int, str]:
    """Walking back from the figure over qualifiers, prepositions, earlier figures and times to
    the verb group before it: (the index where the verb group starts, its main verb), or (-1, "")."""
    i = len(words)
    verb = ""
    while i > 0:
        w = words[i - 1]
        low = w.lower()
        if low in _CHANGE_VERBS or low in _OBJECT_VERBS:
            verb = low
            i -= 1
            break
        if low in _COPULAS and i == len(words):
            verb = low
            i -= 1
            break
        if (
            low in _QUALIFIERS
            or low in ("by", "to", "at", "of", "from", "than", "since", "in", "estimated", "again")
            or _is_figure_word(w)
            or low in _TIME_WORDS
            or low.endswith("ly")
            or re.fullmatch(r"(?:19|20)\d\d", w)
        ):
            i -= 1
            continue
        return -1, ""
    while i > 0 and (
        words[i - 1].lower() in _AUXILIARIES
        or words[i - 1].lower() in _VERB_LINKS
        or words[i - 1].lower().endswith("ly")
        or words[i - 1].lower() in _CHANGE_VERBS
    ):
        i -= 1
    return i, verb


def _object_of(before: list[str]) -> str:
    """The object of a verb of change before "by / from / at" and the figure: "increased its
    dividend payment by 25%", "boost government income by 6.1%", "cut its growth forecast from
    1.8% to 0.8%", "estimated reconstruction costs at nearly $3bn"."""
    i = len(before)
    while i and (
        before[i - 1].lower() in _QUALIFIERS
        or before[i - 1].lower() == "to"
        or _is_figure_word(before[i - 1])
    ):
        if before[i - 1].lower() == "to" and not (i >= 2 and _is_figure_word(before[i - 2])):
            break
        i -= 1
    if not i or before[i - 1].lower() not in ("by", "from", "at"):
        return ""
    preposition = before[i - 1].lower()
    verbs = _OBJECT_VERBS | ({"estimated", "put", "valued", "priced"} if preposition == "at" else set())
    verb_at = next((k for k in range(i - 2, max(-1, i - 12), -1) if before[k].lower() in verbs), None)
    if verb_at is None:
        return ""
    return _tidy(_noun_phrase(before[verb_at + 1 : i - 1], prepositions=1))


def _benchmark(sentence: str, end: int) -> str:
    """The benchmark a score is on: 'on X' after it, else anywhere, else a leading 'On X,'."""
    on = re.compile(r"\bon\s+(?:its\s+|the\s+)?((?:[A-Z][\w.-]*)(?:\s+(?:[A-Z0-9][\w.-]*))*)")
    hit = on.match(sentence[end:].lstrip(" ")) or on.search(sentence)
    if hit is None:
        hit = re.match(r"^(?:On|In)\s+([A-Z][^,]+),", sentence)
    if hit is None:
        return ""
    words = [w.rstrip(".,") for w in hit.group(1).split()[:4] if not _is_figure_word(w)]
    return " ".join(words) if words and words[0] not in _STOPCAPS else ""


def _clause_start(words: list[str]) -> int:
    """Where the clause holding the end of `words` starts (after ",", ";", ":" or a clause word),
    an aside between dashes ("Growth in output - the target of curbs and caps - was") skipped."""
    k = len(words) - 1
    while k >= 0:
        w = words[k]
        if w in "-–—" and k < len(words) - 1:
            opening = next((j for j in range(k - 1, -1, -1) if words[j] in "-–—"), None)
            if opening is None:
                return k + 1
            k = opening - 1
            continue
        if w in (",", ";", ":", "(", ")", "“", "”", '"') or w.lower() in _CLAUSE_OPENERS:
            return k + 1
        k -= 1
    return 0


# words that open a clause or a sentence, not a noun phrase: dropped from a label's front
_LEADING_ADVERBS = frozenset(
    "but and still overall so yet however meanwhile later earlier now then also moreover indeed "
    "instead".split()
)
_DETERMINERS = frozenset("a an the its their his her our this that these those".split())
_CLAUSE_OPENERS = frozenset(
    "and but while although though which who that after because whereas when if".split()
)
# nouns that are also verbs of change: as a label's head they are nouns ("an increase of 104%")
_NOUNS_TOO = frozenset(
    "rise fall increase decrease gain gains drop decline jump cut cuts peak total record surge slide "
    "estimate forecast growth hit stand".split()
)


def _label(sentence: str, start: int, end: int, kind: str, unit: str) -> str:
    """The noun phrase the figure at sentence[start:end] measures ("" when none is well formed)."""
    before_all = _words(sentence[:start])
    after_all = _skip_aside(_words(sentence[end:]))
    clause_from = _clause_start(before_all)
    before = before_all[clause_from:]
    lead = before_all[:]
    while lead and lead[-1].lower() in _QUALIFIERS | {"at", "of", "by"}:
        lead = lead[:-1]
    aside = bool(lead) and lead[-1] in ("-", "–", "—", "(")
    first = after_all[0].lower() if after_all else ""

    # benchmarks: "86.4% on CharXiv", "placed the model at 52 on its Intelligence Index"
    verb_before = next(
        (w.lower() for w in reversed(before) if w.lower() not in _QUALIFIERS | {"at", "of"}), ""
    )
    if kind == "score" or (kind == "percent" and (verb_before in _SCORE_VERBS or first == "on")):
        bench = _benchmark(sentence, end)
        if bench:
            return f"{bench} score"
    if kind == "score":
        return ""
    # "10x less training compute"
    if kind == "multiple":
        phrase = _noun_phrase(after_all[1:]) if first in _COMPARATIVES else []
        return " ".join([after_all[0], *phrase]) if _tidy(phrase) else ""
    # counts: the counted noun and what is around it
    if kind == "count":
        return _count_label(before, after_all, unit)
    # "a $2.58 trillion budget", "a 49% stake in Scale AI": the figure qualifies the noun after it
    if first and first[0].isalpha() and first not in _FUNCTION_WORDS and not _is_verb_form(after_all[0]):
        label = _tidy(_noun_phrase(after_all))
        if label and first not in _UNIT_WORDS:
            return label
    # "a valuation of $3.5 billion", "a sharp rise in producer prices of 7.1%"
    q = len(before)
    while q and before[q - 1].lower() in _QUALIFIERS:
        q -= 1
    if q >= 2 and before[q - 1].lower() == "of":
        phrase = _head_before_of(before[: q - 1])
        if phrase and phrase[-1].lower() not in _LEVEL_NOUNS:
            label = _tidy(phrase)
            if label:
                return _to_whom(label, after_all)
        if phrase:  # "rose again to a new record of £27.9bn": what stands at the record
            k = q - 2
            while k >= 0 and before[k].lower() not in ("to", "at", "of", "from") and before[k][0].isalnum():
                k -= 1
            before = before[: max(k + 1, 0)]
    # "consumer prices - at 2.4% - rose faster": an aside about the noun before it
    if aside and len(lead) >= 2:
        label = _tidy(_subject_before(lead[:-1]))
        if label:
            return label
    # "43% of the population", "29% of computer software in Britain": a share of the noun after
    if kind == "percent" and first == "of" and len(after_all) > 1:
        label = _tidy(_noun_phrase(after_all[1:], prepositions=1))
        if label:
            return label
    # "$717m in disaster relief", "30bn baht in earnings from tourism"
    if kind == "money" and first == "in" and len(after_all) > 1 and after_all[1][0].islower():
        label = _tidy(_noun_phrase(after_all[1:]))
        if label and label.split()[0].lower() not in ("cash", "total", "all", "stock", "value"):
            return label
    # "invest $14.3 billion in Scale AI", "paid $14.3 billion for a 49% stake"
    if kind == "money" and verb_before in _LABEL_VERBS:
        noun = _LABEL_VERBS[verb_before]
        if first in ("in", "for", "on", "to", "into") and len(after_all) > 1:
            pp = _noun_phrase(after_all[1:], prepositions=1)
            if pp and pp[0][0].isupper():
                return _tidy([noun, first, *pp]) or noun
        return noun
    # the object or the subject of the verb before the figure
    label = _object_of(before)
    if label:
        return label
    at, verb = _verb_chain_start(before)
    if at >= 0 and verb:
        subject = _subject_before(before[:at])
        if before[at].lower().endswith("ed"):
            # "a deal valued at $6.75bn", "a record deficit projected to peak at": a participle
            # qualifies the noun right before it, not a phrase that ends there
            cut = [k for k, w in enumerate(subject) if w.lower() in _NOUN_PREPOSITIONS]
            subject = subject[cut[-1] + 1 :] if cut else subject
        return _tidy(subject)
    return ""


def _to_whom(label: str, after: list[str]) -> str:
    """A head noun with the "to" phrase after its figure: "rebates of up to 12% to carmakers"
    are "rebates to carmakers", "loans of $5bn to Greece" "loans to Greece" (not "to 500", nor
    "to settle the case": a name, a determiner or a plural noun must follow)."""
    if len(after) < 2 or after[0].lower() != "to":
        return label
    first = after[1]
    if not (first[:1].isupper() or first.lower() in _DETERMINERS or re.fullmatch(r"[a-z]+[^s]s", first)):
        return label
    phrase = _noun_phrase(after[1:], prepositions=0)
    whom = _tidy(phrase)
    joined = f"{label} to {whom}" if whom else ""
    return joined if joined and _well_formed(joined.split()) else label


def _count_label(before: list[str], after: list[str], unit: str) -> str:
    """A count's label: the counted noun with its modifiers and one prepositional phrase
    ("garment workers", "comments on endangered species"), or the noun before "of"; none for a
    count of times ("downloaded 9 million times": the label would be the verb's)."""
    if unit.lower() == "times":
        return ""
    upto = next((i for i, w in enumerate(after[:6]) if w.lower() == unit.lower()), -1)
    if upto < 0:
        # "the crowd of 22, 000", "a majority of only 14", "has 800,000" (the unit given earlier)
        q = len(before)
        while q and before[q - 1].lower() in _QUALIFIERS:
            q -= 1
        if q >= 2 and before[q - 1].lower() == "of":
            phrase = _subject_before(before[: q - 1])
            if phrase and phrase[-1].lower() == unit.lower() and unit.lower() not in _LEVEL_NOUNS:
                return _tidy(phrase)
            if phrase:  # "unemployment levels rising to a seventy-year high of 5.2 million"
                k = q - 2
                while (
                    k >= 0 and before[k].lower() not in ("to", "at", "of", "from") and before[k][0].isalnum()
                ):
                    k -= 1
                at, verb = _verb_chain_start(before[: max(k + 1, 0)])
                return _tidy(_subject_before(before[:at])) if at >= 0 and verb else ""
        return unit if unit.isalpha() and unit.lower() not in _UNIT_WORDS else ""
    phrase = after[: upto + 1]
    if phrase and (phrase[0].lower() in ("of",)):
        phrase = phrase[1:]  # "1.1m of the UK's 1.6m Muslims"
    rest = after[upto + 1 :]
    if rest and rest[0].lower() in ("in", "on", "for", "from", "of", "across") and len(rest) > 1:
        pp = _noun_phrase(rest[1:], prepositions=0)
        if pp and not any(w.lower() in _TIME_WORDS for w in pp):
            phrase = [*phrase, rest[0], *pp[:4]]
    label = _tidy([w for w in phrase if w not in ("’s", "'s") and not re.search(r"[’']s$", w)])
    q = len(before)
    while q and before[q - 1].lower() in _QUALIFIERS:
        q -= 1
    if label and q >= 2 and before[q - 1].lower() == "of":
        # "a context window of 262,000 tokens": what the tokens are counted as
        head = _head_before_of(before[: q - 1])[-3:]
        if head and head[-1].lower() not in _LEVEL_NOUNS | _NOT_COUNTED and _tidy(head):
            return f"{_tidy(head)} of {label}"
    return label or (unit if unit.isalpha() else "")

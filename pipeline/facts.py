"""One article → its facts: key figures, dated events, people and organisations, quotations.

Offline, rule-based and explainable, like the rest of the pipeline: nothing is inferred that the
text does not say, every `sentence`/`text` field is a verbatim substring of `article.text`
(sentences come from `sentences.split_sentences`), and there is no list of known people or
companies: names are found by their shape and by the words around them, so the rules work on
names they have never seen. `score_facts` scores the output against hand-annotated gold.

Figures
-------
    kind      written as                                      amount        unit
    money     $14.3 billion, €870 million, £5m, US$2bn,       14.3e9, ...   USD EUR GBP NOK ...
              12 million dollars, 9.4 pence
    percent   49%, 2.5 per cent                               49.0          %
    multiple  10x, ten times (before more/less/faster/...)    10.0          x
    count     262,000 tokens, 3 billion people, 27 variants   262000.0      the counted noun
    score     a bare number after at/of/scored/posted in a    52.0          points
              sentence about a score, index or benchmark;
              a result or vote (2–1, 9–4) beside won/beat/vote 2.0           result

Not figures: years, dates, durations and ages (12 years, 18 months, 28-year-old), measurements
(9.1 millimetres, 67 watts), ordinals, version numbers (a number after a capitalised word:
Llama 4, GPT-5.4), numbers in words (except "N times") and vague amounts (hundreds of
millions). In a range ($115 billion to $135 billion, $115 to $135 billion) each end is a figure,
the first takes the scale of the second, and both get the label of the whole. The label comes
from the words of the figure's clause: the noun it qualifies (49% stake in Scale AI → "stake in
Scale AI"), the noun before "of" (a valuation of $3.5 billion → "valuation"), the benchmark of a
score (86.4% on CharXiv → "CharXiv score"), a movement (Meta shares rose 2.1% → "Meta shares
rose") or the verb before it (invest $14.3 billion in Scale AI → "investment in Scale AI"). One
figure per kind, amount and unit per article: the first.

Dates
-----
The article's `published` date is the anchor; without one, only dates that carry a year resolve.

    written                                          resolves to                          precision
    April 8, 2026 / 8 April 2026 / Wednesday,        that day (the anchor's year when     day
      April 8 / on April 8                             none is given)
    November 2025                                    that month                           month
    in / since / during / that / early / late June   the most recent June not after the   month
                                                       anchor
    last June                                        the most recent June before the      month
                                                       anchor's month
    in / since / for / by / until / between 2013,    that year                            year
      mid-2025, the summer of 2025, the first
      quarter of 2026, "in 2023 and 2024"
    Wednesday (alone)                                the most recent Wednesday on or      day
                                                       before the anchor (the anchor if
                                                       it is one)
    yesterday / last week / last month              anchor − 1 day / − 7 days / the      day / week
                                                       month before                         / month
    last year, late last year / this year            anchor year − 1 / anchor year        year
    last summer (spring, autumn, fall, winter)       the year of the most recent one      year

In a clause that speaks of the future (will, would, expects to, plans to, is due to, is set to,
next), a weekday or a bare month is the next one instead: "will launch on Monday". Skipped:
today, this week, this month, by / until June, a year ago, two days after, the same month, and
a year used as an adjective or possessive (the 2018 Turing Award, last year's model).

Events
------
A sentence becomes one event per distinct date in it. Its kind is the first rule, in this order,
whose keywords occur in the clause around the date (between commas, dashes, colons and words
such as when / after / which / who / while / but); when the clause has none the whole sentence is
read, and when the sentence has none either it is not an event (nothing is guessed).

    order  kind            keywords (stems, case-insensitive)
    1      legal           court, lawsuit, sue, fine(d), regulator, antitrust, appeal, ruling,
                           judge, verdict, settlement, probe, investigat-, penalty, complaint,
                           injunction, sanction
    2      research        paper, study, survey, poll, benchmark, leaderboard, preprint, peer
                           review, findings, experiment, architecture, evaluation, published
    3      revelation      report(ed) that, reveal, leak, disclose, document(s), found that,
                           showed that, review of, according to people / documents / materials
    4      product launch  launch, release, unveil, roll out, rollout, debut, ship, went / goes
                           live, introduce, arrive, pre-order, on sale, sales begin
    5      financial       raise (not "raise questions"), funding, invest, valuation, valued at,
                           stake, revenue, sales, profit, earnings, shares, stock, spending,
                           spend + an amount, capital expenditure, capex, paid, price, acquire,
                           deal, budget, finance, market value, a money amount
    6      organizational  join, leave, left (a company / to / for / late / in ...), depart,
                           exit, hire, appoint, resign, reorganise, restructure, layoffs, job
                           cuts, cut N jobs, founded, set up, formed, created, split into,
                           merge, lab, division, unit, career, tenure, step down, recruit
    7      strategy        strategy, strategic, plan(s) to, a / the plan, pivot, shift,
                           decide, decision, bet, approach, argue, priority, focus, roadmap,
                           direction, pledge, commit to, intend, aim

Mentions
--------
Candidate names are runs of capitalised tokens (with "&", particles such as de / van / von, and
"of" after Institute, University, ...), minus function words, months, weekdays and common
acronyms (AI, CEO, ...). A sentence's first word counts only when it is also capitalised inside
a sentence elsewhere, is possessive, is followed by a speech verb or an appositive, or has inner
capitals (LeCun, AMI). Each occurrence collects cues from the words around it:

- person: a role beside it (NAME, an analyst at X / chief AI officer NAME / NAME ... as ROLE /
  its leader, NAME / NAME, who leads X), a speech verb (said NAME, NAME said), NAME, who,
  founded by NAME, hired NAME, a pronoun that can only be it, a title (Mr, Dr), being referred
  to by surname alone. Persons must have a name's shape: 2-4 capitalised words, no digits, no
  organisation word (Labs, Capital, ...) and no word that names a thing (Award, Index, Park).
- organisation: an organisation word in the name (Labs, Inc, Capital, Partners, Research,
  University, ...; AI as its last word; "&"), an organisation noun beside it (the consultancy X,
  X, the startup, X lab), a role of it (analyst at X, X spokesperson), joined / left / at X,
  years at X, stake in X, researchers from X, rivalry (compete with X, racing X), X's before a
  name, X <verb> ... its, a corporate verb (announced, raised, hired, said, ...), "The" inside
  a sentence, "calling itself X". Names listed together (X, Y and Z) share the cue before the
  list, and a name listed with an organisation is one unless another cue says otherwise.
- product (not reported): digits (Llama 4), a product noun after it (X model, X app, X podcast),
  the object of release / launch / download, X, the ... model.
- place (not reported): after in / from / across / based in, unless organisation cues are
  stronger; a word that only modifies an organisation named next (the Paris venture firm X).

A person needs person evidence of at least 1 and at least as much as its organisation and its
product evidence; an organisation needs organisation evidence of at least 2, more than its product
evidence and at least 1 more than its place evidence; anything else is not reported.

Mentions of one entity are merged within the article: a surname with the full name (LeCun → Yann
LeCun), an acronym with its expansion (FAIR → Fundamental AI Research), a first word with its
organisation (Veltrion → Veltrion Semiconductors, AMI → AMI Labs). The role is the one found most
often (between equals: appositive, then "as ROLE", title before the name, "the ROLE, NAME", "who
leads X"), verbatim from its sentence.

Quotes
------
Text between “…” or "…" of at least 4 words, attributed by “…,” said NAME (also "said ORG
spokesperson NAME"), “…,” NAME said, NAME said: “…”, according to NAME, “…”, a pronoun (he said:
the last person named in the previous sentence), or, for a quote that follows an attributed quote
in the same paragraph, that quote's speaker. Unattributed quotes are dropped; the speaker is the
name the article gives, resolved to the full name of the entity it refers to.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from .models import Article
from .sentences import split_sentences

__all__ = [
    "ArticleFacts",
    "Event",
    "Figure",
    "Mention",
    "Quote",
    "event_kind",
    "extract_facts",
    "names_match",
    "roles_match",
    "score_facts",
]


@dataclass(frozen=True)
class Figure:
    value: str  # as written: "$14.3 billion", "49%", "10x", "3 billion"
    kind: str  # money | percent | multiple | count | score
    amount: float  # normalised: 14.3e9, 49.0, 10.0
    unit: str  # USD | EUR | GBP | % | x | points | the counted noun
    label: str
    sentence: str
    article_id: str


@dataclass(frozen=True)
class Event:
    date: date
    precision: str  # day | week | month | year
    text: str  # the sentence, verbatim
    kind: str
    article_id: str


@dataclass(frozen=True)
class Mention:
    name: str
    kind: str  # person | org
    role: str  # verbatim from `sentence`, or ""
    sentence: str
    article_id: str


@dataclass(frozen=True)
class Quote:
    text: str
    speaker: str
    sentence: str
    article_id: str


@dataclass(frozen=True)
class ArticleFacts:
    figures: tuple[Figure, ...] = ()
    events: tuple[Event, ...] = ()
    mentions: tuple[Mention, ...] = ()
    quotes: tuple[Quote, ...] = ()


# ---------------------------------------------------------------------------------------------
# Sentences


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


# ---------------------------------------------------------------------------------------------
# Shared word lists (generic English, no names)

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "January February March April May June July August September October November December".split()
    )
}
_WEEKDAYS = {d: i for i, d in enumerate("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())}
_MONTH_RE = "|".join(_MONTHS)
_MONTH_ABBREVIATIONS = {
    "Jan.": 1, "Feb.": 2, "Mar.": 3, "Apr.": 4, "Jun.": 6, "Jul.": 7, "Aug.": 8, "Sep.": 9, "Sept.": 9,
    "Oct.": 10, "Nov.": 11, "Dec.": 12, "Sept": 9,
}  # fmt: skip
_MONTH_ABBR_RE = "|".join(re.escape(m) for m in sorted(_MONTH_ABBREVIATIONS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(_WEEKDAYS)

_NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "fifty": 50,
    "hundred": 100,
    "a hundred": 100,
    "a thousand": 1000,
}
_SCALES = {
    "T": 1e12,
    "B": 1e9,
    "M": 1e6,
    "K": 1e3,
    "trillion": 1e12,
    "tn": 1e12,
    "billion": 1e9,
    "bn": 1e9,
    "million": 1e6,
    "m": 1e6,
    "thousand": 1e3,
    "k": 1e3,
}
_DURATION_UNITS = frozenset(
    "year years month months week weeks day days hour hours minute minutes second seconds decade "
    "decades century centuries am pm a.m. p.m.".split()
)
# Units of measure: a number of these is a measurement, not a count.
_MEASURE_UNITS = frozenset(
    "millimetres millimeters centimetres centimeters metres meters kilometres kilometers miles inches feet "
    "yards grams kilograms kilos tonnes tons litres liters gallons watts kilowatts megawatts gigawatts volts "
    "amps hertz bytes kilobytes megabytes gigabytes terabytes petabytes degrees pixels megapixels calories "
    "knots acres hectares mph kph".split()
)
_FUNCTION_WORDS = frozenset(
    "a an the of in on at to for by with from and or but than that which who whom whose is are was were "
    "be been being has have had will would could can may might should must do does did not no as into "
    "onto over under after before since during while if so because about around roughly nearly almost "
    "some more most less least up down out off its their his her our your my this these those it they "
    "he she we you i them him us per each every both either neither also just only even still yet then "
    "there here where when why how all any such".split()
)
_IRREGULAR_PLURALS = frozenset("people children staff men women personnel police cattle data media".split())

_ROLE_NOUNS = frozenset(
    "officer executive chief ceo cto cfo coo cio founder co-founder cofounder president chairman "
    "chairwoman chair chairperson director head leader manager analyst partner professor researcher "
    "scientist engineer economist fellow spokesperson spokesman spokeswoman maintainer editor reporter "
    "correspondent minister commissioner secretary governor mayor senator judge lawyer attorney adviser "
    "advisor consultant strategist investor coach captain striker goalkeeper midfielder defender owner "
    "lecturer dean architect developer designer official inspector trader banker physician doctor "
    "specialist expert vp superintendent commander principal treasurer chancellor substitute councillor "
    "councilor referee winger forward".split()
)
_ROLE_PLURALS = frozenset(f"{r}s" for r in _ROLE_NOUNS)
_ROLE_NOUN_RE = "|".join(sorted((re.escape(r) for r in _ROLE_NOUNS), key=len, reverse=True))
_ORG_NOUNS = frozenset(
    "company startup start-up firm lab laboratory group consultancy division unit maker chipmaker "
    "carmaker automaker bank fund regulator agency outlet newspaper publisher broadcaster retailer grocer "
    "club university institute organisation organization nonprofit charity provider operator "
    "conglomerate subsidiary supplier manufacturer insurer airline studio foundation council commission "
    "authority ministry department school college hospital union association chain non-profit designer "
    "developer".split()
)
_ORG_NOUN_RE = "|".join(sorted((re.escape(n) for n in _ORG_NOUNS), key=len, reverse=True))
_ORG_WORDS = frozenset(
    "Labs Lab Inc Corp Corporation Ltd LLC LLP GmbH AG SA SE plc PLC Co Group Holdings Capital Partners "
    "Ventures Securities Research Insights Analysis Analytics Institute University College School "
    "Foundation Forum Guild Association Society Council Commission Agency Authority Ministry Department "
    "Bank Fund Systems Technologies Semiconductors Silicon Freight Motors Airlines Airways Media Studios "
    "Networks Energy Pharma Pharmaceuticals Therapeutics Robotics Industries Enterprises Solutions "
    "Software Club FC Union Committee Bureau Office Court Board Trust Exchange Investments Advisors "
    "Advisers Management Consulting Communications Telecom Automotive Logistics Shipping Hospital Museum "
    "Party Commission Parliament Police Army Navy Government Microsystems Mobility Dynamics Devices "
    "Electronics Instruments Aerospace Foods Brands Retail Rovers Athletic Wanderers Rangers Albion".split()
)
# Words that end names of things, never of people.
_THING_WORDS = frozenset(
    "Award Awards Prize Index Act Cup League Summit Conference Day Week Festival Project Programme Program "
    "Initiative Bridge Street Road Avenue Park Square Tower Centre Center Hall Lake River Mountain Island "
    "Valley City County State Province Region Coast Airport Station Arena Stadium Marketplace Store Hard "
    "Reasoning Pro Max Mini Ultra Plus Edition Series Model Models Protocol Architecture Framework".split()
)
_OF_ORG_WORDS = frozenset(
    "Institute University College School Bank Department Ministry Commission Council Court Museum Board "
    "Federation Association Society Academy Office Church Republic Bureau League".split()
)
_PRODUCT_NOUNS = frozenset(
    "model models app apps assistant assistants family framework toolkit checkpoint checkpoints weights "
    "api chatbot chatbots leaderboard benchmark benchmarks version versions feature features device "
    "devices phone phones glasses service software chip chips tool tools library update release releases "
    "licence license series engine podcast newsletter game console browser database smartphone "
    "handset laptop".split()
)
_FUNCTION_RE = "|".join(sorted(_FUNCTION_WORDS, key=len, reverse=True))
_PRODUCT_NOUN_RE = "|".join(sorted((re.escape(n) for n in _PRODUCT_NOUNS), key=len, reverse=True))
# Capitalised words that do not start a name (sentence openers, function words, common acronyms).
_STOPCAPS = (
    frozenset(
        "The A An In On At For With After Before Since When While Under Over Inside Outside Unlike Like As "
        "By From To Of And But Or Nor Yet So If Then This That These Those It Its He She His Her They Their "
        "Them We Our You Your I My Me Us Who What Where Which Why How There Here Some Many Most Several Few "
        "All Both Each Every Other Others Another Any No Not Neither Either One Two Three Four Five Six "
        "Seven "
        "Eight Nine Ten First Second Third Last Next New Former Chief Independent Existing Asked Speaking "
        "According Meanwhile However Instead Still Also Even Only Just Today Yesterday Tomorrow Once Because "
        "Although Though Despite During Within Without Between Among Across Through Until Against Toward "
        "Towards Behind Beyond Near Per Via Mr Mrs Ms Dr Prof Sir Dame Let Such Much More Less Much Now Yes "
        "AI API CEO CTO CFO COO CIO LLM LLMs GPU GPUs CPU IPO AGI VR AR TV PC OK PhD HQ Q1 Q2 Q3 Q4 "
        "US USD EUR GBP UK".split()
    )
    | frozenset(_MONTHS)
    | frozenset(_WEEKDAYS)
)
_NAME_CONNECTORS = frozenset("de van von der den da di du la le del della bin al".split())
_SPEECH_VERBS = (
    "said|says|told|tells|added|adds|argued|argues|wrote|writes|noted|notes|explained|warned|insisted|"
    "recalled|acknowledged|replied|asked|stressed|claimed|commented|continued|remarked"
)
_CORPORATE_VERBS = (
    "announced|announces|launched|launches|released|releases|unveiled|unveils|raised|raises|invested|"
    "invests|acquired|acquires|bought|buys|hired|hires|cut|cuts|guided|declined|confirmed|confirms|denied|"
    "denies|acknowledged|said|says|told|plans|planned|agreed|committed|spent|spends|paid|pays|offered|"
    "employs|markets|published|publishes|reported|reports|counts|faces|began|claims|called|"
    "reorganised|reorganized|shipped|ships|sells|sold|fined|appealed"
)


def _word_count(text: str) -> int:
    return len(text.split())


# ---------------------------------------------------------------------------------------------
# Figures

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MONEY = re.compile(
    rf"(?<![\w$€£])(?P<cur>US\$|\$|€|£|USD ?|EUR ?|GBP ?)(?P<num>{_NUM})"
    r"(?:\s?(?P<scale>trillion|billion|million|thousand|bn|tn|m|k|B|M|T|K)\b)?"
    r"|(?<![\w$€£.,])(?P<num2>" + _NUM + r")(?:\s(?P<scale2>trillion|billion|million|thousand))?"
    r"\s(?P<word>dollars|euros|pounds|pence|cents|yen|yuan|rupees|francs|(?:Norwegian |Danish )?kroner|"
    r"(?:Swedish )?kronor)\b"
)
_PERCENT = re.compile(rf"(?<![\w.,])(?P<num>{_NUM})\s?(?:%|per ?cent\b|percent\b)")
_MULTIPLE = re.compile(
    rf"(?<![\w.,])(?P<num>{_NUM})x\b"
    r"|\b(?P<word>two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|fifty|"
    r"a hundred|hundred|a thousand|\d+(?:\.\d+)?) times (?=(?:more|less|fewer|faster|slower|larger|"
    r"bigger|smaller|higher|lower|cheaper|better|as|the|over|its|their|his|her|that|what)\b)",
    re.IGNORECASE,
)
_COUNT = re.compile(
    rf"(?<![\w$€£.,\-/])(?P<num>{_NUM})(?:\s(?P<scale>million|billion|trillion|thousand))?(?=[\s.,;:]|$)"
)
_RESULT = re.compile(r"(?<![\w.,–-])(?P<a>\d{1,3})[–-](?P<b>\d{1,3})(?![\w.,–-])")
_RESULT_CONTEXT = re.compile(
    r"\b(?:beat\w*|win|wins|won|winning|lost|lose|loss|defeat\w*|draw|drew|victory|voted?|votes|score|"
    r"scored|final|match)\b",
    re.IGNORECASE,
)
_SCORE_CONTEXT = re.compile(
    r"\b(?:scores?|scored|scoring|index|points|rating|ranked|ranking|leaderboard|benchmarks?|elo)\b",
    re.IGNORECASE,
)
_CURRENCY = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "USD": "USD", "EUR": "EUR", "GBP": "GBP"}
_CURRENCY_WORDS = {
    "dollars": "USD",
    "euros": "EUR",
    "pounds": "GBP",
    "pence": "GBP",
    "cents": "USD",
    "yen": "JPY",
    "yuan": "CNY",
    "rupees": "INR",
    "francs": "CHF",
    "norwegian kroner": "NOK",
    "danish kroner": "DKK",
    "kroner": "NOK",
    "swedish kronor": "SEK",
    "kronor": "SEK",
}
_RANGE_SCALE = re.compile(
    rf"^\s?(?:to|-|–|and|or)\s?(?:US\$|\$|€|£)?(?:{_NUM})\s?(?P<scale>trillion|billion|million|thousand|bn|tn)\b"
)
_RANGE_GAP = re.compile(r"\s?(?:to|-|–)\s?")
_LABEL_VERBS = {
    "invest": "investment",
    "invested": "investment",
    "investing": "investment",
    "paid": "payment",
    "pay": "payment",
    "paying": "payment",
    "spend": "spending",
    "spent": "spending",
    "spending": "spending",
    "raise": "raise",
    "raised": "raise",
    "raising": "raise",
    "committed": "commitment",
    "commit": "commitment",
    "valued": "valuation",
    "lost": "loss",
    "earned": "earnings",
    "fined": "fine",
    "cost": "cost",
    "costs": "cost",
}
_SCORE_VERBS = frozenset("scored posted solved recorded reached achieved scoring scores".split())
_ADVERBS = frozenset(
    "about roughly around nearly almost some just only over under approximately an estimated at least "
    "more than less than as much as up to".split()
)
_CLAUSE_STOP = re.compile(
    r"[,;:()“”\"—–]|\s(?:and|but|while|which|who|when|whereas|although|after|before|because)\s"
)


def _to_float(number: str) -> float:
    return float(number.replace(",", ""))


def _words(text: str) -> list[str]:
    return re.findall(r"[\w$€£%][\w’'.%-]*[\w%]|[\w$€£%]", text)


def _clause_after(sentence: str, end: int) -> str:
    rest = sentence[end:]
    match = _CLAUSE_STOP.search(rest)
    rest = rest[: match.start()] if match else rest
    return rest.rstrip(" .!?")


def _clause_before(sentence: str, start: int) -> str:
    head = sentence[:start]
    stops = [m.end() for m in _CLAUSE_STOP.finditer(head)]
    return head[stops[-1] :] if stops else head


_LABEL_DROP = frozenset("a an the its their his her our this that these those".split())
_LABEL_END = (
    frozenset(
        "is are was were has have had will would could can may might which who whom whose than to as "
        "after before because while when if last next ahead since until and or but by under from".split()
    )
    | frozenset(m.lower() for m in _MONTHS)
    | frozenset(d.lower() for d in _WEEKDAYS)
)
_TIME_WORDS = frozenset("year month week quarter today yesterday tomorrow decade".split())
_PREPOSITIONS = frozenset("in of on for across off over into with at to".split())
_MOVE_VERBS = frozenset(
    "rose rise rises rising fell fall falls falling slipped slips dropped drops jumped jumps climbed climbs "
    "gained gains declined declines grew grows surged surges sank tumbled slid increased decreased soared "
    "plunged lost".split()
)
_MOVE_TO = re.compile(rf"\b(?:{'|'.join(sorted(_MOVE_VERBS))})\s+(?:\S+\s+)?to\s+$")
_VP_SKIP = frozenset(
    "had have has were was are is already still said say says they would will could planned plan plans to "
    "intend intended expected expect also now".split()
)
_COMPARATIVES = frozenset(
    "more less fewer faster slower larger bigger smaller higher lower cheaper better worse".split()
)


def _is_figure_word(word: str) -> bool:
    return re.match(r"^(?:[$€£]|\d[\d,.]*(?:%|x)$)", word) is not None or word.endswith("%")


def _tidy_label(words: Iterable[str], limit: int = 6) -> str:
    out: list[str] = []
    for w in words:
        w = w.rstrip(".,;:")
        if not w or w.lower() in _LABEL_DROP or _is_figure_word(w):
            continue
        out.append(w)
        if len(out) >= limit:
            break
    while out and (out[-1].lower() in _FUNCTION_WORDS or out[-1].lower() in _PREPOSITIONS):
        out.pop()
    while out and out[0].lower() in _PREPOSITIONS:
        out.pop(0)
    return " ".join(out)


def _noun_phrase_after(
    after: str, max_prepositions: int = 2, skip_first_preposition: bool = False
) -> list[str]:
    """Words after a figure up to the end of its noun phrase (with at most two prepositional phrases)."""
    words = _words(after)
    out: list[str] = []
    prepositions = 0
    for i, w in enumerate(words):
        low = w.lower()
        nxt = words[i + 1].lower() if i + 1 < len(words) else ""
        if (
            re.match(r"^(?:19|20)\d\d$", w)
            or low in _TIME_WORDS
            or (low in ("this", "next") and nxt in _TIME_WORDS)
        ):
            break
        if low == "by" and out and out[-1].endswith("ed"):
            out.append(w)
            continue
        if low in _LABEL_END and not (i == 0 and skip_first_preposition):
            break
        if low in _PREPOSITIONS:
            if i == 0 and not skip_first_preposition:
                break
            prepositions += 1
            if prepositions > max_prepositions:
                break
        out.append(w)
        if len(out) >= 8:
            break
    return out


def _verb_before(before: str) -> str:
    """The word before the figure, skipping adverbs such as 'about', 'more than', 'up to'."""
    words = _words(before)
    while words:
        low = words[-1].lower()
        if low == "to" and len(words) >= 2 and words[-2].lower() == "up":
            words = words[:-2]
        elif low in _ADVERBS or low in ("than", "much", "least", "only", "just"):
            words = words[:-1]
        elif low == "as" and len(words) >= 2 and words[-2].lower() == "much":
            words = words[:-2]
        else:
            break
    return words[-1] if words else ""


def _benchmark(sentence: str, end: int) -> str:
    """The benchmark a score is on: 'on X' after it, else anywhere, else a leading 'On X,'."""
    on = re.compile(r"\bon\s+(?:its\s+|the\s+)?((?:[A-Z][\w.-]*)(?:\s+(?:[A-Z0-9][\w.-]*))*)")
    hit = on.match(sentence[end:].lstrip(" ")) or on.search(sentence)
    if hit is None:
        hit = re.match(r"^(?:On|In)\s+([A-Z][^,]+),", sentence)
    return _tidy_label(_words(hit.group(1)), 4) if hit else ""


def _count_label(sentence: str, start: int, end: int, unit: str) -> str:
    before = _clause_before(sentence, start)
    words = _words(_clause_after(sentence, end))
    upto = next((i for i, w in enumerate(words[:4]) if w.lower() == unit), 0)
    phrase = words[: upto + 1]
    rest = words[upto + 1 :]
    if rest and rest[0].lower() in _PREPOSITIONS - {"to"}:
        phrase += _noun_phrase_after(" ".join(rest), max_prepositions=1, skip_first_preposition=True)[:4]
    label = _tidy_label(phrase)
    of = re.search(
        r"((?:[A-Za-z][\w-]*\s){0,2}[A-Za-z][\w-]*)\s+of\s+(?:about\s+|some\s+|nearly\s+)?$", before
    )
    if of:
        kept = [w for w in of.group(1).split() if w.lower() not in _FUNCTION_WORDS][-2:]
        if kept:
            return _tidy_label([*kept, "of", *label.split()])
    verb = _verb_before(before)
    if (
        _word_count(label) == 1
        and verb.islower()
        and verb not in _FUNCTION_WORDS
        and verb not in _VP_SKIP
        and not re.fullmatch(_SPEECH_VERBS, verb)
    ):
        return f"{verb} {label}"
    return label or unit


def _label(sentence: str, start: int, end: int, kind: str, unit: str) -> str:
    """A short label for the figure at sentence[start:end], from the words of its clause."""
    if kind == "count":
        return _count_label(sentence, start, end, unit)
    before = _clause_before(sentence, start)
    after_text = sentence[end:]
    after_clause = _clause_after(sentence, end)
    after_words = _words(after_clause)
    first = after_words[0].lower() if after_words else ""
    verb = _verb_before(before)
    low_verb = verb.lower()
    # "Meta shares rose 2.1%"
    move = _MOVE_TO.search(before)  # "fell 4.2% to $88.10"
    if low_verb in _MOVE_VERBS or move:
        subject = before[: move.start()] + move.group(0).split()[0] if move else before
        words = [w for w in _words(subject) if not _is_figure_word(w)]
        keep = 4 if len(words) >= 4 and words[-3].lower() in _PREPOSITIONS else 3  # "Shares of X fell"
        return _tidy_label([*words[-keep:], *(["to"] if move else [])])
    if kind == "score" or (kind == "percent" and (low_verb in _SCORE_VERBS or first == "on")):
        bench = _benchmark(sentence, end)
        if bench and bench.split()[0] not in _STOPCAPS:
            return f"{bench} score"
    # "10x less training compute"
    if kind == "multiple" and first in _COMPARATIVES:
        return _tidy_label(_noun_phrase_after(after_clause, 1, skip_first_preposition=True))
    # "61% had already moved ...", "23% said they would wait for ..."
    if kind == "percent" and first in _VP_SKIP:
        rest = after_words
        while rest and rest[0].lower() in _VP_SKIP:
            rest = rest[1:]
        label = _tidy_label(_noun_phrase_after(" ".join(rest), 1, skip_first_preposition=True))
        if label:
            return label
    # "49% stake in Scale AI", "$135 billion spending plan"
    if first and first not in _FUNCTION_WORDS and first not in _PREPOSITIONS and first[0].isalpha():
        label = _tidy_label(_noun_phrase_after(after_clause))
        if label:
            return label
    # "a valuation of $3.5 billion", "capital expenditure of ..."
    of = re.search(
        r"((?:[A-Za-z][\w’'-]*\s)?[A-Za-z][\w’'-]*)\s+of\s+(?:about\s+|up to\s+|roughly\s+)?$", before
    )
    if of:
        kept: list[str] = []
        for w in reversed(of.group(1).split()):
            if (
                w.lower() in _FUNCTION_WORDS
                or w.lower() in _LABEL_END
                or (kept and w.endswith(("ed", "ing")))
            ):
                break
            kept.insert(0, w)
        if kept:
            return _tidy_label(kept)
    pp = re.match(r"^\s*(?:of|on|in|for|to|into|off)\s+[^,;:()“”\"]+", after_text)
    pp_words = _noun_phrase_after(pp.group(0), skip_first_preposition=True) if pp else []
    # "invest $14.3 billion in Scale AI", "paid $14.3 billion for a 49% stake in Scale AI"
    noun = _LABEL_VERBS.get(low_verb, "")
    if noun:
        return _tidy_label([noun, *pp_words]) if pp_words else noun
    if low_verb in ("adding", "added", "adds", "add"):
        return _tidy_label(["added", *pp_words])
    # "$72.22 billion it spent last year"
    relative = re.match(r"^\s+(?:it|they|he|she|the company|which|that)\s+([a-z]+\b[^,;:]*)", after_text)
    if relative:
        head = relative.group(1).split()
        return _tidy_label(head[:4])
    if kind == "percent" and pp_words[:1] == ["of"]:
        tail = [verb] if verb.endswith("ed") else []
        return _tidy_label([*pp_words[1:], *tail]) or _tidy_label(["share", *pp_words])
    if pp_words:
        return _tidy_label(pp_words)
    words = [w for w in _words(before) if not _is_figure_word(w)]
    return _tidy_label(words[-4:])


def _is_year(number: str) -> bool:
    return bool(re.fullmatch(r"(?:1[89]|20|21)\d\d", number))


def _counted_noun(after: str) -> str:
    """The plural noun a count measures, from the words right after it ('' if none)."""
    words: list[str] = re.findall(r"[A-Za-z][\w-]*|\S", after)
    for i, w in enumerate(words[:4]):
        low = w.lower()
        if low in _DURATION_UNITS or low in _MEASURE_UNITS or low.endswith("-year-old"):
            return ""
        if not w[0].isalpha() or low in _FUNCTION_WORDS:
            return ""
        if w[0].isupper():  # "14 European markets": a modifier, the noun comes next
            if i >= 2:
                return ""
            continue
        if low in _IRREGULAR_PLURALS or (
            len(low) > 3 and low.endswith("s") and not low.endswith(("ss", "us", "is", "ous"))
        ):
            return low
        if i >= 2:
            return ""
    return ""


def _overlaps(spans: Sequence[tuple[int, int]], a: int, b: int) -> bool:
    return any(a < y and b > x for x, y in spans)


def _numbers(text: str) -> list[tuple[int, int, str, float, str]]:
    """(start, end, kind, amount, unit) of every figure in one sentence, in text order."""
    found: list[tuple[int, int, str, float, str]] = []
    taken: list[tuple[int, int]] = []

    def keep(a: int, b: int, end: int, kind: str, amount: float, unit: str) -> None:
        found.append((a, end, kind, amount, unit))
        taken.append((a, b))

    for m in _MONEY.finditer(text):
        if m.group("num") is not None:
            number, scale = m.group("num"), m.group("scale")
            unit = _CURRENCY[m.group("cur").strip()]
        else:
            number, scale = m.group("num2"), m.group("scale2")
            unit = _CURRENCY_WORDS[m.group("word").lower()]
        if scale is None:  # "$115 to $135 billion"
            ranged = _RANGE_SCALE.match(text[m.end() :])
            scale = ranged.group("scale") if ranged else None
        small = m.group("word") in ("pence", "cents")
        if m.group("word") is None or small:
            end = m.end()  # "9.4 pence": the unit is part of the value
        else:
            end = m.end("scale2") if m.group("scale2") else m.end("num2")
        scale = scale or ""
        factor = _SCALES.get(scale, _SCALES.get(scale.lower(), 1.0))  # "$4.5B" and "$4.5 bn" alike
        amount = _to_float(number) * factor / (100 if small else 1)
        keep(m.start(), m.end(), end, "money", amount, unit)
    for m in _PERCENT.finditer(text):
        if not _overlaps(taken, m.start(), m.end()):
            keep(m.start(), m.end(), m.end(), "percent", _to_float(m.group("num")), "%")
    for m in _MULTIPLE.finditer(text):
        if _overlaps(taken, m.start(), m.end()):
            continue
        if m.group("num") is not None:
            keep(m.start(), m.end(), m.end(), "multiple", _to_float(m.group("num")), "x")
        else:
            word = m.group("word").lower()
            amount = float(_NUMBER_WORDS[word]) if word in _NUMBER_WORDS else _to_float(word)
            keep(m.start(), m.end(), m.start() + len(m.group(0).rstrip()), "multiple", amount, "x")
    if _RESULT_CONTEXT.search(text):
        for m in _RESULT.finditer(text):
            if not _overlaps(taken, m.start(), m.end()):
                keep(m.start(), m.end(), m.end(), "score", _to_float(m.group("a")), "result")
    score_context = _SCORE_CONTEXT.search(text) is not None
    for m in _COUNT.finditer(text):
        if _overlaps(taken, m.start(), m.end()):
            continue
        number, scale = m.group("num"), m.group("scale")
        before = text[max(0, m.start() - 60) : m.start()]
        after = text[m.end() : m.end() + 80]
        prev = re.search(r"([\w’'.-]+)\s*$", before)
        prev_word = prev.group(1) if prev else ""
        if prev_word in _MONTHS or re.match(rf"^\s*(?:{_MONTH_RE})\b", after):
            continue  # a date
        if prev_word[:1].isupper() and prev_word not in _STOPCAPS:
            continue  # a version number: "Llama 4", "Gemini 3.1"
        if scale is None and _is_year(number):
            continue
        ranged = re.match(rf"^\s?(?:to|-|–|or|and)\s?(?:{_NUM})\b", after)
        noun = _counted_noun(after[ranged.end() :] if ranged else after)
        amount = _to_float(number) * _SCALES.get(scale or "", 1.0)
        if noun:
            keep(m.start(), m.end(), m.end(), "count", amount, noun)
        elif (
            scale is None
            and not ranged
            and score_context
            and re.search(r"\b(?:at|of|scored|scoring|posted|with)\s+$", before)
        ):
            keep(m.start(), m.end(), m.end(), "score", amount, "points")
    return sorted(found)


def _figures(article_id: str, sentences: Sequence[_Sentence]) -> list[Figure]:
    out: list[Figure] = []
    seen: set[tuple[str, float, str]] = set()
    for s in sentences:
        if not s.prose:
            continue
        text = s.text
        found = _numbers(text)
        previous = ""
        for i, (start, end, kind, amount, unit) in enumerate(found):
            # a range ("$115 billion to $135 billion") is labelled as a whole
            label_start, label_end = start, end
            if (
                i + 1 < len(found)
                and found[i + 1][2] == kind
                and _RANGE_GAP.fullmatch(text[end : found[i + 1][0]])
            ):
                label_end = found[i + 1][1]
            if i and found[i - 1][2] == kind and _RANGE_GAP.fullmatch(text[found[i - 1][1] : start]):
                label_start = found[i - 1][0]
            if (kind, amount, unit) in seen:
                continue
            seen.add((kind, amount, unit))
            window = max(0, label_start - 300)
            context = text[window : label_end + 300]
            label = _label(context, label_start - window, label_end - window, kind, unit) or previous or kind
            previous = label
            out.append(Figure(text[start:end], kind, amount, unit, label, text, article_id))
    return out


# ---------------------------------------------------------------------------------------------
# Dates and events


@dataclass(frozen=True)
class _DateHit:
    start: int
    end: int
    when: date
    precision: str


_D_MDY = re.compile(
    rf"(?:\b(?P<wd>{_WEEKDAY_RE}),?\s+)?\b(?P<month>{_MONTH_RE}|{_MONTH_ABBR_RE})\s+(?P<day>\d{{1,2}})"
    r"(?:st|nd|rd|th)?\b"
    rf"(?!\s*(?:%|,\d))(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?"
)
_D_DMY = re.compile(
    rf"(?:\b(?P<wd>{_WEEKDAY_RE}),?\s+)?\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH_RE})\b"
    rf"(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?"
)
_D_MY = re.compile(rf"\b(?P<month>{_MONTH_RE}),?\s+(?:of\s+)?(?P<year>(?:19|20)\d\d)\b")
_D_M = re.compile(
    rf"\b(?P<pre>[Ii]n|[Ll]ast|[Tt]his|[Tt]hat|[Ss]ince|[Dd]uring|[Ee]arly|[Ll]ate|[Mm]id|[Mm]id-|[Ff]rom)"
    rf"(?:\s+|(?<=-))(?P<month>{_MONTH_RE})\b(?!\s*,?\s*\d)"
)
_SEASON = r"summer|spring|autumn|fall|winter"
_D_Y = re.compile(
    r"(?:\b(?:[Ii]n|[Ss]ince|[Dd]uring|[Ff]or|[Bb]y|[Uu]ntil|[Ff]rom|[Tt]hrough|[Ee]arly|[Ll]ate|[Ee]nd of|"
    r"[Bb]etween)\s+"
    rf"(?:the\s+(?:(?:early|late)\s+)?(?:{_SEASON}|first|second|third|fourth|final|last)\s+(?:half\s+|quarter\s+)?of\s+)?"
    r"|\b[Mm]id-|\b(?:(?:first|second|third|fourth|final|last)\s+(?:half|quarter)|"
    rf"{_SEASON})\s+of\s+)(?P<year>(?:19|20)\d\d)\b(?!\s*(?:%|percent|per cent|-))"
)
_D_YEAR_MORE = re.compile(r"^\s*(?:,|and|or|,\s*and)\s*(?P<year>(?:19|20)\d\d)\b(?!\s*%)")
_D_WEEKDAY = re.compile(rf"\b(?P<wd>{_WEEKDAY_RE})\b(?!s\b)(?![’']s)")
# A clause that says what will happen: its weekday or bare month is the next one, not the last.
_FUTURE = re.compile(
    r"\b(?:will|would|shall|expects? to|expected to|plans? to|planned to|is due to|are due to|"
    r"is set to|are set to|is scheduled|are scheduled|intends? to|next)\b",
    re.IGNORECASE,
)
_D_RELATIVE = re.compile(
    r"\b(?P<rel>yesterday|last week|last month|(?:(?:late|early|earlier|later)\s+)?last year|this year"
    rf"|last (?:{_SEASON}))\b(?![’']s)",
    re.IGNORECASE,
)
_SEASON_END = {"spring": 5, "summer": 8, "autumn": 11, "fall": 11, "winter": 2}


def _future(sentence: str, start: int, end: int) -> bool:
    """Whether the clause of a date says, before the date, that it is still to come."""
    clause = _clause_around(sentence, start, end)
    head = clause[: max(0, clause.find(sentence[start:end]))]
    return _FUTURE.search(head) is not None


def _resolve_dates(text: str, anchor: date | None) -> list[_DateHit]:
    hits: list[_DateHit] = []

    def free(a: int, b: int) -> bool:
        return all(b <= h.start or a >= h.end for h in hits)

    def add(a: int, b: int, when: date | None, precision: str) -> None:
        if when is not None and free(a, b):
            hits.append(_DateHit(a, b, when, precision))

    for pattern in (_D_MDY, _D_DMY):
        for m in pattern.finditer(text):
            name = m.group("month")
            month, day = _MONTHS.get(name) or _MONTH_ABBREVIATIONS[name], int(m.group("day"))
            year = int(m.group("year")) if m.group("year") else anchor.year if anchor else None
            if year is None or not 1 <= day <= 31:
                continue
            try:
                add(m.start(), m.end(), date(year, month, day), "day")
            except ValueError:
                continue
    for m in _D_MY.finditer(text):
        add(m.start(), m.end(), date(int(m.group("year")), _MONTHS[m.group("month")], 1), "month")
    if anchor is not None:
        for m in _D_M.finditer(text):
            month = _MONTHS[m.group("month")]
            if m.group("pre").lower() == "last":
                year = anchor.year if month < anchor.month else anchor.year - 1
            elif _future(text, m.start(), m.end()):
                year = anchor.year if month >= anchor.month else anchor.year + 1
            else:
                year = anchor.year if month <= anchor.month else anchor.year - 1
            add(m.start(), m.end(), date(year, month, 1), "month")
    for m in _D_Y.finditer(text):
        add(m.start(), m.end(), date(int(m.group("year")), 1, 1), "year")
        between = m.group(0).lower().startswith("between")
        more = None if between else _D_YEAR_MORE.match(text[m.end() :])
        if more:
            a = m.end() + more.start("year")
            add(a, a + 4, date(int(more.group("year")), 1, 1), "year")
    if anchor is not None:
        for m in _D_WEEKDAY.finditer(text):
            if _future(text, m.start(), m.end()):
                ahead = (_WEEKDAYS[m.group("wd")] - anchor.weekday()) % 7
                add(m.start(), m.end(), anchor + timedelta(days=ahead), "day")
            else:
                delta = (anchor.weekday() - _WEEKDAYS[m.group("wd")]) % 7
                add(m.start(), m.end(), anchor - timedelta(days=delta), "day")
        for m in _D_RELATIVE.finditer(text):
            rel = m.group("rel").lower()
            if rel == "yesterday":
                add(m.start(), m.end(), anchor - timedelta(days=1), "day")
            elif rel == "last week":
                add(m.start(), m.end(), anchor - timedelta(days=7), "week")
            elif rel == "last month":
                first = anchor.replace(day=1) - timedelta(days=1)
                add(m.start(), m.end(), first.replace(day=1), "month")
            elif rel.endswith("last year"):
                add(m.start(), m.end(), date(anchor.year - 1, 1, 1), "year")
            elif rel == "this year":
                add(m.start(), m.end(), date(anchor.year, 1, 1), "year")
            else:
                season = rel.split()[-1]
                year = anchor.year if anchor.month > _SEASON_END[season] else anchor.year - 1
                add(m.start(), m.end(), date(year, 1, 1), "year")
    return sorted(hits, key=lambda h: h.start)


def _kw(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# (kind, keywords) in priority order: the first kind whose keywords occur wins.
EVENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "legal",
        _kw(
            r"\b(?:court|courts|lawsuits?|sue[sd]?|suing|fine[sd]?(?![\w-])|fining|regulators?|antitrust|"
            r"appeal\w*|rulings?|ruled|judge|verdict|settle(?:ment|d)|probe|investigat\w+|penalt\w+|"
            r"complaints?|injunction|sanction\w*)\b"
        ),
    ),
    (
        "research",
        _kw(
            r"\b(?:papers?|study|studies|survey\w*|polls?|benchmark\w*|leaderboards?|preprints?|"
            r"peer[- ]review\w*|findings|experiment\w*|architecture|evaluations?|published)\b"
        ),
    ),
    (
        "revelation",
        _kw(
            r"\b(?:report(?:s|ed)? (?:that|found|showed)|reveal\w*|leak\w*|disclos\w+|documents?|"
            r"found that|showed that|review of|"
            r"according to (?:people|documents|materials|filings|a report))\b"
        ),
    ),
    (
        "product launch",
        _kw(
            r"\b(?:launch\w*|releas(?:e|es|ed|ing)|unveil\w*|roll(?:s|ed|ing)? out|rollout|debut\w*|"
            r"ship(?:s|ped|ping)?|went live|goes live|go live|introduc(?:e|es|ed|ing)|arriv(?:e|es|ed|ing)|"
            r"pre-orders?|on sale|sales begin\w*|sales start\w*)\b"
        ),
    ),
    (
        "financial",
        re.compile(
            r"(?i:\b(?:rais(?:e|es|ed|ing)\b(?! (?:questions|concerns|doubts|the question))|funding|"
            r"invest\w*|valuation|valued at|stakes?|revenue|sales|profits?|earnings|shares|stock|spending|"
            r"spen[dt]\w*(?=(?:\s+(?:about|roughly|nearly|some|up to|as much as|more than|heavily|over))*\s+"
            r"(?:[$€£]|heavily|billions|millions|\d+(?:\.\d+)?\s+(?:billion|million)))|"
            r"capital expenditure|capex|paid|pays?|pric(?:e|es|ed|ing)|acqui\w+|deal|budget|financ\w+|"
            r"market value)\b)|[$€£]\s?\d"
        ),
    ),
    (
        "organizational",
        re.compile(
            r"(?i:\b(?:join(?:s|ed|ing)?|leav(?:e|es|ing)|depart\w*|exit\w*|hir(?:e|es|ed|ing)|appoint\w*|"
            r"resign\w*|reorgani[sz]\w*|restructur\w*|layoffs?|job cuts|cut\w* (?:about |roughly |some |"
            r"nearly |around )?[\d,]+ (?:jobs|positions|roles|staff)|found(?:ed|ing|s)|co-found\w*|set up|"
            r"formed|created|split \w+ into|split into|merg(?:e|ed|er|ing)|labs?|divisions?|units?|career|"
            r"tenure|step(?:s|ped)? down|recruit\w*|headcount)\b)"
            r"|\bleft (?:[A-Z]|the (?:company|firm|lab|group|board|team|business)|to |for |late|early|in |"
            r"last|after)"
        ),
    ),
    (
        "strategy",
        _kw(
            r"\b(?:strateg\w+|plan(?:s|ned)?\s+to|planning\s+to|(?:a|the|its|their|his|her)\s+plans?|pivot\w*|shift\w*|decid\w+|decision|bets?|betting|"
            r"approach\w*|argu\w+|priorit\w+|focus\w*|roadmap|direction|pledg\w+|commit(?:s|ted)? to|"
            r"intend\w*|aim\w*)\b"
        ),
    ),
)
_EVENT_CLAUSE_STOP = re.compile(
    r"[,;:()“”\"—–]|\s(?:when|after|before|while|but|although|though|because|which|who|whereas)\s"
)


def event_kind(text: str) -> str | None:
    """The kind of the first rule (in priority order) whose keywords occur in `text`."""
    for kind, pattern in EVENT_RULES:
        if pattern.search(text):
            return kind
    return None


def _clause_around(sentence: str, start: int, end: int) -> str:
    lo, hi = 0, len(sentence)
    for m in _EVENT_CLAUSE_STOP.finditer(sentence):
        if m.end() <= start:
            lo = m.end()
        elif m.start() >= end:
            hi = m.start()
            break
    return sentence[lo:hi]


def _events(article_id: str, sentences: Sequence[_Sentence], anchor: date | None) -> list[Event]:
    out: list[Event] = []
    for s in (s for s in sentences if s.prose):
        seen: set[tuple[date, str]] = set()
        for hit in _resolve_dates(s.text, anchor):
            if (hit.when, hit.precision) in seen:
                continue
            kind = event_kind(_clause_around(s.text, hit.start, hit.end)) or event_kind(s.text)
            if kind is None:
                continue
            seen.add((hit.when, hit.precision))
            out.append(Event(hit.when, hit.precision, s.text, kind, article_id))
    return out


# ---------------------------------------------------------------------------------------------
# Names

_TOKEN = re.compile(r"\w+(?:[’'.\-/]\w+)*|[^\w\s]")
_NAMELIKE = re.compile(r"^[^\W\d_][^\W\d_]*(?:[-’'][^\W\d_]+)*$")
_OPENERS = ("“", '"', ":", "‘", "(", "—", "–")
_ADJECTIVE_SUFFIX = re.compile(r"-(?:based|born|led|backed|owned|listed|style|era|made|run)$")
_WINDOW = 240  # characters of context read on each side of a name
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
_LIST_SEP = re.compile(r"^(?:\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)$")
_TWO_NAMES = re.compile(r"[A-Z][\w-]+\s+[A-Z][\w-]+")


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
        if _is_cap(nxt) and nxt not in _MONTHS and nxt not in _WEEKDAYS and nxt != "I":
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


def _trim_role(role: str) -> str:
    role = re.split(
        r"\s+(?:who|which|that|whose|where|said|says|and\s+(?:a|an|the)\s+\w+\s+(?:at|of))\b", role
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
    if not prev or prev[-1].lower() not in _ROLE_NOUNS or before.endswith(("’s ", "'s ")):
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
    title = _title_before(before)
    if title:
        occ.person += 3
        occ.person_roles.append((3, title))
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
    if tokens[0] == "The" and not occ.initial:
        occ.org += 3
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
    if re.search(rf"\b(?:{_ROLE_NOUN_RE})s?\s+(?:at|of|for|with|from)\s+(?:the\s+)?$", before, re.IGNORECASE):
        occ.org += 3  # "an analyst at X", "founder of X"
        occ.pre_org = max(occ.pre_org, 3)
    if not _person_shaped(tokens) and re.match(
        rf"^(?:[’']s?)?\s+(?:[a-z][\w-]*\s+){{0,2}}(?:{_ROLE_NOUN_RE})\b", after
    ):
        occ.org += 3  # "X spokesperson", "X's chief executive"
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
        occ.org += 1
    if re.search(r"\b(?:stakes?|invest\w*|shares)\s+in\s+$", before):
        occ.org += 2
    if re.search(
        r"\b(?:researchers|engineers|staff|employees|executives|models|weights|families|family|talent|offers?)"
        r"\s+from\s+$",
        before,
    ) or re.search(
        r"\b(?:compet\w*\s+with|rivals?|racing|race\s+with|catch(?:ing)?\s+up\s+with|contention\s+with|"
        r"gap\s+with|against)\s+$",
        before,
    ):
        occ.org += 2
        occ.pre_org = max(occ.pre_org, 2)
    if occ.possessive:
        capital_next = re.match(r"^\s+[A-Z]", after_np) is not None  # "OpenAI's GPT-5.4"
        occ.org += 2 if capital_next else 0.5
        occ.product += 0.5 if capital_next else 0
    elif not org_after:  # "the Dutch chipmaker abused its ...": the subject is the noun, not the name
        if re.match(
            rf"^\s+(?:has\s+|have\s+|had\s+|is\s+|was\s+|also\s+|now\s+)?(?:{_CORPORATE_VERBS})\b", after
        ):
            occ.org += 1
        if re.match(r"^\s+(?:has\s+|had\s+|is\s+|was\s+)?[a-z]\w+\b[^,;.]{0,60}?\bits\b", after):
            occ.org += 1
    return True


def _product_and_place_cues(occ: _Occ, before: str, after: str) -> None:
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


@dataclass
class _Entity:
    name: str
    occs: list[_Occ]
    kind: str = ""  # person | org | "" (neither, or not enough evidence)

    @property
    def key(self) -> str:
        return _name_key(self.name)

    def total(self, attribute: str) -> float:
        return float(sum(getattr(o, attribute) for o in self.occs))


def _name_key(name: str) -> str:
    name = re.sub(r"^the\s+", "", name.strip(), flags=re.IGNORECASE)
    return " ".join(re.sub(r"[’']s?$", "", name).casefold().split())


def _acronym(name: str) -> str:
    return "".join(c for c in name if c.isupper())


def _share_list_cues(occs: Sequence[_Occ], sentences: Sequence[_Sentence]) -> list[tuple[_Occ, _Occ]]:
    """Pairs of names listed together ("X, Y and Z"); the cue before a list goes to all of it."""
    by_sentence: dict[int, list[_Occ]] = {}
    for occ in occs:
        by_sentence.setdefault(occ.sent, []).append(occ)
    listed: list[tuple[_Occ, _Occ]] = []
    for index, group in by_sentence.items():
        text = sentences[index].text
        comma_before = False
        for a, b in itertools.pairwise(group):
            gap = text[a.end + (2 if a.possessive else 0) : b.start]
            # ", and" joins clauses as often as list items: only inside a list that has a comma
            is_list = _LIST_SEP.match(gap) is not None and (
                not re.match(r"^\s*,\s*(?:and|or)\s", gap) or comma_before
            )
            comma_before = is_list and gap.strip() == ","
            if is_list:
                listed.append((a, b))
                if a.pre_org:
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
    ]
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


def _entities(occs: list[_Occ], sentences: Sequence[_Sentence]) -> list[_Entity]:
    for occ in occs:
        _cues(occ, sentences[occ.sent].text)
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
            if not y.kind and y.total("product") <= 0.5 and y.total("person") == 0 and y.total("place") == 0:
                y.kind = "org"
                queue.append(y)
    return entities


def _classify(entity: _Entity) -> str:
    person, org = entity.total("person"), entity.total("org")
    product, place = entity.total("product"), entity.total("place")
    full_name = any(len(o.tokens) > 1 for o in entity.occs)
    if _person_shaped(entity.name.split()) and full_name and person >= max(1.0, org, product):
        return "person"
    if org >= 2 and org > product and org >= place + 1:
        return "org"
    return ""


def _pick_role(roles: Iterable[tuple[int, str]]) -> str:
    """The most frequent role; between equals, the one from the surer pattern."""
    candidates = [(p, r.strip()) for p, r in roles if r.strip()]
    if not candidates:
        return ""
    counts = Counter(r.casefold() for _, r in candidates)
    return min(candidates, key=lambda pr: (-counts[pr[1].casefold()], pr[0]))[1]


def _mentions(article_id: str, entities: Sequence[_Entity], sentences: Sequence[_Sentence]) -> list[Mention]:
    out: list[Mention] = []
    for e in sorted((e for e in entities if e.kind), key=lambda e: (e.occs[0].sent, e.occs[0].start)):
        roles: list[tuple[int, str, int]] = []
        for o in e.occs:
            source = o.person_roles if e.kind == "person" else o.org_roles
            roles.extend((p, r, o.sent) for p, r in source)
        role = _pick_role((p, r) for p, r, _ in roles)
        where = next((s for _, r, s in roles if r == role), e.occs[0].sent) if role else e.occs[0].sent
        sentence = sentences[where].text
        out.append(Mention(e.name, e.kind, role if role in sentence else "", sentence, article_id))
    return out


# ---------------------------------------------------------------------------------------------
# Quotes

_QUOTE_SPAN = re.compile(r"“([^“”]+)”|\"([^\"]+)\"")
_NAME_RE = (
    r"(?P<name>[A-Z][\w’'.-]*(?:\s+(?:(?:de|van|von|der|den|da|di|du|la|le|del)\s+)?[A-Z][\w’'.-]*){0,3})"
)
# "said Veltrion spokesperson Ruben Claes": the role words before the name are not the speaker
_AFTER_SAID_NAME = re.compile(
    rf"^\s*,?\s*(?:{_SPEECH_VERBS})\s+(?:(?:[A-Z][\w&’'-]*\s+){{0,3}}(?:[a-z][\w-]*\s+){{0,3}}"
    rf"(?i:{_ROLE_NOUN_RE})\s+(?=[A-Z]))?{_NAME_RE}"
)
_AFTER_NAME_SAID = re.compile(rf"^\s*,?\s*{_NAME_RE}\s+(?:{_SPEECH_VERBS})\b")
_AFTER_PRONOUN = re.compile(
    rf"^\s*,?\s*(?:he|she)\s+(?:{_SPEECH_VERBS})\b|^\s*,?\s*(?:{_SPEECH_VERBS})\s+(?:he|she)\b"
)
_BEFORE_NAME_SAID = re.compile(
    rf"{_NAME_RE}\s+(?:has\s+|had\s+)?(?:{_SPEECH_VERBS})(?:\s+(?:that|reporters|the\s+\w+|in\s+a\s+\w+))?\s*[:,]?\s*$"
)
_BEFORE_PARTIAL = re.compile(
    rf"{_NAME_RE}(?:\s+of\s+(?:the\s+)?[A-Z][\w&’'-]*(?:\s+[A-Z&][\w&’'-]*){{0,4}})?\s+(?:{_SPEECH_VERBS})"
    r"\s+(?!that\s+[A-Z])[^“”\".!?;]{1,80}$"
)
_BEFORE_ACCORDING = re.compile(rf"[Aa]ccording to\s+{_NAME_RE}\s*,?\s*$")
_BEFORE_PRONOUN = re.compile(rf"\b(?:[Hh]e|[Ss]he)\s+(?:{_SPEECH_VERBS})\s*[:,]?\s*$")


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
        if e.key == key or any(_name_key(o.name) == key for o in e.occs):
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


# ---------------------------------------------------------------------------------------------
# Public


def extract_facts(article: Article) -> ArticleFacts:
    """Figures, dated events, people and organisations, and quotations of one article."""
    paragraphs, sentences = _sentences(article.text)
    anchor = article.published.date() if article.published else None
    figures = _figures(article.id, sentences)
    events = _events(article.id, sentences, anchor)
    entities = _entities(_candidates(sentences), sentences)
    mentions = _mentions(article.id, entities, sentences)
    quotes = _quotes(article.id, paragraphs, sentences, entities)
    return ArticleFacts(tuple(figures), tuple(events), tuple(mentions), tuple(quotes))


# ---------------------------------------------------------------------------------------------
# Scoring against hand-annotated gold (tests/data/demo_gold.json)


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').replace("\u00a0", " ")
    return " ".join(text.casefold().split())


def _strip_article(text: str) -> str:
    return re.sub(r"^(?:a|an|the)\s+", "", _norm(text))


def names_match(predicted: str, gold: str) -> bool:
    """Same entity: equal ignoring case and a leading "the", one the surname (last word) of the
    other, or one the acronym of the other."""
    p, g = _strip_article(predicted), _strip_article(gold)
    if not p or not g:
        return False
    if p == g:
        return True
    pw, gw = p.split(), g.split()
    if (len(pw) == 1 or len(gw) == 1) and pw[-1] == gw[-1]:
        return True
    if p.endswith(" " + g) or g.endswith(" " + p):
        return True
    pa, ga = _acronym(predicted), _acronym(gold)
    return (predicted.isupper() and predicted == ga) or (gold.isupper() and gold == pa)


def roles_match(predicted: str, gold: str) -> bool:
    """Any of the gold roles (separated by " | ") equals, contains or is contained in the prediction."""
    p = _strip_article(predicted)
    if not p:
        return False
    return any((g := _strip_article(option)) and (g in p or p in g) for option in gold.split(" | "))


def _date_key(event: Event) -> str:
    if event.precision == "year":
        return f"{event.date.year:04d}"
    if event.precision == "month":
        return f"{event.date.year:04d}-{event.date.month:02d}"
    return event.date.isoformat()


def _prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> dict[str, float]:
    precision = tp_pred / n_pred if n_pred else 1.0
    recall = tp_gold / n_gold if n_gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "predicted": float(n_pred),
        "gold": float(n_gold),
        "matched": float(tp_gold),
    }


def _greedy(pred: Sequence[Any], gold: Sequence[Any], same: Any) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if pi not in used and same(p, g):
                used.add(pi)
                pairs.append((pi, gi))
                break
    return pairs


def score_facts(
    predicted: Mapping[str, ArticleFacts], gold: Mapping[str, Any]
) -> dict[str, dict[str, float]]:
    """Precision and recall per field of `predicted` against a gold file's articles.

    `gold` is the parsed demo_gold.json (or its "articles" mapping): per article id, lists of
    figures {value}, events {date, kind, contains}, people and orgs {name, role} and quotes
    {speaker, starts}. Figures match by value (each distinct value once); events by date (to
    their precision), kind and the gold words contained in the sentence; people and orgs by
    name (`names_match`), with `role_accuracy` over matched ones whose gold role is not empty
    (`roles_match`); quotes by speaker and opening words. `events_dated` ignores the kind.
    Articles missing from `predicted` count as predicting nothing."""
    articles: Mapping[str, Any] = gold.get("articles", gold)
    counts: dict[str, list[int]] = {
        f: [0, 0, 0, 0] for f in ("figures", "events", "events_dated", "people", "orgs", "quotes")
    }
    roles: dict[str, list[int]] = {"people": [0, 0], "orgs": [0, 0]}

    def tally(name: str, pairs: list[tuple[int, int]], n_pred: int, n_gold: int) -> None:
        c = counts[name]
        c[0] += len({p for p, _ in pairs})
        c[1] += n_pred
        c[2] += len({g for _, g in pairs})
        c[3] += n_gold

    for article_id, g in articles.items():
        facts = predicted.get(article_id, ArticleFacts())
        pv = sorted({_norm(f.value) for f in facts.figures})
        gv = sorted({_norm(f["value"]) for f in g.get("figures", [])})
        tally("figures", _greedy(pv, gv, lambda p, q: p == q), len(pv), len(gv))
        gevents = g.get("events", [])
        pairs = _greedy(
            facts.events,
            gevents,
            lambda p, q: (
                _date_key(p) == q["date"] and p.kind == q["kind"] and _norm(q["contains"]) in _norm(p.text)
            ),
        )
        tally("events", pairs, len(facts.events), len(gevents))
        pairs = _greedy(
            facts.events,
            gevents,
            lambda p, q: _date_key(p) == q["date"] and _norm(q["contains"]) in _norm(p.text),
        )
        tally("events_dated", pairs, len(facts.events), len(gevents))
        for field_name, kind in (("people", "person"), ("orgs", "org")):
            pm = [m for m in facts.mentions if m.kind == kind]
            gm = g.get(field_name, [])
            pairs = _greedy(pm, gm, lambda p, q: names_match(p.name, q["name"]))
            tally(field_name, pairs, len(pm), len(gm))
            for pi, gi in pairs:
                if gm[gi].get("role"):
                    roles[field_name][1] += 1
                    roles[field_name][0] += int(roles_match(pm[pi].role, gm[gi]["role"]))
        gq = g.get("quotes", [])
        pairs = _greedy(
            facts.quotes,
            gq,
            lambda p, q: (
                names_match(p.speaker, q["speaker"]) and _norm(p.text).startswith(_norm(q["starts"]))
            ),
        )
        tally("quotes", pairs, len(facts.quotes), len(gq))
    out = {name: _prf(*c) for name, c in counts.items()}
    for name, (right, total) in roles.items():
        out[name]["role_accuracy"] = right / total if total else 1.0
        out[name]["roles_scored"] = float(total)
    return out

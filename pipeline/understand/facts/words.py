"""Shared word lists (generic English, no names).

There is no list of known people or companies: names are found by their shape and by the words
around them, so the rules work on names they have never seen. What is listed here is generic
English: months and weekdays, number and scale words, units, function words, role, organisation
and product nouns, organisation words (Labs, Capital, ...), speech and corporate verbs.
"""

from __future__ import annotations

import re

from pipeline.text.calendar import MONTHS, WEEKDAYS

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
    "councilor referee winger forward trainer champion challenger psychologist journalist photographer "
    "clerk inmate suspect defendant thrower jumper icon politician candidate artist actor actress singer "
    "writer author novelist farmer presenter comedian sprinter boxer prosecutor detective sheriff teacher "
    "mp mep administrator supervisor commentator columnist campaigner activist".split()
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
    "Party Commission Parliament Police Army Navy Government Microsystems Mobility Dynamics Devices SpA NV "
    "BV AB ASA Oyj KK Bhd Tbk Pty Cie Service Services Survey Church Bancshares Bancorp Financial Insurance "
    "Assurance Electronics Instruments Aerospace Foods Brands Retail Rovers Athletic Wanderers Rangers "
    "Albion Alliance Coalition Movement Academy Chamber".split()
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
    "Federation Association Society Academy Office Church Republic Bureau League Union Party Front "
    "Movement Organisation Organization Committee Assembly Alliance Coalition Agency Chamber Fund "
    "Foundation Corporation Corps".split()
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
        "Earlier Later Separately Elsewhere Recently Previously Currently Initially Afterwards "
        "Towards Behind Beyond Near Per Via Mr Mrs Ms Dr Prof Sir Dame Let Such Much More Less Much Now Yes "
        "AI API CEO CTO CFO COO CIO LLM LLMs GPU GPUs CPU IPO AGI VR AR TV PC OK PhD HQ Q1 Q2 Q3 Q4 "
        "US USD EUR GBP UK".split()
    )
    | frozenset(MONTHS)
    | frozenset(WEEKDAYS)
)
_NAME_CONNECTORS = frozenset("de van von der den da di du la le del della bin al".split())
_SPEECH_VERBS = (
    "said|says|told|tells|added|adds|argued|argues|wrote|writes|noted|notes|explained|warned|insisted|"
    "recalled|acknowledged|replied|asked|stressed|claimed|commented|continued|remarked|declared|"
    "tweeted|posted|observed|stated|conceded|predicted|cautioned|countered|concluded|admitted|"
    "emphasi[sz]ed|joked|quipped"
)
_CORPORATE_VERBS = (
    "announced|announces|launched|launches|released|releases|unveiled|unveils|raised|raises|invested|"
    "invests|acquired|acquires|bought|buys|hired|hires|cut|cuts|guided|declined|confirmed|confirms|denied|"
    "denies|acknowledged|said|says|told|plans|planned|agreed|committed|spent|spends|paid|pays|offered|"
    "employs|markets|published|publishes|reported|reports|counts|faces|began|claims|called|"
    "reorganised|reorganized|shipped|ships|sells|sold|fined|appealed"
)

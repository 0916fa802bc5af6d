"""What a sentence must say to stand under a heading of the brief.

- **Why it matters** holds a sentence that states an effect on someone: a party (people, a
  group, an organisation, a market) at risk, harmed, helped, forced or given a chance; what an
  event means for them. The news itself, a schedule,
  a reaction or a figure is not why it matters, however central (`states_consequence`).
- **A TL;DR bullet** is read without the sentences around it, so it must not lean on one the
  reader does not see (`reads_alone`): no opening pronoun, demonstrative or back-reference ("He",
  "This", "The company", "Two months later", "However,"), no speaker known only as "he said",
  no "also" adding to something unsaid, no piece of a quotation.

Both are rules on the words of the sentence (offline, explainable) and both lean towards
leaving a sentence out: a section with no sentence that qualifies is not shown. They are scored
on hand-labelled real news in `benchmarks/gold/brief/` (`make bench`, `brief_quality`).
"""

from __future__ import annotations

import re

# -- why it matters ---------------------------------------------------------------------------

# an effect on someone, stated: a verb of harm or help, a party at risk, what something means
# for someone, a modal that says what will follow for them
_EFFECT = re.compile(
    r"""\b(?:
    at\ risk|in\ danger|under\ threat|vulnerable\ to|exposed\ to
    |affect(?:s|ing)?|(?<!the\ )(?<!an\ )affected|impacts?\ on
    |(?:strong|big|major|serious|severe|significant|huge)\ impact
    |harm(?:s|ed|ing)?|hurt(?:s|ing)?|threaten(?:s|ed|ing)?|endangers|endangering|jeopardi[sz]\w*
    |disrupt(?:s|ed|ing)?|crippl\w+|devastat\w+
    |(?:a\ )?blow\ (?:to|for)|setback\ for|boost\ (?:to|for)|(?:good|bad)\ news\ for
    |consequences\ for|implications\ for|alarm(?:s|ed)?
    |forc(?:e|es|ed|ing)\ \w+(?:\ \w+)?\ to
    |(?:could|can|may|might|will|would)(?:\ not|\ likely|\ also|\ now)?\ (?:mean|cost|delay|block|stop
        |prevent|limit|leave|help|protect|allow|enable|let|hit|hurt|harm|affect|force|put|threaten
        |raise|cut|lower|deprive|push|drive|ruin|end|make\ it)
    |(?<!by\ )means(?!\ to\b)|meant\ that|(?:will|would|could|may|might)\ mean
    |open(?:s|ed|ing)?\ the\ door\ to|pav(?:e|es|ed|ing)\ the\ way\ for
    |(?:will|would|could|may|might|can|are|is)(?:\ not|\ no\ longer|\ now)?\ be\ (?:allowed|forced|charged
        |hit|hurt|affected|barred|banned|required|left|spared|protected|exposed|unable|cut|lost|closed)
    |(?:cannot|can\ no\ longer|could\ no\ longer|are\ unable\ to|no\ longer\ able\ to)
        \ (?!comment|say|confirm|disclose|discuss|be\ reached)
    |(?:a\ )?(?:reversal|win|victory|loss|headache|relief|windfall|lifeline)\ for
    |(?:face|faces|facing)\ (?:food|higher|lower|rising|a\ (?:difficult|tough|higher|choice|decision|dilemma)
        |difficult|tough
        |losses|ruin|closure|extinction|disciplinary|prison|jail|deportation|eviction)
    |(?:gave|give|gives|giving|earned|earns|cost|costs)\ (?:\w+\ ){0,3}(?:a\ (?:berth|place|spot|chance)
        |eligibility|the\ right|access)
    |(?:a\ )?chance\ for
    |(?:had|have|has)\ (?:had\ )?to\ (?:close|shut|leave|cancel|pay|flee|stop|cut)
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)


# who is affected: people, groups, organisations, markets (a bug that "could affect all versions
# of IE" says nothing of who is hurt; "millions of Windows computers" and their users do)
_PARTY = re.compile(
    r"\b(?:people|persons?|public|users?|customers?|consumers?|clients?|residents?|citizens?|voters?"
    r"|taxpayers?|workers?|staff|employees?|farmers?|growers?|firms?|companies|company|businesses"
    r"|business|investors?|shareholders?|patients?|students?|children|families|family|drivers?"
    r"|passengers?|travell?ers?|fans?|players?|gamers?|teams?|clubs?|sides?|governments?|countries"
    r"|country|nations?|states|industry|industries|markets?|economy|economies|region|communities"
    r"|community|owners?|operators?|developers?|makers?|manufacturers?|retailers?|banks?|lenders?"
    r"|borrowers?|homeowners?|buyers?|sellers?|viewers?|readers?|audiences?|members?|victims?"
    r"|survivors?|species|agencies|projects?|computers?|rivals?|competitors?|researchers?|scientists?"
    r"|jobs|startups?|suppliers?|partners?|creditors?|depositors?|tenants?|commuters?|pupils?|parents?"
    r"|labs?)\b",
    re.IGNORECASE,
)


def states_consequence(sentence: str) -> bool:
    """Whether the sentence says how someone is, will be or could be affected: an effect, and a
    party it falls on."""
    return _EFFECT.search(sentence) is not None and _PARTY.search(sentence) is not None


# -- reads alone ------------------------------------------------------------------------------

_OPENING = re.compile(
    r"""^["“‘']?(?:
    he|she|it|they|we|his|her|its|their|this|that|these|those|such
    |but|and|or|also|still|yet|so|then|there|here|instead|meanwhile|however|thus|hence|therefore
    |moreover|furthermore|besides|nonetheless|nevertheless|otherwise|now|later|afterwards|again
    |even\ so|as\ a\ result|in\ fact|in\ turn|in\ addition|by\ contrast|on\ the\ other\ hand
    |at\ the\ same\ time|the\ next\ (?:day|week|month|year|morning)
    |(?:a|one|two|three|four|five|six|seven|eight|nine|ten|several|some|\d+)
        \ (?:days?|weeks?|months?|years?|hours?)\ (?:later|earlier|after|before)
    |under\ the\ new|according\ to\ (?:the|him|her|them|it)
    |ironically|annoyingly|thankfully|fortunately|unfortunately|sadly|luckily|interestingly
    |surprisingly|predictably|inevitably|naturally|curiously|oddly|happily|crucially|importantly
    |notably|finally|additionally|similarly|likewise|consequently|accordingly|subsequently
    |ultimately|eventually
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)
# "Strikingly, …": a sentence adverb relates the sentence to what came before
_ADVERB = re.compile(r"^[A-Z][a-z]+ly,")
# "The company …", "The US network …": a definite description whose head is a common noun
# stands for something named earlier ("The FAO", a name, does not; nor "The Q7 costs …")
_DEFINITE = re.compile(
    r"^[\"“]?The\s+(?:[a-z]|(?:[A-Z0-9][\w'.-]*\s+){1,2}(?:network|show|firm|company|group|giant|club"
    r"|team|side|government|ministry|agency|report|study|judge|court|move|deal|plan|bill|case|star"
    r"|actor|singer|band|player|striker|coach|manager|president|minister|leader|official|spokes\w+"
    r"|chief|boss|carrier|maker|lab|unit|division|service|site|app|game|film|series|party)\b)"
)
# "While saying he admired …, he criticised …": the main clause's subject is a pronoun
_CLAUSE_SUBJECT = re.compile(r"^[^,;:]{0,100},\s+(?:he|she|it|they|however)\b", re.IGNORECASE)
_PRONOUN_SPEAKER = re.compile(
    r"\b(?:he|she|it|they)\s+(?:said|says|added|told|wrote|warned|argued|noted|explained)\b", re.IGNORECASE
)
_SOURCE_BACK = re.compile(
    r"\b(?:according to|by|from|said|says|told) the (?:firm|company|group|organi[sz]ation|agency|report"
    r"|study|survey|ministry|department|giant|club|team)\b",
    re.IGNORECASE,
)
# "also", "another", "this …" point back to something unsaid; "this year" and the like do not
_POINTS_BACK = re.compile(
    r"\b(?:also|too|another|other|this|these|those|such)\b"
    r"(?!\s+(?:year|week|month|morning|afternoon|evening|season|time|summer|winter|spring|autumn|weekend)\b)",
    re.IGNORECASE,
)
_WHOLE_QUOTE = re.compile(r'^["“][^"“”]+["”][.!]?$')


def reads_alone(sentence: str) -> bool:
    """Whether the sentence reads on its own, without one before it (the module's rules)."""
    text = sentence.strip()
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        return False  # a piece of a quotation that opens or closes in another sentence
    return not (
        _OPENING.match(text)
        or _ADVERB.match(text)
        or _DEFINITE.match(text)
        or _CLAUSE_SUBJECT.match(text)
        or _PRONOUN_SPEAKER.search(text)
        or _SOURCE_BACK.search(text)
        or _POINTS_BACK.search(text)
        or _WHOLE_QUOTE.match(text)
    )


# -- what this means for <audience> -----------------------------------------------------------

# the groups a brief's reader may belong to, and the groups whose news is theirs ("AI engineers"
# read what changes for developers; "tech leads", what changes for teams and companies)
_KIN = {
    "engineers": "engineers developers programmers builders practitioners",
    "developers": "developers engineers programmers builders",
    "leads": "leads managers executives teams companies enterprises businesses startups",
    "managers": "managers executives teams companies businesses",
    "executives": "executives managers companies businesses boards",
    "investors": "investors shareholders markets traders",
    "researchers": "researchers scientists academics labs",
}
_ANY_GROUP = (
    "people users customers consumers clients residents citizens voters taxpayers workers staff employees "
    "farmers growers firms companies businesses enterprises investors shareholders patients students "
    "parents children families drivers passengers travellers travelers fans players gamers teams clubs "
    "developers engineers programmers builders researchers scientists startups suppliers manufacturers "
    "makers carmakers retailers banks lenders borrowers homeowners buyers sellers viewers readers "
    "members agencies governments countries"
)
# what changes for a group: an effect on it, or what it now must, should, can or cannot do
_CHANGE = re.compile(
    r"\b(?:must|should|will\ have\ to|would\ have\ to|has\ to|have\ to|need\ to|needs\ to|can\ now"
    r"|can\ no\ longer|cannot|can't|will\ be\ able|will\ no\ longer|no\ longer\ able|are\ now|are\ free\ to"
    r"|will\ be\ allowed|won't\ be|will\ not\ be)\b",
    re.IGNORECASE | re.VERBOSE,
)


def audience_groups(audience: str) -> re.Pattern[str]:
    """The groups whose news is an audience's ("AI engineers and tech leads": engineers,
    developers, …, teams, companies); any group for the default audience, "readers"."""
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", audience)}
    groups: set[str] = set()
    for word in words:
        plural = word if word.endswith("s") else word + "s"
        if plural in _KIN:
            groups |= set(_KIN[plural].split())
        elif len(word) > 3 and word not in ("readers", "and", "the", "for", "tech"):
            groups.add(plural)
    if not groups:
        groups = set(_ANY_GROUP.split())
    singular = {g[:-1] for g in groups if g.endswith("s")}
    return re.compile(r"\b(?:" + "|".join(sorted(groups | singular, key=len, reverse=True)) + r")\b", re.I)


def changes_for(sentence: str, groups: re.Pattern[str]) -> bool:
    """Whether the sentence says what changes for one of `groups` (an effect on it, or what it
    now must, should, can or cannot do) and reads on its own."""
    if not groups.search(sentence) or not reads_alone(sentence):
        return False
    return _EFFECT.search(sentence) is not None or _CHANGE.search(sentence) is not None

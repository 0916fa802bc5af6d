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
    |under\ the\ new|according\ to\ (?:the\ (?-i:[a-z])\w*|him|her|them|it)
    |ironically|annoyingly|thankfully|fortunately|unfortunately|sadly|luckily|interestingly
    |surprisingly|predictably|inevitably|naturally|curiously|oddly|happily|crucially|importantly
    |notably|finally|additionally|similarly|likewise|consequently|accordingly|subsequently
    |ultimately|eventually|oh|well(?=,)|put\ it\ all\ together|all\ in\ all|taken\ together|in\ short
    |as\ (?:in|with)\ (?:the|its|his|her|their)
    |(?:un)?like\ (?:the|its|his|her|their)\ (?:original|first|last|previous)
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)
# "Strikingly, …": a sentence adverb relates the sentence to what came before
_ADVERB = re.compile(r"^[A-Z][a-z]+ly,")
# "The company …", "The US network …": a definite description whose head is a common noun
# stands for something named earlier ("The FAO", a name, does not; nor "The Q7 costs …")
_DEFINITE = re.compile(
    r"^[\"“]?The\s+(?:[a-z]|\d+-year-old|(?:[A-Z0-9][\w'.-]*\s+){1,2}(?:network|show|firm|company|group|giant|club"
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
    r"\b(?:according to|by|from|said|says|told) the (?-i:firm|company|group|organi[sz]ation|agency|report"
    r"|study|survey|ministry|department|giant|club|team)\b",
    re.IGNORECASE,
)
# "also", "another", "this …" point back to something unsaid; "this year" and the like do not
_POINTS_BACK = re.compile(
    r"\b(?:also|too|another|other|(?<!at\ )this|these|such"
    r"|those(?!\s+(?:who|whose|of|which|that|with|in|at|on)\b))\b"
    r"(?!\s+(?:year|week|month|morning|afternoon|evening|season|summer|winter|spring|autumn|weekend)\b)",
    re.IGNORECASE,
)
# "As the game progresses, …", "Even if the move goes ahead …": a clause that opens the sentence
# on a definite description (tested as `_DEFINITE` tests an opening one)
_SUBORDINATE = re.compile(
    r"^[\"“]?(?:as|when|while|after|before|since|if|even\ if|even\ though|although|though|because|once|until"
    r"|unless|whether|now\ that)\s+(?=the\s)",
    re.IGNORECASE,
)
# "Details of the coming week's events …", "Shares of the company …": a part of something named
# before (the of-phrase is definite and common, not a name: "Members of the European Parliament")
_PART_OF = re.compile(
    r"^[\"“]?(?:[A-Z][a-z]+(?:\s+[a-z]+)?|The\s+[a-z]+(?:\s+[a-z]+)?)\s+of\s+(?:the|its|his|her|their)\s+(?:[a-z0-9])"
)
# "We respect …," said ABC: a quotation opening in the first person, its speaker named after it
_NAMED_SPEAKER = re.compile(
    r"[\"”]\s*,?\s*(?:(?:said|says|added|told)\s+(?:[A-Z][\w.'-]*)|[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*\s+(?:said|says|added))\b"
)
_FIRST_PERSON = re.compile(r"^[\"“](?:we|i|our|my|us)\b", re.IGNORECASE)
# a piece the splitter cut after an initial: "… and running back J.J."
_CUT_AT_INITIAL = re.compile(r"(?:^|\s)(?:[A-Z]\.){1,3}$")
# "Obama has promised to reverse the new rules": the new thing is one named before
_THE_NEW = re.compile(
    r"\bthe\s+new\s+(?-i:[a-z])\w+(?=\s*(?:[.,;:!?]|$|\s+(?:will|would|is|are|was|were|has|have|had)\b))",
    re.IGNORECASE,
)
# "Authorities believe the fire was set …": the reported clause is about something named before
_REPORTED_DEFINITE = re.compile(
    r"\b(?:said|says|say|believe[sd]?|think|thinks|thought|suspects?|suspected|fears?|feared|confirmed|claimed"
    r"|added|reported)\s+(?:that\s+)?the\s+(?-i:[a-z])[\w-]+\s+(?:was|were|is|are|had|has|have|will|would"
    r"|could|may|might|did)\b",
    re.IGNORECASE,
)


def _reported_definite(text: str) -> bool:
    """Whether what is reported is about a definite description with nothing in the sentence
    it could stand for ("An NFL spokesman said the league will …" names the league)."""
    m = _REPORTED_DEFINITE.search(text)
    if m is None:
        return False
    return not any(w[0].isupper() for w in re.findall(r"[A-Za-z][\w'’-]*", text[: m.start()])[1:])


_PRONOUN = re.compile(r"\b(?:he|she|him|his|her|hers|they|them|their|theirs)\b", re.IGNORECASE)
_PERSON_WORDS = frozenset(
    "man woman boy girl men women people officer officers judge police player players mother father son "
    "daughter wife husband brother sister chief minister president spokesman spokeswoman spokesperson "
    "official officials lawyer lawyers doctor doctors teacher student students children child family "
    "customers users fans voters residents workers staff members".split()
)
_FUNCTION_WORDS = frozenset(
    "a an the in at on for of to from by with when while after before as if but and or so oh well last "
    "next this that these those there here it its one two three some many most all each every since "
    "until although though because once now then yet still even however meanwhile during".split()
)


# "The break-up of the Soviet Union", "The qualifying round of the men's triple jump in Madrid":
# a description that names what it is of
_OF_NAME = re.compile(r"^[\"“]?The\s+(?:[a-z][\w'-]*\s+){1,3}of\s+(?:the\s+)?[A-Z]")


def _definite(text: str) -> bool:
    """Whether the text opens on a definite description standing for something named before."""
    return bool(_DEFINITE.match(text)) and not _OF_NAME.match(text)


_NAMED_CLAUSE = re.compile(
    r"^(?:While|Although|Though|When|After|Before|Because|As|Since|If|Once|Despite)\s+(?:Mr\.?\s+|Ms\.?\s+|Mrs\.?\s+)?"
    r"[A-Z][a-z][\w'’-]*\s+(?-i:[a-z])"
)
# "Suntory, meanwhile, is doing well …": a connective set after the subject
_INNER_CONNECTIVE = re.compile(
    r"^[^,;:]{1,50},\s+(?:meanwhile|however|though|too|also|instead|in\ turn|for\ (?:its|his|her|their)\ part"
    r"|by\ contrast|in\ contrast|moreover|furthermore|nevertheless|nonetheless|in\ addition|as\ well|then"
    r"|therefore|thus|in\ fact|indeed|meanwhile)\s*,",
    re.IGNORECASE,
)
# "On Tuesday, the mayor said …": an opening phrase, then a definite description for subject
_OPENING_PHRASE = re.compile(
    r"^(?:In|On|At|For|After|Before|During|Since|Last|Earlier|Later|Next|Following|Speaking|Asked|Under|With"
    r"|Without|By|Despite|Until|Over|Within|Amid|Throughout)\b[^,;:\"“]{0,60},\s+(?=the\s)"
)
# "Over the years it has delivered poor profits": "it" for something named before
_IT_AFTER_OPENING = re.compile(
    r"^[A-Z][a-z]+(?:\s+[a-z]+){0,3},?\s+it\s+(?:has|had|said|says|will|would|could|also|plans|added)\b"
)
# "In the late 1980s the firm was …": a year for an opening phrase, a definite description after
_YEAR_THEN_DEFINITE = re.compile(
    r"^(?:In|By|Since|During|Until)\s+(?:the\s+)?(?:(?:late|early|mid)[- ])?\d{4}s?,?\s+the\s+(?-i:[a-z])"
)
# "Mr Blair directly denied that quote": a demonstrative after a verb of answering
_DENIED_THAT = re.compile(
    r"\b(?:denied|rejected|dismissed|disputed|defended|welcomed|criticised|criticized|reversed|overturned)"
    r"\s+that\s+(?!(?:he|she|it|they|we|i|the|a|an|there|his|her|its|their|this|any)\b)(?-i:[a-z])\w+",
    re.IGNORECASE,
)
# "… fell to pieces after that and …" (not "after that date")
_THEN = re.compile(
    r"\b(?:after|before|since|until|by)\s+(?:that|then)"
    r"(?=\s*(?:[,.;:!?]|$)|\s+(?:and|but|the|a|an|he|she|it|they|we|his|her|their)\b)",
    re.IGNORECASE,
)


def _opening_then_definite(text: str) -> bool:
    m = _OPENING_PHRASE.match(text)
    rest = text[m.end() :] if m else ""
    return re.match(r"the\s+[a-z]", rest) is not None and _definite("The" + rest[3:])


def _clause_subject(text: str) -> bool:
    """Whether the main clause after an opening one has a pronoun for subject that the opening
    clause names nothing for ("While saying he admired …, he criticised …"; not "While Nichols
    did not receive the death penalty, he will …")."""
    m = _CLAUSE_SUBJECT.match(text)
    if m is None:
        return False
    return not _NAMED_CLAUSE.match(m.group(0)) or m.group(0).lower().endswith("however")


def _unbound_pronoun(text: str) -> bool:
    """Whether a third-person pronoun comes before anything it could stand for: no name and no
    noun for a person or a group ("At the time he was on probation", "Oh well, next week they …")."""
    m = _PRONOUN.search(text)
    if m is None:
        return False
    words = re.findall(r"[A-Za-z][\w'’-]*", text[: m.start()])
    for n, word in enumerate(words):
        lower = word.lower()
        if word[0].isupper() and (n > 0 or lower not in _FUNCTION_WORDS) and word != "I":
            return False  # a name it may stand for
        if lower in _PERSON_WORDS or (
            m.group(0).lower().startswith("th")
            and lower.endswith("s")
            and len(lower) > 3
            and lower not in _FUNCTION_WORDS
        ):
            return False  # a person, or (for they/their) a group
    return True


_WHOLE_QUOTE = re.compile(r'^["“][^"“”]+["”][.!]?$')


# a connective that only links the sentence to the one before: without it the sentence says
# the same ("However, the plant will close" says the plant will close); a time or sequence word
# ("Later", "Initially", "Now") is not one, it says when
_CONNECTIVE = re.compile(
    r"""^(?:(?:but|and|however|meanwhile|nevertheless|nonetheless|moreover|furthermore|in\ addition
    |additionally|separately|even\ so|that\ said|indeed|in\ fact|thus|therefore|as\ a\ result
    |consequently|accordingly|in\ turn|likewise|similarly|on\ the\ other\ hand|by\ contrast
    |in\ contrast|at\ the\ same\ time)\b,?\s+
    # words that are also adverbs of what follows ("So many applied", "Yet another delay", "Still
    # more"): a connective only with its comma
    |(?:so|yet|still|also|besides|instead),\s+)""",
    re.IGNORECASE | re.VERBOSE,
)


_NO_SUBJECT = re.compile(
    r"(?:are|is|was|were|has|have|had|will|would|can|could|may|might|must|should|shall|did|do|does|not|also|then"
    r"|to|of|in|on|at|for|with|by|from|as|than|that|which|who)\b",
    re.IGNORECASE,
)


def without_connective(sentence: str) -> str:
    """The sentence without an opening connective that only links it to the one before, or the
    sentence itself when it has none (or nothing that reads as a sentence is left)."""
    text = sentence.strip()
    while (m := _CONNECTIVE.match(text)) is not None:  # "And yet, the company …": both go
        rest = text[m.end() :]
        if not rest[:1].isalpha() or len(rest.split()) < 4 or _NO_SUBJECT.match(rest):
            return text  # "But are usually thwarted …" has its subject in the sentence before
        text = rest[0].upper() + rest[1:]
    return text


def sentence_key(text: str) -> str:
    """A sentence as two places of a brief compare it: less an opening connective (as a summary
    shows it), case and whitespace ignored."""
    return " ".join(without_connective(text).lower().split())


def leans_on_before(sentence: str) -> bool:
    """Whether the sentence opens on the one before it ("He …", "However, …", "Two months
    later …"): what a summary read in order still avoids, though it may say "The company"."""
    text = sentence.strip()
    return bool(_OPENING.match(text) or _ADVERB.match(text))


def reads_alone(sentence: str) -> bool:
    """Whether the sentence reads on its own, without one before it (the module's rules)."""
    text = sentence.strip()
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        return False  # a piece of a quotation that opens or closes in another sentence
    if _CUT_AT_INITIAL.search(text):
        return False
    opening = _OPENING.match(text)
    if opening and _FIRST_PERSON.match(text) and _NAMED_SPEAKER.search(text):
        opening = None  # "We …," said ABC: the speaker is named
    subordinate = _SUBORDINATE.match(text)
    return not (
        opening
        or (subordinate and _definite("The" + text[subordinate.end() + 3 :]))
        or _PART_OF.match(text)
        or _THE_NEW.search(text)
        or _reported_definite(text)
        or _INNER_CONNECTIVE.match(text)
        or _THEN.search(text)
        or _IT_AFTER_OPENING.match(text)
        or _YEAR_THEN_DEFINITE.match(text)
        or _DENIED_THAT.search(text)
        or _opening_then_definite(text)
        or _unbound_pronoun(text)
        or _ADVERB.match(text)
        or _definite(text)
        or _clause_subject(text)
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
    # a group is plural, or one member standing for all ("every developer"): "a portfolio
    # manager at Eastbridge Capital" is a person's title, not the managers it changes things for
    plural = "|".join(sorted(groups, key=len, reverse=True))
    singular = "|".join(sorted({g[:-1] for g in groups if g.endswith("s")}, key=len, reverse=True))
    return re.compile(rf"\b(?:{plural}|(?:every|each|any|no)\s+(?:{singular}))\b", re.I)


def changes_for(sentence: str, groups: re.Pattern[str]) -> bool:
    """Whether the sentence says what changes for one of `groups` (an effect on it, or what it
    now must, should, can or cannot do) and reads on its own."""
    if not groups.search(sentence) or not reads_alone(sentence):
        return False
    return _EFFECT.search(sentence) is not None or _CHANGE.search(sentence) is not None

"""Words: the tokenizers and stop-word lists the stages share, one home for each kind."""

from __future__ import annotations

import re

# Tokenizers: each kind of comparison splits text its own way, and each way is kept exactly as
# it was tuned (the thread, summary and dedupe figures of `make bench` depend on them).

# a word of letters (apostrophes and hyphens inside): what the digest fields and what's new compare
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
# any letters, accented too, or a number: "Q7" and "Müller" are one word each (facts.meaning)
WORD_OR_NUMBER = re.compile(r"[^\W\d_][\w'’-]*|\d+")
# scikit-learn's default token pattern, two word characters or more: TF-IDF terms (`tfidf.py`)
TERM = re.compile(r"(?u)\b\w\w+\b")
# every run of word characters: the shingles near-duplicate detection compares (`dedupe.py`)
WORD_CHARS = re.compile(r"\w+")
# a word with its apostrophes and hyphens: what a model's text is checked against (`llm.py`)
WORD_WITH_MARKS = re.compile(r"[\w'’-]+")
# the little words two sentences share whatever they say: left out when comparing them
COMMON_WORDS = frozenset(
    "the a an of in on at to for by with from and or but that this its their his her was were is are be "
    "been has have had will would could said says after before over than as into about more most".split()
)
# scikit-learn's ENGLISH_STOP_WORDS (BSD-3-Clause), from the Glasgow Information Retrieval Group
STOP_WORDS = frozenset(
    """
    a about above across after afterwards again against all almost alone along already also although
    always am among amongst amoungst amount an and another any anyhow anyone anything anyway
    anywhere are around as at back be became because become becomes becoming been before beforehand
    behind being below beside besides between beyond bill both bottom but by call can cannot cant co
    con could couldnt cry de describe detail do done down due during each eg eight either eleven
    else elsewhere empty enough etc even ever every everyone everything everywhere except few
    fifteen fifty fill find fire first five for former formerly forty found four from front full
    further get give go had has hasnt have he hence her here hereafter hereby herein hereupon hers
    herself him himself his how however hundred i ie if in inc indeed interest into is it its itself
    keep last latter latterly least less ltd made many may me meanwhile might mill mine more
    moreover most mostly move much must my myself name namely neither never nevertheless next nine
    no nobody none noone nor not nothing now nowhere of off often on once one only onto or other
    others otherwise our ours ourselves out over own part per perhaps please put rather re same see
    seem seemed seeming seems serious several she should show side since sincere six sixty so some
    somehow someone something sometime sometimes somewhere still such system take ten than that the
    their them themselves then thence there thereafter thereby therefore therein thereupon these
    they thick thin third this those though three through throughout thru thus to together too top
    toward towards twelve twenty two un under until up upon us very via was we well were what
    whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever
    whether which while whither who whoever whole whom whose why will with within without would yet
    you your yours yourself yourselves
    """.split()
)

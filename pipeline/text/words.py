"""Words: the tokenizers and stop-word lists the stages share, one home for each kind."""

from __future__ import annotations

import re

# a word of letters (apostrophes and hyphens inside): what the digest fields compare
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
# the little words two sentences share whatever they say: left out when comparing them
COMMON_WORDS = frozenset(
    "the a an of in on at to for by with from and or but that this its their his her was were is are be "
    "been has have had will would could said says after before over than as into about more most".split()
)

"""A configured thread is a story, not a subject: which new articles join it.

An article is a candidate on the subject's evidence, as before: the thread's keywords and names
found in it (a title hit counting double), its TF-IDF similarity to the thread's description,
and its similarity to the thread's members (earlier ones, or this run's clearest). Two events of
one subject share all of that (two rehab stays of two actresses, two earthquakes in one
country, two title fights of one boxer), so the candidates are then grouped by event (average
linkage on this matrix at `story_distance`, a little tighter than emergent threads'), and the
thread takes the events that are its story:

- the event that holds the thread's earlier members (the story goes on), else the one whose
  titles and leads name most of the thread's entities (at least two, or one when it lists one
  or two), then read closest to it, and whose titles and first sentences do not pass over a
  name the thread's title holds (the title says whom the story is about: reports that lead with
  Klitschko and never Thompson are another fight, for "Klitschko v Thompson rematch"); none,
  when no event does;
- its *telling names*: the thread's names that most of that event's articles use and that some
  other candidate event does not (Tony Thompson, not Klitschko; SeaMicro, not AMD);
- another group joins when most of its articles use a telling name too (one story that the
  grouping split), or when it is about two of the thread's own names (another development of a
  broad story); a group that holds a name the story's articles never lead with, and no telling
  one, is another event;
- a candidate alone in its event joins when it leads with a telling name or two of the
  thread's own names; for a thread without entities, or with one (that it leads with), when it
  scores as high as the story's articles;
- an article whose dateline is more than a year from every year the thread's title or
  description names, and from its members' datelines (the description says
  "in December 2008", the article is "Posted: May 24, 2005"), stays out, whichever event it is in.

When the evidence is split, the article stays out of the configured thread; it can still form or
join an emergent thread. Each member keeps its score, and `Membership.why` says what decided it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from pipeline.models import Article, Thread, ThreadSpec
from pipeline.text.calendar import MONTH_ABBR_RE, MONTH_RE
from pipeline.text.sentences import split_sentences
from pipeline.understand.clustering import ThreadTuning, average_linkage, closest, name_sets

# a year as news writes one, to tell two events of one subject apart by when they happened
_YEAR = re.compile(r"(?<![\d$€£.,-])(19[5-9]\d|20[0-4]\d)(?![\d%])")
# a date with its year, as a dateline or a "Posted:" line gives it ("May 24, 2005", "7 July 2012",
# "Jul 07, 2012", "2012-07-07"): near the top of an article, when it was written
_MONTH = rf"(?:{MONTH_RE}|{MONTH_ABBR_RE})"
_DATED = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(19[5-9]\d|20[0-4]\d)\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+(19[5-9]\d|20[0-4]\d)\b"
    r"|\b(19[5-9]\d|20[0-4]\d)-[01]\d-[0-3]\d\b"
)
DATELINE_CHARS = 300  # how far into an article a date is its dateline
# how far into an article a name is what it is about: the title and the lead. An article of
# another event names the story's people in passing, further down ("like Lindsay Lohan before
# her"); the story's own articles name them at the top
LEAD_CHARS = 300
# a name at most this share of a group's leads hold is one the group is not about
HARDLY = 0.2
SUBJECT_SHARE = 0.8  # a name this share of the candidates' leads hold is the subject's, not the story's


@dataclass(frozen=True)
class Found:
    """A configured thread (each member with its score and why) and the new articles it holds."""

    thread: Thread
    rows: tuple[int, ...]  # the new articles it holds, by index


def configured_thread(
    articles: Sequence[Article],
    spec: ThreadSpec,
    matrix: csr_matrix,
    members: Sequence[Article],
    member_rows: range,
    spec_row: int,
    names: csr_matrix,
    tuning: ThreadTuning,
) -> Found | None:
    """The new `articles` (the first rows of `matrix`) that join `spec`'s thread; `members` are
    its earlier members, rows `member_rows` of `matrix`; `spec_row` is its description; `names`
    the name sets of the matrix's articles (rows by the same positions)."""
    n = len(articles)
    kw = np.array([keyword_score(a, spec, tuning) for a in articles])
    desc = closest(matrix, n, np.array([spec_row]))
    desc_score = np.minimum(1.0, desc / tuning.description_scale)
    base = tuning.keyword_weight * kw + tuning.description_weight * desc_score
    # seed with this run's clear members when the thread has no history yet
    seeds = np.flatnonzero(base >= tuning.join_threshold + tuning.seed_margin)
    member_sim = np.maximum(closest(matrix, n, np.array(member_rows)), closest(matrix, n, seeds))
    score = base + tuning.member_weight * np.minimum(1.0, member_sim / tuning.member_scale)
    candidates = [i for i in range(n) if score[i] >= tuning.join_threshold and kw[i] > 0]
    if not candidates:
        return None
    rows = np.array([*candidates, *member_rows])
    events = average_linkage(matrix, rows, tuning.story_distance, names[rows], tuning.name_bonus)
    told = [*(articles[i] for i in candidates), *members]
    years = {int(y) for y in _YEAR.findall(f"{spec.title} {spec.description}")}
    evidence = _Evidence(
        events,
        _names_used(spec, told),
        _names_used(spec, told, _headline),
        name_sets(told, LEAD_CHARS),
        len(candidates),
    )
    # a dateline far from the thread's years is another time; its members' datelines count as
    # its years too, so a story that goes on from year to year keeps its thread
    years |= {y for m in members for y in _dateline_years(m)}
    kept = [
        (i, why)
        for i, why in _choose(candidates, evidence, score, spec)
        if not _other_years(articles[i], years)
    ]
    if not kept:
        return None
    kept.sort(key=lambda iw: -score[iw[0]])
    thread = Thread(
        id=spec.id,
        title=spec.title,
        kind="configured",
        description=spec.description,
        article_ids=tuple(articles[i].id for i, _ in kept),
        scores=tuple(round(float(score[i]), 4) for i, _ in kept),
        why=tuple(w for _, w in kept),
    )
    return Found(thread, tuple(i for i, _ in kept))


@dataclass(frozen=True)
class _Evidence:
    """For the candidates then the members (rows by position): the event each was grouped in,
    which of the thread's entities its title or lead names (and its title or first sentence),
    and the names its title and lead hold (any, as 0/1 columns)."""

    events: np.ndarray
    named: np.ndarray
    headed: np.ndarray  # as `named`, in the title and first sentence only
    lead_names: csr_matrix
    new: int  # how many rows are candidates (the rest are members)

    def groups(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for position, label in enumerate(self.events):
            out.setdefault(int(label), []).append(position)
        return out

    def share(self, rows: list[int]) -> np.ndarray:
        """Per lead name, the share of `rows` whose title or lead holds it."""
        return np.asarray(self.lead_names[rows].mean(axis=0)).ravel()


def _choose(
    candidates: list[int], evidence: _Evidence, score: np.ndarray, spec: ThreadSpec
) -> list[tuple[int, str]]:
    """The candidates whose event is the thread's story (see the module's rules), with why."""
    k = evidence.new
    groups = evidence.groups()
    named = evidence.named

    kinds = _entity_kinds(spec)
    needed = min(2, (len(set(kinds)) + 1) // 2)  # half the names, rounded up, and two at most
    headline = _title_kinds(spec, kinds)
    single = len(set(kinds)) == 1

    def held(label: int) -> set[int]:
        """The thread's entities (a name and its short form counting once) that most of the
        group's titles and leads name."""
        if not named.shape[1]:
            return set()
        most = named[groups[label]].mean(axis=0) >= 0.5
        return {kinds[i] for i in np.flatnonzero(most)}

    def about(label: int) -> int:
        return len(held(label))

    def hardly(label: int) -> set[int]:
        """The thread's entities that at most a fifth of the group's titles and first sentences
        name."""
        share = evidence.headed[groups[label]].mean(axis=0) if named.shape[1] else np.zeros(0)
        return set(kinds) - {kinds[i] for i in np.flatnonzero(share > HARDLY)}

    def strength(label: int) -> tuple[int, int, int, float]:
        group = groups[label]
        new = [p for p in group if p < k]
        closeness = float(np.mean([score[candidates[p]] for p in new])) if new else 0.0
        continuing = any(p >= k for p in group)
        # the names of the thread's title are who its story is about: a group whose leads
        # hardly name one of them is another story of the subject (Klitschko's fight with Rahman,
        # for "Klitschko v Thompson rematch"; another AMD purchase, for "AMD buys SeaMicro")
        eligible = about(label) >= needed and not (headline & hardly(label))
        return (int(continuing or eligible), int(continuing), about(label), closeness)

    story = max(groups, key=lambda label: (strength(label), -label))
    if not strength(story)[0]:
        # no group is about two of the thread's names, and none holds its members: the
        # candidates share its subject, not its story (two actresses' rehab stays)
        return []
    telling = _telling(groups, story, named)
    # of those, the ones that are not the whole subject's: a name nearly every candidate is
    # about (Klitschko, AMD) is in the other event's leads too
    specific = telling[named[:k][:, telling].mean(axis=0) < SUBJECT_SHARE] if k and telling.size else telling
    story_names = evidence.share(groups[story])
    in_story = [score[candidates[p]] for p in groups[story] if p < k]
    floor = min(in_story) if in_story else 0.0  # every candidate is over the join threshold
    listed = ", ".join(spec.entities[i] for i in telling[:3])
    out: list[tuple[int, str]] = []
    # the names of the other events: held by most leads of a group that is not the story and
    # rarely by the story's
    theirs = np.zeros_like(story_names, dtype=bool)
    for label, group in groups.items():
        if label != story and len(group) > 1:
            theirs |= (evidence.share(group) >= 0.5) & (story_names < 0.2)
    for label, group in groups.items():
        new = [p for p in group if p < k]
        if not new:
            continue
        if label == story:
            reason = "the thread's story goes on" if any(p >= k for p in group) else "the thread's story"
            # one of another event's articles, grouped with the story: its lead is about that
            # event's names and none of the story's telling ones
            new = [p for p in new if not (_about(evidence, p, theirs) and not _tells(named, p, telling))]
        else:
            tells = bool(specific.size) and named[np.ix_(np.array(group), specific)].any(axis=1).mean() >= 0.5
            # a name most of this group's leads hold and the story's rarely does: another event
            # of the subject (Tara Reid's rehab beside Lindsay Lohan's, Rahman's fight beside
            # Thompson's), unless the group names the story's own telling names as much
            elsewhere = bool(((evidence.share(group) >= 0.5) & (story_names < 0.2)).any())
            # a group about two of the thread's own names is about the thread, whatever else it
            # names (another development of a broad story); another event shares one name at most
            own = about(label) >= 2
            if (
                not (tells or own)
                and len(group) == 1
                and (not spec.entities or (single and _tells(named, group[0], telling)))
            ):
                # a thread of keywords only, or of one name, has no names to tell its story
                # by but that one: an article alone in its event (that leads with the name)
                # joins when it reads as close to the thread as the story's do
                if score[candidates[group[0]]] < floor:
                    continue
            elif not (tells or own) and (elsewhere or len(group) == 1):
                continue
            reason = (
                "the story, grouped apart"
                if tells
                else "names the thread's own names"
                if own
                else "the story's subject and no other event"
            )
        for p in new:
            out.append((candidates[p], f"{reason} ({listed})" if listed else reason))
    return out


def _entity_kinds(spec: ThreadSpec) -> list[int]:
    """For each entity of `spec`, the entity it names: a name and its short form ("Klitschko"
    in "Wladimir Klitschko", "Aceh" in "Central Aceh") are one."""
    kinds: list[int] = []
    for i, name in enumerate(spec.entities):
        same = next(
            (
                kinds[j]
                for j, other in enumerate(spec.entities[:i])
                if _within(name, other) or _within(other, name)
            ),
            i,
        )
        kinds.append(same)
    return kinds


def _title_kinds(spec: ThreadSpec, kinds: list[int]) -> set[int]:
    """The entities (as `_entity_kinds` numbers them) that the thread's title names, by the
    name, its short form or a person's surname ("Thompson" in "Klitschko v Thompson rematch")."""
    out = set()
    for i, name in enumerate(spec.entities):
        last = _surname(name)
        if _pattern(name).search(spec.title) or (last is not None and last.search(spec.title)):
            out.add(kinds[i])
    return out


def _within(short: str, long: str) -> bool:
    return short != long and _pattern(short).search(long) is not None


def _about(evidence: _Evidence, position: int, names: np.ndarray) -> bool:
    """Whether the title or lead of the row at `position` holds one of `names` (a 0/1 mask)."""
    held = evidence.lead_names[position].toarray().ravel() > 0
    return bool((held & names).any())


def _tells(named: np.ndarray, position: int, telling: np.ndarray) -> bool:
    return bool(telling.size) and bool(named[position, telling].any())


def _telling(groups: dict[int, list[int]], story: int, named: np.ndarray) -> np.ndarray:
    """The entities (columns of `named`) that most of the story's rows use and that some other
    group of two or more mostly does not: what tells the story from another event of the
    subject. With no such group, every entity most of the story uses."""
    if not named.shape[1]:
        return np.zeros(0, dtype=np.int64)
    used = named[groups[story]].mean(axis=0) >= 0.5
    others = [named[g].mean(axis=0) for label, g in groups.items() if label != story and len(g) > 1]
    if not others:
        return np.flatnonzero(used)
    rare = np.min(np.vstack(others), axis=0) < 0.5  # some other event mostly does without it
    telling = np.flatnonzero(used & rare)
    return telling if telling.size else np.flatnonzero(used)


def _names_used(
    spec: ThreadSpec, told: Sequence[Article], lead: Callable[[Article], str] | None = None
) -> np.ndarray:
    """A row per article, a column per entity of `spec`: whether the article is about it, that
    is names it, or its last word (a surname: "Thompson" for "Tony Thompson"), in its title or
    lead (`lead` of the article)."""
    forms = [(_pattern(e), _surname(e)) for e in spec.entities]
    return np.array(
        [
            [bool(full.search(text) or (last is not None and last.search(text))) for full, last in forms]
            for text in map(lead or _lead, told)
        ],
        dtype=bool,
    ).reshape(len(told), len(forms))


def _lead(article: Article) -> str:
    return article.title + "\n" + article.text[:LEAD_CHARS]


def _headline(article: Article) -> str:
    """The title and the first sentence: whom the article is about. Names further on may be in
    passing ("a clinic favoured by Lindsay Lohan", in a report of another actress's stay)."""
    first = next(iter(split_sentences(article.text[: LEAD_CHARS * 2])), "")
    return article.title + "\n" + first[:LEAD_CHARS]


# the last word of these names is a kind of place or body, not a surname ("Betty Ford Center")
_NOT_SURNAMES = frozenset(
    "Center Centre Church Hill Park Street Road City County Province State Island Islands University "
    "College School Hospital Bank Group Company Inc Corp Council Court Party Club Lake River".split()
)


def _surname(name: str) -> re.Pattern[str] | None:
    """A person's name used by its last word after the first mention ("Thompson" for "Tony
    Thompson"): for a two-word capitalised name whose last word is not a kind of place."""
    words = name.split()
    if len(words) == 2 and all(w[:1].isupper() for w in words) and words[1] not in _NOT_SURNAMES:
        return _pattern(words[1])
    return None


def _other_years(article: Article, years: set[int]) -> bool:
    """Whether the article's dateline (a full date near its top) puts it more than a year from
    every year the thread names: the same kind of event, another time. Years elsewhere in an
    article are often its background ("he was hired in 2003"), so they do not count."""
    if not years:
        return False
    found = _dateline_years(article)
    return bool(found) and all(min(abs(f - y) for y in years) > 1 for f in found)


def _dateline_years(article: Article) -> set[int]:
    """The years of the full dates near the top of an article: when it was written."""
    top = article.title + "\n" + article.text[:DATELINE_CHARS]
    return {int(next(g for g in m.groups() if g)) for m in _DATED.finditer(top)}


def keyword_score(article: Article, spec: ThreadSpec, tuning: ThreadTuning) -> float:
    """0..1: distinct keywords found, a title hit counting double; case matters for names."""
    if not spec.keywords:
        return tuning.no_keywords_score
    hits = 0.0
    for kw in spec.keywords:
        pattern = _pattern(kw)
        if pattern.search(article.title):
            hits += 2
        elif pattern.search(article.text):
            hits += 1
    return min(1.0, hits / tuning.keyword_hits_full)


@functools.lru_cache(maxsize=1024)
def _pattern(keyword: str) -> re.Pattern[str]:
    flags = 0 if any(c.isupper() for c in keyword) else re.IGNORECASE
    return re.compile(rf"(?<!\w){re.escape(keyword)}(?!\w)", flags)

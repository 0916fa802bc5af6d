"""File articles under story threads: the configured ones, then emergent ones for the rest.

A configured thread takes the articles of its story, not of its subject (`configured.py`).
Articles in no configured thread are grouped by average-linkage clustering on TF-IDF cosine
(names inside sentences weigh double), two articles drawn closer by the share of names they
have in common (`clustering.py`); a group of two or more becomes an emergent thread, and a
group that holds a story's earlier articles goes on under that story's id.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from itertools import chain

import numpy as np
from scipy.sparse import csr_matrix

from pipeline.models import Article, Thread, ThreadSpec
from pipeline.understand.clustering import ThreadTuning, average_linkage, doc_text, name_sets
from pipeline.understand.configured import configured_thread
from pipeline.understand.tfidf import cosine, tfidf_rows

__all__ = ["TUNING", "ThreadTuning", "assign_threads", "new_story_id"]

TUNING = ThreadTuning()


def assign_threads(
    articles: Sequence[Article],
    specs: Sequence[ThreadSpec],
    members: Mapping[str, Sequence[Article]] | None = None,
    unthreaded: Sequence[Article] = (),
    stories: Mapping[str, Sequence[Article]] | None = None,
    tuning: ThreadTuning = TUNING,
    muted: Collection[str] = (),
) -> tuple[Thread, ...]:
    """Threads holding the new `articles`; `members` are earlier articles of each configured
    thread, `unthreaded` recent earlier articles in none, `stories` recent earlier articles
    of each emergent thread (all only as context: a new article that joins a story's earlier
    articles is filed under that story's id). A configured thread followed from a story
    (`ThreadSpec.story`) has that story's articles as members, and files them under its own id.
    A thread muted (its spec's `muted`, or its id in `muted`) is filed all the same, marked so."""
    if not articles:
        return ()
    members, stories = members or {}, stories or {}
    # a thread followed from an emerging story goes on from the story's earlier articles: its
    # members from now on, filed under its id (`joined`), no longer a story of their own
    taken = {
        s.id: [a for a in stories.get(s.story, ()) if a.id not in {m.id for m in members.get(s.id, ())}]
        for s in specs
        if s.story
    }
    members = {s.id: [*members.get(s.id, ()), *taken.get(s.id, ())] for s in specs}
    stories = {i: found for i, found in stories.items() if i not in {s.story for s in specs}}
    context = [a for spec in specs for a in members.get(spec.id, ())]
    story_of = [(story_id, a) for story_id, found in stories.items() for a in found]
    loose_context = [*unthreaded, *(a for _, a in story_of)]
    threads: list[Thread] = []
    placed: set[int] = set()
    if specs:
        # rows of the matrix: the new articles, the members of each spec in turn, the loose
        # context (its words weigh in the idf, as they always have), then the specs themselves
        scored = [*articles, *context, *loose_context]
        texts = chain(
            (doc_text(a, tuning.max_text_chars) for a in scored),
            (" ".join((s.title, s.description, " ".join(s.keywords))) for s in specs),
        )
        matrix = tfidf_rows(
            texts, pairs=True, max_df=tuning.max_df if len(scored) > tuning.max_df_from else 1.0
        )
        names = name_sets(scored, tuning.max_text_chars)
        member_row = len(articles)
        for s_index, spec in enumerate(specs):
            spec_members = range(member_row, member_row + len(members.get(spec.id, ())))
            member_row = spec_members.stop
            found = configured_thread(
                articles,
                spec,
                matrix,
                members.get(spec.id, ()),
                spec_members,
                len(scored) + s_index,
                names,
                tuning,
            )
            if found is not None:
                joined = tuple(a.id for a in taken.get(spec.id, ()))
                threads.append(replace(found.thread, joined=joined, muted=spec.muted))
                placed.update(found.rows)
        del matrix, names
    # the rest are clustered on a matrix of their own, with the idf of the articles in play
    # (the new ones in no configured thread, the unthreaded ones and the stories' articles)
    rest = [articles[i] for i in range(len(articles)) if i not in placed]
    pool = [*rest, *loose_context]
    matrix = tfidf_rows(
        (doc_text(a, tuning.max_text_chars) for a in pool),
        pairs=True,
        max_df=tuning.max_df if len(pool) > tuning.max_df_from else 1.0,
        unseen=tuning.idf_unseen,
    )
    earlier_story = {len(rest) + len(unthreaded) + k: story_id for k, (story_id, _) in enumerate(story_of)}
    emergent = _emergent(list(range(len(pool))), rest, loose_context, earlier_story, matrix, tuning)
    threads.extend(replace(t, muted=True) if t.id in muted else t for t in emergent)
    return tuple(threads)


def _emergent(
    rows: list[int],
    new: Sequence[Article],
    earlier: Sequence[Article],
    earlier_story: Mapping[int, str],
    matrix: csr_matrix,
    tuning: ThreadTuning,
) -> list[Thread]:
    """Groups of the `new` articles (in no configured thread) and the `earlier` ones: `rows` are
    theirs in `matrix`, in that order. A group holding earlier articles of a story
    (`earlier_story`: index in the pool → story id) goes on under that story's id; any
    other group of two or more is named after its earliest article."""
    pool = [*new, *earlier]
    if len(pool) < 2:
        return []
    labels = average_linkage(
        matrix,
        np.array(rows),
        tuning.emergent_distance,
        name_sets(pool, tuning.max_text_chars),
        tuning.name_bonus,
    )
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    kept = [g for g in groups.values() if len(g) >= 2 and any(i < len(new) for i in g)]
    ids = _story_ids(kept, pool, earlier_story)
    out: list[Thread] = []
    for group, story_id in zip(kept, ids, strict=True):
        new_members = [i for i in group if i < len(new)]
        # the most central member names the thread (rounded: a tie, as between the two members
        # of a pair, goes to the first, not to rounding noise); the earliest gives a stable id
        centrality = np.round(cosine(matrix[[rows[i] for i in group]]).mean(axis=1), 9)
        central = pool[group[int(np.argmax(centrality))]]
        ordered = sorted(new_members, key=lambda i: -centrality[group.index(i)])
        out.append(
            Thread(
                id=story_id,
                title=central.title,
                kind="emergent",
                article_ids=tuple(pool[i].id for i in ordered),
                scores=tuple(round(float(centrality[group.index(i)]), 4) for i in ordered),
                joined=tuple(pool[i].id for i in group if i >= len(new) and i not in earlier_story),
                why=tuple(_emergent_why(story_id, group, earlier_story) for _ in ordered),
            )
        )
    out.sort(key=lambda t: -len(t.article_ids))
    return out


def _emergent_why(story_id: str, group: list[int], earlier_story: Mapping[int, str]) -> str:
    others = len(group) - 1
    if any(earlier_story.get(i) == story_id for i in group):
        return f"an emerging story that goes on: grouped with {others} articles that tell it"
    return f"an emerging story: grouped with {others} other article{'s' if others != 1 else ''} that tell it"


def _story_ids(
    groups: Sequence[list[int]], pool: Sequence[Article], earlier_story: Mapping[int, str]
) -> list[str]:
    """An id for each group: the story most of its earlier articles belong to, given to the
    group that holds most of that story (a story can split in two: the other part is a new
    story); otherwise the `new_story_id` of its earliest article that names no story yet, so an id
    stays the same from run to run."""
    claims = [Counter(earlier_story[i] for i in g if i in earlier_story) for g in groups]
    owner: dict[str, int] = {}
    for index, known in enumerate(claims):
        if known:
            story = min(known, key=lambda s: (-known[s], s))  # between equals, the first named
            if story not in owner or known[story] > claims[owner[story]][story]:
                owner[story] = index
    ids = {index: story for story, index in owner.items()}
    out = []
    for index, group in enumerate(groups):
        fresh = [i for i in group if i not in earlier_story] or group
        earliest = min(fresh, key=lambda i: pool[i].order)
        out.append(ids.get(index, new_story_id(pool[earliest])))
    return out


def new_story_id(first: Article) -> str:
    """ "story-<hash>" of the emerging story `first` begins: a hash of the article's title,
    date and path (`Article.order`), what it is rather than which server it was read from,
    so the same articles name the same story on every run."""
    _, published, title, _, path = first.order
    key = "\n".join((title, published.isoformat() if published else "", path))
    return "story-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]

"""Extractive summaries: every sentence shown is quoted verbatim from the article it cites."""

from __future__ import annotations

import pytest
from conftest import make_article, utc

from pipeline.models import Thread
from pipeline.text.sentences import split_sentences
from pipeline.understand.summarize import summarize_thread

# -- sentence splitting --------------------------------------------------------------------------

TRICKY = (
    "Mr. Alvarez told the U.S. Senate committee that the port needs dredging. "
    "The budget is $1.03 billion over five years, up from $870 million. "
    "J. R. Okonkwo, the harbor master, agreed with him on Tuesday. "
    "Was the vote close? It was not: 41 members backed the plan!\n"
    "A second paragraph starts here. It has two sentences."
)


def test_sentences_are_split_where_they_end() -> None:
    assert split_sentences(TRICKY) == [
        "Mr. Alvarez told the U.S. Senate committee that the port needs dredging.",
        "The budget is $1.03 billion over five years, up from $870 million.",
        "J. R. Okonkwo, the harbor master, agreed with him on Tuesday.",
        "Was the vote close?",
        "It was not: 41 members backed the plan!",
        "A second paragraph starts here.",
        "It has two sentences.",
    ]


def test_every_sentence_is_verbatim_from_the_text() -> None:
    sentences = split_sentences(TRICKY)
    assert len(sentences) > 1
    for sentence in sentences:
        assert sentence in TRICKY


@pytest.mark.parametrize(
    "text",
    [
        "Dr. Maria Chen opened the clinic. It serves the whole island.",
        "The firm moved to the U.K. Parliament district in March. Rents there doubled.",
        "Shares rose 4.5 per cent to $1.03 billion in value. Analysts were surprised.",
        "The novel by J. K. Rowling sold out. Shops ordered more copies.",
        'She said: "We are done." Then she left the room.',
    ],
)
def test_abbreviations_numbers_and_initials_do_not_end_a_sentence(text: str) -> None:
    sentences = split_sentences(text)

    assert len(sentences) == 2
    assert " ".join(sentences) == text


# -- thread digests ------------------------------------------------------------------------------

DREDGING = make_article(
    "https://harbor.example/news/dredging-approved",
    "The city council approved a plan on Monday to dredge the main shipping channel of the harbor to "
    "fourteen metres.\n"
    "The work will cost $1.03 billion and take five years, the port authority said in a statement.\n"
    "Larger container ships cannot enter the harbor today and unload at rival ports up the coast "
    "instead.\n"
    "Mr. Alvarez, who chairs the port committee, said the deeper channel would bring back two "
    "shipping lines that left in 2024.\n"
    "Fishermen worry that the dredging will stir up old industrial silt and harm the oyster beds near "
    "the breakwater.\n"
    "The authority promised to monitor water quality every week while the dredgers are working.\n"
    "The plan means higher harbor fees for every ship, which could push some small operators out of "
    "business.",
    title="Council approves harbor dredging plan",
    source="Harbor Gazette",
    published=utc(2026, 11, 23, 9),
)
OYSTERS = make_article(
    "https://coastnews.example/2026/11/23/oyster-farmers-dredging",
    "Oyster farmers said on Tuesday they would challenge the harbor dredging plan in court before work "
    "begins in spring.\n"
    "The farmers say silt from the channel will smother the oyster beds that have fed the town for a "
    "century.\n"
    "A lawyer for the growers said the port authority had ignored a study that warned of damage to the "
    "breakwater reefs.\n"
    "The port authority said it would publish weekly water tests and stop the dredgers if the silt "
    "spreads too far.\n"
    "A court delay would push the project past the next budget year and raise its cost for taxpayers.\n"
    "Shipping lines are watching closely because the channel decides whether their largest vessels can "
    "call at the harbor.",
    title="Oyster farmers to fight dredging plan in court",
    source="Coast News",
    published=utc(2026, 11, 23, 14),
)
THREAD = Thread(
    id="harbor-dredging",
    title="Harbor dredging",
    kind="configured",
    article_ids=(OYSTERS.id, DREDGING.id),
)


def test_a_digest_has_a_short_overview_and_a_tldr() -> None:
    d = summarize_thread(THREAD, [OYSTERS, DREDGING])

    assert d.thread_id == "harbor-dredging"
    assert d.title == "Harbor dredging"
    assert 2 <= len(d.overview) <= 4
    assert 3 <= len(d.tldr) <= 5
    assert 1 <= len(d.why_it_matters) <= 2
    assert d.new_articles == 2
    assert DREDGING.word_count + OYSTERS.word_count == 242
    assert d.reading_minutes == 2  # 242 words at 230 a minute, rounded up


def test_no_sentence_is_shown_twice() -> None:
    d = summarize_thread(THREAD, [OYSTERS, DREDGING])

    shown = [s.text for s in (*d.overview, *d.why_it_matters, *d.tldr)]
    assert len(shown) == len(set(shown))


def test_every_sentence_is_quoted_verbatim_from_the_article_it_cites() -> None:
    articles = {a.id: a for a in (OYSTERS, DREDGING)}

    d = summarize_thread(THREAD, [OYSTERS, DREDGING])

    assert d.headline.text == articles[d.headline.article_id].title
    assert d.overview and d.why_it_matters and d.tldr
    for sentence in (*d.overview, *d.why_it_matters, *d.tldr):
        assert sentence.text in articles[sentence.article_id].text


def test_why_it_matters_speaks_to_consequences() -> None:
    d = summarize_thread(THREAD, [OYSTERS, DREDGING])

    cues = ("means", "could", "would", "will", "because", "raise", "push", "taxpayers", "business")
    assert d.why_it_matters
    for sentence in d.why_it_matters:
        assert any(cue in sentence.text for cue in cues)


def test_sources_are_numbered_from_one_in_publication_order() -> None:
    d = summarize_thread(THREAD, [OYSTERS, DREDGING])

    assert [ref.number for ref in d.sources] == [1, 2]
    assert [ref.article_id for ref in d.sources] == [DREDGING.id, OYSTERS.id]
    assert d.source_number(OYSTERS.id) == 2
    assert d.sources[0].source == "Harbor Gazette"
    assert d.sources[0].url == DREDGING.url


def test_the_headline_is_the_title_of_the_threads_most_relevant_article() -> None:
    d = summarize_thread(THREAD, [OYSTERS, DREDGING])

    assert d.headline.text == "Oyster farmers to fight dredging plan in court"
    assert d.headline.article_id == OYSTERS.id


def test_a_syndicated_copy_is_listed_under_its_source() -> None:
    from dataclasses import replace

    copied = replace(
        DREDGING, found_at=(*DREDGING.found_at, ("Bay Wire", "https://baywire.example/dredging"))
    )

    d = summarize_thread(THREAD, [OYSTERS, copied])

    assert d.sources[0].copies == (("Bay Wire", "https://baywire.example/dredging"),)


def test_an_article_with_only_a_teaser_still_gets_an_overview() -> None:
    teaser = make_article(
        "https://harbor.example/news/tug", "Tug crews strike", title="Tug crews walk out", extracted=False
    )
    thread = Thread(id="tugs", title="Tug strike", kind="emergent", article_ids=(teaser.id,))

    d = summarize_thread(thread, [teaser])

    assert [s.text for s in d.overview] == ["Tug crews strike"]
    assert d.tldr == ()
    assert d.sources[0].extracted is False


def test_a_thread_without_articles_is_an_error() -> None:
    with pytest.raises(ValueError, match="no articles"):
        summarize_thread(THREAD, [])


def test_a_thread_of_many_long_articles_is_summarized_in_bounded_memory() -> None:
    """A big story (80 outlets, 150 sentences each) is summarized from its most relevant
    articles' first sentences: the pairwise similarities of 12,000 sentences would be 1 GB."""
    import tracemalloc

    articles = [
        make_article(
            f"https://outlet{n}.example/harbor",
            " ".join(
                f"Harbor crews from district {n} dredged channel {k} for {k + n} hours on Monday. "
                for k in range(150)
            ),
            title=f"Outlet {n} on the harbor",
            published=utc(2026, 3, 1, n % 24),
        )
        for n in range(80)
    ]
    thread = Thread(id="harbor", title="Harbor", kind="emergent", article_ids=tuple(a.id for a in articles))
    tracemalloc.start()
    try:
        d = summarize_thread(thread, articles)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert d.overview and d.new_articles == 80 and len(d.sources) == 80
    assert peak < 100e6

"""Extractive summaries: every sentence shown is quoted verbatim from the article it cites."""

from __future__ import annotations

import pytest
from conftest import make_article, utc

from pipeline.models import Article, KeyFigure, Sentence, SourceRef, Summary, Thread, ThreadDigest
from pipeline.run import digest_thread
from pipeline.text.sentences import split_sentences
from pipeline.understand.facts import extract_facts
from pipeline.understand.headings import (
    audience_groups,
    changes_for,
    reads_alone,
    sentence_key,
    without_connective,
)
from pipeline.understand.once import each_once, top_of_brief
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
    assert 1 <= len(d.tldr) <= 5
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
        assert _quoted(sentence.text, articles[sentence.article_id].text)


def _quoted(sentence: str, text: str) -> bool:
    """Whether `sentence` is in `text` as it is, or less an opening connective (its first letter
    then capitalised)."""
    if sentence in text:
        return True
    start = text.find(sentence[0].lower() + sentence[1:])
    return (
        start > 0
        and text[:start].rstrip().rsplit(None, 1)[-1].strip(",").lower()
        in (
            "but and however meanwhile nevertheless nonetheless moreover furthermore addition additionally "
            "besides separately still yet so thus therefore result consequently accordingly turn likewise "
            "similarly instead hand contrast time said fact indeed also"
        ).split()
    )


def test_why_it_matters_speaks_to_consequences() -> None:
    d = summarize_thread(THREAD, [OYSTERS, DREDGING])

    cues = ("means", "could", "would", "will", "cannot", "because", "raise", "push", "taxpayers", "business")
    assert d.why_it_matters
    for sentence in d.why_it_matters:
        assert any(cue in sentence.text for cue in cues)


# Two real reports (ECB+ dev: 31_8ecbplus, 27_1ecbplus), as their pages give them.
TOURNAMENT = make_article(
    "https://sbnation.example/2013/3/8/mvc-tournament",
    'The Missouri Valley Conference, aka "Arch Madness", certainly lived up to its nickname on Friday.\n'
    "Eight teams competed in the quarterfinal round, and we've already had one memorable last - second "
    "game.\n"
    "Now there's just four teams left fighting for the automatic bid on Saturday.\n"
    "Let's recap Friday's action.\n"
    "No. 1 Creighton Bluejays 65, No. 9 Drake Bulldogs 53\n"
    "Doug McDermott put on a show as usual, scoring 23 points and becoming the school's all - time "
    "leader in points scored.\n"
    "He had help from his teammates, as well, as Gregory Echenique finished with a double - double "
    "(11 points, 11 rebounds).\n"
    "The Bulldgos never let this game turn into a blowout, but they never came close enough to make "
    "Creighton sweat, either.\n"
    "The Bluejays will play Indiana State on Saturday.",
    title="2013 MVC Tournament results and bracket: Creighton, Wichita St. move on",
    published=utc(2013, 3, 8, 23),
)
BROWSER_BUG = make_article(
    "https://bbc.example/news/technology-24143478",
    'Microsoft has released a temporary patch to fix a "zero - day", or previously unknown, vulnerability '
    "in its Internet Explorer (IE) web browser.\n"
    "The software giant said the bug, which relates to the browser's memory, could affect all versions "
    "of IE6 to 10.\n"
    "Attackers could set up websites specifically designed to exploit the vulnerability, Microsoft said, "
    "and then run malicious code on users' computers.\n"
    "Targeted attacks directed at IE8 and 9 had already been reported, it said.\n"
    '"This is a serious vulnerability potentially affecting millions of Windows computers, "Dana Tamir, '
    "director at security company Trusteer, told the BBC.\n"
    '"Hackers are already exploiting this so I hope Microsoft produces a full patch within a few days, '
    '"she said.\n'
    "In a blog post, Microsoft's Dustin Childs advised concerned users to set internet and local "
    'security zone settings to "high" to block ActiveX controls and active scripting.\n'
    "He also recommended changing IE settings to prompt users before running active scripting.\n"
    'But doing this "may affect usability", he said, so users should add sites they trust, and visit '
    "often, to the IE trusted sites zone.\n"
    "Microsoft's Fix It patch applies only to 32 - bit versions of IE.\n"
    "It is not being rolled out automatically and is not intended to be a replacement for scheduled "
    "security updates, the company said.\n"
    '"This temporary workaround is like applying a Band - Aid to a wound, "said Ms Tamir.\n'
    "Last week, Microsoft admitted that it had been forced to rewrite four of its security updates just "
    "three days after they had been issued.\n"
    "Customers had reported receiving repeated demands to install the updates even after they had "
    "already done so.",
    title="Microsoft releases fix for 'zero - day' IE browser bug",
    published=utc(2013, 9, 18, 13),
)


def _alone(article: Article) -> Summary:
    return summarize_thread(Thread(article.id, article.title, "emergent", (article.id,)), [article])


def test_why_it_matters_is_left_out_when_no_sentence_states_a_consequence() -> None:
    # a results round-up: the next fixture is a schedule, not why the news matters to anyone
    assert _alone(TOURNAMENT).why_it_matters == ()


def test_why_it_matters_says_who_is_affected() -> None:
    why = [s.text for s in _alone(BROWSER_BUG).why_it_matters]

    assert why and all(("users" in s or "affecting" in s) for s in why), why


def test_tldr_bullets_read_on_their_own() -> None:
    leaning = (
        "it said.",  # who said it?
        "He also recommended",
        "But doing this",
        "It is not being rolled out",
        "He had help",
        "Now there's",
        "Let's recap",
        '"This temporary workaround',  # a quotation's piece
    )
    for article in (BROWSER_BUG, TOURNAMENT):
        tldr = [s.text for s in _alone(article).tldr]
        assert not [s for s in tldr if any(lean in s for lean in leaning)], tldr


# Sentences of real news (BBC News Summary and ECB+ dev documents), as a TL;DR would show them
# alone: each leans on a sentence before it, or does not.
@pytest.mark.parametrize(
    "sentence",
    [
        "The 64-year-old has denied the killing, saying her death was accidental.",
        "As the game progresses you swap between the two rival factions, pig and feline, assuming the "
        "role of your created characters.",
        "Oh well, next week they journey to Denver to take on the Broncos in their mile high city with "
        "their rarified air.",
        "Obama has promised to reverse the new rules.",
        "Details of the coming week's events were hammered out at a meeting at Mr Kilroy-Silk's "
        "Buckinghamshire home on Sunday, the BBC News Website was told.",
        'Suntory, meanwhile, is doing well with "Super Blue", which combines happoshu and shochu.',
        "On Tuesday, the mayor said he would be making a full written response to the chairman of the "
        "assembly.",
        "Vinci's game fell to pieces after that and Martinez swept her aside with some crisp cross-court "
        "returns and deft volleys.",
        "Put it all together and the Chiefs gained 507 yards and still managed to lose the game.",
        "Wide receiver Anquan Boldin and running back J.J.",  # the splitter cut a name
        "Over the years it has delivered poor profits and even some losses.",
        "In the late 1980s the firm was a great rival to Atari, which produced its own range of home "
        "computers.",
        "Mr Blair directly denied that quote on Wednesday.",
    ],
)
def test_a_sentence_that_leans_on_one_before_is_no_tldr_bullet(sentence: str) -> None:
    assert not reads_alone(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "\"We respect our producing partners' right to protect their intellectual property in whatever "
        'manner they deem most appropriate," said ABC in a statement.',
        "While Nichols did not recieve the death penalty, he will likely die in prison.",
        "On the suspension of Mr Houston, UKIP said those who selected him knew nothing of his views.",
        "According to the Ministry of Commerce, China's exports totalled $63.8bn in December, taking the "
        "annual total up 35.4% to $593.4bn.",
        "Since the break up of the Soviet Union in 1991, Kazakhstan has been dominated by its president "
        "Nursultan Abish-uly Nazarbayev.",
    ],
)
def test_a_sentence_that_names_what_it_speaks_of_reads_alone(sentence: str) -> None:
    assert reads_alone(sentence)


def test_a_persons_title_is_not_the_audience_a_sentence_changes_things_for() -> None:
    # the demo's second brief showed this under "What this means for AI engineers and tech leads"
    groups = audience_groups("AI engineers and tech leads")
    analyst = (
        "Grant Whitaker, a portfolio manager at Eastbridge Capital, said Meta’s advantage was that it did "
        "not need to persuade anyone to switch assistants."
    )
    assert not changes_for(analyst, groups)
    assert changes_for("Every manager will have to approve the new budgets before March.", groups)


# A real report (BBC News Summary dev: business_173), its first and last paragraphs.
BREWERS = make_article(
    "https://bbc.example/news/business-brewers",
    "Heineken and Carlsberg, two of the world's largest brewers, have reported falling profits after beer "
    "sales in western Europe fell flat.\n"
    "Dutch firm Heineken saw its annual profits drop 33% and warned that earnings in 2005 may also slide. "
    "Danish brewer Carlsberg suffered a 3% fall in profits due to waning demand and increased marketing "
    "costs. Both are looking to Russia and China to provide future growth as western European markets "
    "are largely mature.\n"
    "Carlsberg, the world's fifth-largest brewer, saw annual pre-tax profits fall to 3.4bn Danish kroner "
    "(456m euros). Its beer sales have been affected by the sluggish European economy and by the banning "
    "of smoking in pubs in several European countries. Nevertheless, total sales increased 4% to 36bn "
    "kroner, thanks to strong sales of Carlsberg lager in Russia and Poland. Carlsberg is more optimistic "
    "than Heineken about 2005, projecting a 15% rise in net profits for the year. However, it also plans "
    "to cut 200 jobs in Sweden, where sales have been hit by demand for cheap, imported brands.",
    title="Brewers' profits lose their fizz",
)


def test_a_sentence_is_shown_without_a_connective_that_links_it_to_one_not_shown() -> None:
    d = _alone(BREWERS)
    shown = [s.text for s in (*d.overview, *d.why_it_matters, *d.tldr)]

    assert (
        "Total sales increased 4% to 36bn kroner, thanks to strong sales of Carlsberg lager in Russia "
        "and Poland." in shown
    ), shown
    assert not [s for s in shown if s.startswith(("Nevertheless", "However"))]
    # "However, it also plans …": without "However" it still leans on the sentence before
    assert not [s for s in d.tldr if "200 jobs" in s.text]


def test_sections_that_cannot_be_had_leave_their_room_to_the_overview() -> None:
    # one sentence of the report states an effect on someone: the second of "why it matters"
    # goes to the overview, which is read in order and says the rest
    d = _alone(BROWSER_BUG)

    assert len(d.why_it_matters) == 1 and len(d.tldr) == 4
    assert len(d.overview) == 4, [s.text for s in d.overview]


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


# -- the top of the brief --------------------------------------------------------------------------

# Real reports (BBC News Summary dev: sport_023, tech_235), their first paragraphs.
HEARING = make_article(
    "https://bbc.example/sport/greek-pair-hearing",
    "Greek sprinters Kostas Kenteris and Katerina Thanou have appeared before an independent tribunal "
    "which will decide if their bans should stand.\n"
    "They were given provisional suspensions by athletics' ruling body the IAAF in December for failing "
    "to take drugs tests before the Athens Olympics. The pair arrived with former coach Christos Tzekos "
    "to give evidence at the Hellenic Olympic Committee's offices. A decision is expected to be "
    "announced before the end of February. Whatever the ruling, all parties will have the right to "
    "appeal to the Court of Arbitration for Sport. Yiannis Papadoyiannakis, who was head of the Greek "
    "Olympic team at the Athens Games last year, also testified at the tribunal, along with other Greek "
    "sports officials and athletes.",
    title="Greek pair attend drugs hearing",
)
GIFTS = make_article(
    "https://bbc.example/tech/gift-shopping",
    "Cyberspace is becoming a very popular destination for Christmas shoppers.\n"
    "Forecasts predict that British people will spend £4bn buying gifts online during the festive "
    "season, an increase of 64% on 2003. Surveys also show that the average amount that people are "
    "spending is rising, as is the range of goods that they are happy to buy online. Savvy shoppers are "
    "also using the net to find the hot presents that are all but sold out in High Street stores.\n"
    "Almost half of the UK population now shop online according to figures collected by the Interactive "
    "Media in Retail Group which represents web retailers. About 85% of this group, 18m people, expect "
    "to do a lot of their Christmas gift buying online this year, reports the industry group.",
    title="Internet boom for gift shopping",
)


def _digest(article: Article) -> ThreadDigest:
    thread = Thread(article.id, article.title, "emergent", (article.id,))
    return digest_thread(thread, [article], {article.id: extract_facts(article)})


def test_a_top_line_states_the_development_its_headline_names() -> None:
    top, _ = top_of_brief([_digest(GIFTS)])

    # the report's first sentence is scene-setting; the headline's "gift shopping" boom is the next
    assert [t.sentence.text[:30] for t in top] == ["Forecasts predict that British"]


def test_the_overview_does_not_open_on_the_sentence_that_moved_to_the_top() -> None:
    top, digests = top_of_brief([_digest(HEARING)])

    assert top[0].sentence.text.startswith("Greek sprinters Kostas Kenteris and Katerina Thanou")
    overview = [s.text for s in digests[0].overview]
    assert overview and not overview[0].startswith("They "), overview


# -- a key figure once per brief ----------------------------------------------------------------


def _with_figures(thread_id: str, *figures: tuple[str, str, str]) -> ThreadDigest:
    headline = Sentence(f"News of {thread_id}", thread_id)
    return ThreadDigest(
        thread_id=thread_id,
        title=thread_id,
        kind="configured",
        headline=headline,
        overview=(headline,),
        why_it_matters=(),
        tldr=(),
        sources=(
            SourceRef(1, thread_id, headline.text, "Harbour News", "https://h.example/1", utc(2026, 4, 8)),
        ),
        new_articles=1,
        reading_minutes=1,
        figures=tuple(KeyFigure(v, label, Sentence(s, thread_id), 1) for v, label, s in figures),
    )


def test_a_key_figure_a_thread_above_shows_is_not_shown_again_but_another_of_the_same_amount_is() -> None:
    meta = _with_figures(
        "meta",
        (
            "$115 billion to $135 billion",
            "capital expenditure",
            "Meta guided capex to $115 billion to $135 billion.",
        ),
        ("6%", "shares in Meta", "Shares in Meta fell 6%."),
    )
    lecun = _with_figures(
        "lecun",
        ("$115 billion to $135 billion", "spending", "Meta plans to spend $115 billion to $135 billion."),
        ("6%", "researchers who left", "About 6% of researchers left."),
    )
    (_, shown), _ = each_once((), (meta, lecun), ())

    # the same sum of money is the same fact, whatever its label; another 6% is another figure
    assert [(f.value, f.label) for f in shown.figures] == [("6%", "researchers who left")]


def test_a_sentence_shown_without_its_connectives_is_still_the_same_sentence_for_repeats() -> None:
    # "And yet the company …" is shown as "Yet the company …": both compare as one sentence
    for text in ("And yet the company said it would appeal.", "And yet, the company said it would appeal."):
        assert sentence_key(without_connective(text)) == sentence_key(text)
    # an adverb of what follows is no connective: the sentence would say something else
    for text in ("So many people applied that the website crashed.", "Yet another delay hit the project."):
        assert without_connective(text) == text

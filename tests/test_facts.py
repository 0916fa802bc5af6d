"""Fact extraction: figures, dated events, people and organisations, quotes.

Unit tests use short original sentences with invented names (the extractor has no list of
names, so it must work on ones it has never seen). The gold tests score the extractor on the
hand-annotated demo articles (tests/data/demo_gold.json) and hold it to thresholds set just
below what it achieves.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from types import FrameType

import pytest
from conftest import make_article, utc

from benchmarks.fact_scoring import names_match, roles_match, score_facts
from pipeline.demo import BASE_PLACEHOLDER, CORPUS, load_corpus
from pipeline.ingest.extract import extract_article
from pipeline.models import Article, FeedEntry, Page
from pipeline.understand.facts import (
    ArticleFacts,
    Event,
    Figure,
    Mention,
    extract_facts,
    in_lower_case,
)
from pipeline.understand.fields import digest_fields

GOLD = json.loads((Path(__file__).parent / "data" / "demo_gold.json").read_text(encoding="utf-8"))
FRIDAY = utc(2026, 4, 10, 9)  # the anchor of most unit tests: Friday 10 April 2026


def facts_of(text: str, published: datetime | None = FRIDAY) -> ArticleFacts:
    return extract_facts(make_article("https://news.example/story", text, published=published))


def figure(text: str, value: str) -> Figure:
    found = [f for f in facts_of(text).figures if f.value == value]
    assert found, f"no figure {value!r} in {[f.value for f in facts_of(text).figures]}"
    return found[0]


def events_of(text: str, published: datetime | None = FRIDAY) -> list[Event]:
    return list(facts_of(text, published).events)


def dated(text: str, published: datetime | None = FRIDAY) -> list[tuple[date, str]]:
    return [(e.date, e.precision) for e in events_of(text, published)]


def mention(text: str, name: str) -> Mention:
    found = [m for m in facts_of(text).mentions if m.name == name]
    assert found, f"no mention {name!r} in {[(m.name, m.kind) for m in facts_of(text).mentions]}"
    return found[0]


def names(text: str, kind: str) -> set[str]:
    return {m.name for m in facts_of(text).mentions if m.kind == kind}


def quotes_of(text: str) -> list[tuple[str, str]]:
    return [(q.speaker, q.text) for q in facts_of(text).quotes]


# ---------------------------------------------------------------------------------------------
# Figures


def test_money_in_billions_is_normalised() -> None:
    f = figure("Zentrix paid $14.3 billion for the unit.", "$14.3 billion")
    assert (f.kind, f.amount, f.unit) == ("money", 14.3e9, "USD")


@pytest.mark.parametrize(
    ("text", "value", "amount", "unit"),
    [
        ("Regulators fined Sornic €870 million.", "€870 million", 870e6, "EUR"),
        ("The club sold the striker for £5m.", "£5m", 5e6, "GBP"),
        ("The board raised the dividend to 9.4 pence a share.", "9.4 pence", 0.094, "GBP"),
        (
            "Brixel reported revenue of 14.2 billion Norwegian kroner.",
            "14.2 billion Norwegian kroner",
            14.2e9,
            "NOK",
        ),
    ],
)
def test_money_in_other_currencies(text: str, value: str, amount: float, unit: str) -> None:
    f = figure(text, value)
    assert f.kind == "money" and f.unit == unit
    assert f.amount == pytest.approx(amount)


def test_a_range_is_one_figure_and_its_first_end_takes_the_scale_of_the_second() -> None:
    facts = facts_of("Vantor expects capital expenditure of $115 to $135 billion next year.")
    money = [(f.value, f.amount, f.high, f.label) for f in facts.figures if f.kind == "money"]
    assert money == [("$115 to $135 billion", 115e9, 135e9, "capital expenditure")]


def test_percent() -> None:
    f = figure("Kelvara shares fell 6.5% in Oslo.", "6.5%")
    assert (f.kind, f.amount, f.unit, f.label) == ("percent", 6.5, "%", "Kelvara shares")


@pytest.mark.parametrize(
    ("text", "value", "label"),
    [
        ("Orla claims 10x less training compute than its rival.", "10x", "less training compute"),
        # a comparative with no noun after it is no noun phrase: no label rather than "faster"
        ("The Quill engine runs ten times faster on old laptops.", "ten times", ""),
    ],
)
def test_multiples(text: str, value: str, label: str) -> None:
    f = figure(text, value)
    assert (f.kind, f.amount, f.unit) == ("multiple", 10.0, "x")
    assert f.label == label


def test_counts_take_the_counted_noun_as_unit() -> None:
    f = figure("The Lumen model reads a context window of 262,000 tokens.", "262,000")
    assert (f.kind, f.amount, f.unit, f.label) == ("count", 262000.0, "tokens", "context window of tokens")
    g = figure("Across its apps, Tessaro counts more than 3.9 billion daily users.", "3.9 billion")
    assert (g.kind, g.amount, g.unit, g.label) == ("count", 3.9e9, "users", "daily users")


def test_scores_and_results() -> None:
    f = figure("The index placed the Orla model at 52 on its Helix Index.", "52")
    assert (f.kind, f.amount, f.label) == ("score", 52.0, "Helix Index score")
    g = figure("Dunmore Rovers beat Castleford 3–1 on Saturday.", "3–1")
    assert (g.kind, g.unit) == ("score", "result")


def test_years_dates_durations_ages_versions_and_measurements_are_not_figures() -> None:
    text = (
        "In 2025 the 28-year-old founder of Brixel shipped Orla 4 on April 8 after 12 years of work. "
        "The phone is 9.1 millimetres thick, charges at 67 watts and finished 3rd in two tests."
    )
    assert facts_of(text).figures == ()


@pytest.mark.parametrize(
    ("text", "value", "label"),
    [
        ("Marrowind raised money at a valuation of $3.5 billion.", "$3.5 billion", "valuation"),
        ("Tessaro agreed to invest $2 billion in Nimbrel Labs.", "$2 billion", "investment in Nimbrel Labs"),
        ("Tessaro bought a 49% stake in Nimbrel Labs last year.", "49%", "stake in Nimbrel Labs"),
        ("The Orla model posted 86.4% on TarnBench Hard.", "86.4%", "TarnBench Hard score"),
        ("Over 1,200 readers took part in a poll of 1,200 readers.", "1,200", "readers took part"),
    ],
)
def test_labels_come_from_the_words_around_the_figure(text: str, value: str, label: str) -> None:
    f = figure(text, value)
    assert f.label == label or (value == "1,200" and f.label.startswith("readers"))
    assert 1 <= len(f.label.split()) <= 6


def test_a_figure_told_twice_is_one_key_indicator_with_the_label_of_the_clearer_sentence() -> None:
    article = make_article(
        "https://news.example/story",
        "Brixel now has $40 million, it said. Investors liked the $40 million round.",
    )
    fields = digest_fields([article], {article.id: extract_facts(article)}, [], shown=())
    assert [(f.value, f.label) for f in fields.figures] == [("$40 million", "round")]


# ---------------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    ("text", "when", "precision"),
    [
        ("Vantor launched the Q7 on April 8, 2026.", date(2026, 4, 8), "day"),
        ("Vantor launched the Q7 on 8 April 2025.", date(2025, 4, 8), "day"),
        ("Vantor launched the Q7 on April 8.", date(2026, 4, 8), "day"),
        ("Vantor launched the Q7 on Wednesday, April 8.", date(2026, 4, 8), "day"),
        ("Vantor launched the Q7 in November 2025.", date(2025, 11, 1), "month"),
        ("Vantor launched the Q7 in 2013.", date(2013, 1, 1), "year"),
        ("Vantor launched the Q7 in mid-2024.", date(2024, 1, 1), "year"),
        ("Vantor launched the Q7 in the summer of 2023.", date(2023, 1, 1), "year"),
        ("Vantor launched the Q7 yesterday.", date(2026, 4, 9), "day"),
        ("Vantor launched the Q7 last week.", date(2026, 4, 3), "week"),
        ("Vantor launched the Q7 last month.", date(2026, 3, 1), "month"),
        ("Vantor launched the Q7 late last year.", date(2025, 1, 1), "year"),
        ("Vantor launched the Q7 this year.", date(2026, 1, 1), "year"),
        ("Vantor launched the Q7 last summer.", date(2025, 1, 1), "year"),
        ("Vantor launched the Q7 on Apr 8.", date(2026, 4, 8), "day"),
        # a timeline's date glued to its item; a day well past the article is last year's
        ("Dec 3Vantor Launches The Q7", date(2025, 12, 3), "day"),
        ("Vantor will launch the Q8 on December 3.", date(2026, 12, 3), "day"),
        ("The March exit of its design chief left Vantor without a studio head.", date(2026, 3, 1), "month"),
        ("The Q9 is due to arrive in summer 2026.", date(2026, 1, 1), "year"),
    ],
)
def test_absolute_and_relative_dates(text: str, when: date, precision: str) -> None:
    assert dated(text) == [(when, precision)]


def test_a_bare_month_is_the_most_recent_one_not_after_the_article() -> None:
    assert dated("Vantor launched the Q7 in March.") == [(date(2026, 3, 1), "month")]
    assert dated("Vantor launched the Q7 in April.") == [(date(2026, 4, 1), "month")]
    assert dated("Vantor launched the Q7 in June.") == [(date(2025, 6, 1), "month")]
    # "last June" in June is a year ago; "in June" is this one
    june = utc(2026, 6, 20)
    assert dated("Vantor launched the Q7 last June.", june) == [(date(2025, 6, 1), "month")]
    assert dated("Vantor launched the Q7 in June.", june) == [(date(2026, 6, 1), "month")]


def test_weekdays_are_the_most_recent_on_or_before_the_article() -> None:
    assert dated("Vantor launched the Q7 on Wednesday.") == [(date(2026, 4, 8), "day")]
    assert dated("Vantor launched the Q7 on Friday.") == [(date(2026, 4, 10), "day")]  # the article's day
    assert dated("Vantor launched the Q7 on Saturday.") == [(date(2026, 4, 4), "day")]


def test_a_clause_about_the_future_looks_forward() -> None:
    assert dated("Vantor will launch the Q7 on Monday.") == [(date(2026, 4, 13), "day")]
    assert dated("Pathwise buses will begin carrying passengers in September, the launch plan says.") == [
        (date(2026, 9, 1), "month")
    ]


def test_without_an_article_date_only_dates_with_a_year_resolve() -> None:
    text = "Vantor launched the Q7 on Wednesday. It released the Q8 in June 2025. It shipped the Q9 in March."
    assert dated(text, published=None) == [(date(2025, 6, 1), "month")]


def test_words_that_look_like_dates_but_are_not() -> None:
    assert dated("Vantor released last year’s model again, and the 2018 Turing Award winner joined.") == []
    assert dated("Vantor joined the March for Science and lobbied the May government.") == []
    assert dated("Vantor may release more phones.") == []


def test_two_years_in_one_phrase_are_two_events() -> None:
    assert dated("Researchers at Vantor published papers in 2023 and 2024.") == [
        (date(2023, 1, 1), "year"),
        (date(2024, 1, 1), "year"),
    ]


# ---------------------------------------------------------------------------------------------
# Event kinds


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("The regulator fined Sornic €20 million on Tuesday.", "legal"),
        ("Sornic said on Tuesday it would appeal the ruling in court.", "legal"),
        ("A study published on Monday compared the two chips.", "research"),
        ("Leaked documents revealed on Monday that Sornic paid the carmakers.", "revelation"),
        ("Vantor unveiled the Q7 handset on Tuesday.", "product launch"),
        ("Brixel raised $40 million from investors on Tuesday.", "financial"),
        ("Mara Quill joined Vantor as chief executive in March.", "organizational"),
        ("Vantor cut 300 jobs in its devices unit on Monday.", "organizational"),
        ("On Tuesday the board decided to shift the company’s strategy toward cars.", "strategy"),
        # a date that opens the sentence belongs to the clause it introduces
        ("In March 2025, Vantor released the Q6, which reviewers tested in a benchmark.", "product launch"),
        ("Axios reported on April 6, 2026, that Vantor plans to sell its chip unit.", "revelation"),
    ],
)
def test_event_kinds(text: str, kind: str) -> None:
    assert [e.kind for e in events_of(text)] == [kind]


def test_a_clause_that_tells_a_happening_of_its_own_is_an_event_of_its_own_titled_by_it() -> None:
    # the main clause's launch, and the relative clause's round: each entry one event, each
    # with its own date, kind and title
    events = events_of("Brixel, which raised $40 million in 2024, launched its first app on Tuesday.")
    assert [(e.date, e.kind, e.title) for e in events] == [
        (date(2026, 4, 7), "product launch", "Brixel launched its first app"),
        (date(2024, 1, 1), "financial", "Brixel raised $40 million"),
    ]


def test_a_dated_sentence_no_rule_is_sure_of_is_an_event_of_the_neutral_kind() -> None:
    (event,) = events_of("Aarewald beat Lakeport on Thursday night in front of a full stadium.")
    assert (event.date, event.kind) == (date(2026, 4, 9), "event")
    assert event.title == "Aarewald beat Lakeport in front of a full stadium"


def test_event_text_is_the_sentence() -> None:
    text = "Vantor is a phone maker. It unveiled the Q7 on Tuesday in Lisbon."
    (event,) = events_of(text)
    assert event.text == "It unveiled the Q7 on Tuesday in Lisbon."


# ---------------------------------------------------------------------------------------------
# People and organisations


@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        (
            "“The numbers are better than we feared,” said Talia Voskuijlen, an analyst at Marrow & Pike.",
            "Talia Voskuijlen",
            "an analyst at Marrow & Pike",
        ),
        (
            "Chief technology officer Oren Blaskowitz said the chip was late.",
            "Oren Blaskowitz",
            "Chief technology officer",
        ),
        (
            "Ines Okonkwo-Hale, head of research at Dunmore Capital, said demand was weak.",
            "Ines Okonkwo-Hale",
            "head of research at Dunmore Capital",
        ),
        (
            "A Kelvara spokesperson, Dario Fenwick, said the plant would reopen.",
            "Dario Fenwick",
            "Kelvara spokesperson",
        ),
        (
            "Priya Anandakrishnan, who leads the Solace robotics team, said the arm was ready.",
            "Priya Anandakrishnan",
            "who leads the Solace robotics team",
        ),
        (
            "Zentrix hired Mallory Quince as chief financial officer last month.",
            "Mallory Quince",
            "chief financial officer",
        ),
        (
            "Sornic said chief executive Anouk Verbraeken would stay, and Verbraeken said she was pleased.",
            "Anouk Verbraeken",
            "chief executive",
        ),
    ],
)
def test_people_and_their_roles(text: str, name: str, role: str) -> None:
    m = mention(text, name)
    assert (m.kind, m.role) == ("person", role)
    assert m.role in m.sentence


# Roles on real news (ECB+ and BBC dev documents): each was missing, broken, or lost its tense
# before issue 16's roles work. A role is a noun phrase of the text, or none.
@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        (  # BBC business_442: was no role
            "Factory Workers Union secretary general Billy Macaefa blamed the closures on the end of "
            "worldwide textile quotas.",
            "Billy Macaefa",
            "Factory Workers Union secretary general",
        ),
        (  # BBC politics_417: was no role ("co-chairman")
            'Responding to the claims Tory Party co-chairman Liam Fox said: "Like Labour, the Lib Dems are '
            "soft on crime, support higher taxes, oppose controlled immigration and support giving Europe "
            'more control over our lives."',
            "Liam Fox",
            "Tory Party co-chairman",
        ),
        (  # ECB+ 7_1ecbplus: was no role
            'After the fight, Klitschko led the crowd of 22, 000 in signing "Happy Birthday" to trainer '
            "Emanuel Steward, who turned 68 on Saturday.",
            "Emanuel Steward",
            "trainer",
        ),
        (  # ECB+ 7_2ecbplus: a copular relative clause
            "Tony Thompson lost to Wladimir Klitschko. Thompson, who was the mandatory challenger "
            "nominated by the IBF, fell to 36 - 3 (24 KO).",
            "Tony Thompson",
            "the mandatory challenger nominated by the IBF",
        ),
        (  # BBC sport_216: was the person "Journalist Guillem Balague"
            'Journalist Guillem Balague writes: "In our country, where multi-culturalism is a new thing, we '
            'are in nappies dealing with these things."',
            "Guillem Balague",
            "Journalist",
        ),
        (  # BBC business_301: was "president" (the tense lost)
            "The US ban on trade and economic activity with Tripoli - imposed by then president Ronald Regan "
            "in 1986 after a series of what the US deemed terrorist acts, including the 1988 Lockerbie air "
            "crash - was suspended in April.",
            "Ronald Regan",
            "then president",
        ),
        (  # BBC politics_062: was "Labour MP"
            "In Bethnal Green, former Labour MP George Galloway, who founded the anti-war party Respect, is "
            "standing against sitting MP Oona King, who had a 10,000-vote majority in 2001.",
            "George Galloway",
            "former Labour MP",
        ),
        (  # BBC politics_324: was "Minister"
            "The book, being serialised in the Guardian newspaper, says on 13 March Lord Goldsmith met then "
            "Home Office Minister Lord Falconer and Downing Street adviser Baroness Morgan.",
            "Lord Falconer",
            "then Home Office Minister",
        ),
        (  # BBC politics_417: was "Minister" (debris: "although Prime Minister" before)
            "All the parties are campaigning hard for an expected election in May, although Prime Minister "
            "Tony Blair has not confirmed any timing.",
            "Tony Blair",
            "Prime Minister",
        ),
        (  # ECB+ 5_6ecbplus: was "- assistant coach"
            "The NCAA report says O'Brien allegedly gave Radojevic the money through then - assistant "
            "coach Paul Biancardi.",
            "Paul Biancardi",
            "then - assistant coach",
        ),
        (  # BBC politics_318: was "meet Labour party chairman" (a verb ends the role)
            "An Operation Black Vote spokesman said they now wanted to meet Labour party chairman Ian "
            "McCartney for discussions.",
            "Ian McCartney",
            "Labour party chairman",
        ),
        (  # BBC tech_337: was "replace chief executive"
            "Crucial to its survival was the decision to replace chief executive Tim Koogle with Terry Semel "
            "in May 2001, thinks Mr Weiner.",
            "Tim Koogle",
            "chief executive",
        ),
        (  # BBC business_441: was not a person (the affiliation read as the next name of a list)
            "Paul Dales, UK economist for Capital Economics, said the figures represented an improvement "
            "on recent months.",
            "Paul Dales",
            "UK economist for Capital Economics",
        ),
        (  # ECB+ 5_6ecbplus: was no role ("X's ROLE, NAME")
            '"We deny that we engaged in any improper conduct under NCAA bylaws and legislation, "said '
            "Biancardi's attorney, James Zeszutek.",
            "James Zeszutek",
            "Biancardi's attorney",
        ),
    ],
)
def test_real_news_roles_are_noun_phrases_of_the_text(text: str, name: str, role: str) -> None:
    found = mention(text, name)
    assert (found.kind, found.role) == ("person", role)
    assert role in found.sentence


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (  # BBC politics_190: was "fellow" (kinship and nationality are no roles)
            'Mr Howard\'s fellow Welshman Ray Reardon - known by his fellow professionals as "Dracula" - won '
            "the snooker world championship six times, having left school at 14 to work as a miner.",
            "Ray Reardon",
        ),
        (  # ECB+ 23_3ecbplus
            "On Saturday, 32 - year - old Englishman Robert Buckley, originally from Essex, but living in "
            "Christchurch, fell about 2, 000ft while climbing to a small hut on Mount Sefton with three "
            "companions.",
            "Robert Buckley",
        ),
    ],
)
def test_real_news_nationality_and_kinship_are_no_roles(text: str, name: str) -> None:
    assert (mention(text, name).kind, mention(text, name).role) == ("person", "")


def test_a_role_told_by_who_and_an_office_verb_keeps_its_pronoun() -> None:
    # BBC business_337: was "Bernie Banton, leads a victims' association." (no pronoun, a full stop)
    text = (
        '"This is a momentous day in the fight for victims and their families," said asbestosis sufferer '
        "Bernie Banton, who leads a victims' association."
    )
    assert mention(text, "Bernie Banton").role == "who leads a victims' association"


def test_a_title_that_opens_its_sentence_reads_in_lower_case_in_the_panel() -> None:
    # BBC business_307: was "Bill Gammell, Chief executive"
    text = (
        'Chief executive Bill Gammell said on Friday he was "disappointed" with exploration in the '
        "so-called N-C extension area in Rajasthan."
    )
    assert mention(text, "Bill Gammell").role == "Chief executive"  # the fact quotes the text ...
    article = make_article("https://x.example/a", text)
    panel = digest_fields([article], {article.id: extract_facts(article)}, (), ())  # ... the panel reads it
    assert [(i.name, i.role) for i in panel.people] == [("Bill Gammell", "chief executive")]
    assert in_lower_case("Chief Executive Officer") == "Chief Executive Officer"  # a title written so


def test_a_bare_title_after_its_or_his_says_no_role() -> None:
    # the demo's "Joelle Pineau, leader" (the issue names it): whose leader, the role does not say;
    # no real-news dev document has this shape, so the demo's sentence stands for it
    text = (
        "The lab was folded under the new structure, its leader Joelle Pineau had already left for "
        "Cohere, and LeCun found himself reporting to a 28-year-old executive."
    )
    assert (mention(text, "Joelle Pineau").kind, mention(text, "Joelle Pineau").role) == ("person", "")
    assert mention("Its chief executive, Tim Cook, spoke.", "Tim Cook").role == "chief executive"


def test_a_role_ends_before_the_verb_of_its_sentence() -> None:
    # ECB+ 43_4ecbplus: was "chief executive of Sea Micro has", and Sea Micro a person
    text = (
        "Andrew Feldman, chief executive of Sea Micro has said in past interviews that SeaMicro had become "
        "the fastest - growing system company in Silicon Valley history."
    )
    assert mention(text, "Andrew Feldman").role == "chief executive of Sea Micro"
    assert "Sea Micro" not in names(text, "person")
    # the demo's "who led FAIR’s research efforts and has": a second verb ends the role too
    pineau = "Joelle Pineau, who led FAIR’s research efforts and has since joined Canadian AI startup Cohere."
    assert mention(pineau, "Joelle Pineau").role == "who led FAIR’s research efforts"
    assert (mention(pineau, "Cohere").kind, mention(pineau, "Cohere").role) == ("org", "Canadian AI startup")


def test_an_adjective_before_a_name_is_not_part_of_it() -> None:
    # BBC business_431: was "Trouble-hit Mitsubishi Motors"
    text = (
        "Trouble-hit Mitsubishi Motors is in talks with French carmaker PSA Peugeot Citroen about a possible "
        "alliance."
    )
    assert "Mitsubishi Motors" in names(text, "org")
    assert not any(n.startswith("Trouble") for n in names(text, "org") | names(text, "person"))


def test_a_valley_is_a_place_whatever_its_first_word() -> None:
    # the seeds' "companies in Silicon Valley" listed Silicon Valley as an organisation
    text = "Scaling up LLMs at companies in Silicon Valley will not get there, analyst Jane Holm said."
    assert "Silicon Valley" not in names(text, "org") | names(text, "person")
    assert "Jane Holm" in names(text, "person")  # the sentence's names are still read


def test_an_alliance_that_speaks_is_an_organisation_not_a_person() -> None:
    # BBC politics_137: was listed among the people
    text = (
        'The Countryside Alliance said the meets would show the new law was "impossibly difficult to '
        'determine" and open to different interpretations.'
    )
    assert mention(text, "Countryside Alliance").kind == "org"


def test_an_organisations_kind_alone_is_no_description_of_it() -> None:
    # the demo's "FAIR, lab": "the FAIR lab" says only what FAIR is called
    text = "Researchers left the FAIR lab in 2025. FAIR had produced PyTorch, FAIR said."
    assert mention(text, "FAIR").role == ""
    assert mention("The Dutch chipmaker Veltrion said it would appeal.", "Veltrion").role == "Dutch chipmaker"


def test_a_person_without_a_role_given() -> None:
    m = mention("“We were lucky,” Tomasz Brzeczek said after the final.", "Tomasz Brzeczek")
    assert (m.kind, m.role) == ("person", "")


def test_a_name_the_next_sentence_calls_he_or_she_is_a_person() -> None:
    opening = "Ada Moen, one of the field’s early pioneers, left Vantor in 2025 to start a lab."
    assert mention(opening + " Her departure surprised investors.", "Ada Moen").kind == "person"
    # without the pronoun nothing says what Ada Moen is; what only a person has says it too
    assert "Ada Moen" not in names(opening + " The move surprised investors.", "person")
    assert "Ada Moen" in names(opening + " Moen’s vision and Moen’s stature made news.", "person")


def test_companies_like_and_reports_from_name_organisations() -> None:
    text = (
        "Reports from Harwick Post said the deal was close. "
        "While companies like Ostrava Systems and Kesteven pour billions into chips, Vantor waits."
    )
    assert {"Harwick Post", "Ostrava Systems", "Kesteven"} <= names(text, "org")


def test_a_title_case_heading_gives_no_cues() -> None:
    # "Research" would make an organisation of the heading's words
    assert names("The Open Research Promise\nVantor said on Monday it would publish less.", "org") == set()


def test_a_role_ends_where_its_clause_does() -> None:
    text = "In May, Ivo Brandt, newly appointed chief executive after Vantor bought the startup, spoke."
    assert (mention(text, "Ivo Brandt").kind, mention(text, "Ivo Brandt").role) == (
        "person",
        "newly appointed chief executive",
    )


def test_a_surname_is_merged_with_the_full_name() -> None:
    text = (
        "Odile Marchetti, the founder of Brixel, left the company in March. "
        "Marchetti said she wanted to build robots. Later, Marchetti joined Vantor."
    )
    people = [m for m in facts_of(text).mentions if m.kind == "person"]
    assert [(m.name, m.role) for m in people] == [("Odile Marchetti", "the founder of Brixel")]


@pytest.mark.parametrize(
    ("text", "org", "role"),
    [
        ("Shares in Harrowgate Partners rose after the deal.", "Harrowgate Partners", ""),
        ("Demand is falling, according to the consultancy Quillmore.", "Quillmore", "consultancy"),
        ("Brixel, the Oslo-based startup, raised money.", "Brixel", "Oslo-based startup"),
        ("Mara Quill joined Kelvara last year after a decade at Sornic.", "Kelvara", ""),
        ("Tessaro’s Orla phone sold well in Lisbon.", "Tessaro", ""),
        ("Engineers from Dravik, Nimbrel and Ostrava joined the project.", "Ostrava", ""),
    ],
)
def test_organisations(text: str, org: str, role: str) -> None:
    m = mention(text, org)
    assert (m.kind, m.role) == ("org", role)


def test_not_organisations_adjectives_products_and_places() -> None:
    text = (
        "The Belgian chipmaker Sornic released the Q7 Orbit phone and the Lumen app in Lisbon. "
        "Lisbon residents queued for the Lumen app."
    )
    orgs = names(text, "org")
    assert "Sornic" in orgs
    assert not orgs & {"Belgian", "Q7 Orbit", "Lumen", "Lisbon"}
    assert names(text, "person") == set()


def test_a_short_form_of_an_organisation_is_merged() -> None:
    text = "Veltravia Semiconductors lost a case. Veltravia said it would appeal. Veltravia shares fell."
    orgs = [m.name for m in facts_of(text).mentions if m.kind == "org"]
    assert orgs == ["Veltravia Semiconductors"]


def test_an_acronym_is_merged_with_its_expansion() -> None:
    text = "The Northern Robotics Lab (NRL) was founded in 2019. NRL researchers said the arm works."
    orgs = [m.name for m in facts_of(text).mentions if m.kind == "org"]
    assert orgs == ["Northern Robotics Lab"]


# ---------------------------------------------------------------------------------------------
# Quotes


@pytest.mark.parametrize(
    ("text", "speaker", "quote"),
    [
        ("“The chip is two years late,” said Hedda Sørlie.", "Hedda Sørlie", "The chip is two years late"),
        ("“The chip is two years late,” Hedda Sørlie said.", "Hedda Sørlie", "The chip is two years late"),
        ("Hedda Sørlie said: “The chip is two years late.”", "Hedda Sørlie", "The chip is two years late."),
        (
            "“The chip is two years late,” said Hedda Sørlie, an analyst at Ternwick.",
            "Hedda Sørlie",
            "The chip is two years late",
        ),
        (
            "According to Hedda Sørlie, “the chip is two years late.”",
            "Hedda Sørlie",
            "the chip is two years late.",
        ),
        (
            "“The chip is two years late,” said Sornic spokesperson Ruben Claessens.",
            "Ruben Claessens",
            "The chip is two years late",
        ),
        ('"The chip is two years late," said Hedda Sorlie.', "Hedda Sorlie", "The chip is two years late"),
        (
            "“The chip is two years late,” Hedda Sørlie declared.",
            "Hedda Sørlie",
            "The chip is two years late",
        ),
        (
            "“The chip is two years late,” Hedda Sørlie famously tweeted.",
            "Hedda Sørlie",
            "The chip is two years late",
        ),
    ],
)
def test_quote_attributions(text: str, speaker: str, quote: str) -> None:
    assert quotes_of(text) == [(speaker, quote)]


def test_a_pronoun_speaker_is_the_last_person_named_in_the_sentence_before() -> None:
    text = (
        "Sornic hired Hedda Sørlie in March. “We will ship the chip before the summer,” she said on Tuesday."
    )
    assert quotes_of(text) == [("Hedda Sørlie", "We will ship the chip before the summer")]


def test_a_surname_speaker_is_the_full_name() -> None:
    text = "Hedda Sørlie runs the plant. “We will ship the chip before the summer,” Sørlie said."
    assert quotes_of(text) == [("Hedda Sørlie", "We will ship the chip before the summer")]


def test_a_quote_that_follows_an_attributed_quote_has_the_same_speaker() -> None:
    text = "“The chip is late,” said Hedda Sørlie, an analyst. “Nobody should be surprised by that.”"
    assert quotes_of(text) == [
        ("Hedda Sørlie", "The chip is late"),
        ("Hedda Sørlie", "Nobody should be surprised by that."),
    ]


def test_no_quote_without_quote_marks_a_speaker_or_four_words() -> None:
    assert quotes_of("Hedda Sørlie said the chip is two years late.") == []
    assert quotes_of("“The chip is two years late,” the report said.") == []
    assert quotes_of("Hedda Sørlie called the chip a “dead end” for the firm.") == []
    assert quotes_of("“The chip is two years late.”") == []


def test_a_quote_of_several_sentences_cites_all_of_them() -> None:
    text = "“The chip is late. We told the board in March,” said Hedda Sørlie. Nobody answered."
    (quote,) = facts_of(text).quotes
    assert quote.text == "The chip is late. We told the board in March"
    assert quote.sentence == "“The chip is late. We told the board in March,” said Hedda Sørlie."


# Attributions on real news (ECB+ and BBC dev documents), each of which the facts stage missed or
# credited to someone else before issue 16's voices work.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # BBC business_098: an apposition between the name and "told"; the next quoted sentence
            '"The eurozone does not look like it has a self-sustaining recovery," James Carrick, an '
            'economist with ABN Amro, told the newspaper. "It is too dependant on the rest of the world."',
            [("James Carrick", "The eurozone"), ("James Carrick", "It is too dependant")],
        ),
        (  # BBC politics_179: an unnamed speaker, as the text calls him
            "A spokesman said: \"Basically, it's not going to be police officers chasing about in cars "
            'across fields, it will be based on intelligence and information received as well."',
            [("spokesman", "Basically")],
        ),
        (  # ECB+ 23_3ecbplus (its spacing: the closing mark before "police")
            '"They had hired some climbing equipment early that day and had managed to get within 80 meters '
            'of the bivvy, "police said.',
            [("police", "They had hired")],
        ),
        (  # BBC politics_179: "told BBC News:"; a quotation that goes on after a new opening mark
            "Mike Hobday, of the League Against Cruel Sports, told BBC News: \"We've long urged them to go "
            'drag hunting - to follow an artificial scent - and that is what we hope they do. "But if they '
            "continue to chase foxes, to chase wild mammals around the countryside, that's against the law "
            "and we're confident they'll be brought to justice.\"",
            [("Mike Hobday", "We've long urged"), ("Mike Hobday", "But if they continue")],
        ),
        (  # BBC business_434: was "Ifzal Ali. Donor" (a full stop ends a name)
            '"Poverty is potentially the most important impact of this natural disaster," said ADB chief '
            "economist Ifzal Ali. Donor nations have promised to give $717m (£379m) in disaster relief over "
            "the next six months, according to the United Nations.",
            [("Ifzal Ali", "Poverty is potentially")],
        ),
        (  # BBC politics_417: was "Harrogate Mr Kennedy"
            'Speaking in Harrogate Mr Kennedy said: "People want a credible, principled political party '
            'which offers a different vision of what Britain can be."',
            [("Kennedy", "People want")],
        ),
        (  # BBC politics_190: was "Cambridge University." ("He said:" is the subject before)
            "Conservative leader Michael Howard has admitted he used to play truant to spend time with his "
            "school friends at a snooker hall.\nMr Howard eventually left Llanelli Grammar School - and the "
            "snooker hall - to go to Cambridge University. He said: \"I don't think it's done me any "
            'lasting damage. Nor has it made me a snooker world champion."',
            [("Michael Howard", "I don't think")],
        ),
        (  # ECB+ 5_6ecbplus: was "Paul Biancardi", the client of the attorney who spoke
            '"We deny that we engaged in any improper conduct under NCAA bylaws and legislation, "said '
            "Biancardi's attorney, James Zeszutek.",
            [("James Zeszutek", "We deny")],
        ),
        (  # BBC sport_043: was "Collins", the man the quotation is about
            '"We\'ve searched long and hard to ensure we have found the right person," said UKA chief '
            'executive David Moorcroft. "We have thoroughly tested the candidates. I believe David will make '
            'a great leader and I have great faith in what he will achieve."',
            [("David Moorcroft", "We've searched"), ("David Moorcroft", "We have thoroughly")],
        ),
        (  # BBC tech_176: was "Prosecutors"; the agency that quotes is not the speaker either
            "Jaynes amassed a fortune of $24m from his sales, prosecutors said. \"He's been successful "
            'ripping people off all these years," AP quoted prosecutor Russell McGuire as saying.',
            [("Russell McGuire", "He's been successful")],
        ),
        (  # BBC tech_204: the person, not the organisation she leads
            '"At the British Library we are continually exploring ways in which technology can help us to '
            'improve services to our users," said Lynne Brindley, chief executive of the British Library.',
            [("Lynne Brindley", "At the British Library")],
        ),
        (  # BBC business_354: was "Asian"
            '"Obviously with a lot of loss of life, a lot of time is needed to clean up the mess, bury the '
            "people and find the missing. But it's not necessarily a really big thing in the economic "
            'sense," said ABN Amro chief Asian strategist Eddie Wong.',
            [("Eddie Wong", "Obviously")],
        ),
        (  # ECB+ 5_6ecbplus: "he" is the subject before, not the man named in its relative clause
            "Athletic director Gene Smith, who replaced Andy Geiger a month ago, said the allegations in "
            "the NCAA report were less serious than speculation indicated.\n"
            '"What you see before you is what they found in football, "he said, adding he would be '
            "surprised if sanctions are imposed against the football team.",
            [("Gene Smith", "What you see")],
        ),
    ],
)
def test_real_news_quotes_go_to_the_person_the_attribution_names(
    text: str, expected: list[tuple[str, str]]
) -> None:
    found = quotes_of(text)
    assert [speaker for speaker, _ in found] == [speaker for speaker, _ in expected]
    assert all(quote.startswith(start) for (_, quote), (_, start) in zip(found, expected, strict=True))


@pytest.mark.parametrize(
    ("text", "person", "org"),
    [
        (
            "“Demand is soft this quarter,” said Ilse Brandhorst of Kettering Ridge Securities.",
            "Ilse Brandhorst",
            "Kettering Ridge Securities",
        ),
        (
            "Tobiah Renner left Quillmore for the research group Ostwind last year, he said.",
            "Tobiah Renner",
            "Ostwind",
        ),
        (
            "Northgate Athletic, who lost the final, said coach Bram Oyelaran would stay.",
            "Bram Oyelaran",
            "Northgate Athletic",
        ),
        ("Documents seen by The Harbour Ledger show that Kestrava cut prices.", "", "The Harbour Ledger"),
    ],
)
def test_more_people_and_organisations(text: str, person: str, org: str) -> None:
    assert names(text, "person") == ({person} if person else set())
    assert org in names(text, "org")


def test_a_list_or_table_is_not_read_as_a_sentence() -> None:
    row = "Kestrava $14 million 12% Quillmore said Hedda Sørlie on Monday "
    text = row * 40  # one 2,500-character "sentence"
    assert facts_of(text) == ArticleFacts()


def _calls(work: Callable[[], object]) -> int:
    """The function calls (Python and C) made while `work` runs in this thread: a measure of the
    work done that, unlike a stopwatch, is the same on every machine and on every run."""
    calls = 0

    def count(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        calls += event in ("call", "c_call")

    previous = sys.getprofile()
    sys.setprofile(count)
    try:
        work()
    finally:
        sys.setprofile(previous)
    return calls


def test_a_long_article_costs_about_as_much_per_character_as_short_ones(demo: dict[str, Article]) -> None:
    articles = list(demo.values())
    short = _calls(lambda: [extract_facts(a) for a in articles]) / sum(len(a.text) for a in articles)
    text = ("\n".join(a.text for a in articles) * 6)[:200_000]
    found: list[ArticleFacts] = []
    long = _calls(lambda: found.append(facts_of(text))) / len(text)
    # Linear work would make this 1.0. It was 2.1 (April 2026) while each quote's speaker was
    # matched against every occurrence of every name (facts/quotes.py `_resolve_speaker`); with
    # the ways each entity is written kept once (`_Entity.written_keys`) it is 0.7 (issue 16).
    # 3 is the budget; a rule that blows up fails it.
    assert long <= 3 * short, f"{long / short:.2f}x the work per character of the demo articles"
    assert len(found[0].figures) > 50 and len(found[0].quotes) > 100


# ---------------------------------------------------------------------------------------------
# Verbatim and the whole article

STORY = "\n".join(
    [
        "Kestrava unveiled the Orla 5 handset in Lisbon on Wednesday, April 8, priced at €1,199.",
        "The company said it sold 2.4 million units of the Orla 4 last year, up 18%, and expects to hire "
        "300 engineers in 2026.",
        "“This is the thinnest phone we have made,” said Kestrava chief executive Mirela Dascălu. "
        "“It will not be the last.”",
        "Analysts at Quarrow Research said the launch puts pressure on Tessaro, whose Pixelmark line has "
        "lost share since 2024.",
        "Dascălu joined Kestrava in March 2021 from the chipmaker Sornic.",
    ]
)


def test_every_text_field_is_verbatim_in_the_article() -> None:
    article = make_article("https://news.example/orla-5", STORY, published=FRIDAY)
    facts = extract_facts(article)
    assert facts.figures and facts.events and facts.mentions and facts.quotes
    for f in facts.figures:
        assert f.sentence in article.text and f.value in f.sentence
    for e in facts.events:
        assert e.text in article.text
    for m in facts.mentions:
        assert m.sentence in article.text and m.role in m.sentence
    for q in facts.quotes:
        assert q.text in article.text and q.sentence in article.text and q.text in q.sentence
    assert {f.article_id for f in facts.figures} == {article.id}


def test_the_whole_story() -> None:
    facts = extract_facts(make_article("https://news.example/orla-5", STORY, published=FRIDAY))
    assert {f.value for f in facts.figures} == {"€1,199", "2.4 million", "18%", "300"}
    assert {(e.date, e.kind) for e in facts.events} >= {
        (date(2026, 4, 8), "product launch"),
        (date(2021, 3, 1), "organizational"),
    }
    people = {m.name: m.role for m in facts.mentions if m.kind == "person"}
    assert people == {"Mirela Dascălu": "Kestrava chief executive"}
    assert {"Kestrava", "Quarrow Research", "Sornic"} <= names(STORY, "org")
    assert [q.speaker for q in facts.quotes] == ["Mirela Dascălu", "Mirela Dascălu"]


WIRE = "\n".join(
    [
        "Corvane Inc. said on Tuesday it would acquire the Austin-based chip designer Lumora for "
        "$2.1 billion in cash, its largest deal since it bought Helix Systems in 2019.",
        "The deal values Lumora at roughly 14 times its 2025 revenue of $150 million.",
        '"We think inference is where the money will be," Corvane CEO Dana Whitcombe told analysts '
        "on a call. Mr. Whitcombe added that the deal should close this year.",
        "Lumora, founded in 2017 by former Stanford researchers Amir Sadeghi and Li Wen, employs "
        "about 320 people.",
        "Shares of Corvane fell 4.2% to $88.10 in New York.",
        "Analyst Roberta Kiel of Pinegate Partners said the price was "
        '"steep but defensible given the growth."',
        "On Jan. 5, Corvane had warned that its data-center sales would slow.",
    ]
)


def test_a_wire_story_in_another_house_style() -> None:
    facts = extract_facts(make_article("https://wire.example/corvane", WIRE, published=utc(2026, 4, 9, 15)))
    figures = {f.value: (f.kind, f.amount) for f in facts.figures}
    assert figures["14 times"] == ("multiple", 14.0)  # "N times its revenue"
    assert figures["$88.10"] == ("money", 88.1)
    assert {(e.date, e.kind) for e in facts.events} == {
        (date(2026, 4, 7), "financial"),  # "said on Tuesday it would ...": the Tuesday that has been
        (date(2019, 1, 1), "financial"),  # "since it bought Helix Systems in 2019": a deal of its own
        (date(2026, 1, 1), "financial"),  # "the deal should close this year"
        (date(2017, 1, 1), "organizational"),
        (date(2026, 1, 5), "financial"),  # "Jan. 5"
    }
    people = {m.name: m.role for m in facts.mentions if m.kind == "person"}
    assert people["Dana Whitcombe"] == "Corvane CEO"  # a title inside a run of capitals
    assert people["Roberta Kiel"] == "Analyst"
    orgs = {m.name: m.role for m in facts.mentions if m.kind == "org"}
    assert orgs["Lumora"] == "Austin-based chip designer"
    assert {"Corvane Inc", "Helix Systems", "Pinegate Partners"} <= set(orgs)
    assert [(q.speaker, q.text) for q in facts.quotes] == [
        ("Dana Whitcombe", "We think inference is where the money will be"),
        ("Roberta Kiel", "steep but defensible given the growth."),  # a partial quote
    ]


def test_an_empty_article() -> None:
    assert facts_of("") == ArticleFacts()


# ---------------------------------------------------------------------------------------------
# Scoring


def test_names_and_roles_match_leniently() -> None:
    assert names_match("LeCun", "Yann LeCun") and names_match("The Compute Desk", "Compute Desk")
    assert names_match("Fundamental AI Research", "FAIR") and not names_match("Yann LeCun", "Yann Tiersen")
    assert roles_match("former Meta chief AI scientist", "chief AI scientist")
    assert roles_match("analyst", "an analyst at Halberd Research | partner")
    assert not roles_match("", "analyst") and not roles_match("founder", "chief executive")


def test_score_facts_counts_precision_and_recall() -> None:
    article = make_article(
        "https://news.example/a", "Brixel raised $40 million. It grew 12%.", published=FRIDAY
    )
    gold = {article.id: {"figures": [{"value": "$40 million"}, {"value": "$7 million"}]}}
    scores = score_facts({article.id: extract_facts(article)}, gold)
    assert scores["figures"]["precision"] == 0.5 and scores["figures"]["recall"] == 0.5
    assert scores["quotes"]["precision"] == 1.0  # nothing predicted, nothing expected


# ---------------------------------------------------------------------------------------------
# The annotated demo articles


def _demo_articles() -> dict[str, Article]:
    base = "http://127.0.0.1:1"
    out: dict[str, Article] = {}
    for a in load_corpus()["articles"]:
        url = f"{base}/{a['id']}"
        body = (CORPUS / str(a["page"])).read_text(encoding="utf-8").replace(BASE_PLACEHOLDER, base)
        published = datetime.fromisoformat(str(a["published"]).replace("Z", "+00:00"))
        entry = FeedEntry(f"{base}/feeds/{a['feed']}.xml", a["id"], url, a["title"], a["summary"], published)
        article = extract_article(Page(entry, url, body.encode("utf-8")), a["feed"])
        out[a["id"]] = article
    return out


@pytest.fixture(scope="module")
def demo() -> dict[str, Article]:
    return _demo_articles()


@pytest.fixture(scope="module")
def predicted(demo: dict[str, Article]) -> dict[str, ArticleFacts]:
    return {key: extract_facts(article) for key, article in demo.items()}


def _report(name: str, scores: dict[str, dict[str, float]]) -> None:
    print(f"\n{name}")
    for field, s in scores.items():
        extra = f"  roles {s['role_accuracy']:.2f} of {s['roles_scored']:.0f}" if "role_accuracy" in s else ""
        print(
            f"  {field:13s} precision {s['precision']:.2f}  recall {s['recall']:.2f}  "
            f"({s['matched']:.0f} of {s['gold']:.0f} gold, {s['predicted']:.0f} predicted){extra}"
        )


# Thresholds just below what the extractor achieves (precision, recall, role accuracy).
# Thread articles (the rules were tuned on them): figures 1.00/1.00, events 0.94/0.92,
# people 1.00/0.97 (roles 1.00), orgs 0.99/0.97 (roles 0.95), quotes 1.00/1.00. Issue 16
# scores every event (the neutral kind too, as the timeline shows it) and gives each clause
# that tells a dated happening of its own its event: events 0.90/0.89 (dated 1.00/0.98).
GOLD_THRESHOLDS = {
    "figures": (0.95, 0.95, None),
    "events": (0.90, 0.88, None),
    "events_dated": (0.95, 0.95, None),
    "people": (0.95, 0.93, 0.95),
    "orgs": (0.95, 0.92, 0.90),
    "quotes": (0.95, 0.95, None),
}
# The ten unrelated articles, annotated before the extractor ever ran on them. At that first
# look it scored figures 0.93/0.88, events 0.67/0.61, people 0.89/0.85, orgs 0.74/0.69, quotes
# 0.80/0.80; the general fixes that followed (units of measure, "said ORG spokesperson NAME",
# nationality adjectives, short names of companies, future weekdays) brought it to figures
# 1.00/0.98, events 0.85/0.74, people 1.00/0.95, orgs 0.90/0.97, quotes 1.00/1.00. Issue 16,
# with the happenings of none of the seven kinds annotated (kind "event", see the gold's
# _about_heldout): events 0.83/0.81 (dated 0.97/0.94).
HELDOUT_THRESHOLDS = {
    "figures": (0.95, 0.95, None),
    "events": (0.80, 0.70, None),
    "events_dated": (0.90, 0.80, None),
    "people": (0.95, 0.90, 0.95),
    "orgs": (0.85, 0.90, 0.60),
    "quotes": (0.95, 0.95, None),
}


@pytest.mark.parametrize(
    ("part", "thresholds"), [("articles", GOLD_THRESHOLDS), ("heldout", HELDOUT_THRESHOLDS)]
)
def test_gold_precision_and_recall(
    predicted: dict[str, ArticleFacts], part: str, thresholds: dict[str, tuple[float, float, float | None]]
) -> None:
    scores = score_facts(predicted, GOLD[part])
    _report(f"demo gold ({part})", scores)
    for field, (precision, recall, roles) in thresholds.items():
        s = scores[field]
        assert s["precision"] >= precision, (field, s)
        assert s["recall"] >= recall, (field, s)
        if roles is not None:
            assert s["role_accuracy"] >= roles, (field, s)


def test_gold_covers_the_thread_articles(demo: dict[str, Article]) -> None:
    corpus = {a["id"]: a["gold"] for a in load_corpus()["articles"]}
    expected = {
        key
        for key, g in corpus.items()
        if g["threads"] and not g["duplicate_of"] and not g["extraction_fails"]
    }
    assert set(GOLD["articles"]) == expected
    assert GOLD["heldout"]
    for part in ("articles", "heldout"):
        for key, g in GOLD[part].items():  # the gold is faithful to the text
            text = demo[key].text
            assert all(f["value"] in text for f in g["figures"]), key
            assert all(e["contains"] in text for e in g["events"]), key
            assert all(q["starts"] in text for q in g["quotes"]), key


KINDS = ("figures", "events", "mentions", "quotes")


def test_demo_facts_are_verbatim_and_cheap(demo: dict[str, Article]) -> None:
    facts: dict[str, ArticleFacts] = {}
    calls = _calls(lambda: facts.update((key, extract_facts(a)) for key, a in demo.items()))
    chars = sum(len(a.text) for a in demo.values())
    assert len(facts) == 35
    # 13.3 calls per character (April 2026): the budget leaves room for new rules, not for a
    # rule that rereads the article for every sentence or name
    assert calls <= 40 * chars, f"{calls / chars:.1f} function calls per character"
    found = {kind: sum(len(getattr(f, kind)) for f in facts.values()) for kind in KINDS}
    assert all(n >= 30 for n in found.values()), found  # the checks below have something to check
    for key, f in facts.items():
        text = demo[key].text
        assert all(x.sentence in text and x.value in x.sentence for x in f.figures)
        assert all(e.text in text for e in f.events)
        assert all(m.sentence in text and m.role in m.sentence for m in f.mentions)
        assert all(q.text in text and q.sentence in text for q in f.quotes)


# ---------------------------------------------------------------------------------------------
# Issue 16 on real news: sentences of the BBC News (business_249, business_173, business_434,
# business_442 ...) and ECB+ (33_9ecbplus, 45_7ecbplus, 16_1ecbplus ...) dev documents in
# shared/data, each an error the issue names; each failed before these rules.


@pytest.mark.parametrize(
    ("text", "value", "label"),
    [
        # verb fragments were labels: "due to rise", "set to rise", "landed CBS"
        ("But foreign aid is due to rise by 10%, with more money to treat HIV/Aids.", "10%", "foreign aid"),
        ("Military spending is also set to rise by 4.8%, to reach $419.3bn.", "4.8%", "Military spending"),
        (
            "The exposure of Janet Jackson's breast at last year's Superbowl landed CBS with a $550,000 "
            "(£293,264) fine.",
            "$550,000",
            "fine",
        ),
        # unit words were labels: "money", "percent", "trillion"
        (
            "The $2.58 trillion (£1.38 trillion) budget submitted to Congress affects 150 programmes.",
            "$2.58 trillion",
            "budget",
        ),
        (
            "Growth in industrial output - the main target of government efforts to impose curbs on credit "
            "and investments - was 11.5% in 2004, down from 17% the previous year.",
            "11.5%",
            "growth in industrial output",
        ),
        (
            "The spending plan is banking on a healthy US economy to boost government income by 6.1% to "
            "$2.18 trillion.",
            "6.1%",
            "government income",
        ),
        # two figures of one sentence have their own labels
        (
            "Overall UK exports - including both goods and services - rose by more than 3.2% to £24.8bn, "
            "although total imports rose again to a new record of £27.9bn.",
            "£27.9bn",
            "imports",
        ),
        # a phrase that holds another amount is that amount's, not this figure's: were "shortfall
        # in fiscal" (BBC business_488) and "revenues from China's million mobile users" (tech_384)
        (
            "Past Congressional Budget Office (CBO) forecasts said there would be a $348bn shortfall in "
            "the 2005 fiscal year.",
            "$348bn",
            "shortfall",
        ),
        (
            "Mobile games already account for 15% of revenues from China's 340 million mobile users.",
            "15%",
            "revenues",
        ),
        # what a source's figures showed is not the measure (BBC business_323, business_505)
        (
            "CML figures showed gross lending fell by 4% in November as the number of people buying new "
            "homes fell.",
            "4%",
            "gross lending",
        ),
        (
            "Data from the CML showed lending fell to just over £25bn in November, from £25.5bn a year "
            "earlier.",
            "£25bn",
            "lending",
        ),
        # "shares in Cairn Energy", not "Shares in …": a label reads as inside a sentence (business_198)
        (
            "Shares in Cairn Energy have jumped 6% after the firm said an Indian oilfield was larger than "
            "previously thought.",
            "6%",
            "shares in Cairn Energy",
        ),
    ],
)
def test_a_figures_label_is_the_noun_phrase_it_measures(text: str, value: str, label: str) -> None:
    assert figure(text, value).label == label


@pytest.mark.parametrize(
    ("text", "value", "label"),
    [
        (
            "Nearly two million people across Asia could be thrown into poverty.",
            "two million",
            "people across Asia",
        ),
        (
            "Heineken's net income fell to 537m euros ($701m; £371m) during 2004, from 798m euro a year ago.",
            "537m euros",
            "Heineken's net income",
        ),
        (
            "Thailand may lose 30bn baht (£398m; $768m) in earnings from tourism over the next three months.",
            "30bn baht",
            "earnings from tourism",
        ),
        ("Yida is home to more than 22, 000 refugees, many of whom walked for days.", "22, 000", "refugees"),
        ("Approximately 1.1m of the UK's 1.6m Muslims are of voting age.", "1.1m", "Muslims"),
        ("Amicus has 1.2 million members and the TGWU has 800,000.", "800,000", "members"),
        (
            "It is expecting annual sales growth of between 1% and 3% for the month.",
            "1% and 3%",
            "annual sales growth",
        ),
    ],
)
def test_figures_the_issue_found_missed(text: str, value: str, label: str) -> None:
    assert figure(text, value).label == label


def test_a_conversion_in_brackets_is_the_same_sum_not_another_figure() -> None:
    text = "Heineken's net income fell to 537m euros ($701m; £371m) during 2004, from 798m euro a year ago."
    assert "$701m" not in [f.value for f in facts_of(text).figures]
    jackpot = facts_of("The contestant wins the jackpot prize of US$100,000 (£52,590).").figures
    assert [(f.value, f.label) for f in jackpot] == [("US$100,000", "jackpot prize")]


def test_a_change_from_one_value_to_another_is_two_figures_not_a_range() -> None:
    text = "The IMF is to cut its 2005 growth forecast for the German economy from 1.8% to 0.8%."
    assert [(f.value, f.label) for f in facts_of(text).figures] == [
        ("1.8%", "growth forecast for German economy"),
        ("0.8%", "growth forecast for German economy"),
    ]


APRIL_2013 = utc(2013, 4, 23, 12)


@pytest.mark.parametrize(
    ("text", "published", "iso"),
    [
        # no keyword of EVENT_RULES: these were no events
        ("Horton was shot and killed in October 2011 when gunfire erupted outside...", APRIL_2013, "2011-10"),
        ("The main current staff was elected in December 2008.", utc(2013, 9, 26, 12), "2008-12"),
        (
            "China's economy has expanded by a breakneck 9.5% during 2004, faster than predicted and well "
            "above 2003's 9.1%.",
            None,
            "2004",
        ),
        # the date of the main verb's clause, not the other date the sentence names
        (
            "In December, the school imposed a one - year postseason tournament ban on its men's basketball "
            "team after O'Brien acknowledged he gave about $6, 000 to recruit Alex Radojevic in 1999.",
            utc(2005, 5, 16, 12),
            "2004-12",
        ),
        ("The Colts got the win today, but it wasn't pretty.", utc(2012, 12, 23, 12), "2012-12-23"),
    ],
)
def test_a_sentence_is_one_event_on_its_main_clauses_date(
    text: str, published: datetime | None, iso: str
) -> None:
    assert [e.iso for e in events_of(text, published)] == [iso]


# Dates on real news (ECB+ dev documents, dated by their datelines): each was filed under another
# day than the one its sentence's event happened on
@pytest.mark.parametrize(
    ("text", "published", "iso"),
    [
        (  # ECB+ 31_9ecbplus, dateline Friday 8 March 2013: a game still to be played
            "Creighton improved to 25 - 7 on the season and advances to play Saturday in a 1:35 pm semifinal "
            "against the winner of the Evansville - Indiana State semifinal.",
            utc(2013, 3, 8, 23),
            "2013-03-09",
        ),
        (  # ECB+ 29_10ecbplus, dateline Sunday 23 December 2012: "next Sunday" is a week on, not today
            "Indianapolis will close out the regular season next Sunday when the Houston Texans (12 - 3) "
            "head to Lucas Oil Stadium.",
            utc(2012, 12, 23, 23),
            "2012-12-30",
        ),
    ],
)
def test_a_weekday_still_to_come_is_the_next_one(text: str, published: datetime, iso: str) -> None:
    assert [e.iso for e in events_of(text, published)] == [iso]


@pytest.mark.parametrize(
    "text",
    [
        # ECB+ 31_9ecbplus: was 1999, the year a record was set, not the day it was passed
        "It gave him 2, 117 career points, passing Rodney Buford's career mark that had stood since 1999 "
        "and moving him into 10th in MVC history.",
        # ECB+ 31_7ecbplus: was Thursday, the day of an earlier game ("Thursday ’ s", as tokenised)
        "Drake, which had defeated Bradley in Thursday ’ s play - in round, hung with Creighton for about "
        "30 minutes before running out of gas and ending its season 15 - 17.",
    ],
)
def test_a_date_of_the_background_does_not_date_the_sentence(text: str) -> None:
    assert [e.iso for e in events_of(text, utc(2013, 3, 8, 23))] == []


def test_the_dateline_is_no_event() -> None:
    assert events_of("PUBLISHED: 22:07 GMT, 7 July 2012", utc(2012, 7, 7, 23)) == []


def test_a_statement_released_is_no_product_launch() -> None:
    text = "Governor Palin visited the church on Saturday and her office later released a statement."
    assert [e.kind for e in events_of(text, utc(2008, 12, 14, 12))] == ["event"]


def test_an_events_title_is_its_main_clause_without_the_date() -> None:
    (event,) = events_of(
        "Horton was shot and killed in October 2011 when gunfire erupted outside...", APRIL_2013
    )
    assert event.title == "Horton was shot and killed"


def test_a_past_verb_is_no_part_of_the_label_and_a_to_phrase_says_whom() -> None:
    # "Veltrion offered rebates" and "reported revenue" were labels; the recipient of the
    # rebates is part of what the figure measures
    assert (
        figure("Veltrion offered rebates of up to 12% to carmakers.", "12%").label == "rebates to carmakers"
    )
    text = "Brandvik handled roughly 9 million parcels last year and reported revenue of 14.2 billion kroner."
    assert figure(text, "14.2 billion kroner").label == "revenue"
    # "to" and a figure, or a verb, is no one the figure goes to
    assert figure("It paid a fine of $5m to settle the case.", "$5m").label == "fine"
    # nor is the preposition before the phrase part of it (the demo's held-out fine story)
    ceiling = "The penalty equals about 7.6% of Veltrion’s annual revenue, below the legal ceiling of 10%."
    assert figure(ceiling, "10%").label == "legal ceiling"


def test_a_word_that_measures_nothing_is_no_label() -> None:
    # BBC business_323: were "25%: year-on-year" and "32%: made"
    assert (
        figure(
            "The CML said that loans for new property purchases fell 25% year-on-year to 85,000 - the lowest "
            "total seen since February 2003.",
            "25%",
        ).label
        == ""
    )  # no label rather than a word that says nothing: not shown as an indicator
    text = (
        "Separate figures from the Building Societies Association showed the value of mortgage approvals "
        "-- loans agreed but not yet made -- stood 32% lower than at the same time last year."
    )
    assert figure(text, "32%").label == ""
    # a verb and its particle are no noun phrase: were "pulled in disappointing audience" (BBC
    # entertainment_226) and "wanted to increase budget" (business_412)
    audience = (
        "Who's Your Daddy, the first episode of which was shown on 3 January, pulled in a disappointing "
        "audience of 6.3 million, according to the Nielsen ratings system."
    )
    assert figure(audience, "6.3 million").label == ""
    budget = (
        "He said he wanted to increase the 2005-6 budget to 1,546 trillion rials ($175.6bn; £93.6bn) from "
        "the previous year's 1,070 trillion."
    )
    assert figure(budget, "$175.6bn").label == ""


def test_a_count_of_times_is_a_figure_without_a_label() -> None:
    text = "The project's package is downloaded roughly 9 million times a month."
    assert (figure(text, "9 million").kind, figure(text, "9 million").label) == ("count", "")


@pytest.mark.parametrize(
    "text",
    [
        # a speaker's date is theirs: "today" is when they spoke, and a quote tells no happening
        "“We released the model on Monday, and the queue is already full,” said Lena Ortiz, its founder.",
        # a date something is true as of, and a span up to now, are no dates of a happening
        "The fund's holdings were valued at $2 billion as of March 31.",
        "The lab's budget has been cut over the last year, former staff said.",
    ],
)
def test_no_event_for_a_date_in_a_quotation_as_of_or_over_the_last_year(text: str) -> None:
    assert events_of(text) == []


def test_a_keyword_elsewhere_in_the_sentence_does_not_make_the_dates_kind() -> None:
    # the demo's reaction story: the launch was a day earlier; Thursday's happening is the
    # analysts' division, of no kind the rules know
    (event,) = events_of(
        "Analysts were divided on Thursday over whether Muse Spark, the closed model Meta launched a day "
        "earlier, is enough to put the company back in contention with OpenAI, Google and Anthropic."
    )
    assert (event.date, event.kind) == (date(2026, 4, 9), "event")
    # a name with a version that arrives is a product
    (llama,) = events_of("Llama 2 arrived in July 2023 with a licence that allowed commercial use.")
    assert (llama.kind, llama.title) == (
        "product launch",
        "Llama 2 arrived with a licence",
    )


def test_each_happening_of_a_sentence_is_an_entry_of_its_own_date_and_title() -> None:
    text = (
        "Researchers in LeCun’s group at Meta published image and video versions of the approach, called "
        "I-JEPA and V-JEPA, in 2023 and 2024, and released V-JEPA 2 in June 2025."
    )
    assert [(e.iso, e.title) for e in events_of(text)] == [
        ("2023", "Researchers in LeCun’s group at Meta published image and video versions of the approach"),
        ("2024", "Researchers in LeCun’s group at Meta published image and video versions of the approach"),
        ("2025-06", "Released V-JEPA 2"),
    ]
    paid = "Meta’s launch of Muse Spark on Wednesday gives investors their first look at what the company "
    paid += "bought when it paid $14.3 billion for a 49% stake in Scale AI in June 2025."
    assert [(e.iso, e.kind, e.title) for e in events_of(paid, utc(2026, 4, 8, 15))][1] == (
        "2025-06",
        "financial",
        "Paid $14.3 billion for a 49% stake in Scale AI",
    )
    spent = "Meta has guided to capital expenditure of $115 billion to $135 billion for 2026, roughly double "
    spent += "the $72.22 billion it spent last year, with much of the increase going to data centres."
    assert [(e.iso, e.title) for e in events_of(spent)] == [
        ("2026", "Meta has guided to capital expenditure of $115 billion to $135 billion"),
        ("2025", "The $72.22 billion it spent"),
    ]
    # but not a date in what someone acknowledged, nor one in a comparison without its own verb
    assert [e.iso for e in events_of("Sales rose to $80 million in 2025, up from $72 million in 2024.")] == [
        "2025"
    ]


# ---------------------------------------------------------------------------------------------
# Issue 16, item 3 on real news: quotes go to their speaker. Sentences of the BBC News and ECB+
# dev documents in shared/data (none of the facts check set); each case failed before these rules.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # BBC entertainment_155: was "Kurt Cobain", the man the biographer writes about
            "\"The band wasn't always pretty, or always in tune. This is not Nirvana unplugged. It's "
            "Nirvana unedited,\" said Cobain biographer Charles Cross. The band's development ended "
            "tragically when songwriter Kurt Cobain committed suicide in April 1994.",
            [("Charles Cross", "The band wasn't")],
        ),
        (  # BBC business_034: was "Tony Woodley" (the quote before); the paper quotes its source
            "Transport & General Worker's Union general secretary Tony Woodley repeated his view on Friday "
            'that all mergers led to some job cuts. "This is a very crucial and delicate time and our '
            "efforts are targeted to securing new models for the company which will mean jobs for our "
            'people," he said. SAIC says none of its money will be paid to the four owners of Rover, who '
            "have been accused by unions of awarding themselves exorbitant salaries, the FT reports. "
            '"SAIC is extremely concerned to ensure that its money is used to invest in the business rather '
            'than be distributed to the shareholders," the newspaper quotes a source close to the Chinese '
            "firm.",
            [("Tony Woodley", "This is a very"), ("source close to the Chinese firm", "SAIC is extremely")],
        ),
    ],
)
def test_real_news_a_writers_words_are_his_and_his_sources_are_theirs(
    text: str, expected: list[tuple[str, str]]
) -> None:
    found = quotes_of(text)
    assert [speaker for speaker, _ in found] == [speaker for speaker, _ in expected]
    assert all(quote.startswith(start) for (_, quote), (_, start) in zip(found, expected, strict=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # BBC business_244: was "Deutsche Bank's Simon Champion", the bank's name glued on
            "Why the mismatch between the public perception and the market's response? \"The Aurora issue "
            "had been an ongoing one for some time,\" says Deutsche Bank's Simon Champion.",
            [("Simon Champion", "The Aurora issue")],
        ),
        (  # BBC entertainment_142: was "Paul Connolly" (the critic before); "he" is the radio host
            "One of the experts to tip The Bravery was The Times' music critic Paul Connolly, who said they "
            'were "spiky but in love with pop". Chris Hawkins, host of BBC 6 Music\'s chart show, said the '
            'band had "great guitars and a mastery of the electro-clash sound". "The Bravery are proof '
            'alone that New York City is still home to hot new talent," he said.',
            [
                ("Paul Connolly", "spiky but in love"),
                ("Chris Hawkins", "great guitars"),
                ("Chris Hawkins", "The Bravery are proof"),
            ],
        ),
        (  # ECB+ 39_3ecbplus: was "Peter Capaldi", the actor the producer speaks about
            "Capaldi is not completely new to Doctor Who, having appeared in the programme playing Caecilius "
            'in the episode "The Fires of Pompeii" in 2008 with David Tennant.\nSteven Moffat, lead writer '
            "and executive producer of Doctor Who, said: \"It's an incendiary combination: one of the most "
            'talented actors of his generation is about to play the best part on television. "he said.',
            [("Steven Moffat", "It's an incendiary")],
        ),
        (  # BBC entertainment_311: both were "Sacha Baron Cohen", the comedian Victoria Wood slated
            "In an interview published in the Radio Times in January, Victoria Wood slated comedian Sacha "
            'Baron Cohen for his character Ali G\'s "horrible" brand of "victim" humour.\n"With so many good '
            "writers and good performers, it's a shame people can't just write a script and have other "
            'people learn it," she said. And last week Only Fools and Horses star David Jason criticised '
            'British TV for being "too safe and too cheap". "We\'ve got to be careful not to dumb down for '
            'the audience," he said.',
            [("Victoria Wood", "With so many"), ("David Jason", "We've got to be")],
        ),
    ],
)
def test_real_news_the_person_who_spoke_not_his_organisation_nor_whom_he_spoke_of(
    text: str, expected: list[tuple[str, str]]
) -> None:
    found = quotes_of(text)
    assert [speaker for speaker, _ in found] == [speaker for speaker, _ in expected]
    assert all(quote.startswith(start) for (_, quote), (_, start) in zip(found, expected, strict=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # BBC tech_355: was "Judge"; the judge is the one the ruling named
            "In the ruling handed down this week by Santa Clara County Superior Court Judge James "
            "Kleinberg, Apple can now get its hands on e-mail records from the bloggers' net providers. "
            "In making his ruling, Judge Kleinberg said that laws covering the divulging of trade secrets "
            'outweighed considerations of public interest. The Judge wrote: "...it is not surprising that '
            "hundreds of thousands of 'hits' on a website about Apple have and will happen. But an "
            'interested public is not the same as the public interest".',
            [("James Kleinberg", "...it is not surprising")],
        ),
        (  # ECB+ 3_9ecb: "the judge said" was left unattributed
            "Superior Court Judge James Bodiford handed down the maximum sentence on each charge.\n"
            '"If there was any more I could give you, I would," the judge said.',
            [("James Bodiford", "If there was any more")],
        ),
        (  # ECB+ 9_8ecb: was "Barbara" (her surname is also a noun)
            "Sen. Barbara Boxer (D-Calif.) said Thursday's actions were another assault on the law.\n"
            '"These midnight regulations are part of a continuing effort by the Bush administration to '
            "repeal our landmark environmental laws through the back door and weaken protections for our "
            'nation\'s endangered species," she said in a statement.\n"I believe they are illegal, and if '
            "similar regulations had been in place, they would have undermined our ability to protect the "
            'bald eagle, the grizzly bear and the gray whale," Boxer said.',
            [("Barbara Boxer", "These midnight"), ("Barbara Boxer", "I believe they")],
        ),
        (  # BBC entertainment_327: was "Magistrate Lee Gilmore", the title as part of her name
            "Magistrate Lee Gilmore, who issued the restraining order at Waverley Local Court in Sydney, "
            "said she understood the photographers were entitled to earn a living but there had to be "
            "limits to their behaviour. \"Miss Kidman says she's willing to put up with some of it, but "
            "it's gone beyond that,\" she said.",
            [("Lee Gilmore", "Miss Kidman says")],
        ),
    ],
)
def test_real_news_a_judges_quote_goes_to_her_full_name_as_first_introduced(
    text: str, expected: list[tuple[str, str]]
) -> None:
    found = quotes_of(text)
    assert [speaker for speaker, _ in found] == [speaker for speaker, _ in expected]
    assert all(quote.startswith(start) for (_, quote), (_, start) in zip(found, expected, strict=True))


def test_real_news_a_quotation_over_several_lines_goes_to_the_attribution_at_its_end() -> None:
    # ECB+ 41_3ecbplus (one sentence a line): both lines were missed; Bashir is spoken about
    text = (
        "The governor of Unity State, Taban Deng, said Mr Bashir should be held responsible.\n"
        '"Why does Omar Bashir do this?\nHe has a lot to answer, "Mr Deng said.\n'
        "However, Sudan Armed Forces spokesman Sawarmi Khaled Saad vehemently denied any links to the "
        "raid.\n\"This information is completely false.\nWe didn't bomb any camps or any areas inside the "
        'borders of South Sudan, "he told the AFP news agency.'
    )
    assert quotes_of(text) == [
        ("Taban Deng", "Why does Omar Bashir do this?"),
        ("Taban Deng", "He has a lot to answer"),
        ("Sawarmi Khaled Saad", "This information is completely false."),
        ("Sawarmi Khaled Saad", "We didn't bomb any camps or any areas inside the borders of South Sudan"),
    ]


def test_real_news_a_mark_left_open_does_not_quote_the_lines_after_it() -> None:
    # ECB+ 43_3ecb: the analyst's quotation is never closed; the next line is the article's text
    text = (
        'If that happens, Evans Research analyst Michelle Warren said, "it will open the doors for Nvidia '
        "to search for new options and possibly talk with Intel.\nHowever, Hartog said there will be no "
        "move to constrain Nvidia's supply.\n\"Nvidia will continue to be AMD's partner.\nBoth ATI and "
        'AMD are committed to open platform systems," he said.'
    )
    assert all("Hartog said" not in quote for _, quote in quotes_of(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # ECB+ 23_8ecbplus: a reported sentence names its speaker at its end; the next line quotes him
            "Two deaths so close together was unusual for the time of year, Insp Gaskin said.\n\"We don't "
            "normally get too many climbing accidents at this time of year, it's still basically winter "
            "conditions here, so there's very little climbing done. \"",
            [("Gaskin", "We don't normally")],
        ),
        (  # BBC politics_142
            "Patriots by definition wanted the UK to be prosperous at home and strong and influential "
            'abroad, Mr Straw said. "Our role as a leading member of the EU is a crucial part of securing '
            'that."',
            [("Straw", "Our role as a leading")],
        ),
        (  # BBC entertainment_322: the names of the attribution before are no one else's sentence
            '"We are all very excited to be going back to Reading and intend to have a fantastic time," '
            "said Iron Maiden's Bruce Dickinson. \"We're sure fans will too.\" It will the first time the "
            "veteran British metal band have played Reading in 23 years.",
            [("Bruce Dickinson", "We are all"), ("Bruce Dickinson", "We're sure fans")],
        ),
    ],
)
def test_real_news_a_quote_with_no_attribution_is_more_of_the_speaker_just_named(
    text: str, expected: list[tuple[str, str]]
) -> None:
    found = quotes_of(text)
    assert [speaker for speaker, _ in found] == [speaker for speaker, _ in expected]
    assert all(quote.startswith(start) for (_, quote), (_, start) in zip(found, expected, strict=True))


def test_real_news_a_quotation_reopened_at_a_sentence_goes_on_into_the_next_paragraph() -> None:
    # BBC politics_190: the second paragraph opens with more of Mr Howard's words (both were missed)
    text = (
        "Conservative leader Michael Howard has admitted he used to play truant.\n\nMr Howard eventually "
        "left Llanelli Grammar School. He said: \"I don't think it's done me any lasting damage. Nor has "
        'it made me a snooker world champion. "There might have been some occasions when we left early '
        "of an afternoon.\n\n\"I'm just being honest. I think truancy is a very bad thing and that firm "
        "action should be taken to deal with it.\" Another player who has failed to win snooker's world "
        'championship - Jimmy "the Whirlwind " White - has previously admitted missing lessons.'
    )
    assert [(speaker, quote[:20]) for speaker, quote in quotes_of(text)] == [
        ("Michael Howard", "I don't think it's d"),
        ("Michael Howard", "There might have bee"),
        ("Michael Howard", "I'm just being hones"),
    ]
    # ECB+ 29_5ecbplus spacing: this mark closes the question, it opens nothing
    asked = '"Would we have done it without him? "Colts interim coach Bruce Arians asked.\n"No. "'
    assert quotes_of(asked) == [("Bruce Arians", "Would we have done it without him?")]


def test_real_news_a_first_name_alone_is_the_full_name_first_introduced() -> None:
    # ECB+ 31_3ecbplus: was "Doug"; his father Greg McDermott shares the surname, not the first name
    text = (
        "Creighton's Doug McDermott returns for senior season\n"
        "Doug McDermott ’ s teammates figured it was just another day in the gym Wednesday afternoon.\n"
        "Shortly before hitting the court, McDermott had told his father, Creighton coach Greg McDermott, "
        "that he intended to return for his senior season rather than declare for the NBA draft.\n"
        "That initially had his father recommending that his son turn pro.\n"
        "“ He knew my dream is to play in the NBA, and he just felt that this was too good of an "
        "opportunity to pass up, ” Doug said."
    )
    assert [speaker for speaker, _ in quotes_of(text)] == ["Doug McDermott"]


def test_real_news_a_network_executive_speaks_for_himself_and_an_unnamed_one_as_the_text_calls_him() -> None:
    # BBC entertainment_226 and entertainment_166: already right before issue 16's item 3 (a guard)
    berman = (
        "The head of US TV network Fox has admitted the broadcaster had relied too heavily on reality TV "
        "shows such as the poor-rating Who's Your Daddy.\n\nChief executive Gail Berman said \"in the case "
        "of this fall we drifted to too much on the unscripted side\". Last season, Fox's prime-time "
        'audience fell by 600,000 to 5.9 million. Ms Berman said: "I think the audience expects loud '
        "things from Fox. Sometimes they work, and sometimes they don't.\""
    )
    assert [speaker for speaker, _ in quotes_of(berman)] == ["Gail Berman", "Gail Berman"]
    spokesman = (
        '"The special was thoroughly vetted by our standards and practices department to ensure that it '
        'was appropriate for broadcast," said a Fox spokesman.'
    )
    assert [speaker for speaker, _ in quotes_of(spokesman)] == ["Fox spokesman"]


# Review of issue 16's rules: what they must not take away
def test_a_hyphenated_given_name_is_part_of_the_name() -> None:
    text = "North Korean leader Kim Jong-un met South Korean President Moon Jae-in at the border."
    assert {"Kim Jong-un", "Moon Jae-in"} <= names(text, "person")
    assert "Tsai Ing-wen" in names("Taiwan President Tsai Ing-wen said the island would not bow.", "person")


def test_a_word_after_the_speaker_ending_in_er_is_not_an_agent_noun() -> None:
    said = '"We played well and deserved the win," said John Smith after Chelsea beat Arsenal.'
    assert [s for s, _ in quotes_of(said)] == ["John Smith"]
    assert [s for s, _ in quotes_of('"The law is clear," said Maria Lopez under Spanish law.')] == [
        "Maria Lopez"
    ]


def test_a_speaker_quoted_in_a_paper_is_still_the_speaker() -> None:
    for text in (
        '"We will not back down," said John Smith, who was quoted in the Financial Times.',
        '"We will not back down," Mayor John Smith said in remarks quoted widely on Tuesday.',
    ):
        assert [s for s, _ in quotes_of(text)] == ["John Smith"], text


def test_a_purpose_told_in_the_past_is_not_a_fixture_to_come() -> None:
    wednesday = utc(2026, 11, 11, 12)
    assert [
        e.iso for e in events_of("The president flew to Paris to meet Emmanuel Macron on Monday.", wednesday)
    ] == ["2026-11-09"]

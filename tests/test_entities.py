"""What a name is, on real news: sentences from the ECB+ and BBC dev documents
(../shared/data/clustering/ecbplus.jsonl, ../shared/data/summarization/bbc_news_summary.jsonl),
each of which the facts stage got wrong before issue 16 (a title glued into the name, a place,
an event, a work, a product or a common noun listed as a person or an organisation)."""

from __future__ import annotations

import pytest

from pipeline.models import Article
from pipeline.understand.facts import Mention, extract_facts


def mentions(text: str) -> list[Mention]:
    return list(extract_facts(Article("a", "u", "u", "S", "", text, None)).mentions)


@pytest.mark.parametrize(
    ("sentence", "name", "role"),
    [
        (  # ECB+ 41_7ecb; was the organisation "State Condoleezza Rice"
            "U.S. Secretary of State Condoleezza Rice welcomed the initiative but told the council that any "
            "agreement must halt rocket attacks from Gaza and arms smuggling into the Hamas-ruled territory.",
            "Condoleezza Rice",
            "Secretary of State",
        ),
        (  # BBC politics_324; was "General Lord Goldsmith", role "Attorney"
            "Downing Street has denied the claims, made in a new book about the Attorney General Lord "
            "Goldsmith's advice.",
            "Lord Goldsmith",
            "Attorney General",
        ),
        (  # BBC tech_176; was "General Jerry Kilgore"
            "Jaynes was also found guilty of breaking a state law which prohibits the sending of more than "
            "100,000 e-mails in 30 days, Virginia State Attorney General Jerry Kilgore reportedly said.",
            "Jerry Kilgore",
            "Attorney General",
        ),
        (  # ECB+ 41_4ecb; was "Brigadier-General Avi Benayahu"
            "Brigadier-General Avi Benayahu said the Israeli Defence Forces had established that Hamas "
            "terror operatives were among the dead at the school.",
            "Avi Benayahu",
            "Brigadier-General",
        ),
        (  # BBC sport_475; was "American Andy Roddick"
            "Agassi was serving at 5-6 down in the first set to fellow American Andy Roddick when he decided "
            "to bring a premature end to the match.",
            "Andy Roddick",
            "",
        ),
    ],
)
def test_a_title_or_nationality_is_not_part_of_the_name(sentence: str, name: str, role: str) -> None:
    people = [m for m in mentions(sentence) if m.kind == "person"]
    assert [m.name for m in people] == [name]
    assert people[0].role == role
    assert role in sentence


def test_a_list_of_titled_people_keeps_each_title_with_its_name() -> None:
    # BBC politics_209; was the organisation "State Condoleezza Rice" and "General Kofi Annan"
    sentence = (
        "Also due to attend are US Secretary of State Condoleezza Rice, UN Secretary General Kofi Annan, "
        "World Bank officials and foreign ministers from 23 European and Arab countries."
    )
    found = {(m.name, m.kind, m.role) for m in mentions(sentence)}
    assert ("Condoleezza Rice", "person", "Secretary of State") in found
    assert ("Kofi Annan", "person", "Secretary General") in found


@pytest.mark.parametrize(
    ("sentence", "not_listed"),
    [
        # a common noun capitalised alone (BBC entertainment_131, business_183)
        ("As long as the Government was funding real talent it would be a great move.", "Government"),
        (
            "The Government is reforming the labour market and cutting the generous unemployment system, but "
            "the real solution is to cut the wages of low skilled workers, says Helmut Schneider.",
            "Government",
        ),
        # places (BBC politics_267, tech_246)
        (
            '"I had just written a piece saying how the English Channel was now wider than the Atlantic '
            'which he liked and it went from there".',
            "English Channel",
        ),
        (
            "In August 2003 he even attended a state dinner in the Czech Republic, travelling with the "
            "Japanese prime minister as a goodwill envoy.",
            "Czech Republic",
        ),
        # events (BBC sport_008, sport_423, sport_473)
        (
            "Moore said he is confident Hansen can make it back to top-level competition, though it is "
            "unclear if that will be in time for the Commonwealth Games in Melbourne next March, when she "
            "will be 34.",
            "Commonwealth Games",
        ),
        (
            "The 2003 French Open champion has slipped to 64 in the world after a year of illness and "
            "injuries in 2004, but is confident that his form will return.",
            "French Open",
        ),
        (
            "Now he just needs to find a way of winning the French Open, the one Grand Slam to so far elude "
            "him.",
            "Grand Slam",
        ),
        # a work (BBC entertainment_314)
        (
            "Marlon Brando turned down his best actor Oscar for The Godfather in 1973 in protest as "
            "Hollywood's apparent discrimination against Native American people.",
            "The Godfather",
        ),
        # a product (ECB+ 43_3ecbplus; was a person with the next clause as its role)
        (
            "Asked if the company will continue to offer ultra - low - power chips along the lines of the "
            "Intel Atom, SeaMicro CEO and co - founder Andrew Feldman said “ absolutely. ”",
            "Intel Atom",
        ),
        (  # BBC entertainment_270
            "The 1965 Fender Stratocaster was used by the musician on tour and in his studio.",
            "Fender Stratocaster",
        ),
    ],
)
def test_places_events_works_products_and_common_nouns_are_not_listed(sentence: str, not_listed: str) -> None:
    assert not_listed not in {m.name for m in mentions(sentence)}


def test_the_people_of_a_sentence_about_a_work_are_still_listed() -> None:
    sentence = (
        "Marlon Brando turned down his best actor Oscar for The Godfather in 1973 in protest as "
        "Hollywood's apparent discrimination against Native American people."
    )
    assert [(m.name, m.kind) for m in mentions(sentence)] == [("Marlon Brando", "person")]

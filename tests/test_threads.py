"""Filing articles under story threads: configured threads first, emerging stories for the rest."""

from __future__ import annotations

from dataclasses import replace

from conftest import make_article

from pipeline.models import Article, Thread, ThreadSpec
from pipeline.understand.threads import assign_threads

MERGER = ThreadSpec(
    id="orchard-merger",
    title="Orchard Foods buys Bellwether",
    description=(
        "Orchard Foods' takeover bid for the grocery chain Bellwether: the price, the shareholder "
        "vote and the antitrust review."
    ),
    keywords=("Orchard Foods", "Bellwether", "takeover", "antitrust"),
)
ROCKET = ThreadSpec(
    id="kestrel-rocket",
    title="The Kestrel rocket",
    description=(
        "Vantage Aerospace's reusable Kestrel rocket: test flights, launch delays and the booster "
        "landing programme."
    ),
    keywords=("Kestrel", "Vantage Aerospace", "booster", "launch pad"),
)
SPECS = (MERGER, ROCKET)

MERGER_REVIEW = make_article(
    "https://news.example/merger-review",
    "Competition regulators opened an antitrust review of the Orchard Foods takeover of Bellwether on "
    "Monday. The watchdog will study whether the combined grocery chain would control too many stores "
    "in rural towns. Orchard Foods said it expected the review to finish by spring and that shoppers "
    "would see lower prices.",
    title="Regulators open antitrust review of Orchard Foods bid for Bellwether",
)
MERGER_VOTE = make_article(
    "https://news.example/merger-vote",
    "Shareholders of Bellwether voted by a wide margin to accept the takeover offer from Orchard Foods. "
    "The price values the grocery chain at four billion dollars, including its debts. The deal still "
    "needs approval from competition regulators before it can close.",
    title="Bellwether shareholders approve Orchard Foods takeover",
)
ROCKET_DELAY = make_article(
    "https://news.example/kestrel-delay",
    "Vantage Aerospace postponed the third test flight of its Kestrel rocket after engineers found a "
    "leaking valve in the booster. The company said the launch pad was undamaged and a new date would "
    "be set within weeks. The reusable booster is meant to land upright after each flight.",
    title="Vantage Aerospace delays Kestrel launch over booster leak",
)
ROCKET_LANDING = make_article(
    "https://news.example/kestrel-landing",
    "The Kestrel booster landed upright on its barge for the first time, Vantage Aerospace said, after "
    "two earlier attempts ended in the sea. Engineers will inspect the booster before flying it again "
    "from the coastal launch pad next month.",
    title="Kestrel booster lands on barge at last",
)
BOTH = make_article(
    "https://news.example/crew-meals",
    "Orchard Foods will supply the crew meals for the first crewed Kestrel flight under a contract "
    "signed with Vantage Aerospace. The grocery group, which is still waiting for the antitrust ruling "
    "on its Bellwether takeover, said the deal showed its ambitions beyond supermarkets. The Kestrel "
    "booster will carry the food in a sealed locker.",
    title="Orchard Foods to feed Kestrel crew in Vantage Aerospace deal",
)
PASSING_MENTION = make_article(
    "https://news.example/marathon",
    "More than twelve thousand runners finished the city marathon on Sunday in cool and dry weather. "
    "The winner crossed the line in two hours and nine minutes, a course record, and said the crowds "
    "along the river had carried her through the last miles. Volunteers handed out water at twenty "
    "stations, one of them beside the old Kestrel cinema.",
    title="Record falls at the city marathon",
)
HEATWAVE_DEMAND = make_article(
    "https://news.example/heatwave-demand",
    "A heatwave in Lisbon pushed electricity demand to a record on Wednesday as air conditioners ran "
    "through the night. The grid operator REN warned of rolling blackouts in Lisbon if temperatures "
    "stay above forty degrees. Hospitals were told to test their backup generators before the heatwave "
    "peaks.",
    title="Lisbon heatwave pushes electricity demand to a record",
)
HEATWAVE_BLACKOUTS = make_article(
    "https://other.example/heatwave-blackouts",
    "Rolling blackouts hit parts of Lisbon on Thursday as the heatwave kept electricity demand at a "
    "record for a second day. The grid operator REN asked households to run air conditioners and "
    "washing machines after dark, when temperatures fall below forty degrees.",
    title="Heatwave brings rolling blackouts to Lisbon",
)
CHESS = make_article(
    "https://news.example/chess",
    "A sixteen-year-old from Tromso won the national chess championship after a tense final round that "
    "lasted six hours. She sacrificed a rook early and held on to a narrow advantage in the endgame.",
    title="Teenager wins national chess title",
)

ALL = (
    MERGER_REVIEW,
    MERGER_VOTE,
    ROCKET_DELAY,
    ROCKET_LANDING,
    BOTH,
    PASSING_MENTION,
    HEATWAVE_DEMAND,
    HEATWAVE_BLACKOUTS,
    CHESS,
)


def by_id(threads: tuple[Thread, ...]) -> dict[str, Thread]:
    return {t.id: t for t in threads}


def threads_of(article: Article, threads: tuple[Thread, ...]) -> list[str]:
    return [t.id for t in threads if article.id in t.article_ids]


def test_on_topic_articles_land_in_their_configured_thread() -> None:
    threads = by_id(assign_threads(ALL, SPECS))

    merger, rocket = threads["orchard-merger"], threads["kestrel-rocket"]
    assert merger.kind == rocket.kind == "configured"
    assert merger.title == "Orchard Foods buys Bellwether"
    assert {MERGER_REVIEW.id, MERGER_VOTE.id} <= set(merger.article_ids)
    assert {ROCKET_DELAY.id, ROCKET_LANDING.id} <= set(rocket.article_ids)
    assert ROCKET_DELAY.id not in merger.article_ids
    assert MERGER_VOTE.id not in rocket.article_ids


def test_an_article_about_both_stories_lands_in_both_threads() -> None:
    threads = assign_threads(ALL, SPECS)

    assert threads_of(BOTH, threads) == ["orchard-merger", "kestrel-rocket"]


def test_an_unrelated_article_lands_in_no_configured_thread() -> None:
    threads = assign_threads(ALL, SPECS)

    assert threads_of(CHESS, threads) == []


def test_a_keyword_mentioned_in_passing_does_not_file_an_article() -> None:
    """The marathon story names the "Kestrel cinema"; it is not news about the rocket."""
    threads = assign_threads(ALL, SPECS)

    assert threads_of(PASSING_MENTION, threads) == []


def test_two_reports_of_another_story_form_an_emerging_thread() -> None:
    threads = assign_threads(ALL, SPECS)

    emergent = [t for t in threads if t.kind == "emergent"]
    assert len(emergent) == 1
    (story,) = emergent
    assert set(story.article_ids) == {HEATWAVE_DEMAND.id, HEATWAVE_BLACKOUTS.id}
    assert story.title in (HEATWAVE_DEMAND.title, HEATWAVE_BLACKOUTS.title)
    assert story.id.startswith("story-")


def test_an_emerging_thread_keeps_its_id_from_run_to_run() -> None:
    first = [t for t in assign_threads(ALL, SPECS) if t.kind == "emergent"]
    shuffled = [t for t in assign_threads(tuple(reversed(ALL)), SPECS) if t.kind == "emergent"]

    assert [t.id for t in first] == [t.id for t in shuffled]


def test_a_lone_unrelated_article_forms_no_thread() -> None:
    assert assign_threads([CHESS], SPECS) == ()
    assert threads_of(CHESS, assign_threads([CHESS, MERGER_VOTE, HEATWAVE_DEMAND], SPECS)) == []


def test_articles_in_a_thread_are_listed_most_relevant_first() -> None:
    threads = assign_threads(ALL, SPECS)
    assert any(len(t.article_ids) > 1 for t in threads), "a thread with an order to check"
    for thread in threads:
        assert len(thread.scores) == len(thread.article_ids)
        assert list(thread.scores) == sorted(thread.scores, reverse=True)


def test_without_configured_threads_stories_still_group() -> None:
    threads = assign_threads([HEATWAVE_DEMAND, CHESS, HEATWAVE_BLACKOUTS], [])

    assert [set(t.article_ids) for t in threads] == [{HEATWAVE_DEMAND.id, HEATWAVE_BLACKOUTS.id}]


def test_no_articles_no_threads() -> None:
    assert assign_threads([], SPECS) == ()


def test_a_story_that_goes_on_in_a_later_run_keeps_its_thread_and_its_id() -> None:
    # one article is no story yet: it waits as context for the next run
    assert not [t for t in assign_threads([HEATWAVE_DEMAND, CHESS], SPECS) if t.kind == "emergent"]

    (first,) = [
        t for t in assign_threads([HEATWAVE_BLACKOUTS], SPECS, {}, [HEATWAVE_DEMAND]) if t.kind == "emergent"
    ]
    assert first.article_ids == (HEATWAVE_BLACKOUTS.id,) and first.joined == (HEATWAVE_DEMAND.id,)

    later = make_article(
        "https://news.example/heatwave-cooling",
        "Cities opened cooling centres as the heatwave entered its second week and electricity demand "
        "stayed near the record set on Tuesday. The grid operator asked households to delay running "
        "washing machines until the evening to avoid more blackouts.",
        title="Cooling centres open as heatwave strains the grid",
    )
    stories = {first.id: [HEATWAVE_BLACKOUTS, HEATWAVE_DEMAND]}
    (again,) = [t for t in assign_threads([later, CHESS], SPECS, {}, [], stories) if t.kind == "emergent"]

    assert again.id == first.id and again.article_ids == (later.id,)


def test_a_story_whose_articles_split_in_two_gives_its_id_to_one_part_only() -> None:
    # a story that had gathered two unrelated articles: the next run's news pulls them apart
    stories = {"story-mixed": [HEATWAVE_DEMAND, ROCKET_DELAY]}

    threads = assign_threads([HEATWAVE_BLACKOUTS, ROCKET_LANDING], (), {}, [], stories)

    assert len(threads) == 2
    assert len({t.id for t in threads}) == 2 and "story-mixed" in {t.id for t in threads}


# A reader follows one boxer's title defence; the feeds also carry the same boxer's earlier
# fight against another opponent, told with the same subject words.
REMATCH = ThreadSpec(
    id="dunmore-okafor",
    title="Dunmore v Okafor rematch",
    description="Viktor Dunmore defends his heavyweight titles against Samuel Okafor in a 2012 rematch.",
    keywords=("Viktor Dunmore", "Dunmore", "Samuel Okafor", "heavyweight", "title defence", "knockout"),
    entities=("Viktor Dunmore", "Dunmore", "Samuel Okafor"),
)


OKAFOR = [
    (
        "Dunmore stops Okafor in six to keep his heavyweight belts",
        "Posted: July 7, 2012. Viktor Dunmore stopped Samuel Okafor in the sixth round in Bern on Saturday "
        "to keep his heavyweight titles. Okafor, 40, had lasted ten rounds in their first meeting.",
    ),
    (
        "Okafor outclassed again as Dunmore retains titles",
        "Updated July 8, 2012. Samuel Okafor was floored twice before the referee stopped the rematch in "
        "Bern, and Viktor Dunmore kept his belts. Okafor said he had no excuses this time.",
    ),
    (
        "Dunmore v Okafor II: champion cruises in Switzerland",
        "July 7, 2012. Dunmore needed six rounds to beat Samuel Okafor in their rematch in Switzerland, "
        "landing a right hand that left the challenger on the canvas.",
    ),
    (
        "Heavyweight king Dunmore sees off Okafor once more",
        "Posted: July 7, 2012. Viktor Dunmore beat Samuel Okafor for the second time, in Bern, with a "
        "sixth-round stoppage that extends his reign as heavyweight champion.",
    ),
]
HALLOWAY = [
    (
        "Dunmore blasts Halloway in Mannheim",
        "Posted: December 13, 2008. Viktor Dunmore stopped Rashid Halloway in the seventh round in Mannheim "
        "to retain his heavyweight titles. Halloway, once a world champion himself, barely threw a punch.",
    ),
    (
        "Halloway no match for Dunmore",
        "December 14, 2008. Rashid Halloway was outboxed from the first bell and the referee stopped the "
        "fight in round seven at the SAP Arena in Mannheim, Germany.",
    ),
    (
        "Dunmore retains belts with stoppage of Halloway",
        "Updated December 13, 2008. Viktor Dunmore kept the heavyweight belts by stopping former champion "
        "Rashid Halloway, who was cut over the eye, in Mannheim.",
    ),
    (
        "A one-sided night in Mannheim as Halloway falls",
        "Posted: December 13, 2008. Rashid Halloway's comeback ended in the seventh round against Viktor "
        "Dunmore, who dominated the former champion in Mannheim.",
    ),
]


def _fights(told: list[tuple[str, str]], site: str) -> list[Article]:
    return [
        make_article(f"https://{site}.example/fight-{n}", text, title=title, source=f"{site} {n}")
        for n, (title, text) in enumerate(told)
    ]


def test_a_configured_thread_keeps_out_another_event_of_the_same_subject() -> None:
    story, sibling = _fights(OKAFOR, "ringwire"), _fights(HALLOWAY, "boxingdesk")

    threads = assign_threads([*sibling, *story], (REMATCH,))

    (thread,) = [t for t in threads if t.id == "dunmore-okafor"]
    assert set(thread.article_ids) == {a.id for a in story}  # not Halloway's fight
    assert all("story" in why for why in thread.why)  # each member says what filed it


def test_a_configured_story_goes_on_across_slots_and_its_sibling_stays_out() -> None:
    story, sibling = _fights(OKAFOR, "ringwire"), _fights(HALLOWAY, "boxingdesk")

    (first,) = [t for t in assign_threads(story[:2], (REMATCH,)) if t.id == "dunmore-okafor"]
    later = assign_threads([*story[2:], *sibling[:2]], (REMATCH,), {"dunmore-okafor": story[:2]})

    assert set(first.article_ids) == {a.id for a in story[:2]}
    (thread,) = [t for t in later if t.id == "dunmore-okafor"]
    assert set(thread.article_ids) == {a.id for a in story[2:]}  # the story goes on; not Halloway's
    assert all("goes on" in why for why in thread.why)


def test_a_thread_of_keywords_only_takes_a_lone_new_article_of_its_story() -> None:
    # the next day, one article of the story beside an unrelated one: a thread that lists no
    # entities (nothing to tell its story by) still takes it, and only it
    later = assign_threads([MERGER_VOTE, ROCKET_LANDING], (MERGER,), {"orchard-merger": [MERGER_REVIEW]})

    (thread,) = [t for t in later if t.id == "orchard-merger"]
    assert thread.article_ids == (MERGER_VOTE.id,)


def test_a_story_that_goes_on_keeps_its_thread_after_the_year_its_description_names() -> None:
    story = _fights(OKAFOR, "ringwire")
    # the story went on: the thread's members are from 2013, the new articles from 2014
    members = [replace(a, text=a.text.replace("2012", "2013")) for a in story[:2]]
    later = [replace(a, text=a.text.replace("2012", "2014")) for a in story[2:]]

    threads = assign_threads(later, (REMATCH,), {"dunmore-okafor": members})

    (thread,) = [t for t in threads if t.id == "dunmore-okafor"]
    assert set(thread.article_ids) == {a.id for a in later}


def _undated(told: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The reports without their datelines: many pages give none in their text."""
    return [(title, text.split(". ", 1)[1]) for title, text in told]


def test_an_earlier_fight_of_the_same_boxer_does_not_open_the_rematchs_thread() -> None:
    # the boxer's earlier fight comes first, undated, while the thread is still empty: it names
    # Dunmore in every lead, but never Okafor, whom the thread's title names
    sibling, story = _fights(_undated(HALLOWAY), "boxingdesk"), _fights(_undated(OKAFOR), "ringwire")

    first = [t for t in assign_threads(sibling, (REMATCH,)) if t.id == "dunmore-okafor"]
    later = [t for t in assign_threads(story, (REMATCH,)) if t.id == "dunmore-okafor"]

    assert first == []  # Halloway's fight is another story of Dunmore's
    assert [set(t.article_ids) for t in later] == [{a.id for a in story}]


REHAB = ThreadSpec(
    id="loren-rehab",
    title="Nadia Loren's court-ordered rehab",
    description="The actress Nadia Loren's court-ordered stay in rehab after her driving case.",
    keywords=("Nadia Loren", "Loren", "rehab", "court-ordered"),
    entities=("Nadia Loren", "Loren", "Ashgrove Center"),
)
OTHER_STAY = make_article(
    "https://gossipdesk.example/brandt-rehab",
    "Actress Tessa Brandt checked into a rehab clinic in Malibu on Friday for an unspecified problem. "
    "The clinic is a favourite of stars such as Nadia Loren, and Brandt's spokesman asked for privacy. "
    "Brandt had said in October she would not need rehab again.",
    title="Back on the rehab beat",
    source="gossipdesk",
)
LOREN_STAY = [
    make_article(
        f"https://courtwire.example/loren-{n}",
        text,
        title=title,
        source=f"courtwire {n}",
    )
    for n, (title, text) in enumerate(
        [
            (
                "Nadia Loren leaves the Ashgrove Center",
                "Nadia Loren left the Ashgrove Center on Monday for a clinic in Malibu, where the judge "
                "allowed her to finish her court-ordered rehab.",
            ),
            (
                "Judge lets Loren move clinics",
                "Nadia Loren may serve the rest of her court-ordered rehab in Malibu, the judge said, after "
                "her lawyer asked for the move from the Ashgrove Center.",
            ),
        ]
    )
]


def test_a_name_in_passing_does_not_make_another_story_the_threads_own() -> None:
    # first, another actress's stay, which names Loren only in passing in its second sentence;
    # then Loren's own story, which opens the thread
    first = [t for t in assign_threads([OTHER_STAY], (REHAB,)) if t.id == "loren-rehab"]
    later = [t for t in assign_threads(LOREN_STAY, (REHAB,)) if t.id == "loren-rehab"]

    assert first == []
    assert [set(t.article_ids) for t in later] == [{a.id for a in LOREN_STAY}]


def test_a_thread_of_one_name_takes_a_lone_new_article_that_leads_with_it() -> None:
    # the next day, one report of a new turn of the story, in other words than the thread's
    # earlier articles: a thread that lists one name has no other name to tell its story by
    rocket = replace(ROCKET, entities=("Kestrel",))
    hire = make_article(
        "https://news.example/kestrel-president",
        "Kestrel's maker named a former space agency chief as its president on Thursday, saying she "
        "would lead talks with satellite operators. Vantage Aerospace did not say what she would be paid.",
        title="Kestrel maker hires former space agency chief",
    )

    later = assign_threads([hire, MERGER_VOTE], (rocket,), {"kestrel-rocket": [ROCKET_DELAY, ROCKET_LANDING]})

    (thread,) = [t for t in later if t.id == "kestrel-rocket"]
    assert thread.article_ids == (hire.id,)

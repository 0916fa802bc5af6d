"""Whether a sentence says what another already said, in other words."""

from __future__ import annotations

import pytest

from pipeline.understand.facts.meaning import repeats, repeats_any, signature

LAUNCH = "Vantor released the Q7 phone on Wednesday, April 8, the first handset built by its Kesteven studio."


@pytest.mark.parametrize(
    ("sentence", "repeat"),
    [
        ("On Wednesday, April 8, Vantor released the Q7, the first phone from its Kesteven studio.", True),
        ("Vantor's Q7 went on sale on Wednesday, April 8, as the debut phone of its Kesteven studio.", True),
        # old names, a new happening
        ("Vantor delayed the Q7 rollout in Sweden after a battery recall.", False),
        ("Kesteven studio staff left Vantor on Wednesday, April 8.", False),
        # a new figure is a new fact, however familiar the words
        ("Vantor released the Q7 phone on Wednesday, April 8, at a price of 499 euros.", False),
        # another name, another verb, a negation: news, though most words are the same
        (
            "Ostrava released the Q7 phone on Wednesday, April 8, the first handset of its Kesteven studio.",
            False,
        ),
        (
            "Vantor recalled the Q7 phone on Wednesday, April 8, the first handset built by its lab.",
            False,
        ),
        ("Vantor has not released the Q7 phone built by its Kesteven studio.", False),
    ],
)
def test_a_sentence_repeats_another_by_its_facts_and_informative_words(sentence: str, repeat: bool) -> None:
    assert repeats(signature(sentence), signature(LAUNCH)) is repeat


def test_names_with_accents_and_digits_are_one_word() -> None:
    assert {"^müller", "^q7"} <= signature("Vantor hired Jana Müller to lead the Q7 team.")


def test_amounts_are_compared_as_numbers_not_as_text() -> None:
    assert signature("Brixel raised $1.5B.") == signature("Brixel raised $1.5 billion.")
    # an updated count is news, however close to the last one
    assert not repeats(
        signature("The toll rose to 1,204 people."), signature("The toll rose to 1,201 people.")
    )


def test_a_figure_stated_across_two_sentences_is_a_repeat_of_both_together() -> None:
    shown = [
        signature("Meta paid $14.3 billion for a 49% stake in Scale AI."),
        signature("For $14.3 billion Meta also hired Alexandr Wang, founder of Scale AI, as chief officer."),
    ]
    again = signature("Meta spent $14.3 billion on a 49% stake in Scale AI and hired founder Alexandr Wang.")
    assert repeats_any(again, shown)
    # words alone are never pooled from several sentences: old words can make a new claim
    assert not repeats_any(signature("Alexandr Wang left Meta and Scale AI."), shown)

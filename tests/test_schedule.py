"""Slots: which brief is due, which comes next, and the status line that says so."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest
from conftest import utc

from pipeline.operate.schedule import current_slot, made_line, next_slot, parse_slot, slot_id, status_line

TIMES = (time(15, 0), time(21, 0))


@pytest.mark.parametrize(
    ("now", "current", "following"),
    [
        (utc(2026, 11, 23, 14, 59, 59), utc(2026, 11, 22, 21), utc(2026, 11, 23, 15)),
        (utc(2026, 11, 23, 15, 0, 0), utc(2026, 11, 23, 15), utc(2026, 11, 23, 21)),
        (utc(2026, 11, 23, 15, 0, 1), utc(2026, 11, 23, 15), utc(2026, 11, 23, 21)),
        (utc(2026, 11, 23, 20, 59), utc(2026, 11, 23, 15), utc(2026, 11, 23, 21)),
        (utc(2026, 11, 23, 21, 0), utc(2026, 11, 23, 21), utc(2026, 11, 24, 15)),
        (utc(2026, 11, 23, 23, 59, 59), utc(2026, 11, 23, 21), utc(2026, 11, 24, 15)),
        (utc(2026, 11, 24, 0, 0, 0), utc(2026, 11, 23, 21), utc(2026, 11, 24, 15)),
        (utc(2026, 12, 31, 22, 30), utc(2026, 12, 31, 21), utc(2027, 1, 1, 15)),
        (utc(2027, 1, 1, 3, 0), utc(2026, 12, 31, 21), utc(2027, 1, 1, 15)),
        (utc(2028, 2, 29, 12, 0), utc(2028, 2, 28, 21), utc(2028, 2, 29, 15)),
    ],
)
def test_the_current_and_next_slot_around_the_schedule(
    now: datetime, current: datetime, following: datetime
) -> None:
    assert current_slot(now, TIMES) == current
    assert next_slot(now, TIMES) == following


def test_a_time_given_in_another_timezone_is_read_as_the_same_instant() -> None:
    lisbon_summer = timezone(timedelta(hours=1))
    now = datetime(2026, 7, 1, 16, 30, tzinfo=lisbon_summer)  # 15:30 UTC

    assert current_slot(now, TIMES) == utc(2026, 7, 1, 15)
    assert next_slot(now, TIMES) == utc(2026, 7, 1, 21)
    assert current_slot(now, TIMES).tzinfo == UTC


def test_a_single_daily_slot_looks_back_and_ahead_a_whole_day() -> None:
    morning = (time(7, 30),)

    assert current_slot(utc(2026, 11, 23, 7, 29), morning) == utc(2026, 11, 22, 7, 30)
    assert next_slot(utc(2026, 11, 23, 7, 30), morning) == utc(2026, 11, 24, 7, 30)


def test_the_status_line_reads_exactly_like_the_page_header() -> None:
    line = status_line(utc(2026, 11, 23, 15), utc(2026, 11, 23, 15, 4), TIMES)

    assert line == "Pipeline Active · Last: 15:00 UTC | Next: 21:00 UTC"


def test_the_status_line_before_any_brief_says_never() -> None:
    assert (
        status_line(None, utc(2026, 11, 23, 22), TIMES) == "Pipeline Active · Last: never | Next: 15:00 UTC"
    )


def test_the_status_line_can_name_another_state() -> None:
    line = status_line(utc(2026, 11, 23, 21), utc(2026, 11, 23, 21, 1), TIMES, state="Paused")

    assert line == "Pipeline Paused · Last: 21:00 UTC | Next: 15:00 UTC"


@pytest.mark.parametrize(
    ("slot", "made", "by_hand", "line"),
    [
        (
            utc(2026, 11, 24, 15),
            utc(2026, 11, 24, 15, 2),
            False,
            "Brief of Tue 24 Nov, 15:00 UTC · next brief at 21:00 UTC",
        ),
        (
            utc(2026, 11, 24, 21),
            utc(2026, 11, 24, 21, 2),
            False,
            "Brief of Tue 24 Nov, 21:00 UTC · next brief on Wed 25 Nov at 15:00 UTC",
        ),
        # a catch-up brief made late still names the slot after its own, not after the clock's
        (
            utc(2026, 11, 24, 15),
            utc(2026, 11, 24, 22, 30),
            False,
            "Brief of Tue 24 Nov, 15:00 UTC · next brief at 21:00 UTC",
        ),
        (
            utc(2026, 11, 24, 15),
            utc(2026, 11, 24, 16, 42),
            True,
            "Brief of Tue 24 Nov, 15:00 UTC · made by hand at 16:42 UTC",
        ),
        (
            utc(2026, 11, 24, 21),
            utc(2026, 11, 25, 9, 10),
            True,
            "Brief of Tue 24 Nov, 21:00 UTC · made by hand on Wed 25 Nov at 09:10 UTC",
        ),
    ],
)
def test_a_brief_says_what_was_true_when_it_was_made(
    slot: datetime, made: datetime, by_hand: bool, line: str
) -> None:
    """No live state ("Pipeline Active") in a brief: it is read long after, when that is unknown."""
    assert made_line(slot, made, TIMES, by_hand=by_hand) == line


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23T15:00Z",
        "2026-11-23T1500Z",
        "2026-11-23t1500z",
        " 2026-11-23T15:00 ",
        "2026-11-23T16:00+01:00",
        "2026-11-23T15:00:00+00:00",
    ],
)
def test_a_slot_can_be_written_several_ways(text: str) -> None:
    assert parse_slot(text) == utc(2026, 11, 23, 15)


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01T15:00Z", "2026-11-23T2500Z", ""])
def test_a_malformed_slot_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_slot(text)


def test_a_slot_id_is_compact_and_reads_back() -> None:
    slot = utc(2026, 11, 23, 15)

    assert slot_id(slot) == "2026-11-23T1500Z"
    assert parse_slot(slot_id(slot)) == slot

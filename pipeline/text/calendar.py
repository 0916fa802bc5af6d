"""Dates as the pipeline keeps them (ISO: "2026-01-22", "2025-11", "2013") and as a reader reads them."""

from __future__ import annotations

import re
from datetime import date

MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "January February March April May June July August September October November December".split()
    )
}
WEEKDAYS = {d: i for i, d in enumerate("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())}
MONTH_RE = "|".join(MONTHS)
MONTH_ABBREVIATIONS = {
    "Jan.": 1, "Feb.": 2, "Mar.": 3, "Apr.": 4, "Jun.": 6, "Jul.": 7, "Aug.": 8, "Sep.": 9, "Sept.": 9,
    "Oct.": 10, "Nov.": 11, "Dec.": 12, "Sept": 9,
    # without the period, as timelines and datelines write them ("Jan 22", "Dec 3, 2025")
    "Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10,
    "Nov": 11, "Dec": 12,
}  # fmt: skip
MONTH_ABBR_RE = "|".join(re.escape(m) for m in sorted(MONTH_ABBREVIATIONS, key=len, reverse=True))
WEEKDAY_RE = "|".join(WEEKDAYS)


def month_of(when: str) -> date:
    """The first day of the month of an ISO date or month ("2026-01-22", "2026-01")."""
    return date(int(when[:4]), int(when[5:7]), 1)


def readable_date(when: str) -> str:
    """An ISO date as a reader writes it: "22 January 2026", "November 2025", "2013"."""
    try:
        if len(when) == 10:
            d = date.fromisoformat(when)
            return f"{d.day} {d:%B %Y}"
        if len(when) == 7:
            return f"{month_of(when):%B %Y}"
    except ValueError:
        pass
    return when

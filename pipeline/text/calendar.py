"""Dates as the pipeline keeps them (ISO: "2026-01-22", "2025-11", "2013") and as a reader reads them."""

from __future__ import annotations

from datetime import date


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

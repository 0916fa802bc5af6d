"""Feed health: how long a failing feed rests, and how its state reads in `brief status`."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from pipeline.models import FeedHealth

BACKOFF_BASE = timedelta(minutes=30)
BACKOFF_CAP = timedelta(days=7)


def backoff(failures: int, rng: random.Random) -> timedelta:
    """Rest after `failures` consecutive failures: doubling from 30 min, jittered ±20 %,
    never more than 7 days. Jitter keeps feeds of one host from retrying in lockstep."""
    delay: timedelta = BACKOFF_BASE * (2 ** min(max(failures, 1) - 1, 20)) * rng.uniform(0.8, 1.2)
    return min(delay, BACKOFF_CAP)


def describe(health: FeedHealth | None, now: datetime) -> str:
    """One word or phrase a user can act on: ok, failing, backing off, disabled, moved."""
    if health is None:
        return "not fetched yet"
    if health.disabled:
        return f"disabled ({health.disabled}): remove it from sources.yaml"
    if health.next_attempt is not None and health.next_attempt > now:
        return f"backing off until {health.next_attempt:%Y-%m-%d %H:%M} UTC ({health.failures} failures)"
    if health.last_error:
        return f"failing ({health.failures} in a row)"
    if health.moved_to:
        return f"moved to {health.moved_to}: update sources.yaml"
    return "ok"

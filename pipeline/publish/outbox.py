"""The delivery outbox: each brief's message goes `built → sending → sent | failed`.

The message is built once and written as message.eml before anything is sent. A crash while
`sending` leaves the row there; the next start sends the identical bytes again, same
Message-ID (losing a brief is worse than a possible duplicate, and clients that dedupe by
Message-ID collapse it). A message held by `--no-send` is the slot's message too: a later run
of the slot sends those bytes (`deliver_built`), and only `--rebuild` makes another, under
another Message-ID. Temporary failures are retried with backoff; permanent ones are recorded
and shown, never retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

from pipeline.config import Config, SmtpSettings
from pipeline.errors import DeliveryError
from pipeline.models import Delivery
from pipeline.publish.mail import RETRY_DELAYS, send_with_retries
from pipeline.store import Store
from pipeline.store.records import DeliveryRecord, DeliveryState, SlotState

# a message built for its slot and not yet delivered: the one that slot sends, as it is
UNDELIVERED = (DeliveryState.HELD, DeliveryState.BUILT, DeliveryState.SENDING)


@dataclass(frozen=True)
class SendPolicy:
    """How hard to try: the pauses between tries after a temporary failure, and the sleep."""

    delays: Sequence[float] = RETRY_DELAYS
    sleep: Callable[[float], None] = time.sleep


def deliver_brief(
    store: Store,
    brief_id: str,
    eml: Path,
    message_id: str,
    config: Config,
    smtp: SmtpSettings | None,
    now: datetime,
    *,
    send: bool = True,
    policy: SendPolicy = SendPolicy(),
) -> Delivery:
    """Send the slot's message, recorded before (`record_built`, or an earlier run's), or say
    why not; the slot follows the result."""
    if not send:  # recorded as held already: a kill now cannot make resuming send a preview
        return Delivery(message_id, str(eml), False, "not sent (--no-send)")
    if smtp is None or not config.mail_to:
        # the .eml in the archive is the delivery
        store.set_delivery(brief_id, DeliveryState.WRITTEN, now)
        store.set_slot(brief_id, SlotState.DELIVERED, now, brief_id=brief_id)
        why = "no SMTP server configured (BRIEF_SMTP_HOST)" if smtp is None else "no recipients (delivery.to)"
        return Delivery(message_id, str(eml), False, f"{why}; message written")
    return _send(store, brief_id, eml, message_id, config, smtp, now, policy)


def record_built(
    store: Store, brief_id: str, eml: Path, message_id: str, now: datetime, *, held: bool
) -> None:
    """Record the message just built for a slot as the one it sends (`held`: when asked, as
    after `--no-send`), before anything else is done with it."""
    state = DeliveryState.HELD if held else DeliveryState.BUILT
    store.set_delivery(brief_id, state, now, message_id=message_id, eml_path=str(eml))


def deliver_built(
    store: Store,
    built: DeliveryRecord,
    config: Config,
    smtp: SmtpSettings | None,
    now: datetime,
    *,
    send: bool = True,
    policy: SendPolicy = SendPolicy(),
) -> Delivery:
    """Deliver the message built before for a slot (held by `--no-send`, or left by a run that
    stopped before sending it): its stored bytes under its Message-ID, never a new build."""
    eml, brief_id = Path(built.eml_path), built.brief_id
    if not eml.is_file():
        error = f"{eml} is missing: make the brief again with `brief run --slot {brief_id} --rebuild`"
        store.set_delivery(brief_id, DeliveryState.FAILED, now, error=error)
        store.set_slot(brief_id, SlotState.FAILED, now, error=error)
        return Delivery(built.message_id, str(eml), False, error, failed=True)
    # the id the bytes carry: the one they are sent under, whatever the row says
    message_id = str(message_from_bytes(eml.read_bytes(), policy=SMTP)["Message-ID"] or built.message_id)
    if not send:
        return Delivery(message_id, str(eml), False, "built before and not sent (--no-send)")
    return deliver_brief(store, brief_id, eml, message_id, config, smtp, now, policy=policy)


def resume_deliveries(
    store: Store, config: Config, smtp: SmtpSettings | None, now: datetime, policy: SendPolicy = SendPolicy()
) -> list[Delivery]:
    """Send what a crash left between `built` and `sent`: the stored bytes, unchanged."""
    done: list[Delivery] = []
    if smtp is None:
        return done
    for unfinished in store.unfinished_deliveries():
        eml, brief_id = Path(unfinished.eml_path), unfinished.brief_id
        if not eml.is_file():
            store.set_delivery(brief_id, DeliveryState.FAILED, now, error=f"{eml} is missing")
            store.set_slot(brief_id, SlotState.FAILED, now, error=f"{eml} is missing")
            continue
        done.append(_send(store, brief_id, eml, unfinished.message_id, config, smtp, now, policy))
    return done


def _send(
    store: Store,
    brief_id: str,
    eml: Path,
    message_id: str,
    config: Config,
    smtp: SmtpSettings,
    now: datetime,
    policy: SendPolicy,
) -> Delivery:
    raw = eml.read_bytes()
    store.set_delivery(brief_id, DeliveryState.SENDING, now, attempt=True)
    try:
        detail = send_with_retries(raw, config.mail_from, config.mail_to, smtp, policy.delays, policy.sleep)
    except DeliveryError as exc:
        store.set_delivery(brief_id, DeliveryState.FAILED, now, error=str(exc))
        store.set_slot(brief_id, SlotState.FAILED, now, error=f"delivery failed: {exc}")
        return Delivery(message_id, str(eml), False, f"delivery failed: {exc}", failed=True)
    store.set_delivery(brief_id, DeliveryState.SENT, now, sent=True)
    store.set_slot(brief_id, SlotState.DELIVERED, now, brief_id=brief_id)
    return Delivery(message_id, str(eml), True, detail)


def resend_brief(
    store: Store,
    brief_id: str,
    eml: Path,
    config: Config,
    smtp: SmtpSettings,
    now: datetime,
    policy: SendPolicy = SendPolicy(),
) -> Delivery:
    """Send an archived brief again on purpose: the same message with a new Date and a new
    Message-ID, so it is not mistaken for a duplicate of the first sending."""
    if not eml.is_file():
        raise DeliveryError(f"{eml} is missing from the archive", hint="`brief list` shows the briefs kept")
    message = message_from_bytes(eml.read_bytes(), policy=SMTP)
    previous = store.delivery(brief_id)
    sends = previous.sends if previous is not None else 0
    old = str(message["Message-ID"] or f"<brief.{brief_id}@localhost>")
    local, _, domain = old.strip("<>").partition("@")
    message_id = f"<{local}.r{sends + 1}@{domain or 'localhost'}>"
    del message["Message-ID"], message["Date"]
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(now)
    try:
        detail = send_with_retries(
            message.as_bytes(), config.mail_from, config.mail_to, smtp, policy.delays, policy.sleep
        )
    except DeliveryError as exc:
        return Delivery(message_id, str(eml), False, f"delivery failed: {exc}", failed=True)
    store.set_delivery(brief_id, DeliveryState.SENT, now, message_id=message_id, sent=True)
    store.set_slot(brief_id, SlotState.DELIVERED, now, brief_id=brief_id)
    return Delivery(message_id, str(eml), True, f"sent again: {detail}")

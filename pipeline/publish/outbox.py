"""The delivery outbox: each brief's message goes `built → sending → sent | deferred | failed`.

The message is built once and written as message.eml before anything is sent. Whatever a
send records, the outbox's row and the slot's, is one transaction: no start ever finds one
saying "sent" and the other not. A crash while `sending` (or a state disk that could not
record the server's 250) leaves the row there; the next start sends the identical bytes again,
same Message-ID (losing a brief is worse than a possible duplicate, and clients that dedupe by
Message-ID collapse it). A slot is never built again on its own once its message may have left:
if those bytes are gone, the slot waits for a person (`unsure`). A message held by `--no-send`
is the slot's message too: a later run of the slot sends those bytes (`deliver_built`), and only
`--rebuild` makes another, under another Message-ID. Temporary failures are retried with
backoff, then `deferred`: `brief schedule` tries again every `delivery.retry_after` seconds
until it is delivered or a later brief takes its news in (`covered`); permanent ones are
recorded and shown, never retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

from pipeline.config import Config, SmtpSettings
from pipeline.errors import DeliveryError
from pipeline.models import Delivery
from pipeline.publish.mail import Timeouts, send_with_retries
from pipeline.store import Store
from pipeline.store.records import DeliveryRecord, DeliveryState, SlotState

# a message built for its slot and not yet delivered: the one that slot sends, as it is
UNDELIVERED = (DeliveryState.HELD, DeliveryState.BUILT, DeliveryState.SENDING, DeliveryState.DEFERRED)
# a message a server accepted, or the archive's .eml standing for it: the slot is delivered
DELIVERED = (DeliveryState.SENT, DeliveryState.WRITTEN)
RETRY_FACTORS = (1, 4, 10)  # the pauses between tries, in units of delivery.retry_pause


@dataclass(frozen=True)
class SendPolicy:
    """How hard to try: the pauses between tries after a temporary failure (None: from the
    config's delivery.retry_pause), the sleep, and who is told of each pause."""

    delays: Sequence[float] | None = None
    sleep: Callable[[float], None] = time.sleep
    tell: Callable[[str], None] = lambda text: None


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
        settle(store, brief_id, DeliveryState.WRITTEN, SlotState.DELIVERED, now)
        why = "no SMTP server configured (BRIEF_SMTP_HOST)" if smtp is None else "no recipients (delivery.to)"
        return Delivery(message_id, str(eml), False, f"{why}; message written")
    return _send(store, brief_id, eml, message_id, config, smtp, now, policy)


def settle(
    store: Store,
    brief_id: str,
    delivery: DeliveryState,
    slot: SlotState,
    now: datetime,
    *,
    error: str | None = None,
    attempt: bool = False,
    sent: bool = False,
    message_id: str | None = None,
) -> None:
    """Move the brief's message and its slot together, in one transaction."""
    with store.transaction():
        store.set_delivery(
            brief_id, delivery, now, error=error, attempt=attempt, sent=sent, message_id=message_id
        )
        store.set_slot(brief_id, slot, now, brief_id=brief_id, error=error)


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
        error = _gone(store, built, now)
        return Delivery(built.message_id, str(eml), False, error, failed=True)
    # the id the bytes carry: the one they are sent under, whatever the row says
    message_id = str(message_from_bytes(eml.read_bytes(), policy=SMTP)["Message-ID"] or built.message_id)
    if not send:
        return Delivery(message_id, str(eml), False, "built before and not sent (--no-send)")
    return deliver_brief(store, brief_id, eml, message_id, config, smtp, now, policy=policy)


def resume_deliveries(
    store: Store,
    config: Config,
    smtp: SmtpSettings | None,
    now: datetime,
    policy: SendPolicy = SendPolicy(),
    should_stop: Callable[[], bool] = lambda: False,
) -> list[Delivery]:
    """Send what a crash left between `built` and `sent`, and what a server refused for now
    once `delivery.retry_after` has passed: the stored bytes, unchanged. A stop asked for
    (SIGTERM) starts no further send: the next start finishes them."""
    done: list[Delivery] = []
    if smtp is None:
        return done
    last = store.last_delivered_slot()
    for unfinished in store.unfinished_deliveries():
        if should_stop():
            break
        if unfinished.state == DeliveryState.DEFERRED and last is not None and unfinished.brief_id < last:
            continue  # a newer brief reached the reader: this one is never sent after it (the next covers it)
        if unfinished.state == DeliveryState.DEFERRED and not retry_due(unfinished, config, now):
            continue
        eml, brief_id = Path(unfinished.eml_path), unfinished.brief_id
        if not eml.is_file():
            _gone(store, unfinished, now)
            continue
        done.append(_send(store, brief_id, eml, unfinished.message_id, config, smtp, now, policy))
    return done


def retry_due(deferred: DeliveryRecord, config: Config, now: datetime) -> bool:
    """Whether a deferred message is to be tried again at `now` (the clock set back: at once)."""
    waited = now - deferred.updated_at
    return waited >= timedelta(seconds=config.retry_after) or waited < timedelta(0)


def _gone(store: Store, record: DeliveryRecord, now: datetime) -> str:
    """Record that the slot's message file is missing; return what to tell the user. A message
    never handed to a server may be made again; one that may have left is for a person to judge:
    a new brief under its Message-ID would be a second, different message a reader may never see."""
    eml, brief_id = Path(record.eml_path), record.brief_id
    if record.state == DeliveryState.SENDING:
        error = (
            f"{eml} is missing and it may have been sent: if the reader did not get it, "
            f"`brief run --slot {brief_id} --rebuild` sends a new brief (under a new Message-ID)"
        )
        settle(store, brief_id, DeliveryState.LOST, SlotState.UNSURE, now, error=error)
    else:
        error = f"{eml} is missing: make the brief again with `brief run --slot {brief_id} --rebuild`"
        settle(store, brief_id, DeliveryState.FAILED, SlotState.FAILED, now, error=error)
    return error


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
    settle(store, brief_id, DeliveryState.SENDING, SlotState.SENDING, now, attempt=True)

    def waiting(exc: DeliveryError, delay: float) -> None:
        # said where a user looks: `brief status` (the ledger) and `brief run`'s stderr
        note = f"{exc}; trying again in {delay:.0f} s"
        settle(store, brief_id, DeliveryState.SENDING, SlotState.SENDING, now, error=note)
        policy.tell(f"waiting to send brief {brief_id}: {note}")

    try:
        detail = _send_raw(raw, config, smtp, policy, waiting)
    except DeliveryError as exc:
        if exc.temporary:
            error = f"delivery deferred: {exc}; `brief schedule` tries again after {config.retry_after} s"
            settle(store, brief_id, DeliveryState.DEFERRED, SlotState.DEFERRED, now, error=error)
        else:
            error = f"delivery failed: {exc}"
            settle(store, brief_id, DeliveryState.FAILED, SlotState.FAILED, now, error=error)
        return Delivery(message_id, str(eml), False, error, failed=True)
    settle(store, brief_id, DeliveryState.SENT, SlotState.DELIVERED, now, sent=True)
    return Delivery(message_id, str(eml), True, detail)


def _send_raw(
    raw: bytes,
    config: Config,
    smtp: SmtpSettings,
    policy: SendPolicy,
    waiting: Callable[[DeliveryError, float], None] = lambda exc, delay: None,
) -> str:
    """`raw` handed to the server with the config's timeouts and the policy's retries."""
    delays = policy.delays
    if delays is None:
        delays = tuple(float(config.retry_pause * k) for k in RETRY_FACTORS)
    return send_with_retries(
        raw,
        config.mail_from,
        config.mail_to,
        smtp,
        delays,
        policy.sleep,
        timeouts=Timeouts(config.smtp_timeout, config.smtp_data_timeout),
        waiting=waiting,
    )


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
    # the time too: the count of sends starts again when the state is recovered, and a
    # Message-ID used once is never used for other bytes
    message_id = f"<{local}.r{sends + 1}-{_base36(int(now.timestamp()))}@{domain or 'localhost'}>"
    del message["Message-ID"], message["Date"]
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(now)
    try:
        detail = _send_raw(message.as_bytes(), config, smtp, policy)
    except DeliveryError as exc:
        return Delivery(message_id, str(eml), False, f"delivery failed: {exc}", failed=True)
    settle(store, brief_id, DeliveryState.SENT, SlotState.DELIVERED, now, sent=True, message_id=message_id)
    return Delivery(message_id, str(eml), True, f"sent again: {detail}")


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out

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

The slot's message is sent to each subscriber alone (`mail.personalise`: their To, Message-ID
and unsubscribe link on the stored bytes, so a resend is byte for byte the message sent before). The
outbox keeps a row per (slot, subscriber), recorded `sent` with the slot's count in the
transaction that follows each 250: a kill in the middle resends to those not recorded (the one
in flight may get one identical copy) and never to the others. Each recipient is claimed while
sent (`Store.claim_recipient`): with PostgreSQL, two processes delivering the same brief skip
each other's recipients, so none is sent one message twice. Temporary and permanent refusals
are per subscriber; the slot is delivered when every recipient is sent or refused for good.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import SMTP
from email.utils import getaddresses
from pathlib import Path

from pipeline.config import Config, SmtpSettings
from pipeline.errors import DeliveryError
from pipeline.models import Delivery
from pipeline.publish.mail import MessageRefused, SmtpSession, Timeouts, restamped
from pipeline.publish.personal import Personal
from pipeline.publish.tokens import TOKEN_PLACEHOLDER, make_token, secret_from_env
from pipeline.store import Store
from pipeline.store.records import (
    DeliveryRecord,
    DeliveryState,
    RecipientRecord,
    RecipientState,
    SlotState,
    SubscriberStatus,
)

# a message built for its slot and not yet delivered: the one that slot sends, as it is
UNDELIVERED = (DeliveryState.HELD, DeliveryState.BUILT, DeliveryState.SENDING, DeliveryState.DEFERRED)
# a message a server accepted, or the archive's .eml standing for it: the slot is delivered
DELIVERED = (DeliveryState.SENT, DeliveryState.WRITTEN)
RETRY_FACTORS = (1, 4, 10)  # the pauses between tries, in units of delivery.retry_pause


@dataclass(frozen=True)
class SendPolicy:
    """How hard to try: the pauses between tries after a temporary failure (None: from the
    config's delivery.retry_pause), the sleep, who is told of each pause, and the clock."""

    delays: Sequence[float] | None = None
    sleep: Callable[[float], None] = time.sleep
    tell: Callable[[str], None] = lambda text: None
    clock: Callable[[], float] = time.monotonic  # what `delivery.pace` keeps time by, in seconds


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
    sender: Sender | None = None,
) -> Delivery:
    """Send the slot's message, recorded before (`record_built`, or an earlier run's), or say
    why not; the slot follows the result. `sender`: who sends it (this process by default)."""
    if not send:  # recorded as held already: a kill now cannot make resuming send a preview
        return Delivery(message_id, str(eml), False, "not sent (--no-send)")
    seed_subscribers(store, config, now)
    if smtp is None or not store.subscribers(SubscriberStatus.ACTIVE):
        # the .eml in the archive is the delivery
        settle(store, brief_id, DeliveryState.WRITTEN, SlotState.DELIVERED, now)
        why = "no SMTP server configured (BRIEF_SMTP_HOST)"
        if smtp is not None:
            why = "no active subscribers (delivery.to)"
        return Delivery(message_id, str(eml), False, f"{why}; message written")
    return (sender or _send)(store, brief_id, eml, message_id, config, smtp, now, policy)


def seed_subscribers(store: Store, config: Config, now: datetime) -> int:
    """Add the addresses of `delivery.to` not known yet as active subscribers, and make a
    pending one active; one who unsubscribed (or bounced) stays so. Returns how many were
    added or made active."""
    people = [(name, address) for name, address in getaddresses(list(config.mail_to)) if address]
    return store.seed_subscribers(people, now)


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
    with store.transaction():
        store.set_delivery(brief_id, state, now, message_id=message_id, eml_path=str(eml))
        store.clear_recipients(brief_id)  # a new message: every subscriber is to get it


def deliver_built(
    store: Store,
    built: DeliveryRecord,
    config: Config,
    smtp: SmtpSettings | None,
    now: datetime,
    *,
    send: bool = True,
    policy: SendPolicy = SendPolicy(),
    sender: Sender | None = None,
) -> Delivery:
    """Deliver the message built before for a slot (held by `--no-send`, or left by a run that
    stopped before sending it): its stored bytes under its Message-ID, never a new build.
    `sender`: who sends it (this process by default)."""
    eml, brief_id = Path(built.eml_path), built.brief_id
    if not eml.is_file():
        error = _gone(store, built, now)
        return Delivery(built.message_id, str(eml), False, error, failed=True)
    # the id the bytes carry: the one they are sent under, whatever the row says
    message_id = str(message_from_bytes(eml.read_bytes(), policy=SMTP)["Message-ID"] or built.message_id)
    if not send:
        return Delivery(message_id, str(eml), False, "built before and not sent (--no-send)")
    return deliver_brief(store, brief_id, eml, message_id, config, smtp, now, policy=policy, sender=sender)


def resume_deliveries(
    store: Store,
    config: Config,
    smtp: SmtpSettings | None,
    now: datetime,
    policy: SendPolicy = SendPolicy(),
    should_stop: Callable[[], bool] = lambda: False,
    sender: Sender | None = None,
) -> list[Delivery]:
    """Send what a crash left between `built` and `sent`, and what a server refused for now
    once `delivery.retry_after` has passed: the stored bytes, unchanged. A stop asked for
    (SIGTERM) starts no further send: the next start finishes them. `sender`: who sends them
    (this process by default)."""
    done: list[Delivery] = []
    if smtp is None:
        return done
    seed_subscribers(store, config, now)
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
        done.append((sender or _send)(store, brief_id, eml, unfinished.message_id, config, smtp, now, policy))
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


# what sends a slot's recorded message to its subscribers and says how it went: this process
# (`_send`), or `brief worker`s in queue mode (`pipeline.publish.queued`); its arguments are `_send`'s
Sender = Callable[[Store, str, Path, str, Config, SmtpSettings, datetime, SendPolicy], Delivery]


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
    """Send the slot's message to each of its recipients not served yet, over one connection,
    in rounds: after a round that left some refused for now, the next of the policy's pauses,
    then those again. The recipients are the active subscribers when the slot is first sent."""
    refused = begin_sending(store, brief_id, eml, message_id, config, now)
    if refused is not None:
        return refused
    broken = send_waiting(store, brief_id, eml.read_bytes(), config, smtp, now, policy)
    return finish_sending(store, brief_id, eml, message_id, config, smtp, now, broken)


def begin_sending(
    store: Store, brief_id: str, eml: Path, message_id: str, config: Config, now: datetime
) -> Delivery | None:
    """Mark the slot's message as being sent, its recipients (the active subscribers, when it
    is first sent) recorded; None when it can be sent, or the Delivery that says why not (its
    links cannot be signed here)."""
    try:
        subscriber_tokens(eml.read_bytes(), config.edition)
    except DeliveryError as exc:
        # no secret here (a shell without the service's environment): the service's next start
        # sends it, to those not served yet; a message whose links cannot be made anyone's: failed
        if exc.temporary:
            error = f"delivery deferred: {exc}"
            settle(store, brief_id, DeliveryState.DEFERRED, SlotState.DEFERRED, now, error=error)
        else:
            error = f"delivery failed: {exc}"
            settle(store, brief_id, DeliveryState.FAILED, SlotState.FAILED, now, error=error)
        return Delivery(message_id, str(eml), False, f"{error} ({exc.hint})", failed=True)
    with store.transaction():
        settle(store, brief_id, DeliveryState.SENDING, SlotState.SENDING, now, attempt=True)
        if not store.recipients(brief_id):
            store.add_recipients(brief_id, store.subscribers(SubscriberStatus.ACTIVE), now)
    return None


def send_waiting(
    store: Store,
    brief_id: str,
    raw: bytes,
    config: Config,
    smtp: SmtpSettings,
    now: datetime,
    policy: SendPolicy,
) -> DeliveryError | None:
    """Send the message `raw` to each recipient still waiting that no other process holds, in
    rounds with the policy's pauses between them; what broke the connection, if so. The slot's
    state is `finish_sending`'s to say."""
    token_of = subscriber_tokens(raw, config.edition)
    delays = policy.delays
    if delays is None:
        delays = tuple(float(config.retry_pause * k) for k in RETRY_FACTORS)
    broken: DeliveryError | None = None
    for delay in (*delays, None):
        broken, put_off = _round(store, brief_id, raw, config, smtp, now, policy, token_of)
        left = [r for r in store.recipients(brief_id) if r.state in WAITING]
        if not left or delay is None or (broken is not None and not broken.temporary):
            break
        if broken is None and not put_off:  # those left are another process's, being sent now
            break
        # said where a user looks: `brief status` (the ledger) and `brief run`'s stderr
        note = f"{broken or left[0].error}; trying again in {delay:.0f} s" + (
            f" ({len(left):,} waiting)" if len(left) > 1 else ""
        )
        settle(store, brief_id, DeliveryState.SENDING, SlotState.SENDING, now, error=note)
        policy.tell(f"waiting to send brief {brief_id}: {note}")
        policy.sleep(delay)
    return broken


WAITING = (RecipientState.PENDING, RecipientState.DEFERRED)


def subscriber_tokens(raw: bytes, edition: str = "") -> Callable[[str], str | None]:
    """Each subscriber's unsubscribe token (signed for `edition`: its mails' links act on its
    list alone) for a message that carries one-click links (None for one that does not). Raises
    DeliveryError when it carries them and BRIEF_SECRET is unset:
    the links would not work."""
    placeholder = TOKEN_PLACEHOLDER.encode("ascii")
    head, _, body = raw.partition(b"\r\n\r\n")
    if placeholder not in head:
        if placeholder in body:  # its header re-encoded: no subscriber's token could be put in it
            raise DeliveryError(
                "the brief's message carries unsubscribe links whose List-Unsubscribe header "
                "cannot be made each subscriber's",
                hint="make the brief again with `brief run --slot SLOT --rebuild`",
            )
        return lambda address: None
    secret = secret_from_env()
    if secret is None:
        raise DeliveryError(
            "the brief's message has one-click unsubscribe links and BRIEF_SECRET is not set to sign them",
            hint="set BRIEF_SECRET as it was when the brief was made (the service's environment); the "
            "service's next start sends it, or make the brief again with `brief run --slot SLOT --rebuild`",
            temporary=True,
        )
    return lambda address: make_token(secret, "unsubscribe", address, edition=edition)


def _round(
    store: Store,
    brief_id: str,
    raw: bytes,
    config: Config,
    smtp: SmtpSettings,
    now: datetime,
    policy: SendPolicy,
    token_of: Callable[[str], str | None],
) -> tuple[DeliveryError | None, int]:
    """One pass over the recipients still waiting, each one's message on one connection, at
    `delivery.pace`; each result kept as it comes (a kill loses at most the one in flight,
    sent again, the same bytes, by the next start). Returns what broke the connection, if so,
    and how many the server refused for now (worth another round after a pause)."""
    message = Personal(raw)  # read once, made each one's below
    put_off = 0
    gap = 1.0 / config.pace if config.pace else 0.0
    due = policy.clock()
    with SmtpSession(smtp, Timeouts(config.smtp_timeout, config.smtp_data_timeout)) as session:
        for person in store.recipients(brief_id):
            if person.state not in WAITING:
                continue
            with store.claim_recipient(brief_id, person.address) as state:
                if state not in WAITING:  # another process has it, or served it since
                    continue
                if not _still_subscribed(store, person.address):  # left since the slot was first sent
                    store.set_recipient(brief_id, person.address, RecipientState.DROPPED, now)
                    continue
                personal, _ = message.for_subscriber(
                    brief_id, person.address, person.name, token_of(person.address)
                )
                wait = due - policy.clock()
                if wait > 0:
                    policy.sleep(wait)
                due = max(due, policy.clock()) + gap
                try:
                    session.send(personal, config.mail_from, person.address)
                except MessageRefused as exc:
                    refused = RecipientState.DEFERRED if exc.temporary else RecipientState.FAILED
                    store.set_recipient(brief_id, person.address, refused, now, error=str(exc))
                    put_off += exc.temporary
                    continue
                except DeliveryError as exc:
                    return exc, put_off  # the one in flight stays waiting: sent again, as it is
                with store.transaction():
                    store.set_recipient(brief_id, person.address, RecipientState.SENT, now)
                    store.set_delivery(brief_id, DeliveryState.SENDING, now, sent=True)
    return None, put_off


def _still_subscribed(store: Store, address: str) -> bool:
    """Whether `address` is subscribed now, asked just before its message goes: at a pace of
    ten a second, a thousand subscribers take minutes, in which one may unsubscribe."""
    found = store.subscriber(address)
    return found is not None and found.status == SubscriberStatus.ACTIVE


def finish_sending(
    store: Store,
    brief_id: str,
    eml: Path,
    message_id: str,
    config: Config,
    smtp: SmtpSettings,
    now: datetime,
    broken: DeliveryError | None,
) -> Delivery:
    """The slot after its rounds: delivered when every recipient's message was sent or refused
    for good (and one was sent), deferred while some wait, failed when none could be sent."""
    people = store.recipients(brief_id)
    counts = recipient_counts(people)
    # where the subscribers stand is said by `brief run` here, and by `brief status` from the
    # recipients themselves: not kept in the slot's error as well
    told = f" ({recipients_line(people)})" if len(people) > 1 else ""
    waiting = counts[RecipientState.PENDING] + counts[RecipientState.DEFERRED]
    refusal = broken or next((DeliveryError(r.error or "") for r in people if r.state in WAITING), None)
    if waiting and broken is not None and not broken.temporary:
        error = f"delivery failed: {broken}"
        settle(store, brief_id, DeliveryState.FAILED, SlotState.FAILED, now, error=error)
        return Delivery(message_id, str(eml), False, error + told, failed=True)
    if waiting:
        error = f"delivery deferred: {refusal}; `brief schedule` tries again after {config.retry_after} s"
        settle(store, brief_id, DeliveryState.DEFERRED, SlotState.DEFERRED, now, error=error)
        return Delivery(message_id, str(eml), False, error + told, failed=True)
    if not counts[RecipientState.SENT] and counts[RecipientState.FAILED]:
        failed = next(r for r in people if r.state == RecipientState.FAILED)
        error = f"delivery failed: {failed.error}"
        settle(store, brief_id, DeliveryState.FAILED, SlotState.FAILED, now, error=error)
        return Delivery(message_id, str(eml), False, error + told, failed=True)
    if not counts[RecipientState.SENT]:  # every recipient left before their turn
        settle(store, brief_id, DeliveryState.WRITTEN, SlotState.DELIVERED, now)
        return Delivery(message_id, str(eml), False, "no recipient is subscribed any more; message written")
    settle(store, brief_id, DeliveryState.SENT, SlotState.DELIVERED, now)
    sent_to = people[0].address if len(people) == 1 else f"{counts[RecipientState.SENT]:,} subscribers"
    return Delivery(message_id, str(eml), True, f"sent to {sent_to} via {smtp.host}:{smtp.port}{told}")


def recipient_counts(people: Sequence[RecipientRecord]) -> dict[RecipientState, int]:
    """How many of a brief's recipients are in each state (every state present)."""
    counts = dict.fromkeys(RecipientState, 0)
    for person in people:
        counts[person.state] += 1
    return counts


def recipients_line(people: Sequence[RecipientRecord]) -> str:
    """Where a brief's recipients stand, for `brief status`: "delivered to 998 of 1,000;
    1 refused (x@example.org: 550 ...); 1 retrying"."""
    counts = recipient_counts(people)
    total = len(people) - counts[RecipientState.DROPPED]
    parts = [f"delivered to {counts[RecipientState.SENT]:,} of {total:,}"]
    refused = [r for r in people if r.state == RecipientState.FAILED]
    if refused:
        first = f"{refused[0].address}: {refused[0].error}"
        parts.append(f"{len(refused):,} refused ({first}{', ...' if len(refused) > 1 else ''})")
    retrying = counts[RecipientState.DEFERRED]
    if retrying:
        parts.append(f"{retrying:,} retrying")
    pending = counts[RecipientState.PENDING]
    if pending:
        parts.append(f"{pending:,} not sent yet")
    if counts[RecipientState.DROPPED]:
        parts.append(f"{counts[RecipientState.DROPPED]:,} left before their turn")
    return "; ".join(parts)


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
    kept = eml.read_bytes()
    previous = store.delivery(brief_id)
    sends = previous.sends if previous is not None else 0
    old = str(message_from_bytes(kept, policy=SMTP)["Message-ID"] or f"<brief.{brief_id}@localhost>")
    local, _, domain = old.strip("<>").partition("@")
    # the time too: the count of sends starts again when the state is recovered, and a
    # Message-ID used once is never used for other bytes
    message_id = f"<{local}.r{sends + 1}-{_base36(int(now.timestamp()))}@{domain or 'localhost'}>"
    raw = restamped(kept, message_id, now)
    seed_subscribers(store, config, now)
    people = store.subscribers(SubscriberStatus.ACTIVE)
    refused: list[str] = []
    sent: list[str] = []
    try:
        token_of = subscriber_tokens(raw, config.edition)
        template = Personal(raw)
        with SmtpSession(smtp, Timeouts(config.smtp_timeout, config.smtp_data_timeout)) as session:
            for person in people:
                if not _still_subscribed(store, person.address):  # left while the others were sent
                    continue
                try:
                    token = token_of(person.address)
                    personal, _ = template.for_subscriber(brief_id, person.address, person.name, token)
                    session.send(personal, config.mail_from, person.address)
                    sent.append(person.address)
                except MessageRefused as exc:
                    refused.append(f"{person.address} ({exc})")
    except DeliveryError as exc:
        return Delivery(message_id, str(eml), False, f"delivery failed: {exc}", failed=True)
    if not sent:
        why = "; ".join(refused) or "no subscriber is active"
        return Delivery(message_id, str(eml), False, f"delivery failed: {why}", failed=True)
    settle(store, brief_id, DeliveryState.SENT, SlotState.DELIVERED, now, sent=True, message_id=message_id)
    note = f" (refused: {', '.join(refused)})" if refused else ""
    sent_to = sent[0] if len(sent) == 1 else f"{len(sent):,} subscribers"
    detail = f"sent again: sent to {sent_to} via {smtp.host}:{smtp.port}{note}"
    return Delivery(message_id, str(eml), True, detail)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out

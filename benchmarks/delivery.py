"""Delivery: the time to deliver one brief to 1,000 subscribers (synthetic, needs no data folder).

A brief's message is built as a run builds it, its slot recorded as built, and the outbox sends
it through `outbox.deliver_brief` to an aiosmtpd sink on loopback: one message per subscriber,
each made theirs from the one message.eml, each result kept in the state database as it comes
(a fsync'd transaction per message), over one SMTP connection, with `delivery.pace: 0` (a
configured pace adds its own pauses on top: 10 messages/s by default is 100 s for 1,000).
Each message carries its subscriber's own one-click unsubscribe link (BRIEF_SECRET set for the
bench), in its header and in both parts, which are quoted-printable as a brief's are: each
subscriber's parts are decoded and encoded again.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.config import SmtpSettings, load_config
from pipeline.publish import mail, outbox, tokens
from pipeline.store import Store
from pipeline.store.records import SlotState

from .core import Figure, Options, Report

SUBSCRIBERS = 1000
QUICK = 100  # under --limit
SLOT = "2026-11-10T1500Z"


class _Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 2.0.0 accepted"


def run(options: Options, report: Report) -> None:
    from aiosmtpd.controller import Controller

    n = QUICK if options.limit is not None else SUBSCRIBERS
    sink = _Sink()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            seconds = _deliver(Path(tmp), n, SmtpSettings("127.0.0.1", port, None, None, "none"))
    finally:
        controller.stop()
    if sink.count != n:
        raise AssertionError(f"the sink got {sink.count} messages for {n} subscribers")
    report.add(
        Figure(
            "delivery.thousand_seconds" if n == SUBSCRIBERS else f"delivery.seconds_{n}",
            f"delivering one brief to {n:,} subscribers (pace 0, loopback SMTP)",
            seconds,
            None,
            "",
            "s",
            "synthetic subscribers",
            n,
            note=f"{n / seconds:.0f} messages/s over one connection, each recorded as it is sent",
        )
    )


def _deliver(root: Path, n: int, smtp: SmtpSettings) -> float:
    to = ", ".join(f'"reader{i:04d}@town{i % 7}.example"' for i in range(n))
    (root / "sources.yaml").write_text(
        "brief:\n  title: Delivery Bench\n  output: output\n  state: state\n"
        f'delivery:\n  to: [{to}]\n  from: "Bench <brief@bench.example>"\n  pace: 0\n'
        'web:\n  public_url: "https://bench.example/"\n'
        'network:\n  allow: ["127.0.0.1:9"]\nfeeds:\n  - url: "http://127.0.0.1:9/feed.xml"\n',
        encoding="utf-8",
    )
    config = load_config(root / "sources.yaml")
    now = datetime(2026, 11, 10, 15, 0, 30, tzinfo=UTC)
    link = tokens.placeholder_link(config)
    line = "A line of the brief as a reader gets it · the reader’s own."
    raw, message_id = mail.build_message(
        subject="Delivery Bench · Tue 10 Nov, 15:00 UTC",
        text="Delivery Bench\n\n" + f"{line}\n" * 400 + f"Unsubscribe in one click: {link}\n",
        html="<html><body>"
        + f"<p>{line}</p>" * 400
        + f'<p><a href="{link}">Unsubscribe</a></p></body></html>',
        mail_from=config.mail_from,
        mail_to=config.mail_to,
        brief_id=SLOT,
        when=now,
        unsubscribe=link,
    )
    eml = root / "message.eml"
    eml.write_bytes(raw)
    store = Store(config.state_dir)
    before = os.environ.get(tokens.SECRET_ENV)
    os.environ[tokens.SECRET_ENV] = "b" * 32  # the outbox signs each subscriber's link with it
    try:
        with store.transaction():
            outbox.record_built(store, SLOT, eml, message_id, now, held=False)
            store.set_slot(SLOT, SlotState.BUILT, now, brief_id=SLOT)
        start = time.perf_counter()
        delivery = outbox.deliver_brief(store, SLOT, eml, message_id, config, smtp, now)
        seconds = time.perf_counter() - start
    finally:
        store.close()
        if before is None:
            os.environ.pop(tokens.SECRET_ENV, None)
        else:
            os.environ[tokens.SECRET_ENV] = before
    if not delivery.sent:
        raise AssertionError(delivery.detail)
    return seconds

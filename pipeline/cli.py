"""The `brief` command: parse options, call one core function, print the outcome.

Only `main` catches errors: a BriefError becomes its message (and hint) and its exit code.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from email.utils import getaddresses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeline import __version__
from pipeline.config import Config, SmtpSettings, load_config, smtp_from_env
from pipeline.errors import BriefError, CorruptStoreError, storage_error
from pipeline.ingest.health import describe
from pipeline.models import ArchivedBrief
from pipeline.operate.lock import RunLock, ServiceLock
from pipeline.operate.schedule import (
    current_slot,
    next_slot,
    parse_slot,
    pipeline_state,
    slot_id,
    status_line,
)
from pipeline.publish.outbox import recipients_line
from pipeline.store import Store
from pipeline.store.postgres import shown
from pipeline.store.records import SubscriberStatus

if TYPE_CHECKING:
    from pipeline.config_edit import Edited
    from pipeline.run import RunResult

DEFAULT_CONFIG = "sources.yaml"
config_option = click.option(
    "--config",
    "config_path",
    default=DEFAULT_CONFIG,
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The sources.yaml to use.",
)
edition_option = click.option(
    "--edition",
    "edition",
    default=None,
    help="Which edition (its id in sources.yaml's editions:); needed when there are several.",
)


class _Progress:
    """Progress for `brief run`: a live bar on a terminal, plain log lines otherwise."""

    def __init__(self, live: bool) -> None:
        self.live = live
        self._bar: Any = None
        self._task: Any = None
        if live:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.description:<22}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=False,
            )
            self._bar.start()

    def stage(self, name: str, total: int | None = None) -> None:
        if self._bar is not None:
            if self._task is not None:
                self._bar.update(self._task, completed=self._bar.tasks[self._task].total)
            self._task = self._bar.add_task(name, total=total or 1, completed=0 if total else 1)
        else:
            click.echo(f"{datetime.now(UTC):%H:%M:%S} {name}" + (f" ({total})" if total else ""), err=True)

    def advance(self, detail: str = "") -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task)

    def note(self, message: str) -> None:
        if self._bar is not None:
            self._bar.console.print(f"[yellow]![/] {message}", markup=True, highlight=False)
        else:
            click.echo(f"{datetime.now(UTC):%H:%M:%S} ! {message}", err=True)

    def close(self) -> None:
        if self._bar is not None:
            if self._task is not None:
                self._bar.update(self._task, completed=self._bar.tasks[self._task].total)
            self._bar.stop()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dailybrief")
def cli() -> None:
    """dailybrief: your feeds, your story threads, a grounded brief at 15:00 and 21:00 UTC."""


@cli.command()
@config_option
@edition_option
@click.option("--slot", help='The slot to make, e.g. "2026-11-23T15:00Z" (default: the latest one due).')
@click.option("--no-send", is_flag=True, help="Write the brief and its message, but do not send it.")
@click.option("--force", is_flag=True, help="Make and send the slot again even if it was delivered.")
@click.option(
    "--rebuild",
    is_flag=True,
    help="Make a slot built with --no-send again, from what is new since, under a new Message-ID "
    "(without it, the message built is the one sent).",
)
def run(
    config_path: Path, edition: str | None, slot: str | None, no_send: bool, force: bool, rebuild: bool
) -> None:
    """Make one brief now, archive it, and send it.

    A slot built before with --no-send is sent as it was built, byte for byte.

    Example: brief run --config sources.yaml --no-send
    """
    from pipeline.run import RunOptions, run_editions, run_slot
    from pipeline.understand.llm import llm_from_env

    config = load_config(config_path)
    smtp = None if no_send else smtp_from_env()
    now = datetime.now(UTC)
    progress = _Progress(live=sys.stderr.isatty())
    options = RunOptions(send=not no_send, force=force, rebuild=rebuild, llm=llm_from_env(), manual=True)
    if config.several:  # each edition asked (all by default) at its own current slot, read once
        chosen = [config.for_edition(edition)] if edition else list(config.editions)
        if slot and len(chosen) > 1:
            raise click.UsageError("--slot names one edition's slot: say which with --edition")
        try:
            outcomes = run_editions(
                config,
                [e.edition for e in chosen],
                slot=_scheduled(_slot(slot), chosen[0], now) if slot else None,
                smtp=smtp,
                progress=progress,
                options=options,
                current=True,
            )
        finally:
            progress.close()
        code = 0
        for eid, out in outcomes.items():
            click.echo(f"Edition {eid}:")
            if out.error is not None:
                hint = getattr(out.error, "hint", None)
                click.echo(f"  failed: {out.error}" + (f"\n  hint: {hint}" if hint else ""))
                code = max(code, getattr(out.error, "exit_code", 1))
                continue
            if out.result is None:
                click.echo("  nothing due")
                continue
            try:
                _said_run(out.result, slot, no_send)
            except click.exceptions.Exit:
                code = max(code, 2)
        if code:
            raise click.exceptions.Exit(code)
        return
    config = config.for_edition(edition)
    when = _scheduled(_slot(slot), config, now) if slot else current_slot(now, config.schedule)
    try:
        outcome = run_slot(config, slot=when, smtp=smtp, progress=progress, options=options)
    finally:
        progress.close()
    if outcome.result is None:  # a slot was named: it is made, or said to be delivered
        raise click.ClickException(f"slot {slot_id(when)} was not made")
    _said_run(outcome.result, slot, no_send)


def _said_run(result: RunResult, slot: str | None, no_send: bool) -> None:
    """What `brief run` says of the brief it made (or found made)."""
    if result.already_delivered:
        click.echo(f"Brief {result.brief_id} was already delivered; nothing to do (--force sends it again).")
        click.echo(f"It is at {result.brief_dir / 'index.html'}")
        return
    again = f"brief run --slot {result.brief_id}"
    if result.as_built:
        _said_as_built(result, again, delivering=not no_send)
        return
    s = result.stats
    click.echo(
        f"Brief {result.brief_id}: {s.articles_new} new articles ({s.duplicates} duplicates merged), "
        f"{len(result.threads)} threads, {s.feeds_ok}/{s.feeds_total} feeds read, {result.seconds:.1f} s"
    )
    for name, error in result.feed_errors:
        click.echo(f"  feed failed: {name}: {error}")
    click.echo(f"Written to {result.brief_dir / 'index.html'}")
    click.echo(f"Email: {result.delivery.detail} ({result.delivery.eml_path})")
    if no_send:
        click.echo(
            f"`{again}` sends this message as it is; to make it again from what is new since, "
            f"run `{again} --rebuild`."
        )
    if result.delivery.failed:
        raise click.exceptions.Exit(2)


def _said_as_built(result: RunResult, again: str, *, delivering: bool) -> None:
    """What `brief run` says of a slot whose message was built before (with --no-send)."""
    if delivering:
        click.echo(f"Brief {result.brief_id} was built before (--no-send): its message goes as it was built.")
    else:
        click.echo(
            f"Brief {result.brief_id} was built before and not sent: `{again}` sends it as it is; "
            f"to make it again from what is new since, run `{again} --rebuild`."
        )
    click.echo(f"It is at {result.brief_dir / 'index.html'}")
    click.echo(f"Email: {result.delivery.detail} ({result.delivery.eml_path})")
    if result.delivery.failed:
        raise click.exceptions.Exit(2)


@cli.command()
@config_option
def schedule(config_path: Path) -> None:
    """Run as a service: a brief at each scheduled time, missed slots made up once on start.

    Stops cleanly on SIGTERM or Ctrl-C, after the stage in flight.

    Example: brief schedule --config /etc/dailybrief/config/sources.yaml
    """
    from pipeline.service import serve

    config = load_config(config_path)
    serve(config, smtp_from_env())


@cli.command()
@config_option
@click.option("--host", help="Address to listen on (default: web.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port to listen on (default: web.port, 8080).")
@click.option(
    "--schedule",
    "with_schedule",
    is_flag=True,
    help="Run the scheduler of `brief schedule` in the same process.",
)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    envvar="FORWARDED_ALLOW_IPS",
    help="Proxies whose X-Forwarded-For/-Proto headers are believed (comma-separated addresses or "
    "networks); also read from FORWARDED_ALLOW_IPS.",
)
@click.option(
    "--hash-password",
    is_flag=True,
    help="Print a hash of a password to use as BRIEF_ADMIN_PASSWORD, and exit.",
)
def serve(
    config_path: Path,
    host: str | None,
    port: int | None,
    with_schedule: bool,
    forwarded_allow_ips: str,
    hash_password: bool,
) -> None:
    """Serve the web app: the archive, the status, Run now, subscribers, subscribing.

    Needs BRIEF_SECRET (and BRIEF_ADMIN_PASSWORD for anything that changes something) in the
    environment; see README "Web app". Stops cleanly on SIGTERM or Ctrl-C.

    Example: brief serve --config /etc/dailybrief/config/sources.yaml --schedule
    """
    from pipeline.web.guards import hash_password as make_hash

    if hash_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        click.echo(make_hash(password))
        return
    from pipeline.config_edit import unwritable
    from pipeline.web.serve import serve_web

    config = load_config(config_path)
    if note := unwritable(config.path):
        click.echo(f"note: {note}", err=True)
    serve_web(
        config,
        smtp_from_env(),
        host=host or config.web_host,
        port=port or config.web_port,
        schedule=with_schedule,
        forwarded_allow_ips=forwarded_allow_ips,
    )


@cli.command()
@config_option
@edition_option
@click.argument("brief_id")
def send(config_path: Path, edition: str | None, brief_id: str) -> None:
    """Send an archived brief again, on purpose, with a new Message-ID.

    Example: brief send 2026-11-23T1500Z
    """
    from pipeline.run import run_slot

    config = load_config(config_path).for_edition(edition)
    smtp = smtp_from_env()
    if smtp is None:
        raise click.ClickException("BRIEF_SMTP_HOST is not set: there is no server to send to")
    wanted = slot_id(_slot(brief_id))
    delivery = run_slot(config, slot=_slot(brief_id), resend=True, smtp=smtp).resent
    if delivery is None:
        raise click.ClickException(f"brief {wanted} was not sent")
    click.echo(f"Brief {wanted}: {delivery.detail} (Message-ID {delivery.message_id})")
    if not delivery.sent:
        raise click.exceptions.Exit(2)


@cli.command()
@config_option
def check(config_path: Path) -> None:
    """Check the config, the SMTP server and login, and every feed; say what to fix.

    Example: brief check --config sources.yaml
    """
    from pipeline.config_edit import unwritable
    from pipeline.errors import DeliveryError
    from pipeline.ingest.reading import check_feeds

    config = load_config(config_path)
    problems = 0
    click.echo(f"config    ok: {config.path} ({len(config.feeds)} feeds, {len(config.threads)} threads)")
    if note := unwritable(config.path):
        click.echo(f"config    note: {note}")
    smtp = smtp_from_env()
    if smtp is None:
        click.echo("smtp      not configured: briefs are written as message.eml only (set BRIEF_SMTP_HOST)")
    else:
        from pipeline.publish.mail import send_message

        try:
            click.echo(
                f"smtp      ok: {send_message(b'', config.mail_from, config.mail_to, smtp, send=False)}"
            )
        except DeliveryError as exc:
            problems += 1
            click.echo(f"smtp      FAILED: {exc}" + (f" (fix: {exc.hint})" if exc.hint else ""))
    storage = _check_storage(config)
    problems += storage
    if not storage:
        problems += _check_subscribers(config, smtp)
    for checked in check_feeds(config, datetime.now(UTC)):
        feed, result, parsed = checked.feed, checked.result, checked.parsed
        if parsed is None:
            problems += 1
            click.echo(f"feed      FAILED: {feed.name}: [{result.error_kind}] {result.error}")
        elif parsed.error:
            problems += 1
            click.echo(f"feed      FAILED: {feed.name}: [{parsed.error_kind}] {parsed.error}")
        else:
            moved = f" (moved to {result.moved_to}: update sources.yaml)" if result.moved_to else ""
            click.echo(f"feed      ok: {feed.name}: {len(parsed.entries)} entries{moved}")
    if problems:
        click.echo(f"{problems} problem{'s' if problems != 1 else ''} to fix")
        raise click.exceptions.Exit(1)
    click.echo("all good")


def _check_subscribers(config: Config, smtp: SmtpSettings | None) -> int:
    """Say who receives the brief (the subscribers table, with delivery.to's new addresses), and
    whether subscribing and one-click unsubscribing can work; return how many problems there are."""
    from pipeline.publish.subscriptions import SUBSCRIBE_PATH, page_url, secret_from_env

    store = Store(config.state_dir, config.database)
    try:
        known = {p.address.lower(): p.status for p in store.subscribers()}
    finally:
        store.close()
    seeds = {a.lower() for _, a in getaddresses(list(config.mail_to)) if a}
    new = len(seeds - known.keys())  # the next run adds them, active
    counts = {s: sum(1 for v in known.values() if v == s) for s in SubscriberStatus}
    active = counts[SubscriberStatus.ACTIVE] + new
    others = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n and s != SubscriberStatus.ACTIVE)
    if active:
        click.echo(
            f"subscribers ok: {active} active"
            + (f" ({new} from delivery.to, added on the next run)" if new else "")
            + (f"; {others}" if others else "")
        )
    else:
        click.echo(
            "subscribers none active: nobody receives the brief "
            "(`brief subscribers add ADDRESS`, or delivery.to in sources.yaml)"
            + (f"; {others}" if others else "")
        )
    try:
        secret = secret_from_env()
    except BriefError as exc:
        click.echo(f"secret    FAILED: {exc}" + (f" (fix: {exc.hint})" if exc.hint else ""))
        return 1
    missing = [
        what
        for what, ok in (
            ("web.public_url is not set in sources.yaml", config.web_url),
            ("BRIEF_SECRET is not set", secret),
        )
        if not ok
    ]
    if missing:
        click.echo(
            f"web       {' and '.join(missing)}: subscribers cannot unsubscribe in one click (each email "
            "says to write to the sender instead), and nobody can subscribe"
        )
    elif smtp is None:
        click.echo(
            "web       one-click unsubscribe links ok; nobody can subscribe: there is no SMTP server to "
            "mail the confirmation link (set BRIEF_SMTP_HOST)"
        )
    else:
        click.echo(
            f"web       ok: subscribe at {page_url(config, SUBSCRIBE_PATH)}; "
            "each email has a one-click unsubscribe"
        )
    return 0


def _check_storage(config: Config) -> int:
    """Say whether each folder can be written and has room, and whether the state database is
    sound; return how many problems there are."""
    from pipeline.errors import LostStateError
    from pipeline.operate.room import room
    from pipeline.publish.compose import guard_lost_state

    problems = 0
    for found in room(config):
        free = f"{found.free_mb:,} MB free" if found.free_mb is not None else "free space unknown"
        if found.problem is not None:
            problems += 1
            click.echo(f"{found.what:<9} FAILED: {found.folder}: {found.problem} ({free})")
        elif config.min_free_mb and found.free_mb is not None and found.free_mb < config.min_free_mb:
            problems += 1
            click.echo(
                f"{found.what:<9} FAILED: {found.folder}: {free}, a run needs {config.min_free_mb} MB "
                "(brief.min_free_mb)"
            )
        else:
            click.echo(f"{found.what:<9} ok: {found.folder} is writable, {free}")
    try:
        store = Store(config.state_dir, config.database)
    except BriefError as exc:
        click.echo(f"database  FAILED: {exc}" + (f" (fix: {exc.hint})" if exc.hint else ""))
        return problems + 1
    try:
        damage = store.damage()
        try:
            guard_lost_state(config, store)
            lost = None
        except LostStateError as exc:
            lost = exc
    finally:
        store.close()
    if lost is not None:
        click.echo(f"database  FAILED: {lost} (fix: {lost.hint})")
        return problems + 1
    if damage and store.on_postgres:
        click.echo(f"database  FAILED: {store.where} cannot be read whole: {damage}")
        return problems + 1
    if damage:
        hint = CorruptStoreError(store.path, damage).hint
        click.echo(f"database  FAILED: {store.path} is damaged: {damage} (fix: {hint})")
        return problems + 1
    # the server checks its own pages and keeps its own disk: every table read is what we can see
    said = (
        " (PostgreSQL: every table reads; its disk and backups are the server's)" if store.on_postgres else ""
    )
    click.echo(f"database  ok: {store.where}{said}")
    return problems


@cli.command()
@config_option
@edition_option
def status(config_path: Path, edition: str | None) -> None:
    """Show whether the pipeline is running, its recent slots, and the health of each feed.

    Example: brief status --config sources.yaml
    """
    top = load_config(config_path)
    config = top.for_edition(edition)
    store = Store(config.state_dir, config.database)
    reading = Store(*config.shared_state) if config.edition else store  # feeds: read for every edition
    try:
        now = datetime.now(UTC)
        last = store.last_brief()
        slots = store.recent_slots(6)
        heartbeat = store.service("heartbeat")
        failure = store.service("last_failure") or ""
        health = {h.url: h for h in reading.feed_health()}
        paused = reading.paused_hosts(now)
        last_delivered = store.last_delivered_slot()
        people = {e.slot: store.recipients(e.brief_id or e.slot) for e in slots}
    finally:
        store.close()
        if reading is not store:
            reading.close()
    state, reason = pipeline_state(slots, heartbeat, ServiceLock.held(*config.shared_state), failure)
    if config.edition:
        click.echo(f"Edition {config.edition}: {config.title}")
    last_slot = parse_slot(last_delivered) if last_delivered else (last.slot if last else None)
    click.echo(status_line(last_slot, now, config.schedule, state=state))
    if reason:
        click.echo(reason)
    if store.on_postgres:  # shared by every machine that names it: say which one this is
        click.echo(f"State: {store.where} (PostgreSQL)")
    if last:
        click.echo(
            f"Last brief: {last.id} ({last.articles} articles) · "
            f"next due {next_slot(now, config.schedule):%Y-%m-%d %H:%M UTC}"
        )
    if slots:
        click.echo("")
        click.echo("Recent slots:")
        for entry in slots:
            detail = f" · covered by {entry.covered_by}" if entry.covered_by else ""
            detail += f" · {entry.error}" if entry.error else ""
            if people[entry.slot]:  # one message per subscriber: where they stand
                detail += f" · {recipients_line(people[entry.slot])}"
            click.echo(f"  {entry.slot}  {entry.state}{detail}")
    click.echo("")
    click.echo(f"{'feed':<28} {'last success':<16} {'entries':>7}  state · last error")
    for feed in config.feeds:
        h = health.get(feed.url)
        ok = h.last_success.strftime("%Y-%m-%d %H:%M") if h and h.last_success else "never"
        error = f" · [{h.last_error_kind}] {h.last_error}" if h and h.last_error else ""
        seen = h.entries_seen if h else 0
        click.echo(f"{feed.name[:28]:<28} {ok:<16} {seen:>7}  {describe(h, now)}{error}")
    for host, (until, why) in sorted(paused.items()):
        click.echo(f"Host {host} asked us to wait ({why}) until {until:%Y-%m-%d %H:%M} UTC")


def _archived(config: Config) -> list[ArchivedBrief]:
    """The briefs kept, newest first."""
    store = Store(config.state_dir, config.database)
    try:
        return store.briefs()
    finally:
        store.close()


@cli.command(name="list")
@config_option
@edition_option
def list_briefs(config_path: Path, edition: str | None) -> None:
    """List archived briefs, newest first.

    Example: brief list
    """
    briefs = _archived(load_config(config_path).for_edition(edition))
    if not briefs:
        click.echo("No briefs yet: run `brief run` to make one.")
    for b in briefs:
        click.echo(f"{b.id}  {b.articles:>3} articles  {b.headline[:80]}")


@cli.group()
def subscribers() -> None:
    """The subscribers kept in the state database: list, add, remove, export.

    `delivery.to` in sources.yaml only seeds them (each run adds the addresses not known yet);
    the subscribe form of `brief serve` adds them after they confirm. See README "Subscribers".

    Example: brief subscribers list --status active
    """


def _address(text: str) -> str:
    from pipeline.publish.subscriptions import normalise_address

    try:
        return normalise_address(text)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def _subscriber_store(config: Config) -> Store:
    """The state database with `delivery.to` seeded, as the next run will see it."""
    from pipeline.publish.outbox import seed_subscribers

    store = Store(config.state_dir, config.database)
    seed_subscribers(store, config, datetime.now(UTC))
    return store


@subscribers.command(name="list")
@config_option
@edition_option
@click.option(
    "--status",
    type=click.Choice([s.value for s in SubscriberStatus]),
    help="Only the subscribers in this status.",
)
def subscribers_list(config_path: Path, edition: str | None, status: str | None) -> None:
    """List the subscribers with their status and when it last changed, oldest first.

    Example: brief subscribers list --status pending
    """
    config = load_config(config_path).for_edition(edition)
    store = _subscriber_store(config)
    try:
        people = store.subscribers(SubscriberStatus(status) if status else None)
    finally:
        store.close()
    if not people:
        click.echo("no subscribers" + (f" {status}" if status else ""))
        return
    width = max(len(p.address) for p in people)
    for p in people:
        since = f"{p.updated_at:%Y-%m-%d %H:%M} UTC"
        click.echo(
            f"{p.address:<{width}}  {p.status.value:<12}  since {since}" + (f"  {p.name}" if p.name else "")
        )
    counts = {s: sum(1 for p in people if p.status == s) for s in SubscriberStatus}
    click.echo(", ".join(f"{n} {s.value}" for s, n in counts.items() if n))


@subscribers.command(name="add")
@config_option
@edition_option
@click.argument("address")
@click.option("--name", default="", help="The subscriber's name, shown in the To of their messages.")
@click.option(
    "--confirm",
    "ask",
    is_flag=True,
    help="Mail them a confirmation link instead: they are active once they confirm (double opt-in).",
)
def subscribers_add(config_path: Path, edition: str | None, address: str, name: str, ask: bool) -> None:
    """Add a subscriber: active at once, as an address in delivery.to is, since you vouch that
    they asked; with --confirm, mailed a confirmation link instead, as the subscribe form does.
    One who unsubscribed is never added back by you: only by confirming (--confirm).

    Example: brief subscribers add ana@example.com --name "Ana Lima"
    """
    from pipeline.publish.subscriptions import clean_name, request_subscription, secret_from_env

    config = load_config(config_path).for_edition(edition)
    address, name = _address(address), clean_name(name)
    now = datetime.now(UTC)
    store = _subscriber_store(config)
    try:
        if ask:
            request_subscription(config, store, secret_from_env(), address, name, now, smtp_from_env())
            found = store.subscriber(address)
            if found is not None and found.mailed_at == now:
                click.echo(f"sent {address} a confirmation link: they are subscribed once they confirm")
            else:
                click.echo(f"not mailed: {address} was sent a mail less than an hour ago")
            return
        before = store.add_subscriber(address, name, now)
    finally:
        store.close()
    if before in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED):
        raise click.ClickException(
            f"{address} is {before.value}: only they can come back, by confirming; "
            f"`brief subscribers add {address} --confirm` mails them a link"
        )
    if before == SubscriberStatus.ACTIVE:
        click.echo(f"{address} is subscribed already")
    else:
        click.echo(f"added {address}: active, they receive the next brief")


@subscribers.command(name="remove")
@config_option
@edition_option
@click.argument("address")
@click.option(
    "--forget",
    is_flag=True,
    help="Delete everything kept of them instead (their row and their past deliveries), when they "
    "ask to be forgotten; refused while delivery.to lists them.",
)
def subscribers_remove(config_path: Path, edition: str | None, address: str, forget: bool) -> None:
    """Unsubscribe someone: they receive no further brief. Their address is kept, marked
    unsubscribed (not deleted): it is what keeps delivery.to, an add or a request they did not
    confirm from ever mailing them again. With --forget, nothing of them is kept.

    Example: brief subscribers remove ana@example.com
    """
    config = load_config(config_path).for_edition(edition)
    address = _address(address)
    listed = any(a.lower() == address.lower() for _, a in getaddresses(list(config.mail_to)))
    if forget:
        if listed:
            raise click.ClickException(
                f"delivery.to lists {address}: remove it from sources.yaml first, "
                "or the next run adds them again"
            )
        store = Store(config.state_dir, config.database)
        try:
            if not store.forget_subscriber(address):
                raise click.ClickException(f"{address} is not known (`brief subscribers list` shows them)")
        finally:
            store.close()
        click.echo(
            f"forgot {address}: nothing of them is kept (a new request through the form mails them again)"
        )
        return
    store = _subscriber_store(config)
    try:
        if store.subscriber(address) is None:
            raise click.ClickException(f"{address} is not a subscriber (`brief subscribers list` shows them)")
        before = store.unsubscribe_subscriber(address, datetime.now(UTC))
    finally:
        store.close()
    if before == SubscriberStatus.UNSUBSCRIBED:
        click.echo(f"{address} was unsubscribed already")
    else:
        click.echo(f"unsubscribed {address} (was {before.value if before else 'unknown'})")
    if listed:
        click.echo(f"delivery.to still lists {address}: it does not bring them back, but you may remove it")


@subscribers.command(name="export")
@config_option
@edition_option
def subscribers_export(config_path: Path, edition: str | None) -> None:
    """Write every subscriber as CSV to stdout: address, name, status, added, updated (UTC).

    Example: brief subscribers export > subscribers.csv
    """
    import csv

    config = load_config(config_path).for_edition(edition)
    store = _subscriber_store(config)
    try:
        people = store.subscribers()
    finally:
        store.close()
    out = csv.writer(sys.stdout)  # RFC 4180: lines end with CRLF
    out.writerow(["address", "name", "status", "added_at", "updated_at"])
    for p in people:
        row = [p.address, p.name, p.status.value, p.added_at.isoformat(), p.updated_at.isoformat()]
        out.writerow([_cell(text) for text in row])


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: a name given as `=HYPERLINK(...)`, or an
    address as `=cmd|'/Ccalc'!A0@evil.example` (a valid one), is never a formula. Every cell
    goes through it, so no column is left to trust."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@cli.command()
@config_option
@edition_option
@click.argument("article")
def why(config_path: Path, edition: str | None, article: str) -> None:
    """Say which threads an article was filed under, with the score and what decided each.

    ARTICLE is the article's address, or the link a feed gave for it, or its id (as brief.json
    gives it).

    Example: brief why https://news.example/2026/04/lecun-leaves-meta
    """
    from pipeline.ingest.urls import article_id, canonical_url

    config = load_config(config_path).for_edition(edition)
    address = article.strip()
    wanted = article_id(canonical_url(address)) if "://" in address else address
    store = Store(config.state_dir, config.database)
    try:
        found = store.articles([wanted])
        if not found and "://" in address:
            # the feed's link, when the page redirected or its copy was merged into another
            same = canonical_url(address)
            start = address.split("?", 1)[0].split("#", 1)[0]
            linked = next((i for link, i in store.filed_links(start) if canonical_url(link) == same), None)
            found = store.articles([linked]) if linked else []
            wanted = linked or wanted
        filed = store.memberships_of(wanted)
    finally:
        store.close()
    if not found:
        raise click.ClickException(
            f"no article {article!r} is stored; brief.json names each article by its id"
        )
    a = found[0]
    click.echo(f"{a.title} ({a.source}, {a.url})")
    if not filed:
        click.echo("  in no thread: listed with the other new articles, or not shown")
    for m in filed:
        click.echo(
            f"  {m.thread_id} ({m.kind}) · score {m.score:.2f} · {m.why or 'filed before reasons were kept'}"
        )


@cli.command()
@config_option
@edition_option
@click.argument("brief_id", required=False)
def show(config_path: Path, edition: str | None, brief_id: str | None) -> None:
    """Print an archived brief as text (the latest when no ID is given).

    Example: brief show 2026-11-23T1500Z
    """
    config = load_config(config_path).for_edition(edition)
    briefs = _archived(config)
    if not briefs:
        raise click.ClickException("no briefs yet: run `brief run` to make one")
    wanted = slot_id(_slot(brief_id)) if brief_id else briefs[0].id
    found = next((b for b in briefs if b.id == wanted), None)
    if found is None:
        raise click.ClickException(f"no brief {brief_id!r}; `brief list` shows them")
    text = config.output_dir / Path(found.path).parent / "email.txt"
    if not text.exists():
        raise click.ClickException(f"{text} is missing from the archive")
    click.echo(text.read_text(encoding="utf-8"), nl=False)


@cli.command()
@config_option
@click.option(
    "--concurrency",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Feeds and pages read at once.",
)
@click.option(
    "--stalled-after",
    default=30.0,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds without a worker's heartbeat before its jobs are done again by another.",
)
def worker(config_path: Path, concurrency: int, stalled_after: float) -> None:
    """Fetch feeds, read pages and send briefs for the runs of a queue-mode install (brief.queue),
    until stopped (Ctrl-C, SIGTERM).

    Start one or more on any machine that reaches the PostgreSQL database, with the service's
    BRIEF_SMTP_* and BRIEF_SECRET in its environment (it sends the briefs).

    Example: brief worker --config sources.yaml --concurrency 8
    """
    from pipeline.ingest.queue import run_worker
    from pipeline.publish import queued

    config = load_config(config_path)
    if not config.queue:
        raise click.ClickException(
            "brief.queue is off in this config: its runs read their feeds and pages themselves"
        )
    click.echo(
        f"Worker reading feeds and pages and sending briefs for {config.title!r} ({concurrency} at once); "
        "Ctrl-C stops it",
        err=True,
    )
    run_worker(config, concurrency, stalled_after, [(queued.QUEUE, queued.add_delivery_task)])


@cli.command()
@config_option
@edition_option
def rebuild(config_path: Path, edition: str | None) -> None:
    """Write the archive (every brief, thread page, month page, index and feed) again from the database.

    Example: brief rebuild --config sources.yaml
    """
    from pipeline.publish.compose import rebuild_archive

    config = load_config(config_path).for_edition(edition)
    with RunLock(config.state_dir, config.database):
        count = rebuild_archive(config)
    click.echo(f"Rebuilt {count} brief{'s' if count != 1 else ''} in {config.output_dir / 'index.html'}")


@cli.command()
@config_option
def recover(config_path: Path) -> None:
    """Rebuild a lost or emptied state database from the archive; no archived file changes.

    Every archived brief is listed again, its slot recorded as delivered (so it is never sent
    again), and the articles it showed as shown.

    Example: brief recover --config sources.yaml
    """
    from pipeline.recover import recover_state

    config = load_config(config_path)
    with RunLock(config.state_dir, config.database):
        done = recover_state(config, datetime.now(UTC))
    for skipped in done.skipped:
        click.echo(
            f"could not read {skipped}: its slot is recorded as delivered, so it is not sent again, "
            "but the archive's pages cannot list it until its brief.json is restored",
            err=True,
        )
    click.echo(
        f"Recovered {done.briefs} brief{'s' if done.briefs != 1 else ''} and {done.articles} articles "
        f"into {shown(config.database) if config.database else config.state_dir}; the next run goes on "
        "from the newest"
    )


@cli.command()
@click.option(
    "--dir",
    "folder",
    default=".demo",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the demo's config, state and archive (emptied first).",
)
def demo(folder: Path) -> None:
    """Run three briefs offline on the bundled corpus, served and mailed on loopback.

    Example: brief demo --dir /tmp/brief-demo
    """
    from pipeline.demo import run_demo

    progress = _Progress(live=sys.stderr.isatty())
    try:
        result = run_demo(folder.resolve(), progress=progress)
    finally:
        progress.close()
    for r in result.runs:
        s = r.stats
        click.echo(
            f"Brief {r.brief_id}: {s.articles_new} new articles from {s.feeds_ok} feeds "
            f"({s.duplicates} duplicates merged), threads: {', '.join(r.threads) or 'none'} "
            f"· {r.seconds:.1f} s"
        )
    last = result.runs[-1]
    click.echo(f"\nArchive:   {last.brief_dir.parent.parent.parent.parent / 'index.html'}")
    click.echo(f"Brief:     {last.brief_dir / 'index.html'}")
    if result.received:
        click.echo(f"Delivered: {result.received[-1]} (as received by the loopback SMTP server)")
    click.echo(f"Config:    {result.config_path}")


@cli.group()
def feeds() -> None:
    """List, add, remove, import and export the feeds of sources.yaml.

    Each change is written to sources.yaml with its comments kept (see "Changing sources.yaml
    for you" in the README).

    Example: brief feeds add https://news.example/
    """


@feeds.command(name="list")
@config_option
def feeds_list(config_path: Path) -> None:
    """List the configured feeds: name and address.

    Example: brief feeds list
    """
    config = load_config(config_path)
    for feed in config.feeds:
        click.echo(f"{feed.name[:32]:<32} {feed.url}")


@feeds.command(name="add")
@config_option
@click.argument("url")
@click.option("--name", default="", help="The feed's name in the brief (default: its own title).")
def feeds_add(config_path: Path, url: str, name: str) -> None:
    """Add a feed by its address or its site's: a page's <link rel="alternate"> feed is found.

    Example: brief feeds add https://news.example/ --name "News Example"
    """
    from pipeline.curate import SeveralFeedsError, add_feed

    config = load_config(config_path)
    try:
        edited = add_feed(config, url, name)
    except SeveralFeedsError as exc:
        click.echo(f"{url} offers {len(exc.found)} feeds; add the one you want by its address:")
        for found in exc.found:
            click.echo(f"  brief feeds add {found.url}" + (f"   ({found.title})" if found.title else ""))
        raise click.exceptions.Exit(1) from None
    _said(edited)


@feeds.command(name="remove")
@config_option
@click.argument("url")
def feeds_remove(config_path: Path, url: str) -> None:
    """Remove the feed at URL from sources.yaml (what was read from it stays in the archive).

    Example: brief feeds remove https://news.example/feed.xml
    """
    from pipeline.config_edit import remove_feed

    _said(remove_feed(load_config(config_path).path, url))


@feeds.command(name="import")
@config_option
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def feeds_import(config_path: Path, file: Path) -> None:
    """Add the feeds of an OPML file (as feed readers export it) not listed yet.

    Example: brief feeds import subscriptions.opml
    """
    from pipeline.curate import import_opml
    from pipeline.ingest.opml import MAX_OPML_BYTES

    with open(file, "rb") as opened:
        data = opened.read(MAX_OPML_BYTES + 1)
    edited, known = import_opml(load_config(config_path), data)
    _said(edited)
    if known:
        click.echo(f"{known} feed{'s' if known != 1 else ''} of the file listed already: left as they were")


@feeds.command(name="export")
@config_option
def feeds_export(config_path: Path) -> None:
    """Print the configured feeds as OPML 2.0, for a feed reader.

    Example: brief feeds export > dailybrief.opml
    """
    from pipeline.curate import export_opml

    click.echo(export_opml(load_config(config_path)).decode("utf-8"), nl=False)


@cli.group()
def threads() -> None:
    """List the threads and the emerging stories; follow, mute, unmute and edit them.

    Each change is written to sources.yaml with its comments kept; the next run reads it. With
    editions, --edition ID says whose threads: the change is written under that edition's entry
    (one that had no threads of its own gets its own copy of threads: first).

    Example: brief threads follow story-98cbc67ee635 --edition coast
    """


@threads.command(name="list")
@config_option
@edition_option
def threads_list(config_path: Path, edition: str | None) -> None:
    """List the configured threads, then the emerging stories of the last brief (with their ids).

    Example: brief threads list
    """
    from pipeline.curate import emerging_stories

    config = load_config(config_path).for_edition(edition)
    store = Store(config.state_dir, config.database)
    try:
        stories = emerging_stories(config, store)
    finally:
        store.close()
    click.echo("Configured threads:" if config.threads else "No configured threads.")
    for t in config.threads:
        marks = " · muted" if t.muted else ""
        marks += f" · follows {t.story}" if t.story else ""
        click.echo(f"  {t.id:<32} {t.title}{marks}")
    click.echo("Emerging stories:" if stories else "No emerging stories in the last brief.")
    for s in stories:
        marks = " · muted" if s.muted else ""
        marks += f" · followed by {s.followed_by}" if s.followed_by else ""
        click.echo(f"  {s.id:<32} {s.title} ({s.new_articles} new in {s.brief_id}){marks}")


@threads.command(name="follow")
@config_option
@edition_option
@click.argument("story_id")
def threads_follow(config_path: Path, edition: str | None, story_id: str) -> None:
    """Follow an emerging story as a configured thread: the next run files its articles there.

    Example: brief threads follow story-98cbc67ee635
    """
    from pipeline.curate import follow_story

    config = load_config(config_path).for_edition(edition)
    store = Store(config.state_dir, config.database)
    try:
        edited = follow_story(config, store, story_id)
    finally:
        store.close()
    spec = _said(edited, config.edition).threads[-1]
    click.echo(f"  title: {spec.title}\n  entities: {', '.join(spec.entities) or 'none'}")
    click.echo(f"  description: {spec.description}")
    also = f" --edition {config.edition}" if config.edition else ""
    click.echo(f"Change them with: brief threads edit {spec.id}{also} --description ... --entities ...")


@threads.command(name="mute")
@config_option
@edition_option
@click.argument("thread_id")
def threads_mute(config_path: Path, edition: str | None, thread_id: str) -> None:
    """Stop showing a thread or an emerging story; its articles are still filed under it.

    Example: brief threads mute story-df33fd3aa444
    """
    from pipeline.config_edit import set_muted

    config = load_config(config_path).for_edition(edition)
    _said(set_muted(config.path, thread_id, True, edition=config.edition or None), config.edition)


@threads.command(name="unmute")
@config_option
@edition_option
@click.argument("thread_id")
def threads_unmute(config_path: Path, edition: str | None, thread_id: str) -> None:
    """Show a muted thread or emerging story again, with the history it kept.

    Example: brief threads unmute story-df33fd3aa444
    """
    from pipeline.config_edit import set_muted

    config = load_config(config_path).for_edition(edition)
    _said(set_muted(config.path, thread_id, False, edition=config.edition or None), config.edition)


@threads.command(name="edit")
@config_option
@edition_option
@click.argument("thread_id")
@click.option("--title", default=None, help="The thread's new title.")
@click.option("--description", default=None, help="Its new description ('' removes it).")
@click.option("--entities", default=None, help='Its names, comma-separated: "Veltrion, European Commission".')
def threads_edit(
    config_path: Path,
    edition: str | None,
    thread_id: str,
    title: str | None,
    description: str | None,
    entities: str | None,
) -> None:
    """Change a configured thread's title, description or names (entities).

    Example: brief threads edit eu-fines --entities "Veltrion, European Commission"
    """
    from pipeline.config_edit import edit_thread

    config = load_config(config_path).for_edition(edition)
    names = [n.strip() for n in entities.split(",")] if entities is not None else None
    edited = edit_thread(
        config.path,
        thread_id,
        title=title,
        description=description,
        entities=names,
        edition=config.edition or None,
    )
    _said(edited, config.edition)


def _said(edited: Edited, edition: str = "") -> Config:
    """Say what `edited` did; the brief it changed (the edition's, given one) as it now reads."""
    config = edited.config.for_edition(edition) if edition else edited.config
    click.echo(f"{config.path}: {edited.said}")
    click.echo(f"  now {len(config.feeds)} feeds, {len(config.threads)} threads; `brief check` reads them")
    return config


def _slot(text: str) -> datetime:
    try:
        return parse_slot(text)
    except ValueError:
        raise click.BadParameter(f'{text!r} is not a slot like "2026-11-23T15:00Z"') from None


def _scheduled(when: datetime, config: Config, now: datetime) -> datetime:
    """`when` if it is a slot of the schedule that has begun; a clear error otherwise (a brief
    "T1507Z" no schedule makes, or one dated 2199, would sit in the archive as if it had been)."""
    times = ", ".join(f"{t:%H:%M}" for t in config.schedule)
    from pipeline.publish.archive import brief_dir

    if brief_dir(config.output_dir, when).is_dir():
        return when  # a brief of the archive (made under an earlier schedule, perhaps)
    if when.astimezone(UTC).time() not in config.schedule:
        raise click.ClickException(f"--slot {slot_id(when)} is not a time of the schedule ({times} UTC)")
    if when > now:
        raise click.ClickException(f"--slot {slot_id(when)} has not begun yet (it is now {slot_id(now)})")
    return when


def main(argv: list[str] | None = None) -> None:
    """Entry point of `brief` and `python -m pipeline`."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        # outside standalone mode, click returns a command's exit code instead of exiting
        code = cli.main(args=argv, prog_name="brief", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BriefError as exc:
        click.echo(f"Error: {exc}", err=True)
        if exc.hint:
            click.echo(f"Hint: {exc.hint}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except OSError as exc:
        # a full, read-only or forbidden folder met outside a run (`brief rebuild`, `brief
        # recover`, a lock file): said as a run says it, never a traceback
        fault = storage_error(exc, {})
        if fault is None:
            raise
        click.echo(f"Error: {fault}", err=True)
        if fault.hint:
            click.echo(f"Hint: {fault.hint}", err=True)
        sys.exit(fault.exit_code)
    except Exception as exc:
        if type(exc).__module__ != "sqlite3":
            raise
        # a damaged state database met on a read (writes and opening say so themselves)
        click.echo(f"Error: the state database failed: {exc}", err=True)
        click.echo(
            "Hint: `brief check` checks it; restore the state folder from a backup, or move the "
            "database aside and run `brief recover` to rebuild it from the archive",
            err=True,
        )
        sys.exit(CorruptStoreError.exit_code)
    if isinstance(code, int) and code:
        sys.exit(code)

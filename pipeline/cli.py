"""The `brief` command: parse options, call one core function, print the outcome.

Only `main` catches errors: a BriefError becomes its message (and hint) and exit code 1.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from . import __version__
from .config import load_config, smtp_from_env
from .errors import BriefError
from .health import describe
from .schedule import current_slot, next_slot, parse_slot, slot_id, status_line
from .store import Store

DEFAULT_CONFIG = "sources.yaml"
config_option = click.option(
    "--config",
    "config_path",
    default=DEFAULT_CONFIG,
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The sources.yaml to use.",
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
@click.option("--slot", help='The slot to make, e.g. "2026-11-23T15:00Z" (default: the latest one due).')
@click.option("--no-send", is_flag=True, help="Write the brief and its message, but do not send it.")
def run(config_path: Path, slot: str | None, no_send: bool) -> None:
    """Make one brief now, archive it, and send it.

    Example: brief run --config sources.yaml --no-send
    """
    from .run import run_brief

    config = load_config(config_path)
    now = datetime.now(UTC)
    when = _slot(slot) if slot else current_slot(now, config.schedule)
    progress = _Progress(live=sys.stderr.isatty())
    try:
        result = run_brief(
            config, slot=when, smtp=None if no_send else smtp_from_env(), send=not no_send, progress=progress
        )
    finally:
        progress.close()
    s = result.stats
    click.echo(
        f"Brief {result.brief_id}: {s.articles_new} new articles ({s.duplicates} duplicates merged), "
        f"{len(result.threads)} threads, {s.feeds_ok}/{s.feeds_total} feeds read, {s.seconds:.1f} s"
    )
    for name, error in result.feed_errors:
        click.echo(f"  feed failed: {name}: {error}")
    click.echo(f"Written to {result.brief_dir / 'index.html'}")
    click.echo(f"Email: {result.delivery.detail} ({result.delivery.eml_path})")


@cli.command()
@config_option
def status(config_path: Path) -> None:
    """Show when the last brief ran, when the next is due, and the health of each feed.

    Example: brief status --config sources.yaml
    """
    config = load_config(config_path)
    store = Store(config.state_dir)
    try:
        last = store.last_brief()
        last_run = store.last_run()
        health = {h.url: h for h in store.feed_health()}
        now = datetime.now(UTC)
        paused = store.paused_hosts(now)
    finally:
        store.close()
    failing = last_run is not None and last_run["status"] == "failed"
    state = "Failing" if failing else "Active"
    click.echo(status_line(last.slot if last else None, now, config.schedule, state=state))
    if failing and last_run is not None:
        click.echo(f"Last run ({last_run['slot']}) failed: {last_run['error']}")
    if last:
        click.echo(
            f"Last brief: {last.id} ({last.articles} articles) · "
            f"next due {next_slot(now, config.schedule):%Y-%m-%d %H:%M UTC}"
        )
    click.echo("")
    click.echo(f"{'feed':<28} {'last success':<16} {'entries':>7}  state · last error")
    for feed in config.feeds:
        h = health.get(feed.url)
        ok = h.last_success.strftime("%Y-%m-%d %H:%M") if h and h.last_success else "never"
        error = f" · [{h.last_error_kind}] {h.last_error}" if h and h.last_error else ""
        seen = h.entries_seen if h else 0
        click.echo(f"{feed.name[:28]:<28} {ok:<16} {seen:>7}  {describe(h, now)}{error}")
    for host, (until, reason) in sorted(paused.items()):
        click.echo(f"Host {host} asked us to wait ({reason}) until {until:%Y-%m-%d %H:%M} UTC")


@cli.command(name="list")
@config_option
def list_briefs(config_path: Path) -> None:
    """List archived briefs, newest first.

    Example: brief list
    """
    config = load_config(config_path)
    store = Store(config.state_dir)
    try:
        briefs = store.briefs()
    finally:
        store.close()
    if not briefs:
        click.echo("No briefs yet: run `brief run` to make one.")
    for b in briefs:
        click.echo(f"{b.id}  {b.articles:>3} articles  {b.headline[:80]}")


@cli.command()
@config_option
@click.argument("brief_id", required=False)
def show(config_path: Path, brief_id: str | None) -> None:
    """Print an archived brief as text (the latest when no ID is given).

    Example: brief show 2026-11-23T1500Z
    """
    config = load_config(config_path)
    store = Store(config.state_dir)
    try:
        briefs = store.briefs()
    finally:
        store.close()
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
    from .demo import run_demo

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
            f"· {s.seconds:.1f} s"
        )
    last = result.runs[-1]
    click.echo(f"\nArchive:   {last.brief_dir.parent.parent.parent.parent / 'index.html'}")
    click.echo(f"Brief:     {last.brief_dir / 'index.html'}")
    if result.received:
        click.echo(f"Delivered: {result.received[-1]} (as received by the loopback SMTP server)")
    click.echo(f"Config:    {result.config_path}")


def _slot(text: str) -> datetime:
    try:
        return parse_slot(text)
    except ValueError:
        raise click.BadParameter(f'{text!r} is not a slot like "2026-11-23T15:00Z"') from None


def main(argv: list[str] | None = None) -> None:
    """Entry point of `brief` and `python -m pipeline`."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        cli.main(args=argv, prog_name="brief", standalone_mode=False)
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
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)

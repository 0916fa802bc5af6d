"""Queue mode at scale (issue 21): `brief worker` processes reading feeds and pages through
Procrastinate in a real PostgreSQL server started here (the tests' own,
`tests/postgres_server.py`), from a loopback server that answers each feed and page after 100 ms.

- `scale.workers`: pages per second of a run's reading (its feeds, then their pages, each a job
  of the workers, by the run's own code) with 4 worker processes against 1, each doing one job
  at a time, so the fetch is the bound: the ideal is 4x; the target 3x. 1 and 2 workers and
  each ratio to the ideal are in the details. `BRIEF_SCALE_PAGES` sets the pages per measure,
  `PER_FEED` to a feed (default 240 pages in 24 feeds; the issue's 20,000 pages in 2,000 feeds
  take about 75 minutes in all on this machine, 40 of them with one worker).
- `scale.same_brief`: the demo's first slots through SQLite in one process and through
  PostgreSQL with 2 workers: 1 when the briefs (text and brief.json, threads included) are the same.

Skipped, saying why, when no PostgreSQL server can start.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory

from .core import Figure, Options, Report, at_least, ratio_at_least

NAME = "scale"
ROOT = Path(__file__).resolve().parents[1]
DELAY = 0.1  # seconds the loopback server takes to answer each page
PER_FEED = 10  # pages listed by each feed: 2,000 feeds for the 20,000 pages
PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Harbour</title></head><body><article>"
    "<h1>The harbour reopens ({path})</h1><p>The harbour authority reopened the northern channel on"
    " Monday.</p><p>Ferries resume their crossings this week, the operator said.</p></article></body></html>"
)


class _Slow(BaseHTTPRequestHandler):
    """A feed (`/f/<measure>/<k>.xml`: `PER_FEED` items, each a page of its own) or a page,
    each after `DELAY`."""

    def do_GET(self) -> None:
        time.sleep(DELAY)
        if self.path.endswith(".xml"):
            base = f"http://{self.headers['Host']}/p{self.path.removeprefix('/f').removesuffix('.xml')}"
            items = "".join(
                f"<item><title>Page {i}</title><link>{base}/{i}</link><guid>{base}/{i}</guid></item>"
                for i in range(PER_FEED)
            )
            body = f"<rss version='2.0'><channel><title>Scale</title>{items}</channel></rss>"
            kind = "application/rss+xml"
        else:
            body, kind = PAGE.replace("{path}", self.path), "text/html; charset=utf-8"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def run(opts: Options, report: Report) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from postgres_server import running_server  # the tests' own server

        from pipeline.ingest import queue  # noqa: F401 - Procrastinate installed?
    except ImportError as exc:
        report.skip(NAME, "scale", f"needs the postgres extra: {exc}")
        return
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    try:
        with running_server(port) as server, TemporaryDirectory() as tmp:
            _workers(report, server.database(), Path(tmp))
            _same_brief(report, server.database(), Path(tmp))
    except (FileNotFoundError, KeyError, subprocess.CalledProcessError) as exc:
        report.skip(NAME, "scale", f"no PostgreSQL server: {exc}")


def _worker(sources: Path, concurrency: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline",
            "worker",
            "--config",
            str(sources),
            "--concurrency",
            str(concurrency),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for w in workers:
        w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=60)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait()


def _workers(report: Report, database: str, tmp: Path) -> None:
    """For 1, 2 and 4 workers, a run's reading in queue mode, by the run's own code: the workers
    fetch its feeds (`read_feeds` with `feeds_by_workers`), then its pages (`read_articles` with
    `articles_by_workers`); pages read per second, from the first feed deferred to the last
    article stored."""
    from pipeline.config import load_config
    from pipeline.ingest.queue import articles_by_workers, feeds_by_workers
    from pipeline.ingest.reading import RunContext, fetch_settings, read_articles, read_feeds
    from pipeline.operate.progress import QuietProgress
    from pipeline.store import Store

    pages = int(os.environ.get("BRIEF_SCALE_PAGES", "240"))
    feeds = max(1, pages // PER_FEED)
    site = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    site.daemon_threads = True
    threading.Thread(target=site.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{site.server_address[1]}"
    rates: dict[int, float] = {}
    read_per_count: dict[int, int] = {}
    try:
        for count in (1, 2, 4):
            sources = tmp / f"scale-{count}.yaml"
            listed = "".join(
                f"  - {{url: 'http://{host}/f/{count}/{k}.xml', name: 'Feed {k}'}}\n" for k in range(feeds)
            )
            sources.write_text(
                f"brief:\n  title: Scale\n  database: {database}\n  queue: true\n  state: {tmp / 'state'}\n"
                f"  output: {tmp / 'out'}\nfetch:\n  per_host: 8\nnetwork:\n  allow: ['{host}']\n"
                f"feeds:\n{listed}",
                encoding="utf-8",
            )
            config = load_config(sources)
            workers = [_worker(sources, 1) for _ in range(count)]
            time.sleep(3)  # the workers start (Python, trafilatura) before the clock does
            store = Store(config.state_dir, config.database)
            try:
                now = datetime.now(UTC)
                run_id = store.start_run(f"scale-{count}", now)
                ctx = RunContext(
                    config,
                    store,
                    run_id,
                    now,
                    QuietProgress(),
                    fetch_settings(config),
                    {},
                    random.Random(0),
                    lambda: False,
                )
                started = time.monotonic()
                read_feeds(ctx, feeds_by_workers)
                entries = store.pending_entries([f.url for f in config.feeds])
                read, _, _ = read_articles(ctx, entries, [], articles_by_workers)
                rates[count] = read / (time.monotonic() - started)
                read_per_count[count] = read
            finally:
                store.close()
                _stop(workers)
    finally:
        site.shutdown()
    if any(n != pages for n in read_per_count.values()):
        report.note(NAME, f"pages read of {pages}, by workers: {read_per_count}")
    report.add(
        Figure(
            "scale.workers",
            "queue: pages/s, 4 workers vs 1 (100 ms feeds and pages)",
            rates[4],
            rates[1],
            "(1 worker)",
            "pages/s",
            f"{feeds} feeds, {pages} pages per measure, loopback, 1 job at a time per worker",
            pages,
            ratio_at_least(3.0),
        )
    )
    report.details[NAME] = {
        "pages_per_s": rates,
        "ratio_to_ideal": {n: rates[n] / (n * rates[1]) for n in rates},
        "pages": pages,
    }


def _same_brief(report: Report, database: str, tmp: Path) -> None:
    from pipeline.config import SmtpSettings, load_config
    from pipeline.demo import DEMO_SLOTS, demo_config_text, serve_corpus, slot_clock, smtp_sink
    from pipeline.operate.schedule import parse_slot
    from pipeline.run import run_brief

    slots = [parse_slot(s) for s in DEMO_SLOTS[:2]]
    made: dict[str, list[tuple[str, str]]] = {}
    with serve_corpus(slot_clock(slots[0])) as server, smtp_sink() as sink:
        smtp = SmtpSettings("127.0.0.1", sink.port, None, None, "none")
        for mode in ("sqlite", "queue"):
            folder = tmp / mode
            folder.mkdir()
            text = demo_config_text(server, folder / "output", folder / "state")
            if mode == "queue":
                text = text.replace("brief:\n", f"brief:\n  database: {database}\n  queue: true\n", 1)
            (folder / "sources.yaml").write_text(text, encoding="utf-8")
            config = load_config(folder / "sources.yaml")
            workers = [_worker(folder / "sources.yaml", 4) for _ in range(2)] if mode == "queue" else []
            try:
                made[mode] = []
                for slot in slots:
                    server.now = slot_clock(slot)
                    result = run_brief(config, slot=slot, clock=partial(slot_clock, slot), smtp=smtp)
                    made[mode].append(
                        (
                            (result.brief_dir / "email.txt").read_text(encoding="utf-8"),
                            (result.brief_dir / "brief.json").read_text(encoding="utf-8"),
                        )
                    )
            finally:
                _stop(workers)
    same = float(made["sqlite"] == made["queue"])
    report.add(
        Figure(
            "scale.same_brief",
            "queue: same briefs as one process on SQLite",
            same,
            None,
            "",
            "share",
            f"demo, {len(slots)} slots, 2 workers, at {datetime.now(UTC):%H:%M}",
            len(slots),
            at_least(1.0),
        )
    )

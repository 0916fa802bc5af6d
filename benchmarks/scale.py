"""Queue mode at scale (issue 21): `brief worker` processes reading pages through Procrastinate in
a real PostgreSQL server started here (the tests' own, `tests/postgres_server.py`), from a
loopback server that answers each page after 100 ms.

- `scale.workers`: pages per second with 4 worker processes against 1 (each reading one page at
  a time, so the fetch is the bound): the ideal is 4x; the target 3x. 1 and 2 workers and each
  ratio to the ideal are in the details. `BRIEF_SCALE_PAGES` sets the pages per measure (default
  240; the issue's 20,000 takes about 35 minutes with one worker on this machine).
- `scale.same_brief`: the demo's first slots through SQLite in one process and through
  PostgreSQL with 2 workers: 1 when the briefs (text and brief.json, threads included) are the same.

Skipped, saying why, when no PostgreSQL server can start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory

from .core import Figure, Options, Report, at_least, ratio_at_least

NAME = "scale"
ROOT = Path(__file__).resolve().parents[1]
DELAY = 0.1  # seconds the loopback server takes to answer each page
PAGE = (
    b"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Harbour</title></head><body><article>"
    b"<h1>The harbour reopens</h1><p>The harbour authority reopened the northern channel on Monday.</p>"
    b"<p>Ferries resume their crossings this week, the operator said.</p></article></body></html>"
)


class _Slow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(DELAY)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

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
    from pipeline.config import load_config
    from pipeline.ingest.queue import defer_pages, queue_app
    from pipeline.models import FeedEntry
    from pipeline.store.queued import QueuedPages

    pages = int(os.environ.get("BRIEF_SCALE_PAGES", "240"))
    site = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    site.daemon_threads = True
    threading.Thread(target=site.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{site.server_address[1]}"
    sources = tmp / "scale.yaml"
    sources.write_text(
        f"brief:\n  title: Scale\n  database: {database}\n  queue: true\n  state: {tmp / 'state'}\n"
        f"  output: {tmp / 'out'}\nfetch:\n  per_host: 8\nnetwork:\n  allow: ['{host}']\n"
        f"feeds:\n  - url: http://{host}/feed.xml\n    name: Scale\n",
        encoding="utf-8",
    )
    config = load_config(sources)
    app = queue_app(config)
    stored = QueuedPages(database)
    rates: dict[int, float] = {}
    try:
        for count in (1, 2, 4):
            run_id = 1000 + count
            feed = f"http://{host}/feed.xml"
            entries = [
                FeedEntry(feed, f"{count}-{i}", f"http://{host}/p/{count}/{i}", f"Page {i}", "", None)
                for i in range(pages)
            ]
            stored.record_feed_success(feed, "Scale", datetime.now(UTC), None, entries)  # what a worker reads
            workers = [_worker(sources, 1) for _ in range(count)]
            time.sleep(3)  # the workers start (Python, trafilatura) before the clock does
            started = time.monotonic()
            with app.open():
                defer_pages(app, config, run_id, entries, datetime.now(UTC) + timedelta(hours=1))
            read: set[int] = set()
            while True:
                read |= stored.taken(run_id, read).keys()  # only those new since: each parsed once
                if len(read) >= pages or time.monotonic() - started > 1800:
                    break
                time.sleep(0.2)
            rates[count] = len(read) / (time.monotonic() - started)
            stored.forget(run_id)
            _stop(workers)
    finally:
        stored.close()
        site.shutdown()
    report.add(
        Figure(
            "scale.workers",
            "queue: pages/s, 4 workers vs 1 (100 ms pages)",
            rates[4],
            rates[1],
            "(1 worker)",
            "pages/s",
            f"{pages} pages per measure, loopback, 1 page at a time per worker",
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

"""The chaos suite (`make chaos`): faults an operator meets, made for real, again and again, and
after each the promises checked: every brief folder complete, the state database passing
`PRAGMA integrity_check`, every slot delivered exactly once (a copy of the same bytes under the
same Message-ID aside: the SMTP window no client can close), nothing archived lost, no traceback.

A loopback feed server and a loopback SMTP sink (aiosmtpd) serve every newsroom; each fault gets
a newsroom of its own (a sources.yaml, output/ and state/ in a temporary folder, its own
recipient, so the sink tells their messages apart). `brief run` and `brief schedule` run as child
processes where a fault kills them, in this process (`pipeline.cli.main`) elsewhere; the clock is
moved through the scheduler's own seam (`run_due_slots(clock=...)`). Full and read-only disks are
small tmpfs mounts, made when running as root; elsewhere those faults are skipped and say why.

    python -m benchmarks.chaos              # about 50 faults, at most about 10 minutes
    python -m benchmarks.chaos --quick      # one try of each fault (the test suite runs this)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from benchmarks.loopback import Server

ROOT = Path(__file__).resolve().parent.parent
BRIEF_FILES = ("index.html", "email.html", "email.txt", "message.eml", "brief.json")
SLOTS = ("2026-11-10T1500Z", "2026-11-10T2100Z", "2026-11-11T1500Z")
CHILD_TIMEOUT = 90.0  # seconds a child run may take before the suite calls it hung
SLOW_REPLY = 6.0  # seconds the slow server takes to answer the end of DATA (smtp_timeout is 5)
HOLD_REPLY = 20.0  # seconds the server keeps a message before its 250, in the SMTP window
LONG_OUTAGE = 3.0  # seconds the long outage lasts: "ten minutes", scaled by retry_after

# Original stories, three a slot: each newsroom's feed lists those of the slots published so far.
STORIES = (
    (
        "Harbour board approves a second ferry berth",
        "The harbour board of Vessby approved a second ferry berth on Monday. Building starts in "
        "March and should take eleven months. The berth lets two ferries load at once during the "
        "summer peak. Local hauliers asked for a separate lane for lorries.",
    ),
    (
        "Vessby school kitchen switches to local fish",
        "The municipal school kitchen in Vessby will serve fish from the local cooperative twice a "
        "week. The contract runs for three years. Parents had asked for fewer processed meals. The "
        "cooperative says it will hire two more people for the filleting line.",
    ),
    (
        "Night train to the north returns in December",
        "The night train between the capital and the northern coast returns on the tenth of "
        "December after a two-year pause. Sleeper cabins are refitted with new bunks. Tickets went "
        "on sale this morning. The operator expects the first month to sell out.",
    ),
    (
        "Storm closes the coastal road for two days",
        "The coastal road south of Vessby was closed on Tuesday after a storm washed gravel across "
        "both lanes. Road crews expect to reopen it on Thursday. Buses take the inland route "
        "meanwhile. Three houses on the shore lost power for a night.",
    ),
    (
        "Library extends its opening hours in winter",
        "The Vessby library will stay open until nine in the evening from November to February. "
        "Students asked for a warm place to read after school. The longer hours cost about forty "
        "thousand kroner. Volunteers will run a homework club on Wednesdays.",
    ),
    (
        "Fishing quota for herring cut by a tenth",
        "The regional fisheries office cut next year's herring quota by ten percent. Surveys found "
        "fewer young fish near the banks. Skippers said the cut would hurt small boats most. The "
        "office will review the figure again in June.",
    ),
    (
        "Wind farm survey ships arrive off the cape",
        "Two survey ships arrived off the cape on Wednesday to map the seabed for a planned wind "
        "farm. The survey lasts six weeks. Fishermen were asked to avoid the marked area. The "
        "developer will present the first results at a public meeting.",
    ),
    (
        "Old cannery becomes a food market",
        "The old cannery on the east quay will open as a covered food market in spring. Twelve "
        "stalls have already been let. The roof was repaired with help from a heritage fund. "
        "Traders hope the market draws visitors outside the summer season.",
    ),
    (
        "Ice hockey rink gets a new cooling plant",
        "The town's ice rink will get a new cooling plant before the season starts. The old plant "
        "used a refrigerant now banned. The club raised half of the cost itself. Skating lessons "
        "for children resume in the first week of December.",
    ),
)


# -- the loopback SMTP sink ----------------------------------------------------------------------


@dataclass
class Behaviour:
    """How the sink answers one newsroom: scripted replies first, then 451 while an outage lasts,
    else 250. A reply is an SMTP line, "DROP" (hang up without a word), "SLOW" (answer 250 after
    SLOW_REPLY seconds) or "HOLD" (keep the message, answer 250 after HOLD_REPLY seconds);
    `before_250` runs when a message is kept, before its 250 is sent."""

    script: list[str] = field(default_factory=list)
    down_until: float = 0.0  # time.monotonic() until which the server refuses for now
    before_250: Callable[[], None] = lambda: None

    def reply(self) -> str:
        if self.script:
            return self.script.pop(0)
        if time.monotonic() < self.down_until:
            return "451 4.3.2 system not accepting messages"
        return "250 2.0.0 queued"


class Sink:
    """An aiosmtpd handler keeping each message it accepts, by recipient."""

    def __init__(self) -> None:
        self.accepted: dict[str, list[bytes]] = {}
        self.behaviour: dict[str, Behaviour] = {}
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        who = envelope.rcpt_tos[0]
        behaviour = self.behaviour.setdefault(who, Behaviour())
        reply = behaviour.reply()
        if reply == "DROP":
            server.transport.close()
            return "451 4.3.0 never heard"
        if reply == "SLOW":
            await asyncio.sleep(SLOW_REPLY)
            reply = "250 2.0.0 queued, slowly"
        if reply == "HOLD":  # the message is kept, and its 250 is late: the window of a kill
            with self._lock:
                self.accepted.setdefault(who, []).append(bytes(envelope.content))
            await asyncio.sleep(HOLD_REPLY)
            return "250 2.0.0 queued, at last"
        if reply.startswith("250"):
            with self._lock:
                self.accepted.setdefault(who, []).append(bytes(envelope.content))
            behaviour.before_250()
        return reply


@contextlib.contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    from aiosmtpd.controller import Controller

    sink = Sink()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


# -- newsrooms -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Said:
    """What one command printed, and how it ended."""

    code: int
    out: str
    err: str

    def line(self) -> str:
        """The line a user reads first: the error, else the outcome."""
        errors = [line for line in self.err.splitlines() if line.startswith("Error")]
        lines = [line for line in self.out.splitlines() if line.strip()]
        outcome = [line.split(" (/")[0] for line in lines if line.startswith(("Email:", "Recovered"))]
        return (errors or outcome or lines or [f"exit {self.code}"])[0].strip()


@dataclass
class Pace:
    """How long a command works here once it holds the run lock (Python has started, the state
    is open), so that a kill lands inside that work: the longest seen to its end so far."""

    seen: dict[str, list[float]] = field(default_factory=dict)

    def moment(self, rng: random.Random, command: str) -> float:
        return rng.uniform(0.0, max(self.seen.get(command, ()), default=1.5))

    def saw(self, said: Said, took: float, command: str) -> None:
        if said.code == 0:
            self.seen.setdefault(command, []).append(took)


class Newsroom:
    """One installation: its sources.yaml, output/ and state/, its feed on the shared feed server
    and its recipient at the shared sink."""

    def __init__(self, root: Path, name: str, feeds: Server, sink: Sink, smtp_port: int, pace: Pace) -> None:
        self.root, self.name, self.sink, self.pace = root, name, sink, pace
        self.output, self.state = root / "output", root / "state"
        self.to = f"{name}@chaos.example"
        self.published = 0  # slots whose stories the feed lists
        self.said: list[Said] = []
        self.problems: list[str] = []  # what a fault found wrong on the way (beside `violations`)
        self.found: list[str] | None = None  # the checks, when a fault had to make them itself
        self.expected: set[str] = set()  # slots a user asked for (`brief run --slot`): each delivered
        self.env = {
            "BRIEF_SMTP_HOST": "127.0.0.1",
            "BRIEF_SMTP_PORT": str(smtp_port),
            "BRIEF_SMTP_TLS": "none",
        }
        self.config = root / "sources.yaml"
        self.output.mkdir(parents=True, exist_ok=True)
        self.state.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            "\n".join(
                [
                    "brief:",
                    f"  title: Vessby Brief {name}",
                    "  output: output",
                    "  state: state",
                    "  min_free_mb: 0",
                    "delivery:",
                    f'  to: ["{self.to}"]',
                    '  from: "Vessby Brief <brief@chaos.example>"',
                    "  smtp_timeout: 5",
                    "  smtp_data_timeout: 10",
                    "  retry_pause: 0",
                    "  retry_after: 1",
                    "network:",
                    f'  allow: ["{feeds.host_port}"]',
                    "feeds:",
                    f'  - url: "http://{feeds.host_port}/{name}/feed.xml"',
                    '    name: "Vessby Courier"',
                ]
            )
            + "\n",
            encoding="utf-8",
        )

    @property
    def behaviour(self) -> Behaviour:
        return self.sink.behaviour.setdefault(self.to, Behaviour())

    def accepted(self) -> list[bytes]:
        return list(self.sink.accepted.get(self.to, []))

    def publish(self, slots: int) -> None:
        self.published = max(self.published, slots)

    def feed(self, base: str) -> bytes:
        items = []
        for n, (title, text) in enumerate(STORIES[: 3 * self.published]):
            when = format_datetime(datetime(2026, 11, 9, 6, tzinfo=UTC) + timedelta(hours=n), usegmt=True)
            link = f"{base}/{self.name}/story/{n}"
            items.append(
                f"<item><title>{title}</title><link>{link}</link><guid>{self.name}-{n}</guid>"
                f"<pubDate>{when}</pubDate><description>{text.split('. ')[0]}.</description></item>"
            )
        channel = f"<channel><title>Vessby Courier</title><link>{base}/</link>{''.join(items)}</channel>"
        return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0">{channel}</rss>'.encode()

    # -- commands, as a user types them ------------------------------------------------------------

    def brief(self, *args: str) -> Said:
        """`brief ARGS --config sources.yaml` in this process."""
        if args[:2] == ("run", "--slot"):
            self.expected.add(args[2])
        out, err = io.StringIO(), io.StringIO()
        code = 0
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        from pipeline.cli import main

        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                main([*args, "--config", str(self.config)])
        except SystemExit as exc:
            code = int(exc.code or 0)
        except BaseException as exc:  # a traceback a user would have seen: kept as one
            code, err = 1, io.StringIO("Traceback (most recent call last):\n" + traceback.format_exc())
            if isinstance(exc, KeyboardInterrupt):
                raise
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        said = Said(code, out.getvalue(), err.getvalue())
        self.said.append(said)
        return said

    def child(self, *args: str) -> subprocess.Popen[str]:
        """`brief ARGS --config sources.yaml` as a child process (one a fault can kill)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEF_SMTP")} | self.env
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline", *args, "--config", str(self.config)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def finish(self, proc: subprocess.Popen[str], kill_after: float | None = None) -> Said:
        """Wait for a child (SIGKILL it after `kill_after` seconds); keep what it printed."""
        try:
            out, err = proc.communicate(timeout=kill_after if kill_after is not None else CHILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate(timeout=CHILD_TIMEOUT)
        said = Said(proc.returncode, out, err)
        self.said.append(said)
        return said

    def kill_inside(
        self, proc: subprocess.Popen[str], rng: random.Random, command: str
    ) -> tuple[Said, float]:
        """SIGKILL a child at a random moment of its work: after it took the run lock (its pid is
        in run.lock), within the time such work took before. Returns what it said and when."""
        lock = self.state / "run.lock"
        deadline = time.monotonic() + CHILD_TIMEOUT
        while proc.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if lock.read_text().strip() == str(proc.pid):
                    break
            time.sleep(0.01)
        began = time.monotonic()
        after = self.pace.moment(rng, command)
        said = self.finish(proc, kill_after=after)
        self.pace.saw(said, time.monotonic() - began, command)
        return said, after

    def scheduler_tick(self, when: datetime) -> None:
        """What `brief schedule` does at `when`: finish deliveries, make the slot that is due."""
        from pipeline.config import load_config, smtp_from_env
        from pipeline.service import run_due_slots

        config = load_config(self.config)
        out = io.StringIO()
        try:
            with contextlib.redirect_stderr(out):
                run_due_slots(config, clock=lambda: when, smtp=smtp_from_env(self.env))
        except Exception as exc:
            from pipeline.errors import BriefError

            if not isinstance(exc, BriefError):
                raise
            self.said.append(Said(1, "", f"Error: {exc}"))

    # -- what the checks read ----------------------------------------------------------------------

    def folders(self) -> dict[str, dict[str, bytes]]:
        """Each archived brief folder (YYYY/MM/DD/HHMM) with its files."""
        out: dict[str, dict[str, bytes]] = {}
        for folder in sorted(self.output.glob("[0-9]" * 4 + "/[0-9][0-9]/[0-9][0-9]/[0-9]" + "[0-9]" * 3)):
            out[folder.relative_to(self.output).as_posix()] = {
                p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()
            }
        return out

    def ledger(self) -> dict[str, tuple[str, str | None, str]]:
        """slot → (its state, covered_by, its message's state) as the state database says."""
        path = self.state / "dailybrief.sqlite3"
        if not path.is_file():
            return {}
        db = sqlite3.connect(path)
        try:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'slots'").fetchone():
                return {}  # made by a run killed before it set up the database: the next one does
            rows = db.execute(
                "SELECT s.slot, s.state, s.covered_by, COALESCE(d.state, '') FROM slots s "
                "LEFT JOIN deliveries d ON d.brief_id = s.slot"
            ).fetchall()
        finally:
            db.close()
        return {slot: (state, covered, sent) for slot, state, covered, sent in rows}


# -- the checks ----------------------------------------------------------------------------------


def violations(room: Newsroom, before: dict[str, dict[str, bytes]]) -> list[str]:
    """What broke a promise in this newsroom, after its fault and the healing that follows."""
    found: list[str] = []
    now = room.folders()
    for name, files in now.items():
        missing = [f for f in BRIEF_FILES if f not in files]
        if missing:
            found.append(f"brief folder {name} lacks {', '.join(missing)}")
            continue
        try:
            json.loads(files["brief.json"])
        except ValueError as exc:
            found.append(f"{name}/brief.json is not JSON: {exc}")
    for name, files in before.items():
        if name not in now:
            found.append(f"archived brief {name} was lost")
        elif files.get("message.eml") != now[name].get("message.eml") and _sent(room, name):
            found.append(f"the delivered message of {name} changed in the archive")
    db = room.state / "dailybrief.sqlite3"
    if db.is_file():
        connection = sqlite3.connect(db)
        try:
            check = [str(r[0]) for r in connection.execute("PRAGMA integrity_check").fetchall()]
        except sqlite3.Error as exc:
            check = [str(exc)]
        finally:
            connection.close()
        if check != ["ok"]:
            found.append(f"integrity_check: {'; '.join(check[:2])}")
    found += _exactly_once(room)
    for said in room.said:
        if "Traceback" in said.out or "Traceback" in said.err:
            found.append(f"a traceback was printed: {(said.err or said.out).strip().splitlines()[-1]}")
    return found


def _sent(room: Newsroom, folder: str) -> bool:
    sid = "{}-{}-{}T{}Z".format(*folder.split("/"))
    return room.ledger().get(sid, ("", None, ""))[0] == "delivered"


def _exactly_once(room: Newsroom) -> list[str]:
    """Every slot delivered exactly once: one message a reader got (a second, identical copy
    under the same Message-ID is the SMTP window's), or none for a slot a later brief covered."""
    found: list[str] = []
    by_slot: dict[str, dict[str, set[bytes]]] = {}
    copies: dict[str, int] = {}
    for raw in room.accepted():
        message_id = str(message_from_bytes(raw)["Message-ID"]).strip()
        sid = message_id.removeprefix("<brief.").split(".", 1)[0]
        by_slot.setdefault(sid, {}).setdefault(message_id, set()).add(raw)
        copies[message_id] = copies.get(message_id, 0) + 1
    for message_id, count in copies.items():
        if count > 2:
            found.append(f"{message_id} arrived {count} times")
    for sid, ids in by_slot.items():
        for message_id, bodies in ids.items():
            if len(bodies) > 1:
                found.append(f"{message_id} carried {len(bodies)} different messages")
        if len(ids) > 1:
            found.append(f"slot {sid} reached the reader {len(ids)} times, as different messages")
    for sid, (state, covered, sent) in room.ledger().items():
        got = len(by_slot.get(sid, {}))
        if state == "delivered" and sent == "sent" and got != 1:
            found.append(f"slot {sid} is recorded as delivered, and the reader got it {got} times")
        elif state == "skipped" and got:
            found.append(f"slot {sid} was skipped (covered by {covered}) and was sent too")
        elif state == "skipped" and covered and covered not in by_slot:
            found.append(f"slot {sid} is covered by {covered}, which never reached the reader")
        elif state not in ("delivered", "skipped"):
            found.append(f"slot {sid} ended {state} ({sent or 'no message'})")
    for sid in sorted(room.expected - set(room.ledger())):
        found.append(f"slot {sid} was asked for and never made")
    for sid in by_slot:
        if sid not in room.ledger():
            found.append(f"slot {sid} reached the reader and the state does not know it")
    return found


# -- tmpfs ---------------------------------------------------------------------------------------


def why_no_mount() -> str:
    """Why a small tmpfs cannot be mounted here ("" when it can)."""
    if os.geteuid() != 0:
        return "needs root to mount a small tmpfs"
    probe = Path(tempfile.mkdtemp(prefix="chaos-probe-"))
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)], capture_output=True
        )
        if done.returncode:
            return f"cannot mount tmpfs: {done.stderr.decode(errors='replace').strip()}"
        subprocess.run(["umount", str(probe)], check=True)
        return ""
    finally:
        probe.rmdir()


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the disk of `folder` but for `leave` bytes; return the filler, to delete later."""
    filler = folder / f".filler-{uuid.uuid4().hex[:6]}"
    with open(filler, "wb", buffering=0) as out:
        with contextlib.suppress(OSError):
            while True:
                out.write(b"\0" * 65536)
        with contextlib.suppress(OSError):
            while True:
                out.write(b"\0" * 4096)
    os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


# -- the faults ----------------------------------------------------------------------------------
# Each makes its fault in a fresh newsroom, then does what the message it printed told the user
# to do (or nothing, when the product heals itself), and returns what the user saw.


def kill_run(room: Newsroom, rng: random.Random) -> str:
    room.publish(1)
    killed, after = room.kill_inside(room.child("run", "--slot", SLOTS[0]), rng, "run")
    stage = room.ledger().get(SLOTS[0], ("not started", None, ""))
    again = room.brief("run", "--slot", SLOTS[0])
    how = "killed" if killed.code == -signal.SIGKILL else f"ended ({killed.code}) before the kill"
    return f"{how} {after:.1f} s into its work, slot {stage[0]}; the rerun: {again.line()}"


def kill_in_smtp_window(room: Newsroom, rng: random.Random) -> str:
    room.publish(1)
    room.behaviour.script = ["HOLD"]
    child = room.child("run", "--slot", SLOTS[0])
    deadline = time.monotonic() + CHILD_TIMEOUT
    while not room.accepted() and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)  # the server has committed the message; its 250 is not sent yet
    room.finish(child, kill_after=0)
    again = room.brief("run", "--slot", SLOTS[0])
    copies = len(room.accepted())
    return f"killed before the 250; the rerun: {again.line()} ({copies} copies, identical)"


def kill_schedule(room: Newsroom, rng: random.Random) -> str:
    room.publish(1)
    killed, after = room.kill_inside(room.child("schedule"), rng, "run")  # its tick is a run
    status = room.brief("status").out.splitlines()[0]
    if not status.startswith("Pipeline Stopped"):
        room.problems.append(f"after the kill, brief status says {status!r}")
    again = room.brief("run")  # the slot the scheduler was making, now: made or said to be done
    how = "killed" if killed.code == -signal.SIGKILL else f"ended ({killed.code})"
    return f"{how} {after:.1f} s into its tick; status: {status}; then: {again.line()}"


def five_at_once(room: Newsroom, rng: random.Random) -> str:
    room.publish(1)
    runs = [room.child("run", "--slot", SLOTS[0]) for _ in range(5)]
    said = [room.finish(proc) for proc in runs]
    busy = sum(1 for s in said if s.code == 75)
    room.brief("run", "--slot", SLOTS[0])
    other = next((s.line() for s in said if s.code == 75), "none busy")
    return f"{5 - busy} ended 0 (one made it, then: already delivered), {busy} said: {other}"


def smtp_temporary(room: Newsroom, rng: random.Random) -> str:
    room.publish(1)
    refusals = rng.randint(1, 3)
    room.behaviour.script = ["451 4.3.0 try again later"] * refusals
    run = room.brief("run", "--slot", SLOTS[0])
    return f"{refusals} x 451, then: {run.line()}"


def smtp_permanent(room: Newsroom, rng: random.Random) -> str:
    room.publish(1)
    room.behaviour.script = ["554 5.7.1 message refused"]
    refused = room.brief("run", "--slot", SLOTS[0])
    again = room.brief("run", "--slot", SLOTS[0], "--rebuild")  # what the user does once fixed
    return f"{refused.line()}; --rebuild: {again.line()}"


def smtp_dropped(room: Newsroom, rng: random.Random) -> str:
    room.publish(1)
    drops = rng.randint(1, 3)
    room.behaviour.script = ["DROP"] * drops
    run = room.brief("run", "--slot", SLOTS[0])
    return f"{drops} dropped, then: {run.line()}"


def smtp_slow(room: Newsroom, rng: random.Random) -> str:
    room.publish(1)
    room.behaviour.script = ["SLOW"]
    run = room.brief("run", "--slot", SLOTS[0])
    return f"250 after {SLOW_REPLY:.0f} s: {run.line()}"


def smtp_long_outage(room: Newsroom, rng: random.Random) -> str:
    room.publish(1)
    room.behaviour.down_until = time.monotonic() + LONG_OUTAGE
    run = room.brief("run", "--slot", SLOTS[0])
    status = next((line for line in room.brief("status").out.splitlines() if SLOTS[0] in line), "")
    time.sleep(max(0.0, room.behaviour.down_until - time.monotonic()) + 1.0)
    room.scheduler_tick(datetime.now(UTC))  # the scheduler's next tick, the server back
    return f"{run.line()} | status: {status.strip()[:60]}"


def clock_back(room: Newsroom, rng: random.Random) -> str:
    room.publish(2)
    at = datetime(2026, 11, 10, 21, 0, 30, tzinfo=UTC)
    room.scheduler_tick(at)
    room.scheduler_tick(at - timedelta(days=3, hours=rng.randint(0, 12)))  # the clock set back
    room.scheduler_tick(at + timedelta(hours=18))  # and right again: the next slot
    skipped = next((line for line in room.brief("status").out.splitlines() if "the clock reads" in line), "")
    return skipped.strip() or "nothing said"


def state_full(room: Newsroom, rng: random.Random) -> str:
    room.publish(1)
    leave = rng.choice((0, 4, 8, 16)) * 1024
    with tmpfs(room.state, "4m"):
        fillers: list[Path] = []
        if rng.random() < 0.5:
            room.behaviour.before_250 = lambda: fillers.append(fill(room.state, leave))
            when = "as the server accepted"
        else:
            fillers.append(fill(room.state, leave))
            when = "before the run"
        run = room.brief("run", "--slot", SLOTS[0])
        if run.code not in (0, 74):  # 74: a folder full, read-only or not ours, said as such
            room.problems.append(f"a full state disk was said with exit {run.code}: {run.line()}")
        room.behaviour.before_250 = lambda: None
        for filler in fillers:
            filler.unlink()
        again = room.brief("run", "--slot", SLOTS[0])
        found = violations(room, {})  # read while the mount is there
    room.found = found
    return f"full ({leave // 1024} KiB left) {when}: {run.line()}; then: {again.line()}"


def output_full(room: Newsroom, rng: random.Random) -> str:
    room.publish(2)
    with tmpfs(room.output, "1m"):
        room.brief("run", "--slot", SLOTS[0])
        before = room.folders()
        filler = fill(room.output, rng.choice((0, 8, 32)) * 1024)
        room.publish(3)
        run = room.brief("run", "--slot", SLOTS[1])
        if run.code not in (0, 74):
            room.problems.append(f"a full output disk was said with exit {run.code}: {run.line()}")
        filler.unlink()
        again = room.brief("run", "--slot", SLOTS[1])
        room.found = violations(room, before)
    return f"{run.line()}; then: {again.line()}"


def read_only_output(room: Newsroom, rng: random.Random) -> str:
    room.publish(1)
    with tmpfs(room.output, "4m"):
        room.brief("run", "--slot", SLOTS[0])
        before = room.folders()
        subprocess.run(["mount", "-o", "remount,ro", str(room.output)], check=True)
        room.publish(2)
        run = room.brief("run", "--slot", SLOTS[1])
        if run.code != 74:
            room.problems.append(f"a read-only output was said with exit {run.code}: {run.line()}")
        subprocess.run(["mount", "-o", "remount,rw", str(room.output)], check=True)
        again = room.brief("run", "--slot", SLOTS[1])
        room.found = violations(room, before)
    return f"{run.line()}; then: {again.line()}"


def _damaged_state(room: Newsroom, rng: random.Random, damage: Callable[[Path], None]) -> str:
    room.publish(1)
    room.brief("run", "--slot", SLOTS[0])
    db = room.state / "dailybrief.sqlite3"
    damage(db)
    room.publish(2)
    run = room.brief("run", "--slot", SLOTS[1])
    if run.code != 65 or "brief recover" not in run.err:
        room.problems.append(f"a damaged state was said with exit {run.code}: {run.line()}")
    # what the hint says: move the database (and its -wal and -shm) out, then `brief recover`
    aside = room.root / "damaged"
    aside.mkdir(exist_ok=True)
    for path in room.state.glob("dailybrief.sqlite3*"):
        path.rename(aside / path.name)
    recovered = room.brief("recover")
    again = room.brief("run", "--slot", SLOTS[1])
    return f"{run.line()}; recover: {recovered.line()}; then: {again.line()}"


def garbage_state(room: Newsroom, rng: random.Random) -> str:
    def garbage(db: Path) -> None:
        for path in db.parent.glob("dailybrief.sqlite3-*"):
            path.unlink()
        db.write_bytes(rng.randbytes(8192))

    return _damaged_state(room, rng, garbage)


def truncated_state(room: Newsroom, rng: random.Random) -> str:
    def truncate(db: Path) -> None:
        os.truncate(db, int(db.stat().st_size * rng.uniform(0.1, 0.7)) // 4096 * 4096 + 100)

    return _damaged_state(room, rng, truncate)


def deleted_state(room: Newsroom, rng: random.Random) -> str:
    room.publish(1)
    room.brief("run", "--slot", SLOTS[0])
    shutil.rmtree(room.state)
    room.publish(2)
    run = room.brief("run", "--slot", SLOTS[1])
    if run.code != 65 or "brief recover" not in run.err:
        room.problems.append(f"a lost state was said with exit {run.code}: {run.line()}")
    recovered = room.brief("recover")
    again = room.brief("run", "--slot", SLOTS[1])
    return f"{run.line()}; recover: {recovered.line()}; then: {again.line()}"


def kill_recover(room: Newsroom, rng: random.Random) -> str:
    for n in (1, 2):
        room.publish(n)
        room.brief("run", "--slot", SLOTS[n - 1])
    shutil.rmtree(room.state)
    killed, after = room.kill_inside(room.child("recover"), rng, "recover")
    how = "killed" if killed.code == -signal.SIGKILL else f"ended ({killed.code}) before the kill"
    recovered = room.brief("recover") if killed.code else killed
    room.publish(3)
    run = room.brief("run", "--slot", SLOTS[2])
    return f"{how} {after:.2f} s into its work; recover: {recovered.line()}; then: {run.line()}"


@dataclass(frozen=True)
class Fault:
    name: str
    make: Callable[[Newsroom, random.Random], str]
    tries: int  # in a full run (`--quick`: one)
    needs_mount: bool = False


FAULTS = (
    Fault("SIGKILL during brief run", kill_run, 15),
    Fault("SIGKILL in the SMTP window", kill_in_smtp_window, 4),
    Fault("SIGKILL during brief schedule", kill_schedule, 8),
    Fault("five runs of one slot at once", five_at_once, 2),
    Fault("SMTP 451, then accepted", smtp_temporary, 4),
    Fault("SMTP 554 (then --rebuild)", smtp_permanent, 2),
    Fault("SMTP connection dropped", smtp_dropped, 3),
    Fault("SMTP answers DATA slowly", smtp_slow, 2),
    Fault("SMTP down past the retries", smtp_long_outage, 3),
    Fault("clock set back three days", clock_back, 3),
    Fault("state disk full", state_full, 5, needs_mount=True),
    Fault("output disk full", output_full, 3, needs_mount=True),
    Fault("output read-only", read_only_output, 2, needs_mount=True),
    Fault("state database garbage", garbage_state, 2),
    Fault("state database truncated", truncated_state, 3),
    Fault("state folder deleted", deleted_state, 2),
    Fault("SIGKILL during brief recover", kill_recover, 5),
)


# -- the run -------------------------------------------------------------------------------------


@dataclass
class Row:
    fault: str
    tries: int = 0
    delivered: int = 0  # distinct messages the readers got over its tries
    saw: str = ""
    violations: list[str] = field(default_factory=list)
    skipped: str = ""


def run_chaos(
    *, quick: bool = False, seed: int = 18, budget: float = 600.0, log: Callable[[str], None] = print
) -> list[Row]:
    """Make each fault its number of tries (one each when `quick`), within `budget` seconds."""
    rng = random.Random(seed)
    unmountable = why_no_mount()
    started = time.monotonic()
    rows: list[Row] = []
    rooms: dict[str, Newsroom] = {}
    pace = Pace()

    def resolve(path: str) -> tuple[bytes, str] | None:
        name, _, rest = path.lstrip("/").partition("/")
        room = rooms.get(name)
        if room is None:
            return None
        if rest == "feed.xml":
            return room.feed(f"http://{feeds.host_port}"), "application/rss+xml"
        if rest.startswith("story/") and rest[6:].isdigit() and int(rest[6:]) < len(STORIES):
            title, text = STORIES[int(rest[6:])]
            body = "".join(f"<p>{s.strip().rstrip('.')}.</p>" for s in text.split(". "))
            page = f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}"
            return f"{page}</article></body></html>".encode(), "text/html; charset=utf-8"
        return None

    feeds = Server(resolve)
    threading.Thread(target=feeds.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    work = Path(tempfile.mkdtemp(prefix="dailybrief-chaos-"))
    try:
        with smtp_sink() as (sink, port):
            plan = [
                (f, t)
                for t in range(max(f.tries for f in FAULTS))
                for f in FAULTS
                if t < (1 if quick else f.tries)
            ]
            by_name = {f.name: Row(f.name) for f in FAULTS}
            for fault, attempt in plan:
                row = by_name[fault.name]
                if fault.needs_mount and unmountable:
                    row.skipped = unmountable
                    continue
                if time.monotonic() - started > budget:
                    row.skipped = row.skipped or f"out of time after {budget:.0f} s"
                    continue
                name = f"n{len(rooms)}"
                room = Newsroom(work / name, name, feeds, sink, port, pace)
                rooms[name] = room
                try:
                    saw = fault.make(room, random.Random(rng.random()))
                except Exception as exc:  # the harness itself failed: a violation, said as such
                    saw = f"the fault could not be made: {exc!r}"
                    row.violations.append(f"{fault.name}: {saw}")
                try:
                    checked = room.found if room.found is not None else violations(room, {})
                except Exception as exc:  # what the checks could not read is a violation too
                    checked = [f"the checks could not be made: {exc!r}"]
                found = room.problems + checked
                row.tries += 1
                row.delivered += len({str(message_from_bytes(r)["Message-ID"]) for r in room.accepted()})
                row.saw = row.saw or saw
                row.violations += [f"{fault.name} #{attempt + 1}: {v}" for v in found]
                log(f"{fault.name} #{attempt + 1}: {'ok' if not found else '; '.join(found)} · {saw[:110]}")
            rows = list(by_name.values())
    finally:
        feeds.shutdown()
        feeds.server_close()
        if not os.environ.get("CHAOS_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    return rows


def table(rows: Sequence[Row]) -> str:
    """The report: a row a fault, then "N violations over M faults"."""
    lines = [
        f"{'fault':<32} {'tries':>5} {'delivered':>9}  what the user saw",
        f"{'-' * 32} {'-' * 5} {'-' * 9}  {'-' * 40}",
    ]
    for row in rows:
        if row.skipped and not row.tries:
            lines.append(f"{row.fault:<32} {0:>5} {'-':>9}  skipped: {row.skipped}")
            continue
        lines.append(f"{row.fault:<32} {row.tries:>5} {row.delivered:>9}  {row.saw[:150]}")
    faults = sum(r.tries for r in rows)
    broken = [v for r in rows for v in r.violations]
    lines += ["", *broken, f"{len(broken)} violations over {faults} faults"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one try of each fault")
    parser.add_argument("--seed", type=int, default=18, help="the random moments and sizes")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds after which no fault starts")
    args = parser.parse_args(argv)
    rows = run_chaos(quick=args.quick, seed=args.seed, budget=args.budget, log=lambda s: print(s, flush=True))
    print()
    print(table(rows))
    return 1 if any(r.violations for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

"""The archive survives the state: `output/` holds everything needed to know what was archived
(each brief's `brief.json` and `message.eml`), so a lost or emptied state database is rebuilt
from it, never the other way round.

- A run (and `brief rebuild`) that finds the state database empty while the archive holds
  briefs stops with LostStateError (`compose.guard_lost_state`), instead of listing no briefs,
  writing over an archived brief or sending a slot again.
- `recover_state` rebuilds the state from the archive (`brief recover`): every archived brief
  is listed again with its data and message; its slot is recorded as delivered (its message as
  sent, under the Message-ID it was built with), so no slot of the archive is sent again; the
  articles it showed are stored (with the sentences the brief quoted as their text) and marked
  as shown, under their threads, so a feed that still lists them does not bring them back; the
  threads' timelines, roles and what each thread showed are remembered. No archived file is touched.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import BriefError
from pipeline.ingest.urls import canonical_url
from pipeline.models import Article, Brief, SourceRef, Thread, ThreadDigest
from pipeline.publish.archive import archived_briefs, fsync_dir
from pipeline.publish.compose import archive_entry, page_records
from pipeline.publish.serialize import brief_from_json
from pipeline.store import Store
from pipeline.store.records import DeliveryState, RunStatus, SlotState
from pipeline.understand.novelty import shown_keys


@dataclass(frozen=True)
class Recovered:
    briefs: int
    articles: int
    skipped: tuple[str, ...]  # brief folders whose brief.json could not be read, with why


STATE_FILE = "dailybrief.sqlite3"
# what a rebuilt Message-ID carries: the slot's count of runs (`.b3-…`) and of resends (`.r2-…`)
_COUNTS = re.compile(r"\.b(?P<runs>\d+)-|\.r(?P<sends>\d+)-")


def recover_state(config: Config, now: datetime) -> Recovered:
    """Rebuild the state database from the archive (the module docstring says what is kept).

    The new database is made beside the old one and takes its place in one rename: a recover
    stopped half-way leaves the state as it was, never half a state. (With PostgreSQL, one
    transaction does the same: see `_recover_in_place`.)"""
    live = Store(config.state_dir, config.database)
    try:
        if live.briefs():
            raise BriefError(
                f"the state database in {config.state_dir} already lists {len(live.briefs())} briefs: "
                "there is nothing to recover",
                hint="`brief rebuild` writes the archive's pages again from it",
            )
    finally:
        live.close()
    if config.database:
        return _recover_in_place(config, now)
    for stale in config.state_dir.glob(".recover-*"):  # what a recover stopped half-way left
        shutil.rmtree(stale, ignore_errors=True)
    building = Path(tempfile.mkdtemp(prefix=".recover-", dir=config.state_dir))
    try:
        store = Store(building)
        try:
            done = _recover_into(store, config, now)
        except BaseException:
            store.close()
            raise
        store.close_as_one_file()
        target = config.state_dir / STATE_FILE
        # the old database's WAL would be read as the new one's: it goes first
        for suffix in ("-wal", "-shm"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        os.replace(building / STATE_FILE, target)
        fsync_dir(config.state_dir)
        return done
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _recover_in_place(config: Config, now: datetime) -> Recovered:
    """PostgreSQL's database is the server's, not a file to swap: the archive is read into it in
    one transaction, committed whole or not at all."""
    store = Store(config.state_dir, config.database)
    try:
        with store.transaction():
            return _recover_into(store, config, now)
    finally:
        store.close()


def _recover_into(store: Store, config: Config, now: datetime) -> Recovered:
    read: list[tuple[Brief, str, bytes]] = []
    skipped: list[str] = []
    run_id = store.start_run("recover", now)
    for path in archived_briefs(config.output_dir):
        try:
            data = path.read_text(encoding="utf-8")
            brief = brief_from_json(data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            skipped.append(f"{path}: {exc}")
            # its slot was made and is in the archive: it is never made or sent again on its own
            sid = "{}-{}-{}T{}Z".format(*path.parent.relative_to(config.output_dir).parts)
            store.set_slot(sid, SlotState.DELIVERED, now, error=f"recovered, but {path.name} is unreadable")
            continue
        eml = path.parent / "message.eml"
        read.append((brief, data, eml.read_bytes() if eml.is_file() else b""))
    articles = sum(_recover_brief(store, config, brief, data, raw, run_id, now) for brief, data, raw in read)
    store.save_brief_pages(page_records(archive_entry(b, config.output_dir), b) for b, _, _ in read)
    store.finish_run(run_id, now, RunStatus.DONE, {})
    return Recovered(len(read), articles, tuple(skipped))


def _recover_brief(
    store: Store, config: Config, brief: Brief, data: str, raw: bytes, run_id: int, now: datetime
) -> int:
    """Record one archived brief as the run that made and delivered it would have; return the
    articles it showed."""
    entry = archive_entry(brief, config.output_dir)
    store.save_brief(entry, run_id, brief.slot)
    store.save_brief_content(brief.id, data, raw)
    note = "recovered from the archive"
    message_id = (
        str(email.message_from_bytes(raw, policy=email.policy.default).get("Message-ID", "")) if raw else ""
    )
    runs, sends = _counts(message_id)
    # the counts its Message-IDs were made from go on from where they were, never from zero
    store.set_slot(brief.id, SlotState.DELIVERED, now, brief_id=brief.id, error=note, attempt=runs)
    if raw:
        store.set_delivery(
            brief.id,
            DeliveryState.SENT,
            now,
            message_id=message_id,
            eml_path=str(config.output_dir / Path(entry.path).parent / "message.eml"),
            error=note,
            sent=sends,
        )
    digests = (*brief.digests, *brief.overflow_digests)
    shown = _articles(digests, brief.others)
    store.save_articles(shown, run_id, brief.slot, {})
    store.mark_briefed([a.id for a in shown], brief.id)
    store.save_memberships(
        [Thread(d.thread_id, d.title, d.kind, tuple(s.article_id for s in d.sources)) for d in digests],
        run_id,
    )
    # what the brief showed of each thread: its own sections, and the sentences of its articles
    # the brief showed elsewhere (the top, a thread above): the run that made it kept those too
    said = [
        *(t.sentence for t in brief.top),
        *(s for x in digests for s in (*x.overview, *x.why_it_matters, *x.tldr)),
    ]
    for d in digests:
        cited = {r.article_id for r in d.sources}
        extra = tuple(s for s in said if s.article_id in cited)
        store.remember_shown(d.thread_id, shown_keys(replace(d, tldr=(*d.tldr, *extra))), brief.id)
        store.save_thread_events(d.thread_id, d.timeline)
        store.save_thread_roles(d.thread_id, (*d.people, *d.orgs))
    return len(shown)


def _counts(message_id: str) -> tuple[int, int]:
    """The runs and the sends of a slot that its Message-ID shows (at least one of each)."""
    runs = sends = 1
    for found in _COUNTS.finditer(message_id):
        if found["runs"]:
            runs = max(runs, int(found["runs"]))
        if found["sends"]:
            sends = max(sends, int(found["sends"]))
    return runs, sends


def _articles(digests: Sequence[ThreadDigest], others: Sequence[SourceRef]) -> list[Article]:
    """The articles the digests cite (with the sentences quoted from each as their text) and
    the others the brief listed."""
    quoted: dict[str, list[str]] = {}
    for d in digests:
        for s in (*d.overview, *d.why_it_matters, *d.tldr):
            quoted.setdefault(s.article_id, []).append(s.text)
    out: dict[str, Article] = {}
    for ref in (*(r for d in digests for r in d.sources), *others):
        if ref.article_id in out:
            continue
        out[ref.article_id] = Article(
            id=ref.article_id,
            url=ref.url,
            canonical_url=canonical_url(ref.url) if "://" in ref.url else ref.url,
            source=ref.source,
            title=ref.title,
            text=" ".join(dict.fromkeys(quoted.get(ref.article_id, []))) or ref.title,
            published=ref.published,
            extracted=ref.extracted,
            found_at=((ref.source, ref.url), *ref.copies),
            date_note=ref.date_note,
        )
    return list(out.values())

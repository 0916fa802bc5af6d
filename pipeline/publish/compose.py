"""Publishing a brief: its email composed to its size budget, its files, and the archive's pages.

A run writes its own brief folder and only the pages that brief changes:

    output/YYYY/MM/DD/HHMM/         the brief (written whole, atomically: `archive.write_brief`)
    output/YYYY/MM/DD/HHMM/index.html of the briefs before and after it (their previous/next links)
    output/threads/<id>.html        the threads the brief is in (or was in, when it is made again)
    output/archive/YYYY-MM.html     the brief's month
    output/index.html, search-index.json, feed.xml (and assets/style.css when it changed)

Those pages read what they show from the state database: a small summary of each brief (the
lists and the feed) and each thread's digests (its page), never every brief's data, so a run
takes the same time with ten briefs kept or thousands. `rebuild_archive` writes every page
from the same functions, so it gives the same bytes as the runs that wrote them one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import LostStateError
from pipeline.models import ArchivedBrief, Brief, SourceRef
from pipeline.publish import archive, mail, render, site, tokens
from pipeline.publish.serialize import brief_from_json, brief_to_json, digest_from_json, digest_to_json
from pipeline.store import Store

EMAIL_HTML_BUDGET = 90_000  # bytes of encoded HTML part; Gmail clips messages at about 102 KB


@dataclass(frozen=True)
class Published:
    """Where a brief was written, its message's Message-ID, and every file written (relative
    to the output folder) with its size in bytes."""

    folder: Path
    message_id: str
    written: dict[str, int]


def write_brief(
    brief: Brief, config: Config, store: Store, *, now: datetime, run_id: int, nonce: str = ""
) -> Published:
    """Compose the brief's email under `EMAIL_HTML_BUDGET`, write the brief's folder, keep it in
    the store, and update the archive pages it changes.

    While the email's HTML part is over the budget, the lowest-ranked thread moves to a list
    of links at the end (its page keeps it). A brief whose slot had a message built before is
    made under another Message-ID (`nonce`, e.g. "b2"): no two messages share one, and a mail
    client does not drop the new one as a duplicate.
    """
    templates = config.templates_dir
    unsubscribe = tokens.unsubscribe_link(config, tokens.secret_from_env())
    while True:  # only the email is rendered again; the page once, below
        email = render.render_email(
            brief, templates, config.archive_url, unsubscribe=unsubscribe, sender=config.mail_from
        )
        raw, message_id = mail.build_message(
            subject=email.subject,
            text=email.text,
            html=email.html,
            mail_from=config.mail_from,
            mail_to=(),  # the one rendering (and the archive's message.eml) is addressed to no one
            brief_id=brief.id,
            when=now,
            nonce=nonce,
            unsubscribe=unsubscribe,
        )
        if (
            mail.html_part_size(raw) <= EMAIL_HTML_BUDGET
            or len(brief.digests) <= 1
            or not brief.digests[-1].sources
        ):
            break
        brief = _overflow(brief)
    entry = archive_entry(brief, config.output_dir)
    data = brief_to_json(brief)
    # the pages are made from the brief as kept (as `brief rebuild` makes them), not as in memory
    kept = brief_from_json(data)
    neighbours = store.brief_neighbours(brief.id, entry.slot)
    page = render.brief_page(kept, neighbours, templates)
    files = _brief_files(render.RenderedBrief(email.html, email.text, page, data, email.subject), raw)
    # the folder first, whole: a brief the store lists is always a brief the archive holds
    folder = archive.write_brief(config.output_dir, brief.slot, files)
    written = {f"{entry.path.rsplit('/', 1)[0]}/{name}": len(content) for name, content in files.items()}
    store.save_brief(entry, run_id, now)
    store.save_brief_content(brief.id, data, raw)
    left = store.save_brief_pages([page_records(entry, kept)])  # a crash before: `catch_up` does it
    caught = catch_up(store)  # after the folder: a brief that failed leaves none to catch up
    pages: dict[str, bytes | None] = {}
    for neighbour in neighbours:
        if neighbour is not None:
            pages.update(_brief_page(store, config, neighbour))
    threads = {d.thread_id for d in render.full_brief(kept).digests} | left | caught.threads
    pages.update(_site_pages(store, config, threads, sorted({site.month_of(entry), *caught.months})))
    style = config.output_dir / "assets" / "style.css"
    css = site.stylesheet(templates)
    if not style.is_file() or style.read_bytes() != css:
        pages["assets/style.css"] = css
    written.update(_write_all(config.output_dir, pages))
    return Published(folder, message_id, written)


def guard_lost_state(config: Config, store: Store) -> None:
    """Raise LostStateError when the store knows no brief and no slot while the archive holds
    briefs: the state was lost, and the archive must not be written from it."""
    if store.briefs() or store.slots():
        return
    found = archive.archived_briefs(config.output_dir)
    if found:
        raise LostStateError(
            store.where if store.on_postgres else config.state_dir, len(found), config.output_dir
        )


def rebuild_archive(config: Config) -> int:
    """Write the whole archive again from the database (after a template change, or if it was
    deleted); the message of each brief is the one that was built. Returns the briefs written."""
    store = Store(config.state_dir, config.database)
    try:
        guard_lost_state(config, store)
        kept = [(entry, brief_from_json(data), raw) for entry, data, raw in store.brief_contents()]
        # summaries are made again too: what a run keeps is always what rebuild would write
        store.save_brief_pages(page_records(entry, brief) for entry, brief, _ in kept)
        templates = config.templates_dir
        for i, (_, brief, raw) in enumerate(kept):
            neighbours = (kept[i - 1][0] if i > 0 else None, kept[i + 1][0] if i + 1 < len(kept) else None)
            # the email's files say what its message says: a one-click link if it carries one
            link = tokens.placeholder_link(config) if tokens.TOKEN_PLACEHOLDER.encode() in raw else ""
            rendered = render.render_brief(
                brief,
                templates,
                config.archive_url,
                neighbours=neighbours,
                unsubscribe=link,
                sender=config.mail_from,
            )
            archive.write_brief(config.output_dir, brief.slot, _brief_files(rendered, raw))
        months = [month for month, _ in store.brief_months()]
        pages = _site_pages(store, config, store.appearing_threads(), months)
        pages["assets/style.css"] = site.stylesheet(templates)
        _write_all(config.output_dir, pages)
    finally:
        store.close()
    return len(kept)


@dataclass(frozen=True)
class CaughtUp:
    """The briefs `catch_up` summarised: their months and threads, whose pages are written."""

    count: int = 0
    months: frozenset[str] = frozenset()
    threads: frozenset[str] = frozenset()


def catch_up(store: Store) -> CaughtUp:
    """Summarise the briefs kept but not summarised (kept before schema 8, or by a run stopped
    between keeping a brief and summarising it), once, so the pages a run writes list them and
    their month and thread pages exist."""
    missing = [(entry, brief_from_json(data)) for entry, data in store.briefs_without_summary()]
    if not missing:
        return CaughtUp()
    store.save_brief_pages(page_records(entry, brief) for entry, brief in missing)
    return CaughtUp(
        len(missing),
        frozenset(site.month_of(entry) for entry, _ in missing),
        frozenset(d.thread_id for _, brief in missing for d in render.full_brief(brief).digests),
    )


def archive_entry(brief: Brief, output_dir: Path) -> ArchivedBrief:
    """The brief's entry in the archive: where its page is, its headline and threads."""
    full = render.full_brief(brief)
    folder = archive.brief_dir(output_dir, brief.slot)
    return ArchivedBrief(
        id=brief.id,
        slot=brief.slot,
        path=folder.relative_to(output_dir).as_posix() + "/index.html",
        headline=full.digests[0].headline.text if full.digests else "No new stories",
        threads=tuple(d.title for d in full.digests),
        articles=brief.stats.articles_new,
    )


def page_records(entry: ArchivedBrief, brief: Brief) -> tuple[str, str, list[tuple[str, str]]]:
    """What the store keeps of a brief for the archive's pages (`Store.save_brief_pages`): its
    summary and its digests."""
    summary = site.listed_to_json(site.listed(entry, brief))
    return brief.id, summary, [(d.thread_id, digest_to_json(d)) for d in render.full_brief(brief).digests]


def _brief_page(store: Store, config: Config, entry: ArchivedBrief) -> dict[str, bytes]:
    """The page of a brief already kept, for its previous/next links (none for a brief whose
    folder is not in the archive: a page alone would be half a brief)."""
    data = store.brief_data(entry.id)
    if data is None or not (config.output_dir / entry.path).parent.is_dir():
        return {}
    page = render.brief_page(brief_from_json(data), store.brief_neighbours(entry.id), config.templates_dir)
    return {entry.path: page.encode()}


def _site_pages(
    store: Store, config: Config, threads: Iterable[str], months: Sequence[str]
) -> dict[str, bytes | None]:
    """The pages of `threads` and of `months`, the index, the search index and the feed; None
    for a page to remove."""
    title, templates = config.title, config.templates_dir
    pages: dict[str, bytes | None] = {}
    for thread_id in sorted(threads):
        appearances = [(e, digest_from_json(d)) for e, d in store.thread_appearances(thread_id)]
        # a thread no brief shows any more (its one brief was made again without it) has no page
        pages[f"threads/{thread_id}.html"] = (
            site.thread_page(thread_id, appearances, title, templates) if appearances else None
        )
    for month in months:
        shown = _listed(store.brief_summaries([month]))
        if shown:
            pages[site.month_path(month)] = site.month_page(month, shown, title, templates)
    counts = store.brief_months()
    shown = _listed(store.brief_summaries(limit=site.INDEX_BRIEFS))
    pages.update(site.index_files(counts, shown, title, templates))
    pages["feed.xml"] = site.feed(_listed(store.brief_summaries(limit=site.FEED_ENTRIES)), title, templates)
    return pages


def _listed(rows: Sequence[tuple[ArchivedBrief, str]]) -> list[site.Listed]:
    return [site.listed_from_json(entry, summary) for entry, summary in rows]


def _write_all(output_dir: Path, pages: Mapping[str, bytes | None]) -> dict[str, int]:
    """Write (or, for None, remove) each page; return the sizes of those written."""
    for path, content in pages.items():
        if content is None:
            archive.remove_file(output_dir, path)
        else:
            archive.write_file(output_dir, path, content)
    return {path: len(content) for path, content in pages.items() if content is not None}


def _brief_files(rendered: render.RenderedBrief, raw: bytes) -> dict[str, bytes]:
    return {
        "index.html": rendered.page_html.encode(),
        "email.html": rendered.email_html.encode(),
        "email.txt": rendered.email_txt.encode(),
        "brief.json": rendered.brief_json.encode(),
        "message.eml": raw,
    }


def _overflow(brief: Brief) -> Brief:
    """The brief with its lowest-ranked thread moved from the email to the overflow list."""
    last = brief.digests[-1]
    top = last.sources[0]
    moved = SourceRef(
        number=len(brief.overflow) + 1,
        article_id=last.headline.article_id,
        title=last.headline.text,
        source=last.title,
        url=next((s.url for s in last.sources if s.article_id == last.headline.article_id), top.url),
        published=top.published,
    )
    return replace(
        brief,
        digests=brief.digests[:-1],
        overflow=(moved, *brief.overflow),
        overflow_digests=(last, *brief.overflow_digests),
    )

"""The archive's pages beside each brief's own: the index, a page per month and per thread, the
Atom feed, the search index and the stylesheet, each rendered from what the store keeps of the
briefs (`Listed`), so a run renders only the pages it changes. Each page is a function of what
it shows, and nothing depends on the clock, so a page made by a run and the same page made by
`brief rebuild` are the same bytes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from pipeline.errors import TemplateError
from pipeline.models import ArchivedBrief, Brief, ThreadDigest, TimelineEvent
from pipeline.publish.render import full_brief, isotime, make_environments

FEED_ENTRIES = 20  # briefs in feed.xml: ten days at two a day
INDEX_BRIEFS = 14  # the index lists the newest briefs, a week at two a day; month pages hold all


@dataclass(frozen=True)
class ListedDigest:
    """What the archive's lists and feed show of one thread of a brief."""

    thread_id: str
    kind: str
    title: str
    headline: str
    overview: tuple[str, ...]
    tldr: tuple[str, ...]


@dataclass(frozen=True)
class Listed:
    """What the index, the month pages, the feed and the search box show of one brief."""

    entry: ArchivedBrief
    status_line: str
    generated_at: datetime
    articles_new: int
    digests: tuple[ListedDigest, ...]  # every thread of the brief's page, in its order


def listed(entry: ArchivedBrief, brief: Brief) -> Listed:
    """The summary of `brief` that the archive's lists show."""
    return Listed(
        entry=entry,
        status_line=brief.status_line,
        generated_at=brief.generated_at,
        articles_new=brief.stats.articles_new,
        digests=tuple(
            ListedDigest(
                d.thread_id,
                d.kind,
                d.title,
                d.headline.text,
                tuple(s.text for s in d.overview),
                tuple(s.text for s in d.tldr),
            )
            for d in full_brief(brief).digests
        ),
    )


def listed_to_json(item: Listed) -> str:
    """The summary as the state database keeps it (the entry is kept beside it)."""
    return json.dumps(
        {
            "status_line": item.status_line,
            "generated_at": isotime(item.generated_at),
            "articles_new": item.articles_new,
            "digests": [asdict(d) for d in item.digests],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def listed_from_json(entry: ArchivedBrief, text: str) -> Listed:
    """The inverse of listed_to_json."""
    d = json.loads(text)
    return Listed(
        entry=entry,
        status_line=d["status_line"],
        generated_at=datetime.fromisoformat(d["generated_at"].replace("Z", "+00:00")),
        articles_new=d["articles_new"],
        digests=tuple(
            ListedDigest(
                x["thread_id"], x["kind"], x["title"], x["headline"], tuple(x["overview"]), tuple(x["tldr"])
            )
            for x in d["digests"]
        ),
    )


def month_of(entry: ArchivedBrief) -> str:
    """The month whose page lists the brief: "2026-04" (UTC, as the folders)."""
    return entry.slot.astimezone(UTC).strftime("%Y-%m")


def month_path(month: str) -> str:
    return f"archive/{month}.html"


def thread_page(
    thread_id: str,
    appearances: Sequence[tuple[ArchivedBrief, ThreadDigest]],
    title: str,
    templates: Path | None = None,
) -> bytes:
    """`threads/<id>.html`: one thread across the briefs it was in (`appearances`, newest first)."""
    html_env, _ = make_environments(templates)
    with _site_errors():
        return (
            html_env.get_template("thread.html")
            .render(
                thread_id=thread_id,
                appearances=appearances,
                timeline=_timeline(appearances),
                title=title,
                root="../",
            )
            .encode()
        )


def index_files(
    months: Sequence[tuple[str, int]], shown: Sequence[Listed], title: str, templates: Path | None = None
) -> dict[str, bytes]:
    """`index.html` and `search-index.json`: the newest `INDEX_BRIEFS` briefs (`shown`, newest
    first), every month's page linked, and the search over what the index lists. The index
    stays the same size however many briefs are kept."""
    html_env, _ = make_environments(templates)
    search = _search_index(shown)
    links = [(month_path(m), _month_label(m), n) for m, n in months]
    with _site_errors():
        page = html_env.get_template("index.html").render(
            **_listing(shown, search), title=title, root="", count=sum(n for _, n in months), months=links
        )
    return {
        "index.html": page.encode(),
        "search-index.json": (json.dumps(search, ensure_ascii=False, indent=1) + "\n").encode(),
    }


def month_page(month: str, shown: Sequence[Listed], title: str, templates: Path | None = None) -> bytes:
    """`archive/YYYY-MM.html`: every brief of one month (`shown`, newest first)."""
    html_env, _ = make_environments(templates)
    with _site_errors():
        page = html_env.get_template("month.html").render(
            **_listing(shown, _search_index(shown)),
            title=title,
            root="../",
            count=len(shown),
            month=_month_label(month),
        )
    return page.encode()


def feed(newest: Sequence[Listed], title: str, templates: Path | None = None) -> bytes:
    """`feed.xml`: an Atom feed of the newest `FEED_ENTRIES` briefs (`newest`, newest first)."""
    html_env, _ = make_environments(templates)
    with _site_errors():
        briefs = [(item.entry, item) for item in newest[:FEED_ENTRIES]]
        return html_env.get_template("feed.xml").render(briefs=briefs, title=title).encode()


def stylesheet(templates: Path | None = None) -> bytes:
    html_env, _ = make_environments(templates)
    return html_env.loader.get_source(html_env, "style.css")[0].encode()  # type: ignore[union-attr]


@contextlib.contextmanager
def _site_errors() -> Iterator[None]:
    """A template that fails, ours or one in the user's templates folder written for what an
    older version passed it, is a clear error naming the page, never a traceback."""
    try:
        yield
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template error while writing the archive: {exc}") from exc
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise TemplateError(
            f"template error while writing the archive: {type(exc).__name__}: {exc}",
            hint="a template in your templates folder may expect what an older dailybrief gave it: "
            "compare it with the built-in one (README: Change the look)",
        ) from exc


def _month_label(month: str) -> str:
    return datetime.strptime(month, "%Y-%m").strftime("%B %Y")


def _listing(shown: Sequence[Listed], search: list[dict[str, str]]) -> dict[str, Any]:
    """What a list of briefs shows (the index, a month page): the briefs by day, newest first,
    and their threads, the most frequent first."""
    days: dict[str, list[tuple[ArchivedBrief, Listed]]] = {}
    for item in shown:
        days.setdefault(item.entry.slot.astimezone(UTC).strftime("%A %d %B %Y"), []).append(
            (item.entry, item)
        )
    threads = _listed_threads(shown)
    ranked = sorted(threads.items(), key=lambda kv: -len(kv[1]))
    return {
        "days": days,
        "status": shown[0].status_line if shown else "",
        "search": search,
        "threads": [(thread_id, found[0], len(found)) for thread_id, found in ranked],
    }


def _listed_threads(shown: Sequence[Listed]) -> dict[str, list[ListedDigest]]:
    """Each thread of the briefs shown, with its appearances among them, newest first."""
    out: dict[str, list[ListedDigest]] = {}
    for item in shown:
        for d in item.digests:
            out.setdefault(d.thread_id, []).append(d)
    return out


def _timeline(appearances: Sequence[tuple[ArchivedBrief, ThreadDigest]]) -> list[TimelineEvent]:
    """A thread's timeline over all its briefs (each brief shows only its new events), oldest
    first; an event told in several briefs once, with the sources of its latest telling."""
    events: dict[tuple[str, str], TimelineEvent] = {}
    for _, digest in reversed(appearances):  # oldest brief first, so the latest telling wins
        for e in digest.timeline:
            events[(e.date, e.text.text)] = e
    return sorted(events.values(), key=lambda e: e.date)


def _search_index(shown: Sequence[Listed]) -> list[dict[str, str]]:
    """What a page's search box filters: one item per brief it lists and per thread of those."""
    items = []
    for item in shown:
        words = [d.title + " " + d.headline + " " + " ".join(d.tldr) for d in item.digests]
        items.append({"kind": "brief", "id": item.entry.id, "url": item.entry.path, "text": " ".join(words)})
    for thread_id, found in _listed_threads(shown).items():
        text = found[0].title + " " + " ".join(d.headline for d in found)
        items.append({"kind": "thread", "id": thread_id, "url": f"threads/{thread_id}.html", "text": text})
    return items

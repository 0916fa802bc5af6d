"""A `Brief` → its files: the email (HTML with inlined CSS, and plain text), the brief page,
brief.json; and the archive's pages: the index, a page per month and per thread, the feed.

One Jinja2 environment for HTML (autoescape on, StrictUndefined) and one for plain text, both
loading from the user's templates folder first, then the built-in templates. Every URL that
reaches an href goes through `safe_url`: only http, https and mailto survive.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import css_inline
import jinja2

from pipeline.errors import TemplateError
from pipeline.models import ArchivedBrief, Brief, SourceRef, ThreadDigest, TimelineEvent
from pipeline.operate.schedule import brief_folder
from pipeline.publish.serialize import brief_to_json
from pipeline.text.calendar import readable_date

_PACKAGE = Path(__file__).resolve().parents[1]  # the `pipeline` package
FEED_ENTRIES = 50  # briefs in feed.xml
INDEX_MIN_BRIEFS = 14  # the index lists earlier whole months until it shows a week of briefs
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)


@dataclass(frozen=True)
class RenderedBrief:
    email_html: str
    email_txt: str
    page_html: str
    brief_json: str
    subject: str


def template_dirs(extra: Path | None = None) -> list[Path]:
    """Where templates are looked up, in order: the user's, the source tree's, the package's."""
    dirs = [extra] if extra is not None else []
    dirs += [_PACKAGE.parent / "templates", _PACKAGE / "templates"]
    return [d for d in dirs if d.is_dir()]


def make_environments(extra: Path | None = None) -> tuple[jinja2.Environment, jinja2.Environment]:
    """The HTML environment (autoescaped) and the plain-text one, sharing filters. Made once per
    set of template folders and of the user's template files: an environment keeps its compiled
    templates and recompiles one whose file changed, so a long-running `brief schedule` sees a
    template edited or added."""
    dirs = template_dirs(extra)
    if not dirs:
        raise TemplateError("no templates folder found", hint="reinstall dailybrief")
    own = tuple(sorted(p.name for p in extra.iterdir())) if extra is not None and extra.is_dir() else ()
    return _environments(tuple(dirs), own)


@functools.lru_cache(maxsize=8)
def _environments(
    dirs: tuple[Path, ...], own: tuple[str, ...]
) -> tuple[jinja2.Environment, jinja2.Environment]:
    """`own` (the user's template files) is only part of the cache key."""
    loader = jinja2.FileSystemLoader([str(d) for d in dirs])
    html = jinja2.Environment(
        loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    text = jinja2.Environment(
        loader=loader,
        autoescape=False,  # noqa: S701 - plain text: nothing here is HTML
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    for env in (html, text):
        env.filters.update(
            safe_url=safe_url,
            date=_date,
            datetime=_datetime,
            isotime=_isotime,
            source_date=_source_date,
            when=readable_date,  # a timeline's ISO date as a reader writes it: "22 January 2026"
        )
    return html, text


def safe_url(url: object) -> str:
    """The URL if its scheme is http, https or mailto; otherwise "#" (never javascript:)."""
    text = "".join(str(url or "").split())
    scheme = urlsplit(text).scheme.lower()
    return text if scheme in ("http", "https", "mailto") else "#"


def subject_of(brief: Brief) -> str:
    top = brief.digests[0].headline.text if brief.digests else "no new stories"
    slot = brief.slot.astimezone(UTC).strftime("%a %d %b, %H:%M UTC")
    return " ".join(f"{brief.title} · {slot}: {top}".split())[:200]


@dataclass(frozen=True)
class RenderedEmail:
    html: str
    text: str
    subject: str


def render_email(brief: Brief, templates: Path | None = None, archive_url: str = "") -> RenderedEmail:
    """The email of one brief (HTML with its CSS inlined, and plain text). With the public
    address of the archive (`archive_url`, ending with "/"), it links to the brief's page and
    to each thread's page there."""
    html_env, text_env = make_environments(templates)
    subject = subject_of(brief)
    page = archive_url + brief_folder(brief.slot) + "/index.html" if archive_url else ""
    context = {"brief": brief, "subject": subject, "archive": archive_url, "page": page}
    with _template_errors(templates):
        html = _INLINER.inline(html_env.get_template("email.html").render(context))
        text = text_env.get_template("email.txt").render(context)
    return RenderedEmail(html, text, subject)


def render_brief(
    brief: Brief,
    templates: Path | None = None,
    archive_url: str = "",
    email: RenderedEmail | None = None,
    neighbours: tuple[ArchivedBrief | None, ArchivedBrief | None] = (None, None),
) -> RenderedBrief:
    """Render one brief to the email (`render_email`, unless given), the page (linking the
    briefs before and after it, `neighbours`) and brief.json."""
    email = email or render_email(brief, templates, archive_url)
    page_html = brief_page(brief, neighbours, templates)
    return RenderedBrief(email.html, email.text, page_html, brief_to_json(brief), email.subject)


def brief_page(
    brief: Brief,
    neighbours: tuple[ArchivedBrief | None, ArchivedBrief | None] = (None, None),
    templates: Path | None = None,
) -> str:
    """The brief's page in its folder, with links to the briefs before and after it."""
    html_env, _ = make_environments(templates)
    with _template_errors(templates):
        return html_env.get_template("brief.html").render(
            brief=full_brief(brief), root="../../../../", previous=neighbours[0], next=neighbours[1]
        )


@contextlib.contextmanager
def _template_errors(templates: Path | None) -> Iterator[None]:
    try:
        yield
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(
            f"template {exc.name!r} not found in {', '.join(map(str, template_dirs(templates)))}"
        ) from exc
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template error: {exc}") from exc


def full_brief(brief: Brief) -> Brief:
    """The brief as its page shows it: threads moved out of the email are back in."""
    if not brief.overflow_digests:
        return brief
    return replace(brief, digests=brief.digests + brief.overflow_digests, overflow=(), overflow_digests=())


# -- the archive's pages ----------------------------------------------------------------------------
#
# Each page is a function of what it shows, and nothing depends on the clock, so a page made by
# a run and the same page made by `brief rebuild` are the same bytes. The lists (index, month
# pages, feed, search) read a `Listed` summary of each brief, never the brief itself.


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
            "generated_at": _isotime(item.generated_at),
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


def index_months(months: Sequence[tuple[str, int]]) -> list[str]:
    """The months the index lists, of (month, briefs) newest first: the newest, and the ones
    before it until the index shows at least `INDEX_MIN_BRIEFS` (early in a month it would
    otherwise show a brief or two)."""
    shown: list[str] = []
    count = 0
    for month, n in months:
        if shown and count >= INDEX_MIN_BRIEFS:
            break
        shown.append(month)
        count += n
    return shown


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
    """`index.html` and `search-index.json`: the briefs of `index_months(months)` (`shown`,
    newest first), every month's page linked, and the search over what the index lists."""
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


def render_site(
    briefs: Sequence[tuple[ArchivedBrief, Brief]], title: str, templates: Path | None = None
) -> dict[str, bytes]:
    """Every page of the archive, from the briefs kept (oldest first), keyed by path in the
    output folder: each brief's page (with previous/next links), one page per thread, one
    page per month, the index, the Atom feed, the search index and the stylesheet."""
    items = [listed(entry, brief) for entry, brief in reversed(briefs)]  # newest first
    by_month: dict[str, list[Listed]] = {}
    for item in items:
        by_month.setdefault(month_of(item.entry), []).append(item)
    months = [(m, len(v)) for m, v in by_month.items()]
    threads: dict[str, list[tuple[ArchivedBrief, ThreadDigest]]] = {}
    for entry, brief in reversed(briefs):
        for digest in full_brief(brief).digests:
            threads.setdefault(digest.thread_id, []).append((entry, digest))
    files: dict[str, bytes] = {}
    for i, (entry, brief) in enumerate(briefs):
        previous = briefs[i - 1][0] if i > 0 else None
        after = briefs[i + 1][0] if i + 1 < len(briefs) else None
        files[entry.path] = brief_page(brief, (previous, after), templates).encode()
    for thread_id, appearances in threads.items():
        files[f"threads/{thread_id}.html"] = thread_page(thread_id, appearances, title, templates)
    for month, shown in by_month.items():
        files[month_path(month)] = month_page(month, shown, title, templates)
    wanted = set(index_months(months))
    files.update(index_files(months, [i for i in items if month_of(i.entry) in wanted], title, templates))
    files["feed.xml"] = feed(items, title, templates)
    files["assets/style.css"] = stylesheet(templates)
    return files


@contextlib.contextmanager
def _site_errors() -> Iterator[None]:
    try:
        yield
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template error while writing the archive: {exc}") from exc


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


def _date(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%b %d, %Y").replace(" 0", " ") if value else "undated"


def _datetime(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%a %d %b %Y, %H:%M UTC") if value else "undated"


def _source_date(ref: SourceRef) -> str:
    """A source's date, or "undated (seen …)" when the feed gave none (or a false one)."""
    return f"undated (seen {_date(ref.published)})" if ref.date_note else _date(ref.published)


def _isotime(value: datetime | None) -> str:
    when = value or datetime(1970, 1, 1, tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

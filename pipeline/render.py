"""A `Brief` → its files: the email (HTML with inlined CSS, and plain text), the brief page,
brief.json; and the archive index.

One Jinja2 environment for HTML (autoescape on, StrictUndefined) and one for plain text, both
loading from the user's templates folder first, then the built-in templates. Every URL that
reaches an href goes through `safe_url`: only http, https and mailto survive.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import css_inline
import jinja2

from .errors import TemplateError
from .models import ArchivedBrief, Brief, SourceRef, ThreadDigest, TimelineEvent
from .schedule import brief_folder
from .serialize import brief_to_json
from .text.calendar import readable_date

_PACKAGE = Path(__file__).resolve().parent
FEED_ENTRIES = 50  # briefs in feed.xml
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
    brief: Brief, templates: Path | None = None, archive_url: str = "", email: RenderedEmail | None = None
) -> RenderedBrief:
    """Render one brief to the email (`render_email`, unless given), the page and brief.json."""
    email = email or render_email(brief, templates, archive_url)
    html_env, _ = make_environments(templates)
    with _template_errors(templates):
        page_html = html_env.get_template("brief.html").render(
            brief=full_brief(brief), root="../../../../", previous=None, next=None
        )
    return RenderedBrief(email.html, email.text, page_html, brief_to_json(brief), email.subject)


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


def render_site(
    briefs: Sequence[tuple[ArchivedBrief, Brief]], title: str, templates: Path | None = None
) -> dict[str, bytes]:
    """Every page of the archive, from the briefs kept (oldest first), keyed by path in the
    output folder: each brief's page (with previous/next links), one page per thread, the
    index, the Atom feed, the search index and the stylesheet. Links are relative, and
    nothing depends on the clock, so rebuilding gives the same bytes."""
    html_env, _ = make_environments(templates)
    newest_first = list(reversed(briefs))
    threads = _threads(briefs)
    search = _search_index(newest_first, threads)
    status = newest_first[0][1].status_line if newest_first else ""
    files: dict[str, bytes] = {}
    try:
        for i, (entry, brief) in enumerate(briefs):
            page = html_env.get_template("brief.html").render(
                brief=full_brief(brief),
                root="../../../../",
                previous=briefs[i - 1][0] if i > 0 else None,
                next=briefs[i + 1][0] if i + 1 < len(briefs) else None,
            )
            files[entry.path] = page.encode()
        for thread_id, appearances in threads.items():
            page = html_env.get_template("thread.html").render(
                thread_id=thread_id,
                appearances=appearances,
                timeline=_timeline(appearances),
                title=title,
                root="../",
            )
            files[f"threads/{thread_id}.html"] = page.encode()
        days: dict[str, list[tuple[ArchivedBrief, Brief]]] = {}
        for entry, brief in newest_first:
            days.setdefault(entry.slot.astimezone(UTC).strftime("%A %d %B %Y"), []).append((entry, brief))
        index = html_env.get_template("index.html").render(
            days=days,
            title=title,
            status=status,
            root="",
            search=search,
            count=len(briefs),
            threads=sorted(threads.items(), key=lambda kv: -len(kv[1])),
        )
        files["index.html"] = index.encode()
        feed = html_env.get_template("feed.xml").render(briefs=newest_first[:FEED_ENTRIES], title=title)
        files["feed.xml"] = feed.encode()
        files["assets/style.css"] = html_env.loader.get_source(html_env, "style.css")[0].encode()  # type: ignore[union-attr]
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template error while writing the archive: {exc}") from exc
    files["search-index.json"] = (json.dumps(search, ensure_ascii=False, indent=1) + "\n").encode()
    return files


def full_brief(brief: Brief) -> Brief:
    """The brief as its page shows it: threads moved out of the email are back in."""
    if not brief.overflow_digests:
        return brief
    return replace(brief, digests=brief.digests + brief.overflow_digests, overflow=(), overflow_digests=())


def _threads(
    briefs: Sequence[tuple[ArchivedBrief, Brief]],
) -> dict[str, list[tuple[ArchivedBrief, ThreadDigest]]]:
    """Each thread's appearances, newest brief first."""
    out: dict[str, list[tuple[ArchivedBrief, ThreadDigest]]] = {}
    for entry, brief in reversed(briefs):
        for digest in full_brief(brief).digests:
            out.setdefault(digest.thread_id, []).append((entry, digest))
    return out


def _timeline(appearances: Sequence[tuple[ArchivedBrief, ThreadDigest]]) -> list[TimelineEvent]:
    """A thread's timeline over all its briefs (each brief shows only its new events), oldest
    first; an event told in several briefs once, with the sources of its latest telling."""
    events: dict[tuple[str, str], TimelineEvent] = {}
    for _, digest in reversed(appearances):  # oldest brief first, so the latest telling wins
        for e in digest.timeline:
            events[(e.date, e.text.text)] = e
    return sorted(events.values(), key=lambda e: e.date)


def _search_index(
    briefs: Sequence[tuple[ArchivedBrief, Brief]],
    threads: dict[str, list[tuple[ArchivedBrief, ThreadDigest]]],
) -> list[dict[str, str]]:
    """What the archive's search box filters: one item per brief and per thread."""
    items = []
    for entry, brief in briefs:
        words = [
            d.title + " " + d.headline.text + " " + " ".join(s.text for s in d.tldr)
            for d in full_brief(brief).digests
        ]
        items.append({"kind": "brief", "id": entry.id, "url": entry.path, "text": " ".join(words)})
    for thread_id, appearances in threads.items():
        latest = appearances[0][1]
        text = latest.title + " " + " ".join(d.headline.text for _, d in appearances)
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

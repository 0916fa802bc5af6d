"""A `Brief` → its files: the email (HTML with inlined CSS, and plain text), the brief page and
brief.json (the archive's other pages are `site.py`'s).

One Jinja2 environment for HTML (autoescape on, StrictUndefined) and one for plain text, both
loading from the user's templates folder first, then the built-in templates. Every URL that
reaches an href goes through `safe_url`: only http, https and mailto survive.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import urlsplit

import css_inline
import jinja2

from pipeline.errors import TemplateError
from pipeline.models import ArchivedBrief, Brief, SourceRef
from pipeline.operate.schedule import brief_folder
from pipeline.publish.serialize import brief_to_json
from pipeline.text.calendar import readable_date

_PACKAGE = Path(__file__).resolve().parents[1]  # the `pipeline` package
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
            isotime=isotime,
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


def render_email(
    brief: Brief,
    templates: Path | None = None,
    archive_url: str = "",
    *,
    unsubscribe: str = "",
    sender: str = "",
) -> RenderedEmail:
    """The email of one brief (HTML with its CSS inlined, and plain text). With the public
    address of the archive (`archive_url`, ending with "/"), it links to the brief's page and
    to each thread's page there. Both parts end with how to stop receiving it: the one-click
    link `unsubscribe` (each subscriber's token put in by `mail.personalise`), else a mail to
    `sender`."""
    html_env, text_env = make_environments(templates)
    subject = subject_of(brief)
    page = archive_url + brief_folder(brief.slot) + "/index.html" if archive_url else ""
    context = {
        "brief": brief,
        "subject": subject,
        "archive": archive_url,
        "page": page,
        "unsubscribe": unsubscribe,
        "sender": getaddresses([sender])[0][1] if sender else "",
    }
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
    *,
    unsubscribe: str = "",
    sender: str = "",
) -> RenderedBrief:
    """Render one brief to the email (`render_email`, unless given), the page (linking the
    briefs before and after it, `neighbours`) and brief.json."""
    email = email or render_email(brief, templates, archive_url, unsubscribe=unsubscribe, sender=sender)
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
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise TemplateError(
            f"template error: {type(exc).__name__}: {exc}",
            hint="a template in your templates folder may expect what an older dailybrief gave it",
        ) from exc


def full_brief(brief: Brief) -> Brief:
    """The brief as its page shows it: threads moved out of the email are back in."""
    if not brief.overflow_digests:
        return brief
    return replace(brief, digests=brief.digests + brief.overflow_digests, overflow=(), overflow_digests=())


def _date(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%b %d, %Y").replace(" 0", " ") if value else "undated"


def _datetime(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%a %d %b %Y, %H:%M UTC") if value else "undated"


def _source_date(ref: SourceRef) -> str:
    """A source's date, or "undated (seen …)" when the feed gave none (or a false one)."""
    return f"undated (seen {_date(ref.published)})" if ref.date_note else _date(ref.published)


def isotime(value: datetime | None) -> str:
    when = value or datetime(1970, 1, 1, tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

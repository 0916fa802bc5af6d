"""A `Brief` → its files: the email (HTML with inlined CSS, and plain text), the brief page,
brief.json; and the archive index.

One Jinja2 environment for HTML (autoescape on, StrictUndefined) and one for plain text, both
loading from the user's templates folder first, then the built-in templates. Every URL that
reaches an href goes through `safe_url`: only http, https and mailto survive.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import css_inline
import jinja2

from .errors import TemplateError
from .models import ArchivedBrief, Brief

_PACKAGE = Path(__file__).resolve().parent
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
    """The HTML environment (autoescaped) and the plain-text one, sharing filters."""
    dirs = template_dirs(extra)
    if not dirs:
        raise TemplateError("no templates folder found", hint="reinstall dailybrief")
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
        env.filters.update(safe_url=safe_url, date=_date, datetime=_datetime, host=_host)
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


def render_brief(brief: Brief, templates: Path | None = None) -> RenderedBrief:
    """Render one brief to the email (HTML, text), the page and brief.json."""
    html_env, text_env = make_environments(templates)
    subject = subject_of(brief)
    context = {"brief": brief, "subject": subject}
    try:
        email_html = _INLINER.inline(html_env.get_template("email.html").render(context))
        email_txt = text_env.get_template("email.txt").render(context)
        page_html = html_env.get_template("brief.html").render(context, root="../../../../")
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(
            f"template {exc.name!r} not found in {', '.join(map(str, template_dirs(templates)))}"
        ) from exc
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template error: {exc}") from exc
    return RenderedBrief(email_html, email_txt, page_html, brief_to_json(brief), subject)


def render_index(
    briefs: Sequence[ArchivedBrief], title: str, status: str, templates: Path | None = None
) -> str:
    """The archive's index.html: every brief, newest first."""
    html_env, _ = make_environments(templates)
    try:
        return html_env.get_template("index.html").render(briefs=briefs, title=title, status=status, root="")
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template error in index.html: {exc}") from exc


def brief_to_json(brief: Brief) -> str:
    """brief.json: everything the brief shows, with the source id of every sentence."""
    return json.dumps(_plain(asdict(brief)), indent=2, ensure_ascii=False) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return value.value
    return value


def _date(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%b %d, %Y").replace(" 0", " ") if value else "undated"


def _datetime(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%a %d %b %Y, %H:%M UTC") if value else "undated"


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")

"""OPML, the list of feeds every feed reader imports and exports: read one, write ours.

Reading is defensive, the file being as hostile as anything fetched: a size cap, defusedxml
(no DTD, so no entity expansion and no external entity: a billion laughs or a `file://`
entity is refused, never expanded), no network, and only http(s) `xmlUrl`s kept. Outlines nest
(folders, as readers export them) and are walked to any depth, up to a cap on how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import urlsplit
from xml.etree.ElementTree import (
    Element,
    SubElement,
    indent,
    tostring,
)  # writing only: reading is defusedxml's

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from pipeline.config import FeedSource
from pipeline.errors import BriefError

__all__ = ["MAX_OPML_BYTES", "OpmlError", "read_opml", "write_opml"]

MAX_OPML_BYTES = 5 * 1024 * 1024  # ~40,000 feeds: far more than anyone reads
MAX_OUTLINES = 20_000


class OpmlError(BriefError):
    """An OPML file that cannot be read: too large, not XML, not OPML, or hostile."""


def read_opml(data: bytes) -> tuple[FeedSource, ...]:
    """The feeds an OPML file lists (its outlines with an http(s) `xmlUrl`, named by their
    `title` or `text`), in its order, each once."""
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"the file is over {MAX_OPML_BYTES // (1024 * 1024)} MB: not an OPML list of feeds")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise OpmlError(
            f"refused: the file declares a DTD or entities ({type(exc).__name__}), which OPML never needs"
        ) from exc
    except ParseError as exc:
        raise OpmlError(f"not an XML file: {exc}") from exc
    if _local(root.tag) != "opml":
        raise OpmlError(f"not an OPML file: its root element is <{_local(root.tag)}>, not <opml>")
    feeds: dict[str, FeedSource] = {}
    for count, outline in enumerate(root.iter()):
        if count > MAX_OUTLINES:
            raise OpmlError(f"more than {MAX_OUTLINES:,} outlines: not a list of feeds a person reads")
        if _local(outline.tag) != "outline":
            continue
        attrs = {_local(k).lower(): v for k, v in outline.attrib.items()}
        url = attrs.get("xmlurl", "").strip()
        if not _http(url) or url in feeds:
            continue
        name = " ".join((attrs.get("title") or attrs.get("text") or "").split())[:200]
        feeds[url] = FeedSource(url=url, name=name)
    return tuple(feeds.values())


def write_opml(feeds: Sequence[FeedSource], title: str, now: datetime) -> bytes:
    """OPML 2.0 listing `feeds` (each an `outline type="rss"`), every value escaped."""
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = title
    SubElement(head, "dateCreated").text = format_datetime(now)
    body = SubElement(root, "body")
    for feed in feeds:
        SubElement(body, "outline", type="rss", text=feed.name, title=feed.name, xmlUrl=feed.url)
    indent(root)
    text: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return text + b"\n"


def _local(tag: str) -> str:
    """A tag or attribute without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _http(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)

"""What the reader follows, changed for them: feeds added by a site's address or from an OPML
file, threads followed from the emerging stories a brief found, muted and edited. The CLI's
`brief feeds` and `brief threads` and the web app's pages call these; each change is written to
sources.yaml by `config_edit` (its one rule), so `brief check` and the next run read it.

    BriefError
     ├── NoFeedError      the address is no feed and its page names none
     ├── SeveralFeedsError the page names several: the caller chooses (`found`)
     └── NoStoryError     no brief kept shows that emerging story
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from pipeline.config import Config, FeedSource
from pipeline.config_edit import Edited, EditError, add_feeds, add_thread, same_feed
from pipeline.errors import BriefError
from pipeline.ingest.discover import Discovery, FoundFeed, discover_feeds
from pipeline.ingest.opml import read_opml, write_opml
from pipeline.ingest.reading import fetch_settings
from pipeline.publish.serialize import brief_from_json, digest_from_json
from pipeline.store import Store
from pipeline.understand.follow import followed_thread

__all__ = [
    "NoFeedError",
    "NoStoryError",
    "SeveralFeedsError",
    "Story",
    "add_feed",
    "emerging_stories",
    "export_opml",
    "follow_story",
    "import_opml",
]


class NoFeedError(BriefError):
    """The address is not a feed, and its page names none (or could not be read)."""


class SeveralFeedsError(BriefError):
    """The page names several feeds: which one to add is the reader's choice."""

    def __init__(self, url: str, found: Sequence[FoundFeed]) -> None:
        super().__init__(
            f"{url} offers {len(found)} feeds: " + "; ".join(f.url for f in found),
            hint="add the one you want by its own address",
        )
        self.found = tuple(found)


class NoStoryError(BriefError):
    """No brief kept shows that emerging story."""


@dataclass(frozen=True)
class Story:
    """An emerging story as the briefs showed it: the last time, and what it held then."""

    id: str
    title: str
    brief_id: str  # the last brief that showed it
    new_articles: int  # in that brief
    muted: bool
    followed_by: str = ""  # the configured thread that follows it, if one does


def emerging_stories(config: Config, store: Store) -> list[Story]:
    """The emerging stories of the last brief, then those muted since (a muted story is no
    longer shown, so no brief lists it) and those followed, each once."""
    followed = {t.story: t.id for t in config.threads if t.story}
    found: dict[str, Story] = {}
    last = store.last_brief()
    data = store.brief_data(last.id) if last is not None else None
    if last is not None and data is not None:
        for d in brief_from_json(data).digests:
            if d.kind == "emergent":
                found[d.thread_id] = Story(
                    d.thread_id,
                    d.title,
                    last.id,
                    d.new_articles,
                    d.thread_id in config.muted,
                    followed.get(d.thread_id, ""),
                )
    for story_id in (*config.muted, *followed):
        if story_id not in found:
            seen = store.thread_appearances(story_id)
            if seen:
                entry, digest = seen[0]
                d = digest_from_json(digest)
                found[story_id] = Story(
                    story_id,
                    d.title,
                    entry.id,
                    d.new_articles,
                    story_id in config.muted,
                    followed.get(story_id, ""),
                )
    return list(found.values())


def follow_story(config: Config, store: Store, story_id: str, *, expect: str | None = None) -> Edited:
    """Configure a thread that follows the emerging story `story_id` (see `understand.follow`):
    the next run files the story's articles under it. `config` is the brief that showed it:
    an edition's (`Config.for_edition`) reads its own store and gets the thread in its entry."""
    following = next((t for t in config.threads if t.story == story_id), None)
    if following is not None:
        raise EditError(f"story {story_id} is followed already, by thread {following.id}")
    seen = store.thread_appearances(story_id)
    if not story_id.startswith("story-") or not seen:
        raise NoStoryError(
            f"no brief shows an emerging story {story_id!r}",
            hint="`brief threads list` shows the emerging stories of the last brief",
        )
    digest = digest_from_json(seen[0][1])
    articles = store.articles(store.thread_members().get(story_id, []))
    spec = followed_thread(digest, articles, {t.id for t in config.threads})
    return add_thread(config.path, spec, edition=config.edition or None, expect=expect)


def add_feed(
    config: Config, url: str, name: str = "", *, now: datetime | None = None, expect: str | None = None
) -> Edited:
    """Add the feed at `url`, or the one feed its page names (`<link rel="alternate">`): read
    first, so only a feed that parses is added; named `name`, else by its own title."""
    address = url.strip()
    if urlsplit(address).scheme.lower() not in ("http", "https"):
        address = "https://" + address if "://" not in address else address
    if any(same_feed(address, f.url) for f in config.feeds):
        raise EditError(f"{address} is listed already")
    when = now or datetime.now(UTC)
    found = discover_feeds(address, fetch_settings(config), when)
    if not found.is_feed:
        if found.error:
            raise NoFeedError(f"could not read {address}: {found.error}")
        if not found.feeds:
            raise NoFeedError(
                f"{address} is not a feed, and its page names none",
                hint='no <link rel="alternate" type="application/rss+xml"> or atom+xml in it: '
                "give the feed's own address",
            )
        if len(found.feeds) > 1:
            raise SeveralFeedsError(address, found.feeds)
        found = _read_offered(config, found.feeds[0], when)
    feed = found.feeds[0]
    return add_feeds(config.path, [FeedSource(feed.url, name or feed.title)], expect=expect)


def _read_offered(config: Config, offered: FoundFeed, now: datetime) -> Discovery:
    """The one feed a page names, read to be sure it is one."""
    found = discover_feeds(offered.url, fetch_settings(config), now)
    if not found.is_feed:
        raise NoFeedError(
            f"the page names {offered.url} as its feed, but it is not one: {found.error or 'not RSS or Atom'}"
        )
    return found


def import_opml(config: Config, data: bytes, *, expect: str | None = None) -> tuple[Edited, int]:
    """Add the feeds an OPML file lists that are not listed yet; the edit, and how many of the
    file's feeds were listed already."""
    feeds = read_opml(data)
    if not feeds:
        raise EditError("the OPML file lists no feed (no outline with an http(s) xmlUrl)")
    new = [f for f in feeds if not any(same_feed(f.url, c.url) for c in config.feeds)]
    if not new:
        raise EditError(f"all {len(feeds)} feeds of the file are listed already")
    return add_feeds(config.path, new, expect=expect), len(feeds) - len(new)


def export_opml(config: Config, now: datetime | None = None) -> bytes:
    """The configured feeds as OPML 2.0, for a feed reader."""
    return write_opml(config.feeds, config.title, now or datetime.now(UTC))

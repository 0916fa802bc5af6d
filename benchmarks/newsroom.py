"""A made-up newsroom for the ECB+ documents: publication dates, the slots that release them,
feeds, and article pages with the chrome of real news sites around the text.

Dates (ECB+ has none), deterministic by `seed`:

- The documents are released in `windows` release windows, months apart: window 0 opens on
  Mon 5 Mar 2012 and each next one 60-400 days after the one before (drawn per seed).
  A window is three brief slots of the default schedule: day 0 at 15:00 and 21:00 UTC, day 1
  at 15:00.
- Each topic's two stories are different real events: its `ecb` story (ECB's, mostly from
  2008) goes in a window drawn from 0 … windows-2, its `ecbplus` story (added in 2014, mostly
  events of 2012-13) in a later one. So a story's sibling is 2 months to about 3 years
  earlier or later, and both orders occur among the configured threads.
- A story breaks 6-48 hours before its window's first slot; its documents are published
  between then and the window's last slot (the share `u**1.5` of that span, `u` uniform, so
  most come early, as in a news burst). About two thirds reach the window's first brief, the
  rest the next two, so a story goes on over a window's briefs.

A slot's feeds list every entry published up to that slot (7 feeds; each document in one,
drawn per document). Each feed belongs to one of 4 sites; a site's page template puts a
masthead, a nav bar, a byline, a "READ MORE: <another headline>" line after the second
paragraph, a tip line ("Have a story tip? Email tips@…"), a related-articles list (half from
the same topic, so often the sibling event's headlines) and a footer around the text, in the
places that site puts them: inside the article element or beside it, in <article>, <div> or
<section> markup.
"""

from __future__ import annotations

import hashlib
import html
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

FIRST_WINDOW = datetime(2012, 3, 5, 15, 0, tzinfo=UTC)
WINDOW_SLOTS = (timedelta(0), timedelta(hours=6), timedelta(hours=24))  # 15:00, 21:00, next 15:00
WINDOW_GAP_DAYS = (60, 400)
BREAKS_BEFORE_HOURS = (6.0, 48.0)
BURST = 1.5  # exponent on the uniform share of a story's span: most documents come early
RELATED = 5  # headlines in a page's related list, about half from the same topic


@dataclass(frozen=True)
class Site:
    slug: str
    name: str
    domain: str
    sections: tuple[str, ...]
    layout: str  # which of the page layouts below


SITES = (
    Site(
        "ledger",
        "The Daily Ledger",
        "dailyledger.example",
        ("Home", "World", "U.S.", "Politics", "Business", "Sports", "Entertainment", "Opinion"),
        "aside",
    ),
    Site(
        "courier",
        "Metro Courier",
        "metrocourier.example",
        ("News", "Local", "Crime", "Celebrity", "Tech", "Weather", "Video"),
        "inline",
    ),
    Site("wire", "Wire Post", "wirepost.example", ("Top Stories", "World", "Markets", "Science"), "divs"),
    Site(
        "herald",
        "Northern Herald",
        "northernherald.example",
        ("Front page", "Nation", "World", "Money", "Sport", "Arts", "Life"),
        "section",
    ),
)
FEEDS = (  # (site index, feed name)
    (0, "The Daily Ledger: World"),
    (0, "The Daily Ledger: U.S."),
    (1, "Metro Courier: News"),
    (1, "Metro Courier: Celebrity"),
    (2, "Wire Post: Top Stories"),
    (3, "Northern Herald: Nation"),
    (3, "Northern Herald: World"),
)
AUTHORS = ("Jane Porter", "Sam Okafor", "Lena Varga", "Tom Reyes", "Staff reporter", "Priya Nair")
HEADING_MARKERS = ("Related articles", "More on this story", "You may also like", "Most read")
# lines of chrome that must not reach an article's text: how extraction is checked
CHROME_MARKERS = (
    "READ MORE",
    "story tip",
    "tips@",
    "All rights reserved",
    "newsletter",
    "Share this",
    *HEADING_MARKERS,
)


@dataclass(frozen=True)
class Doc:
    id: str
    topic: str
    story: str  # ECB+ `subtopic`
    title: str
    text: str  # the sentences after the title, one per line


@dataclass(frozen=True)
class Placed:
    """A document as the newsroom publishes it."""

    doc: Doc
    published: datetime
    feed: int
    path: str  # of its page on the server


def to_doc(raw: dict[str, Any]) -> Doc:
    title = " ".join(str(raw.get("title") or "").split())
    lines = [ln.strip() for ln in str(raw.get("text") or "").splitlines() if ln.strip()]
    if lines and " ".join(lines[0].split()) == title:
        lines = lines[1:]
    story = str(raw["subtopic"])
    return Doc(str(raw["id"]), str(raw.get("topic", story)), story, title or lines[0], "\n".join(lines))


def slots(windows: int, seed: int) -> list[list[datetime]]:
    """The slots of each release window, oldest first."""
    rng = random.Random(f"{seed}:windows")
    out, start = [], FIRST_WINDOW
    for _ in range(windows):
        out.append([start + d for d in WINDOW_SLOTS])
        start += timedelta(days=rng.randint(*WINDOW_GAP_DAYS))
    return out


def story_windows(docs: Sequence[Doc], windows: int, seed: int) -> dict[str, int]:
    """The release window of each story: a topic's `ecb` story before its `ecbplus` one."""
    out: dict[str, int] = {}
    for topic in sorted({d.topic for d in docs}):
        rng = random.Random(f"{seed}:topic:{topic}")
        first = rng.randrange(windows - 1)
        later = rng.randrange(first + 1, windows)
        for story in sorted({d.story for d in docs if d.topic == topic}):
            out[story] = later if story.endswith("ecbplus") else first
    return out


def place(docs: Sequence[Doc], windows: int, seed: int) -> list[Placed]:
    """Each document's publication time, feed and page path (the rule of the module docstring)."""
    wins = slots(windows, seed)
    window_of = story_windows(docs, windows, seed)
    breaks: dict[str, datetime] = {}
    for story in sorted(window_of):
        rng = random.Random(f"{seed}:story:{story}")
        breaks[story] = wins[window_of[story]][0] - timedelta(hours=rng.uniform(*BREAKS_BEFORE_HOURS))
    out = []
    for d in docs:
        rng = random.Random(f"{seed}:doc:{d.id}")
        start, end = breaks[d.story], wins[window_of[d.story]][-1]
        published = start + (end - start) * (rng.random() ** BURST)
        published = published.replace(microsecond=0)
        feed = rng.randrange(len(FEEDS))
        site = SITES[FEEDS[feed][0]]
        out.append(Placed(d, published, feed, f"/{site.slug}/{published:%Y/%m/%d}/{_slug(d)}.html"))
    return out


def _slug(doc: Doc) -> str:
    words = re.findall(r"[a-z0-9]+", doc.title.lower())[:8]
    return "-".join([*words, hashlib.sha1(doc.id.encode()).hexdigest()[:6]])


# -- pages ----------------------------------------------------------------------------------------


def page(p: Placed, placed: Sequence[Placed], seed: int) -> bytes:
    """The article page of `p` with its site's chrome; other headlines drawn from `placed`."""
    rng = random.Random(f"{seed}:page:{p.doc.id}")
    site = SITES[FEEDS[p.feed][0]]
    others = [o for o in placed if o.doc.id != p.doc.id]
    same = [o for o in others if o.doc.topic == p.doc.topic]
    picks = rng.sample(same, min(len(same), RELATED // 2 + 1)) if same else []
    rest = [o for o in others if o not in picks]
    picks += rng.sample(rest, min(len(rest), RELATED - len(picks)))
    rng.shuffle(picks)
    read_more = rng.choice(same or others or [p])
    sentences = p.doc.text.splitlines()
    paragraphs, i = [], 0
    while i < len(sentences):
        k = rng.choice((1, 2, 2, 3))
        paragraphs.append(" ".join(sentences[i : i + k]))
        i += k
    body = [f"<p>{html.escape(t)}</p>" for t in paragraphs]
    more = (
        f'<p class="read-more"><strong>READ MORE:</strong> '
        f'<a href="{read_more.path}">{html.escape(read_more.doc.title)}</a></p>'
    )
    body.insert(min(2, len(body)), more)
    tip = f"Have a story tip? Email tips@{site.domain}"
    related = "".join(f'<li><a href="{o.path}">{html.escape(o.doc.title)}</a></li>' for o in picks)
    heading = HEADING_MARKERS[SITES.index(site)]
    nav = "".join(f'<li><a href="/{site.slug}/{s.lower()}">{html.escape(s)}</a></li>' for s in site.sections)
    title = html.escape(p.doc.title)
    byline = f"By {rng.choice(AUTHORS)} | {p.published:%B} {p.published.day}, {p.published:%Y %H:%M} UTC"
    footer = (
        f"<footer><p>© {p.published:%Y} {site.name}. All rights reserved.</p><ul>"
        "<li><a href='/about'>About us</a></li><li><a href='/contact'>Contact</a></li>"
        "<li><a href='/privacy'>Privacy policy</a></li><li><a href='/terms'>Terms of use</a></li>"
        "</ul></footer>"
    )
    head = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | {site.name}</title>'
        f'<meta name="viewport" content="width=device-width"></head><body>'
    )
    text = "".join(body)
    if site.layout == "aside":
        main = (
            f'<header><div class="masthead">{site.name}</div><nav><ul>{nav}</ul></nav></header>'
            f'<main><article><h1>{title}</h1><p class="byline">{byline}</p>'
            f'<div class="article-body">{text}<p class="tip"><em>{tip}</em></p></div></article>'
            f'<aside class="related"><h2>{heading}</h2><ul>{related}</ul></aside></main>'
        )
    elif site.layout == "inline":
        main = (
            f'<div class="top"><a class="logo" href="/">{site.name}</a><ul class="menu">{nav}</ul></div>'
            f'<article class="story"><h1>{title}</h1><div class="meta">{byline}</div>{text}'
            f"<p>{tip}</p><h3>{heading}</h3><ul>{related}</ul>"
            '<div class="signup"><p>Sign up for our free newsletter and get the day\'s top stories.</p>'
            "</div></article>"
        )
    elif site.layout == "divs":
        main = (
            f'<div id="header"><span>{site.name}</span><div class="nav"><ul>{nav}</ul></div></div>'
            f'<div id="content"><div class="headline"><h1>{title}</h1></div>'
            f'<div class="dateline">{byline}</div><div class="story-content">{text}</div>'
            f'<div class="tipline"><p>{tip} or call 555-0100.</p></div>'
            f'<div class="more"><h4>{heading}</h4><ul>{related}</ul></div></div>'
        )
    else:
        main = (
            f'<nav class="site-nav"><strong>{site.name}</strong><ul>{nav}</ul></nav>'
            f'<section class="article"><header><h1>{title}</h1><p>{byline}</p></header>'
            '<div class="share">Share this: <a href="#">Facebook</a> <a href="#">Twitter</a> '
            '<a href="#">Email</a></div>'
            f'<div class="text">{text}</div><p class="tip">{tip}</p></section>'
            f'<section class="rail"><h2>{heading}</h2><ol>{related}</ol></section>'
        )
    return (head + main + footer + "</body></html>").encode("utf-8")

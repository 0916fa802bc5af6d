"""The values that flow between stages: frozen dataclasses, no behaviour beyond small helpers.

FetchResult ─▶ FeedEntry ─▶ Article ─▶ Thread ─▶ ThreadDigest ─▶ Brief
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit


class ErrorKind(StrEnum):
    """Why a fetch or a parse failed, in words a user can act on."""

    TIMEOUT = "timeout"
    TLS = "tls"
    DNS = "dns"
    CONNECT = "connect"
    HTTP_4XX = "http-4xx"
    HTTP_5XX = "http-5xx"
    TOO_LARGE = "too-large"
    TOO_MANY_REDIRECTS = "redirects"
    REFUSED = "refused-address"
    NOT_A_FEED = "not-a-feed"
    NOT_HTML = "not-html"
    EMPTY = "empty"
    PARSE = "parse"
    PAUSED = "host-paused"


@dataclass(frozen=True)
class Validators:
    """HTTP cache validators, stored verbatim and sent back unchanged."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchRequest:
    url: str
    validators: Validators = Validators()
    kind: str = "page"  # "feed" or "page": picks the deadline and the Accept header


@dataclass(frozen=True)
class FetchResult:
    """One HTTP exchange. `body` is empty unless status is 200; `error` is set on any failure."""

    url: str
    final_url: str
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    validators: Validators = Validators()
    error: str | None = None
    error_kind: ErrorKind | None = None
    elapsed: float = 0.0
    moved_to: str | None = None  # target of a permanent redirect (301/308) on the first hop
    retry_after: datetime | None = None  # when a 429/503 said to come back

    @property
    def ok(self) -> bool:
        return self.error is None and self.status in (200, 304)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, with plain-text title and summary."""

    feed_url: str
    entry_id: str
    link: str
    title: str
    summary: str
    published: datetime | None
    author: str = ""
    date_note: str = ""  # "missing", "unparsable" or "future": published is then the fetch time


@dataclass(frozen=True)
class ParsedFeed:
    url: str
    title: str
    entries: tuple[FeedEntry, ...]
    error: str | None = None
    error_kind: ErrorKind | None = None
    warning: str | None = None


@dataclass(frozen=True)
class Page:
    """A fetched article page, or the reason there is none."""

    entry: FeedEntry
    final_url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class Article:
    """A cleaned article. `id` is stable: derived from the canonical URL."""

    id: str
    url: str
    canonical_url: str
    source: str  # publisher (feed name)
    title: str
    text: str
    published: datetime | None
    author: str = ""
    extracted: bool = True  # False when the text is the feed summary (extraction failed)
    found_at: tuple[tuple[str, str], ...] = ()  # (publisher, url) of every copy, itself first
    date_note: str = ""  # set when the feed gave no usable date (see FeedEntry)

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    @property
    def order(self) -> tuple[bool, datetime | None, str, str, str]:
        """How articles are ordered when nothing else decides: oldest first (undated last),
        then by title, publisher and path. From what the article is, never from its id: the id
        hashes the whole address, so ties broken by it would move with the server's name or
        port, and the same articles would not make the same brief."""
        parts = urlsplit(self.canonical_url or self.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return (self.published is None, self.published, self.title, self.source, path)


@dataclass(frozen=True)
class ThreadSpec:
    """A story thread the user follows, as configured in sources.yaml."""

    id: str
    title: str
    description: str
    keywords: tuple[str, ...] = ()  # its keywords and entities: the words that signal its subject
    entities: tuple[str, ...] = ()  # the names at its heart: what tells its story from another
    muted: bool = False  # filed, never shown
    story: str = ""  # the emerging story it was followed from: that story's articles are its own


@dataclass(frozen=True)
class Thread:
    """Articles filed under one story thread for this brief."""

    id: str
    title: str
    kind: str  # "configured" or "emergent"
    article_ids: tuple[str, ...]
    description: str = ""
    scores: tuple[float, ...] = ()  # membership score per article, same order
    # earlier articles (given as context, in no thread until now) it gathers: filed with it so
    # later runs know the story, not shown again
    joined: tuple[str, ...] = ()
    why: tuple[str, ...] = ()  # per article, same order: what filed it here (`brief why`)
    muted: bool = False  # filed (its articles and their reasons kept), not shown in the brief


@dataclass(frozen=True)
class Sentence:
    """A sentence shown in a brief, verbatim from the article it cites."""

    text: str
    article_id: str


@dataclass(frozen=True)
class SourceRef:
    number: int
    article_id: str
    title: str
    source: str
    url: str
    published: datetime | None
    extracted: bool = True
    copies: tuple[tuple[str, str], ...] = ()  # (publisher, url) of syndicated copies
    date_note: str = ""

    @classmethod
    def of(cls, number: int, article: Article) -> SourceRef:
        """Source number `number` of a digest: the article and the copies other outlets ran."""
        return cls(
            number=number,
            article_id=article.id,
            title=article.title,
            source=article.source,
            url=article.url,
            published=article.published,
            extracted=article.extracted,
            copies=tuple(c for c in article.found_at if c[1] != article.url),
            date_note=article.date_note,
        )


@dataclass(frozen=True)
class KeyFigure:
    """A figure the thread turns on, with the sentence it came from."""

    value: str  # as written: "$14.3 billion", a range as one: "$115 billion to $135 billion"
    label: str  # the noun phrase it measures: "investment in Scale AI"
    context: Sentence
    sources: int  # how many articles report it
    earlier: str = ""  # ISO date of the brief that first showed it, when an earlier one did
    # (publisher, url) of its article when it is reported earlier: that article is among the
    # sources of the brief that showed it, not of this one
    cited: tuple[str, str] | tuple[()] = ()


@dataclass(frozen=True)
class TimelineEvent:
    date: str  # ISO, as precise as the text: "2026-04-08", "2025-11", "2013"
    kind: (
        str  # product launch | financial | organizational | strategy | revelation | legal | research | event
    )
    text: Sentence  # the clearest sentence that tells it
    cited: tuple[tuple[str, str], ...]  # (publisher, url) of every source that reports it
    title: str = ""  # a few words of the text that say what happened: "Horton was shot and killed"


@dataclass(frozen=True)
class Involved:
    name: str
    kind: str  # person | org
    role: str  # as the sources put it, or ""
    context: Sentence
    # where the role is quoted from when the day's sources give none: an earlier brief's article
    role_from: Sentence | None = None
    # (publisher, url) of that article: it is among the sources of the brief that showed the role,
    # not of this one
    role_cited: tuple[str, str] | tuple[()] = ()


@dataclass(frozen=True)
class Voice:
    quote: str  # verbatim, without the quote marks
    speaker: str
    article_id: str


@dataclass(frozen=True)
class Claim:
    """One source's version of a figure or a date."""

    value: str  # "$3.5 billion", "2025-11"
    source: str  # publisher
    url: str
    sentence: Sentence


@dataclass(frozen=True)
class Disagreement:
    """Sources give different values for the same thing."""

    about: str  # "valuation", "the date of: Yann LeCun left Meta"
    claims: tuple[Claim, ...]


@dataclass(frozen=True)
class Comparison:
    """The same measure given for several entities, as a small table."""

    measure: str
    rows: tuple[tuple[str, str, str], ...]  # (entity, value, article id)
    sources: tuple[Sentence, ...] = ()  # the sentences that give the values


@dataclass(frozen=True)
class Connection:
    """Two threads of one brief tied together by a sentence of a source."""

    source_thread: str
    target_thread: str
    source_title: str
    target_title: str
    shared: tuple[str, ...]  # the people or organizations both involve
    sentence: Sentence
    cited: tuple[str, str] = ("", "")  # (publisher, url) of the sentence's article


@dataclass(frozen=True)
class Summary:
    """What the summarizer picks for a thread: sentences taken verbatim from its articles."""

    thread_id: str
    title: str
    kind: str
    headline: Sentence
    overview: tuple[Sentence, ...]
    why_it_matters: tuple[Sentence, ...]
    tldr: tuple[Sentence, ...]
    sources: tuple[SourceRef, ...]
    new_articles: int
    reading_minutes: int
    date: datetime | None = None  # the newest source's date

    def sentences(self) -> tuple[Sentence, ...]:
        """Every sentence it shows, in reading order."""
        return (*self.overview, *self.why_it_matters, *self.tldr)

    def source_number(self, article_id: str) -> int:
        return _source_number(self.sources, article_id)


def _source_number(sources: tuple[SourceRef, ...], article_id: str) -> int:
    """The number an article is cited by in a thread's list of sources."""
    for ref in sources:
        if ref.article_id == article_id:
            return ref.number
    raise KeyError(article_id)


@dataclass(frozen=True)
class DigestFields:
    """What the digest-fields stage adds to a thread's summary, from its articles' facts."""

    category: str
    figures: tuple[KeyFigure, ...]
    timeline: tuple[TimelineEvent, ...]
    people: tuple[Involved, ...]
    orgs: tuple[Involved, ...]
    voices: tuple[Voice, ...]
    tags: tuple[str, ...]
    impact: str
    horizon: str
    tone: str
    audience: tuple[Sentence, ...]
    comparison: Comparison | None


@dataclass(frozen=True)
class ThreadDigest:
    thread_id: str
    title: str
    kind: str
    headline: Sentence
    overview: tuple[Sentence, ...]
    why_it_matters: tuple[Sentence, ...]
    tldr: tuple[Sentence, ...]
    sources: tuple[SourceRef, ...]
    new_articles: int
    reading_minutes: int
    category: str = ""
    figures: tuple[KeyFigure, ...] = ()
    timeline: tuple[TimelineEvent, ...] = ()
    people: tuple[Involved, ...] = ()
    orgs: tuple[Involved, ...] = ()
    voices: tuple[Voice, ...] = ()
    tags: tuple[str, ...] = ()
    impact: str = ""  # High | Medium | Low
    horizon: str = ""  # Short-term | Medium-term | Long-term
    tone: str = ""  # Cautionary | Positive | Neutral
    audience: tuple[Sentence, ...] = ()  # "What this means for <audience>"
    comparison: Comparison | None = None
    date: datetime | None = None  # the newest source's date
    disagreements: tuple[Disagreement, ...] = ()
    since: str = ""  # "New since Thu 09 Apr, 21:00 UTC": what the thread showed before is left out
    unchanged: bool = False  # nothing new since the last brief: shown as one line
    written_by: str = ""  # the model that wrote the overview and why it matters, if one did
    llm_note: str = ""  # why a configured model's text was not used

    @classmethod
    def assemble(
        cls, summary: Summary, fields: DigestFields, disagreements: tuple[Disagreement, ...] = ()
    ) -> ThreadDigest:
        """One thread's digest: its summary, its fields and where its sources disagree."""
        parts = {f.name: getattr(summary, f.name) for f in dataclasses.fields(summary)}
        parts |= {f.name: getattr(fields, f.name) for f in dataclasses.fields(fields)}
        return cls(**parts, disagreements=disagreements)

    def source_number(self, article_id: str) -> int:
        return _source_number(self.sources, article_id)


@dataclass(frozen=True)
class FeedState:
    """What the next fetch of a feed needs to know."""

    validators: Validators = Validators()
    failures: int = 0
    next_attempt: datetime | None = None  # backing off until then
    disabled: str | None = None  # why the feed is no longer fetched (410 Gone)
    moved_to: str | None = None  # where a permanent redirect pointed


@dataclass(frozen=True)
class FeedHealth:
    url: str
    name: str
    last_success: datetime | None
    last_error: str | None
    last_error_kind: str | None
    entries_seen: int
    failures: int = 0
    next_attempt: datetime | None = None
    disabled: str | None = None
    moved_to: str | None = None


@dataclass(frozen=True)
class RunStats:
    """What a run read, as its brief says it. How long the run took is not in it (a brief is
    the same whatever the machine's speed): `RunResult.seconds` and the runs table hold it."""

    feeds_total: int
    feeds_ok: int
    feeds_failed: int
    entries_new: int
    pages_fetched: int
    pages_failed: int
    articles_new: int
    duplicates: int


@dataclass(frozen=True)
class TopLine:
    """One of the brief's most important developments, at its top: a sentence of a source,
    with the thread it is from and its citation."""

    thread_id: str
    thread_title: str
    sentence: Sentence
    source: str  # the publisher
    url: str
    number: int  # the source's number in its thread


@dataclass(frozen=True)
class Brief:
    """Everything one brief shows; rendered to the page, the email and brief.json."""

    id: str  # "2026-11-23T1500Z"
    slot: datetime
    title: str
    audience: str
    generated_at: datetime
    status_line: str
    digests: tuple[ThreadDigest, ...]
    stats: RunStats
    feed_errors: tuple[tuple[str, str], ...] = ()  # (feed name, error)
    others: tuple[SourceRef, ...] = ()  # new articles in no thread: listed, not summarized
    covers: tuple[str, ...] = ()  # missed slots this brief makes up for
    overflow: tuple[SourceRef, ...] = ()  # threads moved out of the email to keep it small
    overflow_digests: tuple[ThreadDigest, ...] = ()  # ...and their digests, for the archive page
    connections: tuple[Connection, ...] = ()
    publishers: int = 0  # distinct outlets among the new articles
    reading_minutes: int = 0  # of the threads' sources, all together
    top: tuple[TopLine, ...] = ()  # the most important developments, shown first


@dataclass(frozen=True)
class Delivery:
    """What became of a brief's message, as the outbox reports it."""

    message_id: str
    eml_path: str
    sent: bool
    detail: str  # shown to the user as is
    failed: bool = False  # the server refused it or could not be reached: shown, and `brief run` exits 2


@dataclass(frozen=True)
class ArchivedBrief:
    """An entry of the archive index."""

    id: str
    slot: datetime
    path: str  # relative to the output folder, e.g. "2026/11/23/1500/index.html"
    headline: str
    threads: tuple[str, ...]
    articles: int


@dataclass(frozen=True)
class DedupeResult:
    """Unique new articles, and where each duplicate went (duplicate id → kept id)."""

    unique: tuple[Article, ...]
    merged_into: dict[str, str]
    known: dict[str, Article] = field(default_factory=dict)  # stored articles that gained links

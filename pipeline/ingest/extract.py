"""Page bytes → a clean `Article`, with trafilatura (given bytes, never a URL to fetch).

Lines of the site's own that extraction keeps inside the article (calls to action, link
labels, reprint and copyright notices) are dropped. When the page yields no article text (an app
shell, a paywall, a cookie wall, only the feed's teaser or a notice, a parser failure) the feed's
own summary stands in, and the article says so (`extracted=False`). A short article that is
whole (a news brief, a page in a script without spaces) is an article.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline.ingest.urls import article_id, canonical_url
from pipeline.models import Article, Page
from pipeline.text.words import WORD_CHARS

log = logging.getLogger(__name__)

MIN_WORDS = 40  # this long, a text is the article; shorter, it must look like a whole one
MIN_BRIEF_WORDS = 15  # a news brief this short still tells something; a teaser line does not
MAX_TREE_SIZE = "30000"  # elements; bounds the work on a hostile page (unset by default)
MAX_TEXT_CHARS = 200_000
EXTRACT_BUDGET = 20.0  # seconds one page may take to extract
FAST_ENOUGH_CHARS = 1000  # an article text this long from the fast pass needs no second (below)
# what trafilatura's comparison calls unclean in a result and looks at again (its SANITIZED_XPATH)
_FURNITURE = (
    ".//aside|.//audio|.//button|.//fencedframe|.//fieldset|.//figure|.//footer|.//iframe|.//input"
    "|.//label|.//link|.//nav|.//noindex|.//noscript|.//object|.//option|.//select|.//source|.//svg|.//time"
)


@functools.cache
def _trafilatura() -> tuple[Any, Any]:
    """trafilatura and our settings, imported on first use (not on importing this module,
    which `brief` does for every command; extraction workers load it themselves)."""
    import trafilatura
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MAX_TREE_SIZE", MAX_TREE_SIZE)
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # signal-based; useless off the main thread
    return trafilatura, config


@dataclass(frozen=True)
class _Wanted:
    """What of the page's metadata the article takes: only what its feed entry lacks."""

    title: bool = False
    author: bool = False
    date: bool = False


@dataclass(frozen=True)
class _Extracted:
    text: str
    title: str = ""
    author: str = ""
    date: str = ""


def extract_article(page: Page, source: str, budget: float = EXTRACT_BUDGET) -> Article:
    """Extract the article of a fetched page; fall back to the feed entry's summary when the
    page yields no article or takes longer than `budget` seconds."""
    entry = page.entry
    url = page.final_url or entry.link
    # an entry with no usable link is an article of its own, known by its feed and GUID
    canonical = canonical_url(url) if url else f"entry:{entry.feed_url}#{entry.entry_id}"
    text, title, author, published = "", "", "", None
    if page.body and page.error is None:
        wanted = _Wanted(title=not entry.title, author=not entry.author, date=bool(entry.date_note))
        doc = _bare_extraction(page.body, url, budget, wanted)
        if doc is not None:
            text = _drop_chrome(_clean(doc.text))
            title, author, published = doc.title, doc.author, _page_date(doc.date)
    title = " ".join((entry.title or title).split())
    text = _drop_leading_title(text, title)
    extracted = _is_article(text, entry.summary)
    # the page's own date stands in when the feed gave none (or a false one)
    # (trafilatura only accepts dates up to today)
    page_dated = published if entry.date_note and published else None
    if not extracted:
        text = entry.summary
    return Article(
        id=article_id(canonical),
        url=url,
        canonical_url=canonical,
        source=source,
        title=title or (text[:80] + "…" if len(text) > 80 else text),
        text=text[:MAX_TEXT_CHARS],
        published=page_dated if page_dated else entry.published,
        author=entry.author or " ".join(author.split()),
        extracted=extracted,
        found_at=((source, url),),
        date_note="" if page_dated else entry.date_note,
    )


def _bare_extraction(body: bytes, url: str, budget: float, wanted: _Wanted) -> _Extracted | None:
    """trafilatura in a worker thread, given up on after `budget` seconds (the thread is a
    daemon: a pathological page costs CPU, never the run)."""
    box: list[_Extracted] = []
    trafilatura, config = _trafilatura()

    def work() -> None:
        try:
            box.append(_extraction(trafilatura, config, body, url, wanted))
        except Exception as exc:  # trafilatura/lxml can raise on hostile markup; the run goes on
            log.warning("extraction failed for %s: %s", url, exc)

    worker = threading.Thread(target=work, name="extract", daemon=True)
    worker.start()
    worker.join(budget)
    if worker.is_alive():
        log.warning("extraction of %s took over %.0f s; using the feed summary", url, budget)
        return None
    return box[0] if box else None


def _extraction(trafilatura: Any, config: Any, body: bytes, url: str, wanted: _Wanted) -> _Extracted:
    """The page's text, and the metadata `wanted`, each as `bare_extraction(with_metadata=True)`
    finds it (tests/test_extract_dedupe.py compares them), parsing the page once and looking
    only for what is wanted: the metadata trafilatura finds besides (the date, categories,
    tags, site name, licence) cost a quarter of a page's extraction, and the feed entry
    usually has the title, the date and often the author."""
    from trafilatura.settings import Extractor
    from trafilatura.utils import load_html

    options = Extractor(config=config, output_format="python", precision=True, url=url)
    tree = load_html(body, options.max_file_size)
    if tree is None:
        return _Extracted("")
    title, author, date = _metadata(tree, url, options, wanted)
    # comments are no part of the article, and favor_precision prunes them from its tree anyway
    # favor_precision: F1 0.974 against 0.964 by default on the extraction benchmark
    options.comments = False
    options.fast = True  # bare_extraction copies the tree: a second pass starts from it intact
    doc = trafilatura.bare_extraction(tree, url=url, options=options)
    if _needs_fallbacks(doc):
        options.fast = False
        doc = trafilatura.bare_extraction(tree, url=url, options=options)
    return (
        _Extracted(str(getattr(doc, "text", "") or ""), title, author, date)
        if doc is not None
        else _Extracted("")
    )


def _needs_fallbacks(doc: Any) -> bool:
    """Whether a page's first, fast pass (trafilatura's own extractor alone) is worth a second
    with its fallbacks (readability and jusText, compared with its own result): a third of a
    page's extraction, spent again. With `precision` they replace its own text only when they
    find more than twice as much, when its own has no paragraph text, or when it is short or
    holds page furniture (`compare_extraction`). On the extraction set's pages whose own text
    was 1,000 characters or more, readability's was at most 1.5 times as long, and the fast
    pass gave every such page the same text as both passes; the pages below that, a tenth of
    them, take both passes (the article of one of them, 2,495 characters, came from readability
    alone; 20 of the 133 pages of the set, the tests and the demo take both, and all 133 come
    out as both passes make them). Extraction takes two thirds of the time it took."""
    body = getattr(doc, "body", None)
    if body is None:
        return True
    paragraphs = len(body.findall(".//p"))
    return (
        len(" ".join(body.itertext()).strip()) < FAST_ENOUGH_CHARS
        or not paragraphs
        or len(body.findall(".//table")) > paragraphs
        or bool(body.xpath(_FURNITURE))
    )


def _metadata(tree: Any, url: str, options: Any, wanted: _Wanted) -> tuple[str, str, str]:
    """(title, author, date) of the page as trafilatura's `extract_metadata` finds them, the
    ones not `wanted` left empty (the same steps in the same order, for those fields only),
    except that the author is only the one the page's metadata names (its meta tags and
    JSON-LD), never one guessed from the page's text: trafilatura's byline search there cost
    a sixth of a page's extraction, and on the extraction set's 85 dev pages it named 19
    authors, 6 of them wrong ("Jdadmin", "Beachbody", "Phil Helsel is a reporter", a name
    run on to "Monday; November")."""
    if not (wanted.title or wanted.author or wanted.date):
        return "", "", ""
    from trafilatura import metadata as meta
    from trafilatura.metadata import find_date  # type: ignore[attr-defined]  # htmldate's, as it calls it

    found = meta.examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None
    try:
        found = meta.extract_meta_json(tree, found)
    except Exception as exc:  # bugs in trafilatura's JSON-LD reading, as it says itself
        log.warning("error in JSON metadata extraction: %s", exc)
    if wanted.title and not found.title:
        found.title = meta.extract_title(tree)
    date = ""
    if wanted.date:
        if not found.url:
            found.url = meta.extract_url(tree, url)
        date = find_date(tree, **{**options.date_params, "url": found.url}) or ""
    return tuple(  # type: ignore[return-value]
        _trimmed(value) if keep else ""
        for value, keep in ((found.title, wanted.title), (found.author, wanted.author), (date, wanted.date))
    )


def _trimmed(value: object) -> str:
    """A metadata field as trafilatura's `Document.clean_and_trim` leaves it."""
    if not isinstance(value, str):
        return ""
    from html import unescape

    from trafilatura.utils import line_processing

    if len(value) > 10000:
        value = value[:9999] + "…"
    return str(line_processing(unescape(value)) or "")


def _clean(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _drop_leading_title(text: str, title: str) -> str:
    first, _, rest = text.partition("\n")
    if title and re.sub(r"\W+", "", first.lower()) == re.sub(r"\W+", "", title.lower()):
        return rest
    return text


def _page_date(value: str) -> datetime | None:
    try:
        if not value:
            return None
        when = datetime.fromisoformat(value)
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except ValueError:
        return None


# -- page chrome inside the article -------------------------------------------------------------
# Lines trafilatura keeps that are the site talking, not the story: calls to action, link labels,
# reprint and copyright notices. Each rule matches a shape (a short line that opens with such a
# phrase, or a line that is only a label), never a word inside a sentence of news. The evidence
# for each is a page of the extraction benchmark's dev half whose gold text drops the line.

CHROME_WORDS = 40  # a line longer than this is a paragraph, whatever it opens with
_CALL = re.compile(
    r"""(?ix) ^ [\[(]? \s* (?:
      (?:have|got) \s an? \s (?:(?:news|story) \s)? tip \s? \?     # "Have a tip? ..." (nj.com)
    | click \s (?:here|to) \b                                      # "Click here for ..."
    | (?:sign \s up|subscribe|register) \b [^.!?]{0,80}
        \b(?:newsletters?|your \s inbox|alerts|briefings?|podcasts?)\b
    | (?:sign \s up|subscribe) \s (?:to|for) \s our \b
    | follow \s (?:us|me|him|her|them|[^.!?]{1,50}?) \s on \s
        (?:twitter|x|facebook|instagram|linkedin|youtube|tiktok|threads|bluesky|mastodon)\b
    | follow \b [^.!?]{0,80} \b(?:coverage|https?://)             # "Follow AP's full coverage ..."
    | get \b [^.!?]{0,80} \b(?:your \s inbox)\b                    # "Get the latest ... in your inbox"
    | share \s this \s (?:article|story|post|page) \b
    )"""
)
_NOTICE = re.compile(
    r"""(?x) ^ [\[(]? \s* (?:
      © | \( [cC] \) \s* \d{4}
    | (?i:copyright) \s* (?:©|\([cC]\))? \s* (?:[A-Z][\w.&'’-]* \s+){0,4} (?:19|20)\d\d
        (?= \s* (?:[.,;|]|$|(?i:all \s rights)))                # not "Copyright Office 2023 guidance"
    | (?i: all \s rights \s reserved \b)
    | (?i: this \s (?:article|story|post|piece|report|content) \s (?:was \s |is \s |has \s been \s )?
        (?:originally|first) \s (?:published|republished|reproduced|reprinted|appeared) \b)
    | (?i: a \s version \s of \s this \s (?:article|story|post|piece|report) \s
        (?:appeared|was \s published) \b)
    | (?i: this \s (?:article|story|post|piece) \s (?:is|was|has \s been) \s
        (?:republished|reproduced|reprinted) \b)
    | (?i: (?:republished|reprinted|reproduced) \s (?:from|with \s permission|courtesy) \b)
    )"""
)
# a heading of links to other stories: the short lines after it are their headlines
_LIST_HEADING = re.compile(
    r"""(?ix) ^ (?:
      tags | related (?:\s (?:articles?|stories|content|posts|coverage|news|reading|links))?
    | more | also | see \s also | read \s (?:more|next|also) | also \s read | more \s on \s this \s story
    | (?:you \s)? (?:may|might) \s also \s (?:like|enjoy) | recommended (?:\s for \s you)?
    | don['’]t \s miss | trending (?:\s now)? | top \s stories
    | most \s (?:read|popular|viewed|shared) (?:\s in \s [\w ]{1,30})?
    ) $"""
)
_LABEL = re.compile(
    r"""(?ix) ^ (?:
      advertisement | advert | sponsored (?:\s content)? | \d* \s* comments? | share
    | share \s this (?:\s (?:article|story|post|page))?
    | [\w'’&.\- ]{1,40} \s newsletter                             # a sign-up box's heading
    | \d+ \s? min (?:ute)?s? \s read
    | (?:reading \s time|tempo \s de \s leitura|temps \s de \s lecture|lesezeit|tiempo \s de \s lectura)
        \s* :? \s* \d+ \s* \w*
    ) $"""
)
# a label and the headline or list it introduces: "READ MORE: ...", "Related: ...", "Filed under: ..."
_LABELLED = re.compile(
    r"""(?ix) ^ [\[(]? \s* (?:
      (?:read \s (?:more|also|next)|also \s read|see \s also|related|more \s on \s this \s story
        |filed \s under|tags) \s* : \s* \S
    | source \s* : [^.!?]{1,60} $                                  # "SOURCE: Al Jazeera News"
    | (?:additional \s )? reporting \s by \b .* \b editing \s by \b # a wire story's credits
    )"""
)
_ATTRIBUTED = re.compile(r"\b(?:said|says|told|tells|according \s to)\b", re.X)
CALL_SENTENCE_WORDS = 8  # a call to action inside a paragraph is short: "Follow us on X."
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_GLUED_LABEL = re.compile(r"\s*Click [Tt]o Tweet$")  # a share widget's label run on to a quote


def _is_chrome(line: str) -> bool:
    words = len(line.split())
    if words > CHROME_WORDS:
        return False
    bare = _bare(line)
    return bool(
        _LIST_HEADING.match(bare)
        or (_LABEL.match(bare) and not _ends_sentence(line))  # "She launched a newsletter." is news
        or _LABELLED.match(line)
        or (_CALL.match(line) and not _ATTRIBUTED.search(line))  # "…, the mayor told residents." is news
        or _NOTICE.match(line)
    )


def _bare(line: str) -> str:
    return line.strip(" \t[]()|:.…-–—").strip()


def _drop_chrome(text: str) -> str:
    """The text without chrome lines, without call-to-action and notice sentences inside
    paragraphs, and without the headline lists that a bare label ("Don't miss") introduces."""
    kept: list[str] = []
    after_label = False
    for line in text.splitlines():
        line = _GLUED_LABEL.sub("", line)
        if _is_chrome(line):
            after_label = bool(_LIST_HEADING.match(_bare(line)))
            continue
        if after_label and not _ends_sentence(line) and len(line.split()) <= CHROME_WORDS:
            continue  # a headline in the list the label introduced
        after_label = False
        sentences = [s for s in _SENTENCE_END.split(line) if not _is_chrome_sentence(s)]
        if sentences:
            kept.append(" ".join(sentences))
    return "\n".join(kept)


def _is_chrome_sentence(sentence: str) -> bool:
    """A sentence inside a paragraph that is chrome: a notice, or a call to action short enough
    to be one ("Follow him on Twitter @jdoe."), never a sentence of news that opens the same
    way ("Follow the money and you find the same donors, she said.")."""
    words = len(sentence.split())
    if words > CHROME_WORDS:
        return False
    return bool(_NOTICE.match(sentence)) or (words <= CALL_SENTENCE_WORDS and bool(_CALL.match(sentence)))


def _ends_sentence(line: str) -> bool:
    return line.rstrip("\"'”’»)]* ").endswith((".", "!", "?", "。", "！", "？"))


# -- an article or a stub in its place -------------------------------------------------------------


def _is_article(text: str, summary: str) -> bool:
    """Whether the extracted text is the page's article: long enough, or a short one that is
    whole (it ends a sentence), is no stub (a paywall, a cookie notice) and says more than the
    feed's summary (a page showing only the teaser is no article)."""
    words = _words(text)
    if words >= MIN_WORDS:
        return True
    return (
        words >= MIN_BRIEF_WORDS
        and _ends_sentence(text)
        and not _STUB.search(text)
        and not _within(text, summary)
    )


# what a page shows in place of its article: a paywall, a login or cookie wall, a script shell
_STUB = re.compile(
    r"(?i)\b(?:subscribe|subscribers?\s+only|for\s+subscribers|already\s+an?\s+(?:member|subscriber)"
    r"|subscription\s+(?:is\s+)?required|(?:log|sign)\s+in\s+(?:to|or)\b|create\s+an?\s+(?:free\s+)?account"
    r"|continue\s+reading|read\s+the\s+full|paywall|members?\s+only|unlock"
    r"|(?:use|accept|allow)\s+(?:all\s+)?cookies|cookie\s+(?:policy|settings|consent)"
    r"|(?:enable|turn\s+on)\s+javascript|javascript\s+(?:is\s+)?(?:disabled|required)|ad\s?blocker)"
    r"|订阅|登录|登入|ログイン|購読|会員"
)
# Han and kana: scripts written without spaces between words
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _words(text: str) -> int:
    """Words, two Han or kana characters counting as one (about a word's length in them)."""
    unspaced = len(_UNSPACED.findall(text))
    spaced = sum(1 for w in _UNSPACED.sub(" ", text).split() if WORD_CHARS.search(w))
    return spaced + unspaced // 2


def _within(text: str, summary: str) -> bool:
    def words(s: str) -> str:
        return " " + " ".join(WORD_CHARS.findall(s.lower())) + " "

    return words(text) in words(summary)

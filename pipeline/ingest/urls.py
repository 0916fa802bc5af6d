"""Canonical URLs: the same article behind different tracking links is one article."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that say how a reader arrived, not what they read.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref",
        "ref_src",
        "cmpid",
        "ncid",
        "sr_share",
        "guccounter",
        "taid",
        "ito",
        "cmp",
        "smid",
        "spm",
        "share",
        "via",
        "source",
        "rss",
    }
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "oly_", "__s")


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, fragment or tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: keep the URL as it came
        return url.strip()
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    # http and https copies of one page are the same article
    return urlunsplit(
        ("https" if scheme in ("http", "https") else scheme, netloc, path, urlencode(sorted(query)), "")
    )


def article_id(canonical: str) -> str:
    """A short stable id for an article, from its canonical URL."""
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:12]


def host_of(url: str) -> str:
    """The lower-case host of a URL, or "" when it has none or does not parse."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""

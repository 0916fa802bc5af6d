"""An optional language model rewrites a thread's overview and "why it matters", grounded.

Only when the user sets BRIEF_LLM_URL (an OpenAI-compatible endpoint) and BRIEF_LLM_MODEL;
otherwise nothing leaves the machine. The model gets the thread's extracted sentences, numbered
by source, and must answer in JSON with every sentence citing one of them. Its text is kept
only if every sentence cites a real source and every number, date and proper noun in it
appears in that source's article; anything else (a timeout, an error, a refusal, malformed
JSON, an invented figure or name) keeps the extractive text, and the digest records why.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from pipeline.models import Article, Sentence, ThreadDigest
from pipeline.text.calendar import MONTHS, WEEKDAYS
from pipeline.text.words import WORD_WITH_MARKS

TIMEOUT = 30.0
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_CALENDAR = {*MONTHS, *WEEKDAYS}  # capitalised, but not names a model could invent


@dataclass(frozen=True)
class LlmSettings:
    url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = TIMEOUT


def llm_from_env(env: Mapping[str, str] = os.environ) -> LlmSettings | None:
    """The endpoint from BRIEF_LLM_URL / BRIEF_LLM_MODEL / BRIEF_LLM_API_KEY, or None."""
    url, model = env.get("BRIEF_LLM_URL", "").strip(), env.get("BRIEF_LLM_MODEL", "").strip()
    if not url or not model:
        return None
    return LlmSettings(url.rstrip("/"), model, env.get("BRIEF_LLM_API_KEY") or None)


def rewrite_digest(
    digest: ThreadDigest, articles: Mapping[str, Article], settings: LlmSettings
) -> ThreadDigest:
    """The digest with its overview and "why it matters" written by the model, if the result is
    grounded; otherwise the digest unchanged, with the reason in `llm_note`."""
    numbered = {ref.number: articles[ref.article_id] for ref in digest.sources if ref.article_id in articles}
    try:
        reply = _ask(settings, _prompt(digest, numbered))
        overview = _grounded(reply.get("overview"), numbered)
        why = _grounded(reply.get("why_it_matters"), numbered)
    except _Rejected as exc:
        return replace(digest, llm_note=f"kept the extractive text: {exc}")
    if not overview:
        return replace(digest, llm_note="kept the extractive text: the model wrote no overview")
    return replace(
        digest,
        overview=tuple(overview),
        why_it_matters=tuple(why) or digest.why_it_matters,
        written_by=settings.model,
        llm_note="",
    )


class _Rejected(Exception):
    """Why the model's text was not used."""


def _prompt(digest: ThreadDigest, numbered: Mapping[int, Article]) -> list[dict[str, str]]:
    lines = [
        f"[{digest.source_number(s.article_id)}] {s.text}"
        for s in (*digest.overview, *digest.why_it_matters, *digest.tldr)
    ]
    system = (
        "You write a short, neutral news brief from the numbered source sentences you are given. "
        "Use only facts stated in them: no number, date, name or claim that is not in the sources. "
        'Answer with JSON only: {"overview": [{"text": "...", "cite": N}], '
        '"why_it_matters": [{"text": "...", "cite": N}]}, 2 to 4 overview sentences and 1 or 2 '
        "on why it matters; N is the number of the source each sentence comes from."
    )
    user = f"Thread: {digest.title}\nSources:\n" + "\n".join(lines)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _ask(settings: LlmSettings, messages: list[dict[str, str]]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
    body = {"model": settings.model, "messages": messages, "temperature": 0}
    try:
        with httpx.Client(timeout=settings.timeout, trust_env=False, follow_redirects=False) as client:
            response = client.post(f"{settings.url}/chat/completions", json=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise _Rejected(f"the model did not answer within {settings.timeout:.0f} s") from exc
    except httpx.HTTPError as exc:
        raise _Rejected(f"cannot reach the model: {exc}") from exc
    if response.status_code != 200:
        raise _Rejected(f"the model's server answered HTTP {response.status_code}")
    try:
        content = response.json()["choices"][0]["message"]["content"]
        match = re.search(r"\{.*\}", str(content), re.DOTALL)  # models wrap JSON in prose or fences
        reply = json.loads(match.group(0) if match else str(content))
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise _Rejected("the model's answer was not the JSON asked for") from exc
    if not isinstance(reply, dict):
        raise _Rejected("the model's answer was not the JSON asked for")
    return reply


def _grounded(items: Any, numbered: Mapping[int, Article]) -> list[Sentence]:
    """The model's sentences, each checked against the article it cites."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise _Rejected("the model's answer was not the JSON asked for")
    out: list[Sentence] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise _Rejected("the model's answer was not the JSON asked for")
        text, cite = " ".join(item["text"].split()), item.get("cite")
        article = numbered.get(cite) if isinstance(cite, int) else None
        if article is None:
            raise _Rejected(f"a sentence cites no source: {text[:80]!r}")
        source = article.text + " " + article.title
        for number in _NUMBER.findall(text):
            if number not in source:
                raise _Rejected(f"{number!r} is not in source [{cite}]")
        for name in _proper_nouns(text):
            if name not in source and name not in _CALENDAR:
                raise _Rejected(f"{name!r} is not in source [{cite}]")
        out.append(Sentence(text, article.id))
    return out


def _proper_nouns(text: str) -> list[str]:
    """Capitalised words that do not open the sentence: the names a sentence states."""
    words = WORD_WITH_MARKS.findall(text)
    return [w for w in words[1:] if w[:1].isupper()]


def rewrite_all(
    digests: Sequence[ThreadDigest], articles: Mapping[str, Article], settings: LlmSettings | None
) -> tuple[ThreadDigest, ...]:
    """Every digest rewritten when a model is configured; unchanged (and offline) otherwise."""
    if settings is None:
        return tuple(digests)
    return tuple(rewrite_digest(d, articles, settings) for d in digests)

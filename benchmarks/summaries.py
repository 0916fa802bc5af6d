"""Summaries on every set under data/summarization/ (BBC News Summary dev half: one article
per item, one extractive reference).

Ours: `pipeline.understand.summarize.summarize_thread` on a one-article thread; the summary is the
overview, "why it matters" and TL;DR sentences, in article order. Baselines at the same length
in sentences as ours (k per item): Lead-k and LexRank (sumy, on a document built with our own
sentence splitter, so nothing is downloaded); and the classic Lead-3. ROUGE-1/2/L F1 with
rouge-score (stemmer on) against references[0], averaged over items.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rouge_score import rouge_scorer
from sumy.models.dom import ObjectDocumentModel, Paragraph
from sumy.models.dom import Sentence as SumySentence
from sumy.nlp.stemmers import Stemmer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.utils import get_stop_words

from pipeline.ingest.urls import article_id, canonical_url
from pipeline.models import Article, Thread
from pipeline.text.sentences import split_sentences
from pipeline.understand.summarize import summarize_thread

from .core import Figure, Options, Report, ahead_of_baseline, capped

NAME = "summaries"
METRICS = ("rouge1", "rouge2", "rougeL")
_WORD = re.compile(r"\w+", re.UNICODE)


class Tokenizer:
    """What sumy asks of a tokenizer, without NLTK's downloadable models."""

    language = "english"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(_WORD.findall(sentence))


_TOKENIZER = Tokenizer()


def to_article(item: dict[str, Any]) -> Article:
    doc = item["docs"][0]
    url = f"https://summaries.benchmark.invalid/{item['id']}"
    canonical = canonical_url(url)
    text = "\n".join(p.strip() for p in str(doc.get("text", "")).split("\n") if p.strip())
    return Article(
        id=article_id(canonical),
        url=url,
        canonical_url=canonical,
        source="benchmark",
        title=" ".join(str(doc.get("title", "")).split()),
        text=text,
        published=None,
        found_at=(("benchmark", url),),
    )


def ours(article: Article) -> list[str]:
    thread = Thread(id="benchmark", title=article.title, kind="emergent", article_ids=(article.id,))
    digest = summarize_thread(thread, [article])
    picked = list(dict.fromkeys(s.text for s in (*digest.overview, *digest.why_it_matters, *digest.tldr)))
    text = article.text.lower()
    return sorted(picked, key=lambda s: (text.find(s.lower()), s))


def lead(article: Article, k: int) -> list[str]:
    return split_sentences(article.text)[:k]


def lexrank(article: Article, k: int, summarizer: LexRankSummarizer) -> list[str]:
    paragraphs = [
        Paragraph([SumySentence(s, _TOKENIZER) for s in split_sentences(p)])
        for p in article.text.split("\n")
        if p.strip()
    ]
    document = ObjectDocumentModel(paragraphs)
    return [str(s) for s in summarizer(document, k)]


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def run(opts: Options, report: Report) -> None:
    folder = opts.data / "summarization"
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    if not files:
        report.skip(NAME, "summarization", f"no *.jsonl in {folder}")
        return
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    details: dict[str, Any] = {}
    for path in files:
        items = capped(_load(path), opts.limit)
        items = [i for i in items if i.get("docs") and i.get("references")]
        if not items:
            report.skip(NAME, f"summarization/{path.name}", "no item with a document and a reference")
            continue
        systems = ("ours", "lead-k", "lexrank-k", "lead-3")
        rouge: dict[str, dict[str, list[float]]] = {s: {m: [] for m in METRICS} for s in systems}
        words: dict[str, list[int]] = {s: [] for s in systems}
        sentences: list[int] = []
        with report.timed(f"summaries.{path.stem}"):
            for item in items:
                article = to_article(item)
                mine = ours(article)
                k = max(1, len(mine))
                sentences.append(len(mine))
                outputs = {
                    "ours": mine,
                    "lead-k": lead(article, k),
                    "lexrank-k": lexrank(article, k, summarizer),
                    "lead-3": lead(article, 3),
                }
                reference = str(item["references"][0])
                for system, sents in outputs.items():
                    summary = "\n".join(sents)
                    words[system].append(len(summary.split()))
                    got = scorer.score(reference, summary)
                    for m in METRICS:
                        rouge[system][m].append(got[m].fmeasure)
        mean = {s: {m: _mean(rouge[s][m]) for m in METRICS} for s in systems}
        n, where = len(items), path.stem
        for m, label in (("rouge1", "ROUGE-1 F1"), ("rouge2", "ROUGE-2 F1"), ("rougeL", "ROUGE-L F1")):
            target = ahead_of_baseline() if m == "rouge2" else None
            report.add(
                Figure(
                    f"summaries.{where}.{m}",
                    f"summaries {where}: {label} vs LexRank",
                    mean["ours"][m],
                    mean["lexrank-k"][m],
                    "(LexRank, same k)",
                    "",
                    where,
                    n,
                    target,
                )
            )
        report.add(
            Figure(
                f"summaries.{where}.rouge2_vs_lead",
                f"summaries {where}: ROUGE-2 F1 vs Lead-k",
                mean["ours"]["rouge2"],
                mean["lead-k"]["rouge2"],
                "(Lead, same k)",
                "",
                where,
                n,
            )
        )
        report.add(
            Figure(
                f"summaries.{where}.rouge2_vs_lead3",
                f"summaries {where}: ROUGE-2 F1 vs Lead-3",
                mean["ours"]["rouge2"],
                mean["lead-3"]["rouge2"],
                "(Lead-3)",
                "",
                where,
                n,
            )
        )
        report.add(
            Figure(
                f"summaries.{where}.words",
                f"summaries {where}: mean length",
                _mean(words["ours"]),
                _mean(words["lexrank-k"]),
                "(LexRank)",
                "words",
                where,
                n,
            )
        )
        for s in systems:
            report.note(
                NAME,
                f"{where} {s}: R-1/R-2/R-L F1 "
                f"{mean[s]['rouge1']:.3f}/{mean[s]['rouge2']:.3f}/{mean[s]['rougeL']:.3f}, "
                f"{_mean(words[s]):.0f} words",
            )
        report.note(NAME, f"{where}: ours picks {_mean(sentences):.1f} sentences on average (k); {n} items")
        details[where] = {
            "n": n,
            "mean": mean,
            "mean_words": {s: _mean(words[s]) for s in systems},
            "mean_sentences": _mean(sentences),
            "empty_ours": sum(1 for k in sentences if k == 0),
        }
    report.details[NAME] = details


def _load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

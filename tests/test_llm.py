"""The optional model, against a real loopback server that speaks chat completions and answers
from a script: faithful, an invented figure, an invented name, too slow, not JSON, a refusal,
rate-limited. Only the faithful answer may replace the extractive text."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import make_article, utc

from pipeline.models import Thread, ThreadDigest
from pipeline.run import digest_thread
from pipeline.understand.llm import LlmSettings, llm_from_env, rewrite_digest

HARBOUR = (
    "The Lindqvist harbour board approved a 240 million euro dredging plan on Monday. "
    "The work will let ships with a draught of 16 metres reach the northern terminal. "
    "Board chair Ingrid Solberg said the channel would be ready by 2029. "
    "Fishing groups said the dredging could disturb spawning grounds near the estuary."
)
FERRIES = (
    "Ferry operator Nordlys said it would add two crossings a day once the channel opens. "
    "Freight companies expect the deeper channel to cut shipping costs for timber exporters. "
    "The port handled 4 million tonnes of cargo last year, most of it timber and grain."
)


class ChatServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = "faithful"
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: ChatServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        mode = self.server.mode
        if mode == "slow":
            self.server.release.wait(10)
        if mode == "rate-limited":
            self._send(429, b'{"error": "slow down"}')
            return
        sources = re.findall(r"^\[(\d+)\] (.+)$", body["messages"][1]["content"], re.MULTILINE)
        content: str
        if mode == "faithful":
            reply = {
                "overview": [{"text": text, "cite": int(n)} for n, text in sources[:2]],
                "why_it_matters": [{"text": sources[-1][1], "cite": int(sources[-1][0])}],
            }
            content = "Here is the brief:\n```json\n" + json.dumps(reply) + "\n```"
        elif mode == "invented-figure":
            n = int(sources[0][0])
            content = json.dumps(
                {"overview": [{"text": "The harbour plan will cost 900 million euros.", "cite": n}]}
            )
        elif mode == "invented-name":
            n = int(sources[0][0])
            content = json.dumps(
                {"overview": [{"text": "The plan was praised by Magnus Carlsen.", "cite": n}]}
            )
        elif mode == "no-cite":
            content = json.dumps({"overview": [{"text": sources[0][1]}]})
        elif mode == "refusal":
            content = "I'm sorry, but I can't help with that request."
        else:  # malformed
            content = '{"overview": [{"text": "The harbour'
        self._send(
            200, json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        )

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    server = ChatServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def digest_and_articles() -> tuple[ThreadDigest, dict[str, Any]]:
    harbour = make_article(
        "https://harbour.example/dredging", HARBOUR, source="Harbour News", published=utc(2026, 4, 8)
    )
    ferries = make_article(
        "https://coast.example/ferries", FERRIES, source="Coast Wire", published=utc(2026, 4, 9)
    )
    thread = Thread("harbour", "Lindqvist harbour", "configured", (harbour.id, ferries.id))
    return digest_thread(thread, [harbour, ferries], {}), {harbour.id: harbour, ferries.id: ferries}


def _settings(chat: ChatServer, timeout: float = 5.0) -> LlmSettings:
    return LlmSettings(chat.url, "harbour-model", "secret-key", timeout)


def test_a_faithful_answer_replaces_the_overview_and_says_who_wrote_it(
    chat: ChatServer, digest_and_articles: tuple[ThreadDigest, dict[str, Any]]
) -> None:
    digest, articles = digest_and_articles
    rewritten = rewrite_digest(digest, articles, _settings(chat))
    assert rewritten.written_by == "harbour-model" and rewritten.llm_note == ""
    sent = [s.text for s in (*digest.overview, *digest.why_it_matters, *digest.tldr)]
    assert [s.text for s in rewritten.overview] == sent[:2]  # what the model wrote, kept
    assert [s.text for s in rewritten.why_it_matters] == sent[-1:] != [s.text for s in digest.why_it_matters]
    for sentence in (*rewritten.overview, *rewritten.why_it_matters):
        assert sentence.text in articles[sentence.article_id].text
    request = chat.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer secret-key"
    assert request["body"]["model"] == "harbour-model"


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("invented-figure", "'900' is not in source"),
        ("invented-name", "'Magnus' is not in source"),
        ("no-cite", "cites no source"),
        ("malformed", "not the JSON asked for"),
        ("refusal", "not the JSON asked for"),
        ("rate-limited", "HTTP 429"),
    ],
)
def test_an_ungrounded_or_failed_answer_keeps_the_extractive_text_and_says_why(
    chat: ChatServer, digest_and_articles: tuple[ThreadDigest, dict[str, Any]], mode: str, reason: str
) -> None:
    digest, articles = digest_and_articles
    chat.mode = mode
    kept = rewrite_digest(digest, articles, _settings(chat))
    assert kept.overview == digest.overview and kept.why_it_matters == digest.why_it_matters
    assert kept.written_by == ""
    assert reason in kept.llm_note, kept.llm_note


def test_a_model_that_does_not_answer_in_time_keeps_the_extractive_text(
    chat: ChatServer, digest_and_articles: tuple[ThreadDigest, dict[str, Any]]
) -> None:
    digest, articles = digest_and_articles
    chat.mode = "slow"
    kept = rewrite_digest(digest, articles, _settings(chat, timeout=0.5))
    assert kept.overview == digest.overview
    assert "did not answer within" in kept.llm_note


def test_nothing_is_asked_of_a_model_unless_one_is_configured() -> None:
    assert llm_from_env({}) is None
    assert llm_from_env({"BRIEF_LLM_URL": "http://127.0.0.1:9/v1"}) is None  # no model named
    settings = llm_from_env({"BRIEF_LLM_URL": "http://127.0.0.1:9/v1/", "BRIEF_LLM_MODEL": "m"})
    assert settings is not None and settings.url == "http://127.0.0.1:9/v1" and settings.api_key is None
    assert "secret" not in repr(LlmSettings("u", "m", "secret"))


def test_a_run_with_a_model_configured_says_which_overviews_it_wrote(chat: ChatServer, tmp_path: Any) -> None:
    from pipeline.config import load_config
    from pipeline.demo import DEMO_SLOTS, demo_config_text, serve_corpus, slot_clock
    from pipeline.operate.schedule import parse_slot
    from pipeline.run import RunOptions, run_brief

    slot = parse_slot(DEMO_SLOTS[0])
    with serve_corpus(slot_clock(slot)) as server:
        path = tmp_path / "sources.yaml"
        path.write_text(demo_config_text(server, tmp_path / "output", tmp_path / "state"), encoding="utf-8")
        options = RunOptions(send=False, llm=_settings(chat))
        result = run_brief(load_config(path), slot=slot, clock=lambda: slot_clock(slot), options=options)
    brief = json.loads((result.brief_dir / "brief.json").read_text())
    assert brief["digests"] and all(d["written_by"] == "harbour-model" for d in brief["digests"])
    assert len(chat.requests) == len(brief["digests"])  # one request per thread, nothing else sent
    assert "written by harbour-model" in (result.brief_dir / "email.txt").read_text()

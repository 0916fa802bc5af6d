"""A reader follows an emerging story, or mutes one, between two briefs of the demo corpus:
`brief threads` on the command line, then the next slot's run."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.demo import DEMO_SLOTS, demo_config_text, serve_corpus, slot_clock
from pipeline.operate.schedule import parse_slot
from pipeline.run import run_brief
from pipeline.store import Store

SLOTS = [parse_slot(s) for s in DEMO_SLOTS]


@dataclass
class Demo:
    config: Path
    briefs: list[dict[str, Any]]  # brief.json of each slot
    members: dict[str, set[str]]  # after the last slot: thread id → its articles' paths
    said: str  # what `brief threads ...` printed between the last two slots


def _demo(folder: Path, between: Callable[[Path, dict[str, Any]], list[list[str]]] | None = None) -> Demo:
    """The demo's three slots; before the last, `between` (given the config and the brief
    before) names the `brief` commands a reader runs."""
    said = ""
    briefs: list[dict[str, Any]] = []
    with serve_corpus(slot_clock(SLOTS[0])) as server:
        path = folder / "sources.yaml"
        path.write_text(demo_config_text(server, folder / "output", folder / "state"), encoding="utf-8")
        for slot in SLOTS:
            if slot == SLOTS[-1] and between is not None:
                for args in between(path, briefs[-1]):
                    result = CliRunner().invoke(cli, [*args, "--config", str(path)])
                    assert result.exit_code == 0, result.output
                    said += result.output
            server.now = slot_clock(slot)
            done = run_brief(load_config(path), slot=slot, clock=_fixed(server.now))
            briefs.append(json.loads((done.brief_dir / "brief.json").read_text(encoding="utf-8")))
        store = Store(folder / "state")
        try:
            urls = {a.id: urlsplit(a.url).path for a in store.all_articles()}
            members = {t: {urls[i] for i in ids} for t, ids in store.thread_members().items()}
        finally:
            store.close()
    return Demo(path, briefs, members, said)


def _fixed(now: datetime) -> Callable[[], datetime]:
    return lambda: now


def _story(brief: dict[str, Any], title_start: str) -> str:
    found = [d["thread_id"] for d in brief["digests"] if d["title"].startswith(title_start)]
    assert len(found) == 1 and found[0].startswith("story-"), [d["title"] for d in brief["digests"]]
    return str(found[0])


def _said(digest: dict[str, Any]) -> set[str]:
    return {s["text"] for part in ("overview", "why_it_matters", "tldr") for s in digest[part]}


def _events(digest: dict[str, Any]) -> set[tuple[str, str]]:
    return {(e["date"], e["text"]["text"]) for e in digest["timeline"]}


def _shown(brief: dict[str, Any]) -> set[str]:
    return {d["thread_id"] for d in brief["digests"]}


@pytest.fixture(scope="module")
def as_is(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return _demo(tmp_path_factory.mktemp("as-is"))


def test_a_followed_story_is_a_configured_thread_that_the_next_run_files_its_articles_in(
    as_is: Demo, tmp_path: Path
) -> None:
    story = _story(as_is.briefs[1], "EU fines chipmaker Veltrion")
    assert story in _shown(as_is.briefs[2])  # left alone, the story goes on in the third brief

    followed = _demo(tmp_path, lambda path, brief: [["threads", "follow", _story(brief, "EU fines")]])

    config = load_config(followed.config)
    spec = config.threads[-1]
    assert spec.id == "eu-fines-chipmaker-veltrion-870-million"
    assert spec.title == "EU fines chipmaker Veltrion €870 million over car-chip contracts"
    assert spec.story == story
    assert {"Veltrion", "European Commission"} <= set(spec.entities)
    assert "Veltrion" in spec.description  # from what the brief said of the story
    assert f"added thread {spec.id}" in followed.said
    # the next brief shows it as a configured thread, with the articles the story would have had
    third = followed.briefs[2]
    assert spec.id in _shown(third) and story not in _shown(third)
    digest = next(d for d in third["digests"] if d["thread_id"] == spec.id)
    assert digest["kind"] == "configured"
    assert followed.members[spec.id] == as_is.members[story]
    assert len(followed.members[spec.id]) == 3
    # and it goes on from what the story had said: nothing repeated as new, its timeline kept
    as_story = next(d for d in as_is.briefs[2]["digests"] if d["thread_id"] == story)
    assert _said(digest) == _said(as_story) and digest["since"] == as_story["since"]
    assert _events(as_story) <= _events(digest)
    # the other threads are as they were
    for thread_id in ("meta-closed-pivot", "lecun-exit"):
        assert followed.members[thread_id] == as_is.members[thread_id]


def test_a_muted_story_and_a_muted_thread_are_filed_but_not_shown(as_is: Demo, tmp_path: Path) -> None:
    story = _story(as_is.briefs[1], "EU fines chipmaker Veltrion")
    assert {story, "lecun-exit"} <= _shown(as_is.briefs[2])

    muted = _demo(
        tmp_path, lambda path, brief: [["threads", "mute", story], ["threads", "mute", "lecun-exit"]]
    )

    third = muted.briefs[2]
    assert story not in _shown(third) and "lecun-exit" not in _shown(third)
    assert "meta-closed-pivot" in _shown(third)
    # their articles are not listed under the other news either, unless another thread shows them
    in_muted_only = (muted.members[story] | muted.members["lecun-exit"]) - muted.members["meta-closed-pivot"]
    others = {urlsplit(o["url"]).path for o in third["others"]}
    assert in_muted_only and not in_muted_only & others
    # and they are filed as before, so unmuting brings each back with its history
    assert muted.members[story] == as_is.members[story]
    assert muted.members["lecun-exit"] == as_is.members["lecun-exit"]
    config = load_config(muted.config)
    assert config.muted == (story,)
    assert [t.id for t in config.threads if t.muted] == ["lecun-exit"]
    listed = CliRunner().invoke(cli, ["threads", "list", "--config", str(muted.config)]).output
    assert f"{story}" in listed and "muted" in listed


def test_threads_commands_say_what_is_wrong(as_is: Demo) -> None:
    runner = CliRunner()
    config = ["--config", str(as_is.config)]
    result = runner.invoke(cli, ["threads", "follow", "story-000000000000", *config])
    assert result.exit_code != 0 and "no brief shows an emerging story" in str(result.exception)
    result = runner.invoke(cli, ["threads", "mute", "nope", *config])
    assert "no configured thread 'nope'" in str(result.exception)
    result = runner.invoke(cli, ["threads", "edit", "lecun-exit", *config])
    assert "nothing to change" in str(result.exception)

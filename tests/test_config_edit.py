"""Changes written back to sources.yaml: as the user wrote it, validated, atomic, never over a
hand edit made meanwhile."""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from pipeline import config_edit
from pipeline.config import FeedSource, load_config, parse_config
from pipeline.config_edit import ConfigChangedError, EditError
from pipeline.errors import ConfigError
from pipeline.models import ThreadSpec

SHIPPED = Path(__file__).resolve().parent.parent / "sources.yaml"

COMMENTED = """\
# my brief: keep these notes
brief:
  title: "My brief"   # shown in the subject
  schedule: ["15:00", "21:00"]
  # the output folder is served by nginx
  output: output

feeds:
  # the big one
  - url: https://a.example/feed   # checked 2026-01
    name: "A News"
  # B: slow server, keep anyway
  - url: https://b.example/feed
    name: "B Daily"   # their own name
  # C: ok
  - url: https://c.example/rss
    name: "C Weekly"
# below: what I follow
threads:
  # the main story
  - id: chips
    title: "EU chip fines"
    description: >
      The European Commission and its fines for chipmakers; long enough to be written over two
      lines as a folded block.
    entities: [European Commission, Veltrion, Sundal Microsystems, Katrin Vogel, Marta Kowalczyk,
               Pieter van Rossum]   # names seen in the first articles
  # a second one
  - id: ports
    title: "Port strikes"
# end of file
"""


EDITIONED = COMMENTED.replace(
    "# end of file\n",
    """\
editions:
  # the newsroom's own
  - id: desk
    title: "The desk"   # shown in its subject
    threads:
      # the desk follows the harbour
      - id: harbour
        title: "The harbour"   # renamed twice
        entities: [Harbour Board]
      - {id: ferry, title: Ferries}
    to: [desk@example.org]   # the whole desk
  # everyone else: the threads above
  - id: all
    title: "Everything"
  - {id: flow, title: Flow, threads: [{id: sea, title: Sea}]}
# end of file
""",
)


def _comments(text: str) -> list[str]:
    return [m.group(0).strip() for m in re.finditer(r"#[^\n]*", text)]


def _written(tmp_path: Path, text: str = COMMENTED) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_comment_survives_an_add_a_remove_and_an_edit(tmp_path: Path) -> None:
    path = _written(tmp_path)
    config_edit.add_feeds(path, [FeedSource("https://d.example/atom.xml", "D Wire")])
    config_edit.remove_feed(path, "https://b.example/feed")
    config_edit.edit_thread(
        path, "chips", description="Fines for chipmakers.", entities=["Veltrion", "European Commission"]
    )
    config_edit.set_muted(path, "ports", True)
    config_edit.set_muted(path, "story-98cbc67ee635", True)
    text = path.read_text(encoding="utf-8")

    # every comment but the removed feed's own, in the order written; the removed feed's lines gone
    removed = ["# B: slow server, keep anyway", "# their own name"]
    kept = [c for c in _comments(COMMENTED) if c not in removed]
    assert _comments(text) == kept
    assert "b.example" not in text and "B Daily" not in text
    # a comment says where it stood: the next item's stays above it, the section's above the key
    assert "# C: ok\n  - url: https://c.example/rss" in text
    assert '    name: "D Wire"\n# below: what I follow\nthreads:' in text
    # the lines not changed are the user's, byte for byte (the quoting, the aligned comment)
    assert '  title: "My brief"   # shown in the subject\n' in text
    assert '  - url: https://a.example/feed   # checked 2026-01\n    name: "A News"\n' in text
    # an edited value's comment stands after it
    assert "    entities: [Veltrion, European Commission]   # names seen in the first articles\n" in text
    config = load_config(path)
    assert [f.url for f in config.feeds] == [
        "https://a.example/feed",
        "https://c.example/rss",
        "https://d.example/atom.xml",
    ]
    chips, ports = config.threads
    assert chips.description == "Fines for chipmakers."
    assert chips.entities == ("Veltrion", "European Commission")
    assert ports.muted and not chips.muted
    assert config.muted == ("story-98cbc67ee635",)


def test_a_change_that_only_re_lays_a_line_keeps_the_users_lines(tmp_path: Path) -> None:
    """ruamel.yaml would join the two-line entities list of the thread that is not edited."""
    path = _written(tmp_path, SHIPPED.read_text(encoding="utf-8"))
    config_edit.edit_thread(path, "lecun-exit", title="LeCun leaves Meta")
    before, after = SHIPPED.read_text(encoding="utf-8").splitlines(), path.read_text("utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [('    title: "Yann LeCun\'s exit"', '    title: "LeCun leaves Meta"')]


def test_muting_then_unmuting_gives_back_the_same_bytes(tmp_path: Path) -> None:
    path = _written(tmp_path)
    for thread_id in ("chips", "story-98cbc67ee635"):
        config_edit.set_muted(path, thread_id, True)
        config_edit.set_muted(path, thread_id, False)
    assert path.read_text(encoding="utf-8") == COMMENTED
    with pytest.raises(EditError, match="unmuted already"):
        config_edit.set_muted(path, "chips", False)


def test_a_new_thread_is_written_as_the_shipped_ones_are(tmp_path: Path) -> None:
    path = _written(tmp_path, SHIPPED.read_text(encoding="utf-8"))
    spec = ThreadSpec(
        "eu-fines-veltrion",
        "EU fines chipmaker Veltrion: €870 million",
        "The European Commission fined Veltrion Semiconductors €870 million on Thursday, ruling that "
        "the Dutch chipmaker abused its dominant position in automotive microcontrollers.",
        entities=("Veltrion", "European Commission"),
        story="story-98cbc67ee635",
    )
    edited = config_edit.add_thread(path, spec)
    assert edited.config.threads[-1] == ThreadSpec(
        spec.id,
        spec.title,
        spec.description,
        keywords=spec.entities,
        entities=spec.entities,
        story=spec.story,
    )
    tail = path.read_text(encoding="utf-8").split("  - id: eu-fines-veltrion\n")[1]
    assert tail.startswith("    title: 'EU fines chipmaker Veltrion: €870 million'\n    description: >\n")
    assert all(len(line) <= 100 for line in tail.splitlines())
    assert "    entities: [Veltrion, European Commission]\n    story: story-98cbc67ee635\n" in tail
    with pytest.raises(EditError, match="configured already"):
        config_edit.add_thread(path, spec)


def test_a_change_that_would_make_the_file_invalid_is_refused_and_nothing_written(tmp_path: Path) -> None:
    path = _written(tmp_path, "feeds:\n  - https://only.example/feed  # the one\n")
    with pytest.raises(ConfigError, match=r"not changed: .*no feeds configured"):
        config_edit.remove_feed(path, "https://only.example/feed")
    assert path.read_text(encoding="utf-8") == "feeds:\n  - https://only.example/feed  # the one\n"
    with pytest.raises(EditError, match="no feed"):
        config_edit.remove_feed(path, "https://other.example/feed")
    with pytest.raises(EditError, match="no configured thread 'nope'"):
        config_edit.set_muted(path, "nope", True)


def test_a_file_edited_by_hand_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    path = _written(tmp_path)
    seen = config_edit.version(path)  # as a web form shows the file
    hand_edit = COMMENTED.replace('"My brief"', '"My own brief"')
    path.write_text(hand_edit, encoding="utf-8")
    with pytest.raises(ConfigChangedError, match="changed since it was read"):
        config_edit.set_muted(path, "chips", True, expect=seen)
    assert path.read_text(encoding="utf-8") == hand_edit
    # the check is made again just before the rename, for an edit made while the change was made
    with pytest.raises(ConfigChangedError):
        config_edit._replace(path, b"feeds: [https://x.example/]\n", COMMENTED.encode())
    assert path.read_text(encoding="utf-8") == hand_edit
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sources.yaml"]  # no temporary file left


def test_a_file_that_is_invalid_now_is_not_changed_and_says_why(tmp_path: Path) -> None:
    path = _written(tmp_path, "feeds: [https://a.example/]\nbrief:\n  tilte: x\n")
    with pytest.raises(ConfigError, match=r"unknown key 'brief\.tilte'"):
        config_edit.add_feeds(path, [FeedSource("https://b.example/", "")])


def test_a_feed_listed_already_is_not_added_twice(tmp_path: Path) -> None:
    path = _written(tmp_path)
    with pytest.raises(EditError, match="listed already"):
        config_edit.add_feeds(path, [FeedSource("HTTPS://A.example/feed/", "again")])
    assert path.read_text(encoding="utf-8") == COMMENTED


def test_a_file_of_bare_urls_and_flow_lists_is_edited_too(tmp_path: Path) -> None:
    path = _written(tmp_path, "feeds: [https://a.example/, https://b.example/]\nthreads: []\n")
    config_edit.add_feeds(path, [FeedSource("https://c.example/", "")])
    config_edit.remove_feed(path, "https://a.example/")
    config_edit.add_thread(path, ThreadSpec("x", "X", ""))
    config = load_config(path)
    assert [f.url for f in config.feeds] == ["https://b.example/", "https://c.example/"]
    assert [t.id for t in config.threads] == ["x"]


def _add_each(path: str, prefix: str, n: int) -> list[str]:
    """Add n feeds one change at a time, from two threads; the errors said."""
    errors: list[str] = []

    def add(half: int) -> None:
        for i in range(half, n, 2):
            try:
                config_edit.add_feeds(path, [FeedSource(f"https://{prefix}{i}.example/feed", "")])
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=add, args=(half,)) for half in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_changes_made_at_once_by_two_processes_and_their_threads_are_all_kept(tmp_path: Path) -> None:
    path = _written(tmp_path)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        done = [pool.submit(_add_each, str(path), prefix, 12) for prefix in ("p", "q")]
        errors = [e for d in done for e in d.result()]
    assert errors == []  # none refused, none failed: each waited for the one before
    urls = {f.url for f in load_config(path).feeds}
    assert {f"https://{p}{i}.example/feed" for p in "pq" for i in range(12)} <= urls
    assert _comments(path.read_text(encoding="utf-8")) == _comments(COMMENTED)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sources.yaml"]


def test_a_file_that_cannot_be_written_is_a_clear_error_and_is_left_whole(tmp_path: Path) -> None:
    path = _written(tmp_path)
    # a write that fails as on a full disk (the file size limit of this process: EFBIG)
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))\n"
        "from pipeline import config_edit\n"
        "from pipeline.config import FeedSource\n"
        "from pipeline.errors import ConfigError\n"
        "try:\n"
        "    config_edit.add_feeds(sys.argv[1], [FeedSource('https://new.example/feed', '')])\n"
        "except ConfigError as exc:\n"
        "    print(exc, '|', exc.hint)\n"
    )
    said = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    assert said.stdout.startswith(f"{path}: cannot write config: File too large"), said.stdout + said.stderr
    assert "the folder holding it must be writable" in said.stdout
    assert path.read_text(encoding="utf-8") == COMMENTED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sources.yaml"]


def test_a_sources_yaml_this_user_cannot_write_is_said_before_any_change(tmp_path: Path) -> None:
    path = _written(tmp_path)
    assert config_edit.unwritable(path) == ""
    read, write = os.pipe()
    if (child := os.fork()) == 0:  # another user, as the service's is: the file and folder are not its
        try:
            if os.geteuid() == 0:
                os.setuid(65534)
            else:
                tmp_path.chmod(0o555)
            os.write(write, config_edit.unwritable(path).encode())
        finally:
            os._exit(0)
    os.close(write)
    said = os.read(read, 4096).decode()
    os.waitpid(child, 0)
    tmp_path.chmod(0o755)
    assert said.startswith(f"{path}: its folder cannot be written by this user"), said
    assert "changes from the web app and `brief feeds`/`brief threads` are refused" in said


# -- an edition's threads -------------------------------------------------------------------------


def _entry(text: str, edition: str) -> str:
    return text[text.index(f"  - id: {edition}\n") :].split("\n  - ")[0]


def test_an_editions_threads_are_changed_in_its_entry_alone(tmp_path: Path) -> None:
    path = _written(tmp_path, EDITIONED)
    said = config_edit.edit_thread(
        path, "harbour", title="The port", entities=["Port Authority"], edition="desk"
    )
    assert said.said == "thread harbour: title, entities changed in edition desk"
    config_edit.set_muted(path, "ferry", True, edition="desk")
    config_edit.add_thread(
        path, ThreadSpec("pilots", "Harbour pilots", "A" * 40 + " long" * 30), edition="desk"
    )
    text = path.read_text(encoding="utf-8")

    config = load_config(path)
    desk = config.for_edition("desk").threads
    assert [(t.id, t.title, t.muted) for t in desk] == [
        ("harbour", "The port", False),
        ("ferry", "Ferries", True),
        ("pilots", "Harbour pilots", False),
    ]
    assert desk[0].entities == ("Port Authority",) and desk[2].description.endswith("long long")
    # the top-level threads, and the editions reading a copy of them, are as they were
    assert config.threads == parse_config(EDITIONED, path).threads
    assert config.for_edition("all").threads == config.threads
    assert [t.id for t in config.for_edition("flow").threads] == ["sea"]
    # every comment kept, where it was; the lines outside the desk's entry are the user's
    assert _comments(text) == _comments(EDITIONED)
    outside = EDITIONED.replace(_entry(EDITIONED, "desk"), "")
    assert text.replace(_entry(text, "desk"), "") == outside
    assert '        title: "The port"   # renamed twice\n' in text


def test_an_edition_without_threads_of_its_own_is_given_a_copy_with_the_change(tmp_path: Path) -> None:
    path = _written(tmp_path, EDITIONED)
    edited = config_edit.set_muted(path, "ports", True, edition="all")
    assert "a copy of threads:" in edited.said and "the other editions are unchanged" in edited.said

    config = load_config(path)
    assert [(t.id, t.muted) for t in config.for_edition("all").threads] == [("chips", False), ("ports", True)]
    assert config.for_edition("all").threads[0] == config.threads[0]  # the copy says what the original does
    assert [(t.id, t.muted) for t in config.threads] == [("chips", False), ("ports", False)]
    assert [t.id for t in config.for_edition("desk").threads] == ["harbour", "ferry"]
    text = path.read_text(encoding="utf-8")
    assert _comments(text) == _comments(EDITIONED)  # the copy takes no comment along
    assert text.startswith(EDITIONED[: EDITIONED.index("  - id: all\n")])
    # its own now: unmuting changes the copy and leaves it its own
    config_edit.set_muted(path, "ports", False, edition="all")
    assert '  - id: all\n    title: "Everything"\n    threads:\n      - id: chips\n' in path.read_text(
        "utf-8"
    )


def test_muting_then_unmuting_an_editions_thread_gives_back_the_same_bytes(tmp_path: Path) -> None:
    path = _written(tmp_path, EDITIONED)
    for edition, thread_id in (("desk", "harbour"), ("desk", "ferry"), ("flow", "sea")):
        config_edit.set_muted(path, thread_id, True, edition=edition)
        assert load_config(path).for_edition(edition).threads[0].muted is (thread_id != "ferry")
        config_edit.set_muted(path, thread_id, False, edition=edition)
        assert path.read_text(encoding="utf-8") == EDITIONED


def test_an_editions_story_is_muted_for_that_edition_alone_from_a_copy_of_brief_muted(tmp_path: Path) -> None:
    path = _written(tmp_path, EDITIONED)
    config_edit.set_muted(path, "story-111111111111", True)  # brief.muted, which every edition reads
    before = load_config(path)
    assert before.muted == before.for_edition("desk").muted == ("story-111111111111",)

    edited = config_edit.set_muted(path, "story-98cbc67ee635", True, edition="desk")

    assert "a copy of brief.muted" in edited.said
    config = load_config(path)
    assert config.for_edition("desk").muted == (*before.muted, "story-98cbc67ee635")
    assert config.muted == config.for_edition("all").muted == before.muted  # the others unchanged
    # unmuting every story of the desk leaves it an empty list of its own, not brief.muted's
    for story in config.for_edition("desk").muted:
        config_edit.set_muted(path, story, False, edition="desk")
    again = load_config(path)
    assert again.for_edition("desk").muted == () and again.for_edition("all").muted == before.muted
    assert _comments(path.read_text(encoding="utf-8")) == _comments(EDITIONED)
    assert (
        "story-98cbc67ee635" in config_edit.set_muted(path, "story-98cbc67ee635", True, edition="desk").said
    )


def test_an_unknown_edition_or_a_stale_version_changes_nothing(tmp_path: Path) -> None:
    path = _written(tmp_path, EDITIONED)
    with pytest.raises(EditError, match="no edition 'hills'") as refused:
        config_edit.set_muted(path, "chips", True, edition="hills")
    assert refused.value.hint == "its editions: desk, all, flow"
    with pytest.raises(EditError, match="no configured thread 'chips'"):
        config_edit.set_muted(path, "chips", True, edition="desk")  # the top-level's, not the desk's
    seen = config_edit.version(path)
    path.write_text(EDITIONED + "# a note\n", encoding="utf-8")
    with pytest.raises(ConfigChangedError):
        config_edit.set_muted(path, "harbour", True, edition="desk", expect=seen)
    assert path.read_text(encoding="utf-8") == EDITIONED + "# a note\n"

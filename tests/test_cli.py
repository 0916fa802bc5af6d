"""The `brief` command as a user types it: help, errors, status, list and show."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, utc

from pipeline.cli import main
from pipeline.models import ArchivedBrief
from pipeline.operate.lock import ServiceLock
from pipeline.store import Store
from pipeline.store.records import SlotState

CONFIG = """\
brief:
  title: Harbor Brief
  output: site
  state: state
feeds:
  - url: https://harbor.example/feed.xml
    name: Harbor Gazette
  - url: https://coast.example/rss
    name: Coast News
"""
NEXT = r"(15|21):00 UTC"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def brief(*args: str) -> int:
    """Run `brief ARGS` in-process; the exit code (0 when it returns normally)."""
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def archive_one_brief(config: Path, text: str = "Harbor Brief\nDredging approved [1]\n") -> None:
    folder = config.parent / "site" / "2026" / "11" / "23" / "1500"
    folder.mkdir(parents=True)
    (folder / "email.txt").write_text(text, encoding="utf-8")
    store = Store(config.parent / "state")
    try:
        run = store.start_run("2026-11-23T1500Z", utc(2026, 11, 23, 15))
        store.save_brief(
            ArchivedBrief(
                "2026-11-23T1500Z",
                utc(2026, 11, 23, 15),
                "2026/11/23/1500/index.html",
                "Council approves harbor dredging plan",
                ("Harbor dredging",),
                4,
            ),
            run,
            utc(2026, 11, 23, 15, 2),
        )
    finally:
        store.close()


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert brief("--help") == 0

    out = capsys.readouterr().out
    for command in ("run", "status", "list", "show", "demo"):
        assert re.search(rf"^\s+{command}\s", out, re.MULTILINE), command


def test_version_names_the_program(capsys: pytest.CaptureFixture[str]) -> None:
    assert brief("--version") == 0

    assert capsys.readouterr().out.strip() == "dailybrief, version 0.1.0"


def test_a_config_error_exits_non_zero_naming_the_line_and_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text(CONFIG.replace("  output: site\n", "  shedule: ['15:00']\n"), encoding="utf-8")

    assert brief("status", "--config", str(bad)) == 1

    err = capsys.readouterr().err
    assert f"Error: {bad}:3: unknown key 'brief.shedule'" in err
    assert "Hint: allowed here: title, audience, schedule" in err


def test_a_missing_config_file_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert brief("list", "--config", str(tmp_path / "nope.yaml")) == 1

    err = capsys.readouterr().err
    assert "Error:" in err and "config file not found" in err
    assert "Traceback" not in err


def test_status_on_a_fresh_state_shows_never_and_one_row_per_feed(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert brief("status", "--config", str(config)) == 0

    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(rf"Pipeline Stopped · Last: never \| Next: {NEXT}", lines[0])
    assert lines[1] == "The scheduler is not running: start it with `brief schedule`."
    rows = [line for line in lines if line.startswith(("Harbor Gazette", "Coast News"))]
    assert len(rows) == 2
    for row in rows:
        assert re.search(r"\bnever\s+0\s+not fetched yet$", row), row


def test_status_shows_the_last_brief_and_a_failing_feed(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive_one_brief(config)
    store = Store(config.parent / "state")
    try:
        store.record_feed_failure(
            "https://coast.example/rss", "Coast News", utc(2026, 11, 23, 15), "HTTP 503", "http-5xx"
        )
    finally:
        store.close()

    with ServiceLock(config.parent / "state"):  # the scheduler is running: it holds its lock
        assert brief("status", "--config", str(config)) == 0

    out = capsys.readouterr().out
    assert re.match(rf"Pipeline Active · Last: 15:00 UTC \| Next: {NEXT}\n", out)
    assert "Last brief: 2026-11-23T1500Z (4 articles)" in out
    coast = next(line for line in out.splitlines() if line.startswith("Coast News"))
    assert coast.endswith("[http-5xx] HTTP 503")


def test_status_says_failing_when_the_last_run_failed(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(config.parent / "state")
    try:
        store.set_slot(
            "2026-11-23T1500Z",
            SlotState.FAILED,
            utc(2026, 11, 23, 15, 1),
            error="none of the 2 feeds could be read",
        )
    finally:
        store.close()

    assert brief("status", "--config", str(config)) == 0

    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(rf"Pipeline Failing · Last: never \| Next: {NEXT}", lines[0])
    assert lines[1] == "Slot 2026-11-23T1500Z failed: none of the 2 feeds could be read"


def test_list_with_no_briefs_says_so(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert brief("list", "--config", str(config)) == 0

    assert "No briefs yet" in capsys.readouterr().out


def test_list_shows_archived_briefs(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive_one_brief(config)

    assert brief("list", "--config", str(config)) == 0

    assert (
        capsys.readouterr().out == "2026-11-23T1500Z    4 articles  Council approves harbor dredging plan\n"
    )


def test_show_prints_the_text_of_a_brief(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive_one_brief(config)

    assert brief("show", "--config", str(config), "2026-11-23T15:00Z") == 0
    assert capsys.readouterr().out == "Harbor Brief\nDredging approved [1]\n"

    assert brief("show", "--config", str(config)) == 0  # the latest by default
    assert capsys.readouterr().out == "Harbor Brief\nDredging approved [1]\n"


def test_show_an_unknown_brief_says_how_to_find_one(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive_one_brief(config)

    assert brief("show", "--config", str(config), "2026-11-24T1500Z") == 1

    assert "brief list" in capsys.readouterr().err


def test_show_with_no_briefs_says_to_run_one(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert brief("show", "--config", str(config)) == 1

    assert "no briefs yet" in capsys.readouterr().err


def test_run_with_a_malformed_slot_stops_before_fetching(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert brief("run", "--config", str(config), "--slot", "teatime", "--no-send") == 2

    assert "'teatime' is not a slot" in capsys.readouterr().err
    assert not (config.parent / "site").exists()


@pytest.mark.parametrize(
    ("slot", "said"),
    [
        ("2026-11-23T15:07Z", "--slot 2026-11-23T1507Z is not a time of the schedule (15:00, 21:00 UTC)"),
        ("2199-11-23T15:00Z", "--slot 2199-11-23T1500Z has not begun yet"),
    ],
)
def test_run_refuses_a_slot_the_schedule_never_makes_or_that_has_not_begun(
    config: Path, capsys: pytest.CaptureFixture[str], slot: str, said: str
) -> None:
    assert brief("run", "--config", str(config), "--slot", slot, "--no-send") == 1

    assert said in capsys.readouterr().err
    assert not (config.parent / "site").exists()  # no brief T1507Z, no brief of 2199


def test_a_slot_of_the_archive_made_under_an_earlier_schedule_can_still_be_named(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive_one_brief(config)  # 2026-11-23 15:00 is archived; the schedule could have changed since
    (config.parent / "site" / "2026" / "11" / "23" / "1500").rename(
        config.parent / "site" / "2026" / "11" / "23" / "1507"
    )

    brief("run", "--config", str(config), "--slot", "2026-11-23T15:07Z", "--no-send", "--force")

    assert "is not a time of the schedule" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [[sys.executable, "-m", "pipeline"], [str(Path(sys.executable).parent / "brief")]],
    ids=["python-m-pipeline", "brief-script"],
)
def test_the_installed_command_and_python_dash_m_both_work(command: list[str]) -> None:
    done = subprocess.run([*command, "--help"], capture_output=True, text=True, cwd=ROOT, check=False)

    assert done.returncode == 0, done.stderr
    assert "Usage: brief" in done.stdout
    assert "status" in done.stdout

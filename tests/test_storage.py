"""Storage faults, as an operator meets them: a state database that is garbage, an output or
state folder on a full or read-only disk. Each ends in a message that names the folder and the
fix, an exit code the README lists, and no traceback; the archive already written is intact.

The full and read-only disks are real: small tmpfs mounts, made when the tests run as root
(with mount rights); elsewhere those tests are skipped and say why.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import LoopbackSite, brief_cli, publish_news, write_sources

from benchmarks.chaos import fill, tmpfs, why_no_mount
from pipeline.config import load_config
from pipeline.errors import BriefError
from pipeline.operate.lock import ServiceLock
from pipeline.service import run_due_slots

FULL, READ_ONLY, BAD_DATA = 74, 74, 65


WHY_NOT = why_no_mount()
needs_mount = pytest.mark.skipif(bool(WHY_NOT), reason=WHY_NOT or "")


def _config(tmp_path: Path, site: LoopbackSite, extra: str = "") -> Path:
    config = write_sources(tmp_path, [publish_news(site)], [site.allow()])
    if extra:
        text = config.read_text(encoding="utf-8").replace("  state: state\n", f"  state: state\n{extra}")
        config.write_text(text, encoding="utf-8")
    return config


def _no_traceback(*outputs: str) -> None:
    for text in outputs:
        assert "Traceback" not in text and "Errno" not in text, text


def test_a_state_database_that_is_garbage_is_named_with_a_fix_and_check_finds_it(
    tmp_path: Path, site: LoopbackSite
) -> None:
    config = _config(tmp_path, site)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "dailybrief.sqlite3").write_bytes(os.urandom(8192))

    run = brief_cli("run", "--config", str(config), "--no-send")
    check = brief_cli("check", "--config", str(config))

    assert run.code == BAD_DATA
    assert "state database" in run.err and "is damaged or is not a dailybrief database" in run.err
    assert "Hint: restore it from a backup" in run.err
    assert check.code == 1 and "all good" not in check.out
    assert "database  FAILED" in check.out
    _no_traceback(run.out, run.err, check.out)


def test_a_state_database_damaged_inside_is_a_clear_error_on_any_command(
    tmp_path: Path, site: LoopbackSite
) -> None:
    config = _config(tmp_path, site)
    assert brief_cli("run", "--config", str(config), "--no-send").code == 0
    db = tmp_path / "state" / "dailybrief.sqlite3"
    brief_cli("list", "--config", str(config))  # (a checkpoint: the pages are in the file)
    data = bytearray(db.read_bytes())
    data[-8192:] = os.urandom(8192)  # its last pages: rows, not the schema that opening reads
    db.write_bytes(bytes(data))
    for wal in db.parent.glob("dailybrief.sqlite3-*"):
        wal.unlink()

    said = [brief_cli(command, "--config", str(config)) for command in ("status", "list", "run")]

    for result in said:
        assert result.code == BAD_DATA, (result.out, result.err)
        assert "Error:" in result.err and "Hint:" in result.err
        _no_traceback(result.out, result.err)


def test_brief_check_says_each_folder_is_writable_and_how_much_room_it_has(
    tmp_path: Path, site: LoopbackSite
) -> None:
    config = _config(tmp_path, site)

    check = brief_cli("check", "--config", str(config))

    assert f"output    ok: {tmp_path / 'output'} is writable" in check.out
    assert f"state     ok: {tmp_path / 'state'} is writable" in check.out
    assert "MB free" in check.out and "database  ok:" in check.out


@needs_mount
def test_a_full_output_folder_stops_the_run_before_any_work_and_keeps_the_archive(
    tmp_path: Path, site: LoopbackSite
) -> None:
    config = _config(tmp_path, site)
    with tmpfs(tmp_path / "output", "1m") as output:
        (output / "index.html").write_text("the archive so far", encoding="utf-8")

        run = brief_cli("run", "--config", str(config), "--no-send")

        assert run.code == FULL
        assert f"no space left in the output folder {output}" in run.err
        assert "brief.min_free_mb" in run.err  # it says what it needs
        assert (output / "index.html").read_text(encoding="utf-8") == "the archive so far"
        assert site.hits() == 0  # stopped before reading any feed
        _no_traceback(run.out, run.err)


@needs_mount
def test_an_output_disk_that_fills_during_the_run_is_named_and_the_archive_is_intact(
    tmp_path: Path, site: LoopbackSite
) -> None:
    # no room check (min_free_mb 0): the run gets as far as writing the brief, then the disk is full
    config = _config(tmp_path, site, "  min_free_mb: 0\n")
    with tmpfs(tmp_path / "output", "256k") as output:
        (output / "index.html").write_text("the archive so far", encoding="utf-8")
        fill(output)

        run = brief_cli("run", "--config", str(config), "--no-send")
        status = brief_cli("status", "--config", str(config))

        assert run.code == FULL, run.err
        assert f"no space left in the output folder {output}" in run.err
        assert (output / "index.html").read_text(encoding="utf-8") == "the archive so far"
        assert "no space left in the output folder" in status.out  # the failed slot says why
        _no_traceback(run.out, run.err, status.out)


@needs_mount
def test_a_read_only_output_folder_is_named_with_the_fix(tmp_path: Path, site: LoopbackSite) -> None:
    config = _config(tmp_path, site)
    with tmpfs(tmp_path / "output", "1m") as output:
        subprocess.run(["mount", "-o", "remount,ro", str(output)], check=True)

        run = brief_cli("run", "--config", str(config), "--no-send")
        check = brief_cli("check", "--config", str(config))

        assert run.code == READ_ONLY
        assert f"the output folder {output} is on a read-only file system" in run.err
        assert "Hint: mount it read-write" in run.err
        assert f"output    FAILED: {output}: read-only" in check.out
        _no_traceback(run.out, run.err, check.out)


@needs_mount
def test_a_state_disk_that_fills_during_the_run_is_named(tmp_path: Path, site: LoopbackSite) -> None:
    config = _config(tmp_path, site, "  min_free_mb: 0\n")
    with tmpfs(tmp_path / "state", "512k") as state:
        fill(state)

        run = brief_cli("run", "--config", str(config), "--no-send")

        assert run.code == FULL, run.err
        assert f"no space left in the state folder {state}" in run.err
        _no_traceback(run.out, run.err)


@needs_mount
def test_a_run_that_met_a_full_state_disk_leaves_the_run_lock_free_for_the_next(
    tmp_path: Path, site: LoopbackSite
) -> None:
    config = _config(tmp_path, site, "  min_free_mb: 0\n")
    with tmpfs(tmp_path / "state", "1m") as state:
        filler = fill(state)
        full = brief_cli("run", "--config", str(config), "--no-send")  # as the scheduler's tick would
        filler.unlink()

        after = brief_cli("run", "--config", str(config), "--no-send")  # the same process, room again

    assert full.code == FULL, full.err
    assert after.code == 0, after.err
    _no_traceback(full.out, full.err, after.out, after.err)


@needs_mount
def test_a_state_disk_with_a_few_kib_left_is_said_to_be_full(tmp_path: Path, site: LoopbackSite) -> None:
    config = _config(tmp_path, site, "  min_free_mb: 0\n")
    with tmpfs(tmp_path / "state", "1m") as state:
        fill(state, leave=16 * 1024)  # SQLite meets it as "disk I/O error"

        run = brief_cli("run", "--config", str(config), "--no-send")

    assert run.code == FULL, run.err
    assert f"no space left in the state folder {state}" in run.err
    _no_traceback(run.out, run.err)


@needs_mount
def test_rebuild_on_a_read_only_output_folder_says_so_without_a_traceback(
    tmp_path: Path, site: LoopbackSite
) -> None:
    config = _config(tmp_path, site, "  min_free_mb: 0\n")
    with tmpfs(tmp_path / "output", "8m") as output:
        assert brief_cli("run", "--config", str(config), "--no-send").code == 0
        subprocess.run(["mount", "-o", "remount,ro", str(output)], check=True)

        rebuild = brief_cli("rebuild", "--config", str(config))

        assert rebuild.code == READ_ONLY, rebuild.err
        assert "read-only file system" in rebuild.err and "Hint:" in rebuild.err
        _no_traceback(rebuild.out, rebuild.err)


@needs_mount
def test_status_says_failing_while_the_schedulers_ticks_fail_before_making_a_slot(
    tmp_path: Path, site: LoopbackSite
) -> None:
    config = load_config(_config(tmp_path, site))
    with tmpfs(tmp_path / "output", "1m") as output:
        subprocess.run(["mount", "-o", "remount,ro", str(output)], check=True)
        with pytest.raises(BriefError):
            run_due_slots(config, clock=lambda: datetime(2026, 11, 10, 15, 0, 30, tzinfo=UTC))

        with ServiceLock(config.state_dir):  # the scheduler is running
            status = brief_cli("status", "--config", str(config.path))

    assert "Pipeline Failing" in status.out, status.out
    assert "read-only file system" in status.out
    _no_traceback(status.out, status.err)

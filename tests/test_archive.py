"""The archive: one folder per brief, written whole or not at all, never outside the output folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import utc

from pipeline.publish.archive import brief_dir, clean_staging, write_brief, write_file

SLOT = utc(2026, 11, 23, 15, 0)
FILES = {
    "index.html": b"<h1>Harbor Brief</h1>",
    "email.txt": b"Harbor Brief\n",
    "brief.json": b"{}\n",
}


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def staging_leftovers(output: Path) -> list[Path]:
    staging = output / ".staging"
    return list(staging.iterdir()) if staging.exists() else []


def test_a_brief_is_written_to_its_dated_slot_folder(tmp_path: Path) -> None:
    folder = write_brief(tmp_path, SLOT, FILES)

    assert folder == tmp_path / "2026" / "11" / "23" / "1500"
    assert folder == brief_dir(tmp_path, SLOT)
    assert sorted(p.name for p in folder.iterdir()) == ["brief.json", "email.txt", "index.html"]
    assert (folder / "index.html").read_bytes() == b"<h1>Harbor Brief</h1>"
    assert staging_leftovers(tmp_path) == []


def test_the_folder_follows_utc_whatever_the_slots_timezone(tmp_path: Path) -> None:
    from datetime import timedelta, timezone

    new_york_morning = SLOT.astimezone(timezone(timedelta(hours=-5)))

    assert write_brief(tmp_path, new_york_morning, FILES) == tmp_path / "2026/11/23/1500"


def test_rewriting_a_slot_leaves_only_the_new_files(tmp_path: Path) -> None:
    write_brief(tmp_path, SLOT, FILES)

    folder = write_brief(tmp_path, SLOT, {"index.html": b"<h1>Second take</h1>", "message.eml": b"eml"})

    assert sorted(p.name for p in folder.iterdir()) == ["index.html", "message.eml"]
    assert (folder / "index.html").read_bytes() == b"<h1>Second take</h1>"
    assert staging_leftovers(tmp_path) == []
    assert files_under(tmp_path) == ["2026/11/23/1500/index.html", "2026/11/23/1500/message.eml"]


def test_briefs_of_other_slots_are_left_alone(tmp_path: Path) -> None:
    write_brief(tmp_path, SLOT, FILES)
    write_brief(tmp_path, utc(2026, 11, 23, 21), {"index.html": b"evening"})

    assert (tmp_path / "2026/11/23/1500/index.html").read_bytes() == b"<h1>Harbor Brief</h1>"
    assert (tmp_path / "2026/11/23/2100/index.html").read_bytes() == b"evening"


@pytest.mark.parametrize("name", ["../escape.html", "sub/index.html", ".htaccess"])
def test_a_file_name_that_would_leave_the_brief_folder_is_refused(tmp_path: Path, name: str) -> None:
    write_brief(tmp_path, SLOT, FILES)

    with pytest.raises(ValueError, match="refusing"):
        write_brief(tmp_path, SLOT, {"index.html": b"new", name: b"x"})

    # the brief already in the slot is untouched
    assert (tmp_path / "2026/11/23/1500/index.html").read_bytes() == b"<h1>Harbor Brief</h1>"
    assert not (tmp_path / "2026/11/23/escape.html").exists()


def test_clean_staging_removes_what_an_interrupted_run_left(tmp_path: Path) -> None:
    half = tmp_path / ".staging" / "1500-abc"
    half.mkdir(parents=True)
    (half / "index.html").write_bytes(b"half a brief")

    clean_staging(tmp_path)

    assert staging_leftovers(tmp_path) == []


def test_write_file_replaces_a_file_inside_the_output_folder(tmp_path: Path) -> None:
    write_file(tmp_path, "index.html", b"old index")

    target = write_file(tmp_path, "index.html", b"new index")

    assert target == (tmp_path / "index.html").resolve()
    assert target.read_bytes() == b"new index"
    assert files_under(tmp_path) == ["index.html"]  # no temporary files left behind


@pytest.mark.parametrize("relative", ["../outside.html", "a/../../outside.html", "/tmp/outside.html", "."])
def test_write_file_refuses_a_path_outside_the_output_folder(tmp_path: Path, relative: str) -> None:
    output = tmp_path / "output"
    output.mkdir()

    with pytest.raises(ValueError, match="refusing"):
        write_file(output, relative, b"x")

    assert not (tmp_path / "outside.html").exists()


def test_the_archive_is_written_with_the_users_umask_so_a_web_server_can_publish_it(tmp_path: Path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        folder = write_brief(tmp_path, utc(2026, 11, 23, 15), {"index.html": b"<p>brief</p>"})
        page = write_file(tmp_path, "index.html", b"<p>archive</p>")
    finally:
        os.umask(old)

    assert stat.S_IMODE(folder.stat().st_mode) == 0o755  # not tempfile's 0700
    assert stat.S_IMODE((folder / "index.html").stat().st_mode) == 0o644
    assert stat.S_IMODE(page.stat().st_mode) == 0o644  # not tempfile's 0600

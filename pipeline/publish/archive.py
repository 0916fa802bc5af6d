"""Write briefs into the archive, atomically and only inside the output folder.

A brief is written complete into `output/.staging/`, then renamed to `output/YYYY/MM/DD/HHMM/`
in one step, so a reader (or a crash) never sees half a brief. Single files are written to a
temporary file, fsynced, and renamed over the old one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from pipeline.operate.schedule import brief_folder

STAGING = ".staging"


def brief_dir(output_dir: Path, slot: datetime) -> Path:
    return output_dir / brief_folder(slot)


def archived_briefs(output_dir: Path) -> list[Path]:
    """The brief.json of every brief in the archive (output/YYYY/MM/DD/HHMM/), oldest first."""
    return sorted(
        output_dir.glob(
            "[0-9]" * 4 + "/" + "[0-9]" * 2 + "/" + "[0-9]" * 2 + "/" + "[0-9]" * 4 + "/brief.json"
        )
    )


def write_brief(output_dir: Path, slot: datetime, files: Mapping[str, bytes]) -> Path:
    """Write one brief's files as `output/YYYY/MM/DD/HHMM/`; replaces an earlier one of the slot."""
    for name in files:
        if "/" in name or name.startswith("."):
            raise ValueError(f"refusing to write {name!r} outside the brief folder")
    final = brief_dir(output_dir, slot)
    staging_root = output_dir / STAGING
    staging_root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=final.name + "-", dir=staging_root))
    os.chmod(stage, _mode(0o777))  # a web server of another user may publish the archive
    for name, data in files.items():
        _write_synced(stage / name, data)
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():  # a forced re-run of the slot: move the old brief aside, then drop it
        old = Path(tempfile.mkdtemp(prefix="replaced-", dir=staging_root))
        os.replace(final, old / final.name)
        os.replace(stage, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(stage, final)
    fsync_dir(final.parent)
    return final


def write_file(output_dir: Path, relative: str, data: bytes) -> Path:
    """Atomically write one file at `relative` inside the output folder."""
    target = (output_dir / relative).resolve()
    if output_dir.resolve() not in target.parents:
        raise ValueError(f"refusing to write {relative!r} outside {output_dir}")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + target.name + "-", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, _mode(0o666))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
    return target


def _mode(full: int) -> int:
    """`full` as the user's umask allows, as `open` and `mkdir` would make it (tempfile's own
    0600 and 0700 would keep a web server of another user from reading the archive)."""
    return full & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where Linux says it (`os.umask` sets
    one to read it, a moment in which another thread's new file would get the wrong mode)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_file(output_dir: Path, relative: str) -> bool:
    """Remove one file at `relative` inside the output folder, if it is there; True if it was."""
    target = (output_dir / relative).resolve()
    if output_dir.resolve() not in target.parents:
        raise ValueError(f"refusing to remove {relative!r} outside {output_dir}")
    try:
        target.unlink()
    except FileNotFoundError:
        return False
    fsync_dir(target.parent)
    return True


def clean_staging(output_dir: Path) -> None:
    """Remove what an interrupted run left in the staging folder."""
    shutil.rmtree(output_dir / STAGING, ignore_errors=True)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in the folder `path` durable (its entry, not only the data)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

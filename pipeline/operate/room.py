"""Room before work: a run checks that its folders have space and can be written before it
starts, so a full or read-only disk stops it at once with the folder named, not half-way.

`folders` names the folders a run writes: the archive (`output`) and the state (`state`), when
the state is SQLite's (a PostgreSQL server keeps its own disk).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import StorageError, storage_error, storage_problem

MB = 1_000_000


@dataclass(frozen=True)
class Room:
    """What one folder has: its free space and whether a file can be made in it."""

    what: str  # output | state
    folder: Path
    free_mb: int | None  # None: the disk could not be asked
    problem: str | None  # None | full | read-only | no permission, as a file made in it found


def folders(config: Config) -> dict[str, Path]:
    # with the state in PostgreSQL, the server's disk is the server's: a full one is its error
    if config.database:
        return {"output": config.output_dir}
    return {"output": config.output_dir, "state": config.state_dir}


def room(config: Config) -> list[Room]:
    """The free space and writability of each folder a run writes (made if missing)."""
    out = []
    for what, folder in folders(config).items():
        problem: str | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".room-"):
                pass
        except OSError as exc:
            found = storage_error(exc, {what: folder})
            if found is None:
                raise
            problem = found.problem
        out.append(Room(what, folder, _free_mb(folder), problem))
    return out


def check_room(config: Config) -> None:
    """Raise StorageError when a folder cannot be written or has less than `min_free_mb` free."""
    for found in room(config):
        if found.problem is not None:
            raise storage_problem(found.problem, found.folder, found.what)
        if config.min_free_mb and found.free_mb is not None and found.free_mb < config.min_free_mb:
            raise storage_problem(
                "full",
                found.folder,
                found.what,
                f"{found.free_mb} MB free",
                needed_mb=config.min_free_mb,
            )


def _free_mb(folder: Path) -> int | None:
    """Free space for an ordinary user on the disk of `folder` (or its nearest existing parent)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free // MB
    except OSError:
        return None


def storage_fault(config: Config, exc: OSError) -> StorageError | None:
    """The StorageError an OSError met mid-run is (None: not a full, read-only or forbidden
    disk), naming the folder: the one its file is in, or, for a write that names no file (an
    open file's, the database's), the folder that now cannot take a file or has no room."""
    if exc.filename or storage_error(exc, {}) is None:
        return storage_error(exc, folders(config))
    for found in room(config):
        if found.problem is not None or (found.free_mb is not None and found.free_mb < 1):
            return storage_problem(
                found.problem or "full", found.folder, found.what, exc.strerror or str(exc)
            )
    return storage_error(exc, {})

"""The errors dailybrief raises on purpose.

    BriefError
     ├── ConfigError        sources.yaml is missing, malformed or invalid
     ├── StoreError         the state database cannot be opened or migrated
     │    ├── CorruptStoreError  the state database is not a database, or is damaged (exit 65)
     │    └── LostStateError     the state database is empty but the archive is not (exit 65)
     ├── StorageError       a folder is full, read-only, or not ours to write (exit 74)
     ├── TemplateError      a template is missing or fails to render
     ├── DeliveryError      the message could not be handed to the SMTP server
     ├── NothingToDoError   no feed could be read, so no brief can be written
     ├── BusyError          another run holds the lock
     └── StoppedError       asked to stop; stopped between two stages

Only the CLI catches them, to print the message (and the hint) and exit non-zero: with the
error's `exit_code`, 1 unless it says otherwise (the README lists them).
"""

from __future__ import annotations

import errno
from collections.abc import Mapping
from pathlib import Path


class BriefError(Exception):
    """Root of every error dailybrief raises on purpose."""

    hint: str | None = None
    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class ConfigError(BriefError):
    """sources.yaml is missing, malformed or invalid."""

    def __init__(
        self, message: str, *, path: str = "", line: int | None = None, hint: str | None = None
    ) -> None:
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}", hint)
        self.path = path
        self.line = line


class StoreError(BriefError):
    """The state database cannot be opened or migrated."""


class CorruptStoreError(StoreError):
    """The state database is not a database, or is damaged."""

    exit_code = 65  # EX_DATAERR

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"the state database {path} is damaged or is not a dailybrief database ({detail})",
            hint=f"restore it from a backup (an upgrade leaves {path.stem}.v<N>.bak beside it), or move "
            f"{path.name} and its -wal and -shm files out of {path.parent} and run `brief recover` to "
            "rebuild the state from the archive",
        )


class LostStateError(StoreError):
    """The state database is empty or missing while the archive holds briefs."""

    exit_code = 65  # EX_DATAERR

    def __init__(self, state: Path | str, archived: int, output_dir: Path) -> None:
        where = f"in {state}" if isinstance(state, Path) else state  # a folder, or a server's database
        super().__init__(
            f"the state database {where} is empty or missing, but {output_dir} holds "
            f"{archived} archived brief{'s' if archived != 1 else ''}: going on would drop them from the "
            "archive's index and could send their slots again",
            hint="run `brief recover` to rebuild the state from the archive (no archived file changes), "
            "restore the state folder from a backup, or move the archive away to start afresh",
        )


class StorageError(BriefError):
    """A folder dailybrief writes to is full, read-only, or not writable by it."""

    exit_code = 74  # EX_IOERR

    def __init__(self, message: str, hint: str, *, folder: Path, problem: str) -> None:
        super().__init__(message, hint)
        self.folder = folder
        self.problem = problem  # full | read-only | no permission


_PROBLEMS = {
    errno.ENOSPC: "full",
    errno.EDQUOT: "full",
    errno.EFBIG: "full",
    errno.EROFS: "read-only",
    errno.EACCES: "no permission",
    errno.EPERM: "no permission",
}


def storage_problem(
    problem: str, folder: Path, what: str, detail: str = "", *, needed_mb: int | None = None
) -> StorageError:
    """The StorageError of a `problem` (full | read-only | no permission) in the `what` folder
    ("output", "state") at `folder`, with the fix."""
    said = f": {detail}" if detail else ""
    named = f"the {what} folder" if what else "the folder"
    key = f"brief.{what}" if what else "brief.output or brief.state"
    if problem == "full":
        room = f" (a run needs {needed_mb} MB free: brief.min_free_mb)" if needed_mb else ""
        return StorageError(
            f"no space left in {named} {folder}{said}",
            f"free some space on that disk{room}, or point {key} at a bigger one; "
            "the briefs already archived are intact",
            folder=folder,
            problem=problem,
        )
    if problem == "read-only":
        return StorageError(
            f"{named} {folder} is on a read-only file system{said}",
            f"mount it read-write, or point {key} at a folder that can be written",
            folder=folder,
            problem=problem,
        )
    return StorageError(
        f"no permission to write in {named} {folder}{said}",
        f"run brief as the user who owns {folder}, or give that user write access to it",
        folder=folder,
        problem=problem,
    )


def storage_error(exc: OSError, folders: Mapping[str, Path]) -> StorageError | None:
    """The StorageError an OSError of a full, read-only or forbidden folder is, naming which of
    `folders` ({"output": …, "state": …}) it happened in; None for any other OSError."""
    problem = _PROBLEMS.get(exc.errno or 0)
    if problem is None:
        return None
    path = Path(str(exc.filename)).resolve() if exc.filename else None
    for what, folder in folders.items():
        if path is not None and path.is_relative_to(folder.resolve()):
            return storage_problem(problem, folder, what, exc.strerror or str(exc))
    where = path.parent if path is not None else Path.cwd()
    return storage_problem(problem, where, "", f"{exc.strerror or exc} ({path or 'no file named'})")


class TemplateError(BriefError):
    """A template is missing or fails to render."""


class DeliveryError(BriefError):
    """The message could not be handed to the SMTP server."""

    def __init__(self, message: str, hint: str | None = None, *, temporary: bool = False) -> None:
        super().__init__(message, hint)
        self.temporary = temporary  # a 4xx reply or a dropped connection: worth trying again


class NothingToDoError(BriefError):
    """No feed could be read, so no brief can be written."""


class BusyError(BriefError):
    """Another dailybrief run holds the lock on this state folder."""

    exit_code = 75  # EX_TEMPFAIL: try again later

    def __init__(self, pid: str, what: str = "run") -> None:
        who = f" (pid {pid})" if pid else ""
        hint = "wait for it to finish; runs never overlap" if what == "run" else "one scheduler is enough"
        super().__init__(f"another dailybrief {what} is in progress{who}", hint=hint)


class StoppedError(BriefError):
    """The run was asked to stop (SIGTERM/SIGINT) and stopped between two stages."""

"""One run at a time: an exclusive `flock` on `run.lock` in the state folder; or, when the state
is in PostgreSQL (shared by processes on several machines), an advisory lock of that database.

The lock is on a file of its own, never on the database (closing any descriptor of an SQLite
file drops SQLite's own POSIX locks). The kernel releases it when the process dies, so a
crashed run never leaves a stale lock behind; the pid inside is for the message only. The
advisory lock is held by a connection of its own, which the server drops with the process.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from pipeline.errors import BusyError
from pipeline.store.postgres import AdvisoryLock, is_postgres, lock_holder


class RunLock:
    """`with RunLock(state_dir, database):` runs the block alone, or raises BusyError at once
    (`database`: brief.database; "" keeps the lock in the state folder)."""

    name = "run.lock"
    what = "run"

    def __init__(self, state_dir: Path, database: str = "") -> None:
        self.path = state_dir / self.name
        self._fd: int | None = None
        self._shared = AdvisoryLock(database, self.what) if is_postgres(database) else None

    def __enter__(self) -> RunLock:
        if self._shared is not None:
            got, holder = self._shared.acquire()
            if not got:
                raise BusyError(holder, self.what)
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise BusyError(pid, self.what) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError:  # a full disk: the lock is let go, or a long-lived scheduler keeps it forever
            os.close(fd)
            raise
        self._fd = fd
        return self

    @classmethod
    def held(cls, state_dir: Path, database: str = "") -> bool:
        """Whether a live process holds the lock now (the kernel drops it when that process
        dies, however it dies: `brief status` is never told of a scheduler killed minutes ago)."""
        return cls.holder(state_dir, database) is not None

    @classmethod
    def holder(cls, state_dir: Path, database: str = "") -> str | None:
        """The pid of the live process that holds the lock ("" when it cannot be read), or None."""
        if is_postgres(database):
            return lock_holder(database, cls.what)
        try:
            fd = os.open(state_dir / cls.name, os.O_RDONLY)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 32, 0).decode(errors="replace").strip()
        finally:
            os.close(fd)  # closing drops the shared lock taken, if it was
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._shared is not None:
            self._shared.release()
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class ServiceLock(RunLock):
    """Held by `brief schedule` for as long as it runs: one scheduler per state folder."""

    name = "schedule.lock"
    what = "scheduler"

"""What a run reports while it works: the CLI draws it, the service logs it, tests ignore it."""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("pipeline.run")


class Progress(Protocol):
    """A run's progress: a stage begins (with its count of items), an item is done, a note."""

    def stage(self, name: str, total: int | None = None) -> None: ...
    def advance(self, detail: str = "") -> None: ...
    def note(self, message: str) -> None: ...


class QuietProgress:
    """Progress as log lines at INFO: stages and notes, not items."""

    def stage(self, name: str, total: int | None = None) -> None:
        log.info("%s%s", name, f" ({total})" if total else "")

    def advance(self, detail: str = "") -> None:
        pass

    def note(self, message: str) -> None:
        log.info("%s", message)

"""The errors dailybrief raises on purpose.

    BriefError
     ├── ConfigError        sources.yaml is missing, malformed or invalid
     ├── StoreError         the state database cannot be opened or migrated
     ├── TemplateError      a template is missing or fails to render
     ├── DeliveryError      the message could not be handed to the SMTP server
     ├── NothingToDoError   no feed could be read, so no brief can be written
     ├── BusyError          another run holds the lock
     └── StoppedError       asked to stop; stopped between two stages

Only the CLI catches them, to print the message (and the hint) and exit non-zero.
"""

from __future__ import annotations


class BriefError(Exception):
    """Root of every error dailybrief raises on purpose."""

    hint: str | None = None

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

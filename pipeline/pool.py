"""Pages extracted in worker processes, so a run uses more than one core.

Extraction is most of a run's CPU, and Python threads cannot share it out (measured: two
threads extract no faster than one). The run's own process extracts, and so do `workers`
more processes (plain `python -m pipeline.pool`), each fed one page at a time over its pipes
by a thread of the run that waits on it. Workers start with the first pages, so a run with
nothing new starts none, and they stop when the pages are done, giving back their memory
before the threads stage needs it.

A worker that dies or goes silent costs one page, never the run: that page falls back to its
feed summary (as a page with no article does) and the next page gets a new worker. A page
whose extraction ran past its budget retires its worker after the reply, so the stuck
thread does not hold a core for the rest of the run. With `workers=0`, on a single core, or
when no worker can start, every page is extracted in the run's own process.

Replies are pickles made by our own code in the worker (the page's bytes go in, an `Article`
comes out), read only from that child's pipe.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import select
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .extract import EXTRACT_BUDGET, extract_article
from .models import Article, Page

log = logging.getLogger(__name__)

DEFAULT_WORKERS = 1  # beside the run's own process: a 2-core machine extracts on both
REPLY_GRACE = 15.0  # seconds past a page's budget before a silent worker is stopped
_HEADER = struct.Struct("!Q")
_ROOT = str(Path(__file__).resolve().parent.parent)  # the folder that holds `pipeline`

_Task = tuple[int, Page, str]


class ExtractPool:
    """Extract pages in the run's own process and up to `workers` more (one per core beyond
    the first): `submit` pages as they arrive, take the articles as they are ready from
    `done`, and the rest from `rest` once every page is in. Use it as a context manager."""

    def __init__(
        self, workers: int = DEFAULT_WORKERS, budget: float = EXTRACT_BUDGET, cores: int | None = None
    ) -> None:
        self.workers = max(0, min(workers, (cores or _cores()) - 1))
        self.budget = budget
        self.started: list[int] = []  # the process id of every worker started
        # one page waits for each worker; a page that finds them all busy is extracted here
        self._tasks: queue.Queue[_Task | None] = queue.Queue(maxsize=max(1, self.workers))
        self._results: queue.Queue[tuple[int, Article]] = queue.Queue()
        self._lanes: list[threading.Thread] = []
        self._waiting = 0

    def submit(self, index: int, page: Page, source: str) -> None:
        """Extract `page` (of feed `source`); its article comes back under `index`."""
        self._waiting += 1
        if len(self._lanes) < self.workers:  # one more worker with each page until all run
            lane = threading.Thread(target=self._lane, name=f"extract-{len(self._lanes)}", daemon=True)
            lane.start()
            self._lanes.append(lane)
        if self.workers:
            try:
                self._tasks.put_nowait((index, page, source))
                return
            except queue.Full:
                pass
        self._results.put((index, extract_article(page, source, self.budget)))

    def done(self) -> Iterator[tuple[int, Article]]:
        """The articles ready now, without waiting."""
        while self._waiting:
            try:
                item = self._results.get_nowait()
            except queue.Empty:
                return
            self._waiting -= 1
            yield item

    def rest(self) -> Iterator[tuple[int, Article]]:
        """Every article not yet taken, as each is ready."""
        while self._waiting:
            item = self._results.get()
            self._waiting -= 1
            yield item

    def close(self) -> None:
        """Stop the workers at once (a page still being extracted is abandoned)."""
        while True:  # drop pages not started: a stopped run does not wait for them
            try:
                self._tasks.get_nowait()
            except queue.Empty:
                break
        for _ in self._lanes:
            self._tasks.put(None)
        for lane in self._lanes:
            lane.join()
        self._lanes.clear()

    def __enter__(self) -> ExtractPool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _lane(self) -> None:
        """One worker's thread: take a page, have the worker extract it, put the article."""
        worker: _Worker | None = None
        try:
            while (task := self._tasks.get()) is not None:
                index, page, source = task
                article = None
                try:
                    if worker is not None and not worker.alive():  # died since its last page
                        worker.close()
                        worker = None
                    if worker is None:
                        worker = _Worker.start()
                        self.started.append(worker.process.pid)
                    article = worker.extract(page, source, self.budget)
                    if worker.retired:
                        worker.close()
                        worker = None
                except OSError as exc:  # no worker could start: this lane extracts itself
                    log.warning("no extraction worker (%s); extracting in the run's process", exc)
                    article = extract_article(page, source, self.budget)
                except Exception as exc:  # never lose a page: it falls back to its summary
                    log.warning("extraction of %s failed in a worker: %s", page.final_url, exc)
                if article is None:
                    if worker is not None:
                        worker.close()
                        worker = None
                    article = extract_article(replace(page, body=b""), source)  # the feed summary
                self._results.put((index, article))
        finally:
            if worker is not None:
                worker.close()


def _cores() -> int:
    """The cores this process may run on (fewer than the machine's in a container or under
    taskset)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


class _Worker:
    """One `python -m pipeline.pool` process."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.retired = False

    @classmethod
    def start(cls) -> _Worker:
        code = f"import sys; sys.path.insert(0, {_ROOT!r}); from pipeline.pool import main; sys.exit(main())"
        return cls(
            subprocess.Popen(  # noqa: S603 - this interpreter, running our own module
                [sys.executable, "-c", code],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # what it has to say comes back with each reply
                close_fds=True,
            )
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def extract(self, page: Page, source: str, budget: float) -> Article | None:
        """The article of `page`, or None when the worker died or went silent on it."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            _send(self.process.stdin, (page, source, budget))
            article, records, retired = _receive(self.process.stdout, budget + REPLY_GRACE)
        except (OSError, EOFError, TimeoutError, pickle.UnpicklingError) as exc:
            code = self.process.poll()
            if code is None and not isinstance(exc, TimeoutError):  # it may still be exiting
                with contextlib.suppress(subprocess.TimeoutExpired):
                    code = self.process.wait(timeout=1)
            why = f"exit code {code}" if code is not None else str(exc) or type(exc).__name__
            log.warning("an extraction worker stopped on %s (%s); using its summary", page.final_url, why)
            return None
        for name, level, message in records:  # as if logged here, under its own logger
            logging.getLogger(name).log(level, "%s", message)
        self.retired = retired
        return article if isinstance(article, Article) else None

    def close(self) -> None:
        """Stop the worker: it holds nothing to save, so it is not kept waiting to exit."""
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _send(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes], timeout: float | None = None) -> Any:
    """One message from `stream`; EOFError when it ends, TimeoutError after `timeout` s."""
    size = _HEADER.unpack(_read_exactly(stream, _HEADER.size, timeout))[0]
    return pickle.loads(_read_exactly(stream, size, timeout))  # noqa: S301 - made by our own code


def _read_exactly(stream: IO[bytes], n: int, timeout: float | None) -> bytes:
    fd = stream.fileno()
    chunks, left = [], n
    while left:
        if timeout is not None and not select.select([fd], [], [], timeout)[0]:
            raise TimeoutError(f"no reply in {timeout:.0f} s")
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the stream ended")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.found: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.found.append((record.name, record.levelno, record.getMessage()))


def main() -> int:
    """A worker: read (page, source, budget), reply (article, log records, retiring) until
    the input ends. A page whose extraction outlived its budget retires the worker."""
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a library's print must not land among the replies
    records = _Records()
    logging.getLogger().addHandler(records)
    logging.getLogger().setLevel(logging.WARNING)
    while True:
        try:
            page, source, budget = _receive(requests)
        except EOFError:
            return 0
        records.found.clear()
        article = extract_article(page, source, budget)
        retiring = threading.active_count() > 1  # an extraction still running past its budget
        _send(replies, (article, list(records.found), retiring))
        if retiring:
            return 0


if __name__ == "__main__":
    sys.exit(main())

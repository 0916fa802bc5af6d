"""Pages extracted in worker processes, one per usable core, so a run uses every core.

Extraction is most of a run's CPU, and Python threads cannot share it out (measured: two
threads extract no faster than one). Up to `workers` processes extract, one per usable core
(this interpreter running `main` below, in a session of its own), each fed one page at a time
over its pipes by a thread of the run that waits on it, with one more page queued for each;
the run's own process only fetches and feeds them, and waits when every worker has its pages.
Measured on 2 cores (issue 19): when the run's process extracted too (a worker per core beyond
the first, the run's process taking a page that found the worker busy), its fetching, its
extraction and the threads feeding the worker took turns under its one interpreter lock and
the worker waited for pages: a run of 1,020 pages took 37-38 s of CPU in all, against 31 s
now, and its own process peaked at 230-245 MB against 165 MB. Workers start with the first
pages, so a run with nothing new starts none, and they stop when the pages are done, giving
back their memory before the threads stage needs it.

A worker that dies or goes silent costs one page, never the run: that page falls back to its
feed summary (as a page with no article does) and the next page gets a new worker. A page
whose extraction ran past its budget retires its worker after the reply, so the stuck
thread does not hold a core for the rest of the run. With `workers=0`, on a single core, or
when no worker can start (it must say it is ready first; the warning quotes its last error),
every page is extracted in the run's own process. Closing the pool kills its workers.

`Helpers` are the same workers for other work of the run that is a pure function of its
values (the facts of the articles a brief shows): started ahead, while the run files its
articles, and sharing the items with the run's own process, which does any item whose
helper died.

Requests are a function of our own package (pickled by name) and its arguments; replies are
pickles made by our own code in the worker (the page's bytes go in, an `Article` comes out),
read only from that child's pipe.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pickle
import queue
import select
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pipeline.ingest.extract import EXTRACT_BUDGET, _trafilatura, extract_article
from pipeline.models import Article, Page

log = logging.getLogger(__name__)

REPLY_GRACE = 15.0  # seconds past a page's budget before a silent worker is stopped
_HEADER = struct.Struct("!Q")
_ROOT = str(Path(__file__).resolve().parents[2])  # the folder that holds `pipeline`

_Task = tuple[int, Page, str]


class ExtractPool:
    """Extract pages in up to `workers` processes (at most one per usable core), the run's own
    process only fetching and feeding them (and extracting itself only when no worker could
    start): `submit` pages as they arrive, take the articles as they are ready from `done`,
    and the rest from `rest` once every page is in. Use it as a context manager."""

    QUEUED = 2  # pages waiting for each worker: one in hand, one more ready when it is done

    def __init__(self, workers: int, budget: float = EXTRACT_BUDGET, cores: int | None = None) -> None:
        self.workers = _per_core(workers, cores)
        self.budget = budget
        self.started: list[int] = []  # the process id of every worker started
        self.in_process = 0  # pages extracted in the run's own process
        # `submit` waits while these are full: the pages held at once stay bounded
        self._tasks: queue.Queue[_Task | None] = queue.Queue(maxsize=max(1, self.workers * self.QUEUED))
        self._results: queue.Queue[tuple[int, Article]] = queue.Queue()
        self._lanes: list[threading.Thread] = []
        self._live: dict[int, _Worker] = {}  # each lane's worker, by lane
        self._lock = threading.Lock()
        self._closing = False
        self._broken = False  # a worker could not start: no more are tried
        self._waiting = 0

    def submit(self, index: int, page: Page, source: str) -> None:
        """Extract `page` (of feed `source`); its article comes back under `index`. Waits while
        every worker has its pages queued."""
        self._waiting += 1
        if self.workers and page.body and page.error is None and not self._broken:
            if len(self._lanes) < self.workers:  # one more worker with each page until all run
                lane = threading.Thread(
                    target=self._lane,
                    args=(len(self._lanes),),
                    name=f"extract-{len(self._lanes)}",
                    daemon=True,
                )
                lane.start()
                self._lanes.append(lane)
            self._tasks.put((index, page, source))
            return
        self._results.put((index, self._here(page, source)))

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
        """Stop the workers at once: a page still being extracted in one is abandoned, and
        pages not yet started are dropped (a stopped run does not wait for them)."""
        self._closing = True
        while True:
            try:
                self._tasks.get_nowait()
            except queue.Empty:
                break
        with self._lock:
            for worker in self._live.values():
                worker.process.kill()  # its lane reads the end of its replies at once
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

    def _lane(self, number: int) -> None:
        """One worker's thread: take a page, have the worker extract it, put the article;
        whatever happens, every page taken gets an article."""
        try:
            while (task := self._tasks.get()) is not None:
                index, page, source = task
                article: Article | None = None
                try:
                    article = self._in_worker(number, page, source)
                except Exception as exc:  # never lose a page: it falls back to its summary
                    log.warning("extraction of %s failed in a worker: %s", page.final_url, exc)
                finally:
                    if article is None:
                        article = extract_article(replace(page, body=b""), source)  # the feed summary
                    self._results.put((index, article))
        finally:
            self._retire(number)

    def _in_worker(self, number: int, page: Page, source: str) -> Article | None:
        """The article of `page` from lane `number`'s worker (started if need be), or None
        when the worker was lost on it."""
        worker = self._live.get(number)
        if worker is not None and not worker.alive():  # died since its last page
            self._retire(number)
            worker = None
        if worker is None:
            if self._broken or self._closing:
                return None if self._closing else self._here(page, source)
            try:
                worker = _Worker.start()
            except (OSError, _WorkerLost) as exc:
                self._broken = True
                log.warning("no extraction worker could start (%s); extracting in the run's process", exc)
                return self._here(page, source)
            with self._lock:
                self._live[number] = worker
            self.started.append(worker.process.pid)
        try:
            article = worker.extract(page, source, self.budget)
        except _WorkerLost as exc:
            self._retire(number)
            if not self._closing:
                log.warning("an extraction worker stopped on %s (%s); using its summary", page.final_url, exc)
            return None
        if worker.retired:
            self._retire(number)
        return article

    def _here(self, page: Page, source: str) -> Article:
        """The article of `page`, extracted in the run's own process."""
        if page.body and page.error is None:
            with self._lock:
                self.in_process += 1
        return extract_article(page, source, self.budget)

    def _retire(self, number: int) -> None:
        with self._lock:
            worker = self._live.pop(number, None)
        if worker is not None:
            worker.close()


class Helpers:
    """Up to `workers` processes (one per usable core beyond the first) for work of the
    run that is a pure function of its values, such as the facts of the articles a brief
    shows. They start when the pool is made, in the background, so they are ready by the
    time the work comes; `map` shares the items between them and the run's own process. An
    item whose worker dies or goes silent is done in the run's process: nothing is lost, and
    the results are the same as the run's process alone would give. Use it as a context
    manager."""

    CALL_WITHIN = 60.0  # seconds one item may take in a worker before it is done here instead
    READY_POLL = 0.01  # seconds between two looks, while a worker starts, at whether work is left

    def __init__(self, workers: int, preload: Sequence[str] = (), cores: int | None = None) -> None:
        """`preload`: the modules each worker imports as it starts (those of the work to come)."""
        wanted = _beside_the_run(workers, cores)
        self._preload = tuple(preload)
        self.started: list[int] = []  # the process id of every helper started
        self._workers: dict[int, _Worker] = {}  # by the number of the thread that started it
        self._lock = threading.Lock()
        self._starting = [
            threading.Thread(target=self._start, args=(k,), name=f"helper-start-{k}", daemon=True)
            for k in range(wanted)
        ]
        for thread in self._starting:
            thread.start()

    def _start(self, number: int) -> None:
        try:
            worker = _Worker.start(extracting=False)
        except (OSError, _WorkerLost) as exc:
            log.warning("a helper process could not start (%s); its share is done in the run's process", exc)
            return
        try:
            for module in self._preload:
                worker.call(_load, (module,), _Worker.READY_WITHIN)
        except _WorkerLost as exc:
            log.warning("a helper process could not load what it needs (%s)", exc)
            worker.close()
            return
        with self._lock:
            self._workers[number] = worker
            self.started.append(worker.process.pid)

    def wait_ready(self) -> None:
        """Wait until every worker has started (or failed to)."""
        for thread in self._starting:
            thread.join()

    def map(self, function: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """`[function(item) for item in items]`, shared between the workers and this process.
        This process starts at once; a worker still starting takes its share once it is
        ready, and none if the items are all taken by then (it is kept for the next map)."""
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for index in range(len(items)):
            todo.put(index)
        results: list[Any] = [None] * len(items)
        done = [False] * len(items)

        def take() -> int | None:
            try:
                return todo.get_nowait()
            except queue.Empty:
                return None

        def lane(number: int) -> None:
            starting = self._starting[number]
            while starting.is_alive():  # its worker is still starting: wait while work is left
                if todo.empty():
                    return
                starting.join(self.READY_POLL)
            worker = self._workers.get(number)
            if worker is None:  # it could not start (and said so)
                return
            while (k := take()) is not None:
                try:
                    results[k] = worker.call(function, (items[k],), self.CALL_WITHIN)
                    done[k] = True
                except _WorkerLost as exc:
                    log.warning("a helper process stopped (%s); the rest is done in the run's process", exc)
                    todo.put(k)
                    worker.close()
                    return

        lanes = [threading.Thread(target=lane, args=(k,), daemon=True) for k in range(len(self._starting))]
        for thread in lanes:
            thread.start()
        while (mine := take()) is not None:
            results[mine] = function(items[mine])
            done[mine] = True
        for thread in lanes:
            thread.join()
        for index in range(len(items)):  # put back by a lane that stopped after this one's last take
            if not done[index]:
                results[index] = function(items[index])
        return results

    def close(self) -> None:
        self.wait_ready()
        for worker in self._workers.values():
            worker.close()
        self._workers.clear()

    def __enter__(self) -> Helpers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _beside_the_run(workers: int, cores: int | None) -> int:
    """How many of `workers` to start: one per usable core beyond the run's own, at most."""
    return max(0, min(workers, (cores or _cores()) - 1))


def _per_core(workers: int, cores: int | None) -> int:
    """How many of `workers` to start: one per usable core at most, none on a single core
    (a worker there would only take turns with the run's process, at the cost of the pipes)."""
    usable = cores or _cores()
    return max(0, min(workers, usable)) if usable > 1 else 0


def _load(module: str) -> None:
    importlib.import_module(module)


def _cores() -> int:
    """The cores this process may run on: fewer than the machine's under taskset or a
    container's cpuset (a CPU quota, as `docker --cpus` sets, is not seen)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


class _WorkerLost(Exception):
    """A worker died, went silent, or never became ready."""


class _Worker:
    """One worker process, running `main` below."""

    READY_WITHIN = 60.0  # seconds to import trafilatura on a slow machine

    def __init__(self, process: subprocess.Popen[bytes], errors: IO[bytes] | None = None) -> None:
        self.process = process
        self.errors = errors  # what it wrote to stderr, for the warning when it is lost
        self.retired = False

    @classmethod
    def start(cls, extracting: bool = True) -> _Worker:
        """A worker that has loaded what it needs (trafilatura, when `extracting`) and said so;
        `_WorkerLost` (with what it wrote to stderr) when it could not."""
        # appended, not first: the worker must not find the standard library in site-packages
        code = (
            f"import sys; sys.path.append({_ROOT!r}); from pipeline.ingest.pool import main; "
            f"sys.exit(main({extracting!r}))"
        )
        errors = tempfile.TemporaryFile()  # noqa: SIM115 - the worker's, closed with it
        worker = cls(
            subprocess.Popen(  # noqa: S603 - this interpreter, running our own module
                [sys.executable, "-P", "-c", code],  # -P: not the current folder first on its path
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                close_fds=True,
                start_new_session=True,  # a Ctrl-C or a service stop is the run's to handle, not its
            ),
            errors,
        )
        try:
            worker._expect(_READY, cls.READY_WITHIN)
        except _WorkerLost:
            worker.close()
            raise
        return worker

    def alive(self) -> bool:
        return self.process.poll() is None

    def extract(self, page: Page, source: str, budget: float) -> Article:
        """The article of `page`; `_WorkerLost` when the worker died or went silent on it."""
        article = self.call(extract_article, (page, source, budget), budget + REPLY_GRACE)
        if not isinstance(article, Article):
            raise _WorkerLost(f"replied {type(article).__name__}, not an article")
        return article

    def call(self, function: Callable[..., Any], args: tuple[Any, ...], timeout: float) -> Any:
        """`function(*args)` in the worker (a function of our own package, named by its
        module, as pickle names it); `_WorkerLost` when the worker died or went silent."""
        assert self.process.stdin is not None
        try:
            _send(self.process.stdin, (function, args))
        except OSError as exc:
            raise self._lost(exc) from exc
        result, records, retired = self._expect(None, timeout)
        for name, level, message in records:  # as if logged here, under its own logger
            logging.getLogger(name).log(level, "%s", message)
        self.retired = retired
        return result

    def _expect(self, value: Any, timeout: float) -> Any:
        """The next reply (which must be `value`, unless None)."""
        assert self.process.stdout is not None
        try:
            reply = _receive(self.process.stdout, timeout)
        except (OSError, EOFError, TimeoutError, pickle.UnpicklingError) as exc:
            raise self._lost(exc) from exc
        if value is not None and reply != value:
            raise _WorkerLost(f"replied {reply!r}")
        return reply

    def _lost(self, exc: BaseException) -> _WorkerLost:
        code = self.process.poll()
        if code is None and not isinstance(exc, TimeoutError):  # it may still be exiting
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self.process.wait(timeout=1)
        why = f"exit code {code}" if code is not None else str(exc) or type(exc).__name__
        said = self._last_error()
        return _WorkerLost(f"{why}: {said}" if said else why)

    def _last_error(self) -> str:
        if self.errors is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self.errors.seek(0, os.SEEK_END)
            self.errors.seek(max(0, self.errors.tell() - 2000))
            lines = self.errors.read().decode("utf-8", "replace").strip().splitlines()
            return lines[-1][:300] if lines else ""
        return ""

    def close(self) -> None:
        """Stop the worker: it holds nothing to save, so it is not kept waiting to exit."""
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.errors):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


_READY = "ready"


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


def main(extracting: bool = True) -> int:
    """A worker: load trafilatura (when `extracting`) and say it is ready, then read
    (function, args) and reply (result, log records, retiring) until the input ends. A page
    whose extraction outlived its budget retires the worker."""
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a library's print must not land among the replies
    records = _Records()
    logging.getLogger().addHandler(records)
    logging.getLogger().setLevel(logging.WARNING)
    if extracting:
        _trafilatura()
    _send(replies, _READY)
    while True:
        try:
            function, args = _receive(requests)
        except EOFError:
            return 0
        records.found.clear()
        result = function(*args)
        retiring = threading.active_count() > 1  # an extraction still running past its budget
        _send(replies, (result, list(records.found), retiring))
        if retiring:
            return 0


if __name__ == "__main__":
    sys.exit(main())

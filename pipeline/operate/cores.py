"""The cores a run may use, and work shared out between them in threads.

Threads, not processes, for work whose time is in C code that lets go of the interpreter's
lock: scipy's sparse products do (measured on 2 cores: the close pairs of ~5,000 articles,
a block of rows at a time, in half the time with two threads), where pure Python work does not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def usable_cores() -> int:
    """The cores this process may run on: fewer than the machine's under taskset or a
    container's cpuset (a CPU quota, as `docker --cpus` sets, is not seen)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def on_cores(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """`[function(item) for item in items]`, in order, in a thread per usable core. The
    items run at once are as many as the threads, so the memory held is theirs and the
    results'."""
    todo = list(items)
    threads = min(usable_cores(), len(todo))
    if threads <= 1:
        return [function(item) for item in todo]
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="cores") as pool:
        return list(pool.map(function, todo))

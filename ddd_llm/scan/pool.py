"""Worker processes for the stages over many files (scan, chunk, analyzers) of one repository.

    for out in pool_map(fn, items, pool_size(len(items), options.workers)): ...

`pool_map` is `map` in order; with more than one worker it runs in a process pool. The
results are the serial ones: `fn` is a module-level function of its argument alone.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

POOL_MIN_FILES = 500
"""Files from which a stage (scan, chunk, analyzers) runs in a process pool by default:
below it, starting the workers and sending them the texts costs more than they save."""

_In = TypeVar("_In")
_Out = TypeVar("_Out")


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def pool_size(files: int, workers: int | None = None) -> int:
    """The processes a stage over `files` files uses: `workers` when given (1: in this
    process), else every usable CPU once there are POOL_MIN_FILES files."""
    if workers is not None:
        return max(1, workers)
    cpus = usable_cpus()
    return cpus if cpus > 1 and files >= POOL_MIN_FILES else 1


def pool_map(fn: Callable[[_In], _Out], items: Sequence[_In], workers: int) -> Iterator[_Out]:
    """`map(fn, items)` in order, over `workers` processes when more than one. The results
    are those of the serial map: `fn` must be a module-level function whose result depends
    only on its argument. A pool that cannot start, or whose worker dies, leaves the rest of
    the items to this process (never a lost or repeated item)."""
    if workers <= 1 or len(items) < 2:
        yield from map(fn, items)
        return
    done = 0
    methods = multiprocessing.get_all_start_methods()
    # fork: the workers start with the parent's analyzers, grammars and rules loaded.
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    chunksize = max(1, min(64, len(items) // (workers * 8)))
    try:
        pool = ProcessPoolExecutor(min(workers, len(items)), mp_context=context)
    except (OSError, NotImplementedError, ImportError):
        yield from map(fn, items)  # no semaphores (some sandboxes): this process does it all
        return
    try:
        for out in pool.map(fn, items, chunksize=chunksize):
            yield out
            done += 1
    except BrokenProcessPool:
        pass  # a worker was killed (out of memory?): this process does the rest
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    yield from map(fn, items[done:])

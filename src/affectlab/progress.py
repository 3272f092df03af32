"""Progress bars and one-line summaries for loops over data or steps (DESIGN.md §5)."""
from __future__ import annotations

import contextlib
import logging
import sys
import time
from typing import Iterable, Iterator, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")
log = logging.getLogger("affectlab")


def progress(items: Iterable[T], desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """A tqdm bar on a terminal, nothing in logs (dvc repro under CI is not a TTY)."""
    return tqdm(items, desc=desc, total=total, unit=unit, disable=not sys.stderr.isatty(), leave=False)


@contextlib.contextmanager
def timed(what: str, unit: str = "rows") -> Iterator[dict]:
    """Log `what: N rows in S s (R rows/s)` at the end; the block sets `stats["n"]`. `stats["seconds"]`
    is filled in after the block for metrics files."""
    stats: dict = {"n": 0}
    start = time.perf_counter()
    yield stats
    stats["seconds"] = seconds = time.perf_counter() - start
    rate = stats["n"] / seconds if seconds > 0 else float("inf")
    log.info("%s: %d %s in %.1f s (%.1f %s/s)", what, stats["n"], unit, seconds, rate, unit)

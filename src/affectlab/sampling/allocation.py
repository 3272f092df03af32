"""How many rows each source gets: proportional, equal or explicit, with floors, capacities, exact totals.

proportional/equal solve a_s = clip(lambda * w_s, floor_s, rows_s) with sum a_s = min(n, total rows)
(w_s = rows_s or 1), then round with the largest-remainder method, so the integer total is exact and no
source gets more rows than it has. A source smaller than its share takes all its rows and is reported.
"""
from __future__ import annotations

import dataclasses
import logging
import math
from typing import Mapping

from affectlab.errors import ConfigError, InputError

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SourceAllocation:
    target: dict[str, int]     # the share each source would get if it had enough rows
    allocated: dict[str, int]  # what is drawn: the target capped at the source's row count

    @property
    def short(self) -> list[str]:
        return [s for s in self.target if self.allocated[s] < self.target[s]]


def allocate(rows: Mapping[str, int], n: int, mode: str | Mapping[str, int],
             min_per_source: int = 0, where: str = "sft_audit.sample") -> SourceAllocation:
    """`rows`: rows per source in the dataset. Returns targets and allocations, exact integer totals."""
    if not rows:
        raise InputError("dataset has no rows: nothing to sample")
    if isinstance(mode, Mapping):
        unknown = sorted(set(mode) - set(rows))
        if unknown:
            raise InputError(f"{where}.allocation: source {unknown[0]!r} is not in the dataset "
                             f"(sources: {', '.join(sorted(rows))})")
        target = {s: int(mode.get(s, 0)) for s in rows}
        allocation = SourceAllocation(target, {s: min(k, rows[s]) for s, k in target.items()})
    else:  # proportional | equal (AuditSampleSettings admits nothing else)
        weights = {s: float(k) if mode == "proportional" else 1.0 for s, k in rows.items()}
        floors = {s: min_per_source for s in rows}
        if sum(floors.values()) > n:
            raise ConfigError(f"{where}.min_per_source: {min_per_source} x {len(rows)} sources = "
                              f"{min_per_source * len(rows)} exceeds n = {n}")
        target = _largest_remainder(weights, floors, {s: math.inf for s in rows}, n)
        total = sum(rows.values())
        if n > total:
            log.warning("n = %d is larger than the dataset (%d rows): taking every row", n, total)
        caps = {s: float(k) for s, k in rows.items()}
        allocated = _largest_remainder(weights, {s: min(f, rows[s]) for s, f in floors.items()}, caps,
                                       min(n, total))
        allocation = SourceAllocation(target, allocated)
    for s in allocation.short:
        log.warning("source %r has %d rows, fewer than its allocation %d: taking all of them",
                    s, rows[s], allocation.target[s])
    return allocation


def _largest_remainder(weights: Mapping[str, float], floors: Mapping[str, float],
                       caps: Mapping[str, float], total: int) -> dict[str, int]:
    names = sorted(weights)

    def shares(lam: float) -> dict[str, float]:
        return {s: min(max(lam * weights[s], floors[s]), caps[s]) for s in names}

    lo, hi = 0.0, 1.0
    while sum(shares(hi).values()) < total:
        hi *= 2
    for _ in range(200):  # bisection on a monotone function of lambda: 200 halvings exhaust float64
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if sum(shares(mid).values()) < total else (lo, mid)
    exact = shares(hi)
    counts = {s: int(math.floor(exact[s] + 1e-9)) for s in names}
    rest = total - sum(counts.values())
    # ties go to the larger source, then the name, so the result never depends on dict order
    order = sorted((s for s in names if counts[s] < caps[s]),
                   key=lambda s: (-(exact[s] - counts[s]), -weights[s], s))
    for s in order[:max(rest, 0)]:
        counts[s] += 1
    for s in sorted((s for s in names if counts[s] > floors[s]), key=lambda s: exact[s] - counts[s])[:max(-rest, 0)]:
        counts[s] -= 1  # float rounding pushed the floors over the total
    return counts

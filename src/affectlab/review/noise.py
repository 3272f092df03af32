"""Cross-machine noise: when two values of a metric are the same result, measured on two CPUs.

On one machine, the same params and inputs give the same bits (tests/pipeline/test_same_answer_twice.py).
Across CPUs they do not: torch picks other BLAS/oneDNN kernels (vector width, summation order, FMA), so a
float differs in its last bits, and a training run or a ranking amplifies that a little. Metrics are
rounded to 4 decimals (metrics.DECIMALS); measured on two pairs of 2-core machines (docs/reproducibility.md),
every float metric that moved did so by at most 2 units of the 4th decimal (a loss 2.5372 -> 2.5371, a
held-out AUC 0.9592 -> 0.9590: one pair of near-tied scores swapping). One swapped pair is worth 1/(60*60) =
0.00028 on the smallest held-out set (contrast), which rounds to as much as 3 units: so a move of up to
NOISE_UNITS = 3 units is shown folded as noise, never as better or worse. Counts and other integers are
exact: a different layer chosen or one more row is a result, whatever caused it.
"""
from __future__ import annotations

import math

from affectlab.metrics import DECIMALS

NOISE_UNITS = 3
_TOLERANCE = NOISE_UNITS * 10 ** -DECIMALS


def within_noise(old: float | int, new: float | int) -> bool:
    """Both numbers, at least one a float, and apart by no more than the cross-machine tolerance."""
    if isinstance(old, bool) or isinstance(new, bool) or not (isinstance(old, float) or isinstance(new, float)):
        return False
    # the 1e-9 absorbs the binary representation of decimal values (0.9592 - 0.959 > 0.0002 in floats)
    return math.isclose(old, new, rel_tol=0, abs_tol=_TOLERANCE + 1e-9)

"""EQ-Bench v2 scoring (Paech 2023, arXiv:2312.06281), "fullscale" variant as in the official harness.

A question asks for 0-10 intensities of four named emotions. Per emotion, d = |rating - reference|;
d = 0 scores 0, d <= 5 is squashed by 6.5 / (1 + e^(-1.2 (d - 4))) (small errors cost little), a larger d
counts in full. Question score = 10 - 0.7477 * sum (0.7477 makes random answers score about 0);
benchmark = 100 * mean(question score) / 10. Answers that do not name all four emotions with a number in
0-10 are unparsable: counted and reported, and left out of the mean as the official harness does.
Ratings read from log-probabilities (evaluation.logprob) and the baselines (one constant answer, uniform
random answers) are scored by the same formula, every question included.
"""
from __future__ import annotations

import ast
import math
import re
from typing import Iterable

import numpy as np

from affectlab.errors import InputError

ADJUST = 0.7477
_RATING = re.compile(r"^[\s*#>-]*([A-Za-z][A-Za-z' -]*?)[\s*]*:[\s*]*(-?\d+(?:\.\d+)?)", re.M)


def parse_reference(text: str, where: str = "reference") -> dict[str, float]:
    """`reference_answer_fullscale` (repr of {'emotion1': 'Hurt', 'emotion1_score': 6, ...}) -> {emotion: score}."""
    try:
        ref = ast.literal_eval(text) if isinstance(text, str) else dict(text)
        return {ref[f"emotion{i}"]: float(ref[f"emotion{i}_score"]) for i in range(1, 5)}
    except (ValueError, SyntaxError, KeyError, TypeError) as e:
        raise InputError(f"{where}: reference answer is not an EQ-Bench v2 dict of 4 emotions ({e})") from None


def parse_ratings(answer: str, emotions: Iterable[str]) -> dict[str, float] | None:
    """The model's ratings for exactly the reference emotions (case-insensitive, first mention wins),
    or None when any is missing or outside 0-10."""
    wanted = {e.lower(): e for e in emotions}
    found: dict[str, float] = {}
    for name, value in _RATING.findall(answer or ""):
        key = name.strip().lower()
        if key in wanted and wanted[key] not in found:
            found[wanted[key]] = float(value)
    if len(found) != len(wanted) or not all(0 <= v <= 10 for v in found.values()):
        return None
    return found


def question_score(ratings: dict[str, float], reference: dict[str, float]) -> float:
    tally = 0.0
    for emotion, ref in reference.items():
        d = abs(ratings[emotion] - ref)
        if d == 0:
            continue
        tally += 6.5 / (1 + math.exp(-1.2 * (d - 4))) if d <= 5 else d
    return 10 - ADJUST * tally


def benchmark(question_scores: list[float]) -> float:
    return 100 * (sum(question_scores) / len(question_scores)) / 10 if question_scores else float("nan")


def score_answers(answers: Iterable[str], references: Iterable[dict[str, float]]) -> dict[str, float]:
    """Benchmark score over parsable answers, with the parse counts that qualify it."""
    scores, unparsable, n = [], 0, 0
    for answer, ref in zip(answers, references):
        n += 1
        ratings = parse_ratings(answer, ref)
        if ratings is None:
            unparsable += 1
        else:
            scores.append(question_score(ratings, ref))
    return {"score": benchmark(scores), "questions": n, "parsed": len(scores), "unparsable": unparsable}


def score_ratings(ratings: Iterable[dict[str, float]], references: Iterable[dict[str, float]]) -> dict[str, float]:
    """Benchmark score of ratings given for every question (log-prob ratings, baselines)."""
    scores = [question_score(r, ref) for r, ref in zip(ratings, references)]
    return {"score": benchmark(scores), "questions": len(scores), "parsed": len(scores), "unparsable": 0}


def constant_baseline(references: list[dict[str, float]], value: float) -> dict[str, float]:
    """Every emotion of every question rated `value`."""
    return score_ratings([{e: value for e in ref} for ref in references], references)


def random_baseline(references: list[dict[str, float]], draws: int, seed: int) -> dict[str, float]:
    """Uniform-random integer ratings 0-10: the mean benchmark score over `draws` answer sets, with the
    2.5 and 97.5 percentiles of the per-draw scores."""
    rng = np.random.default_rng(seed)
    per_draw = [score_ratings([{e: float(rng.integers(0, 11)) for e in ref} for ref in references],
                              references)["score"] for _ in range(draws)]
    lo, hi = np.percentile(per_draw, [2.5, 97.5]) if per_draw else (float("nan"), float("nan"))
    return {"score": float(np.mean(per_draw)), "questions": len(references), "parsed": len(references),
            "unparsable": 0, "ci_low": float(lo), "ci_high": float(hi)}

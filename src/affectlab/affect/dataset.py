"""Merge the baseline and the label files into one deduplicated dataset, split per archetype.

Duplicates are found on the normalised text (`records.normalise_text`: exact repeats and repeats that
differ in case, punctuation or spacing). Labels of one text that agree within `conflict_tolerance` on
every axis keep the first record (a duplicate); labels further apart are a conflict, resolved by
`affect.build.conflict`:
- `mean`: the confidence-weighted mean of each axis (equal weights when every confidence is 0), the mean
  confidence, the union of the tags (the first record's archetype wins), the first record's provenance;
- `highest_confidence`: the most confident record (the first of a tie);
- `drop`: no record for that text.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np

from affectlab.affect.records import ARCHETYPES, AXES, archetype_of, normalise_text, read_records
from affectlab.affect.settings import AffectBuildSettings, AffectSplit
from affectlab.errors import InputError

SPLITS = ("train", "dev", "test")


def label_files(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: label folder not found (affect.data.labels_dir)")
    return sorted(folder.glob("*.jsonl"))


def merge(groups: Sequence[Sequence[dict]], p: AffectBuildSettings, counts: Counter) -> list[dict]:
    """Records of all files in order, one per normalised text (see the module docstring)."""
    by_key: dict[str, list[dict]] = {}
    for records in groups:
        for r in records:
            by_key.setdefault(normalise_text(r["text"]), []).append(r)
    out = []
    for same in by_key.values():
        if len(same) == 1:
            out.append(same[0])
            continue
        spread = max(max(r[a] for r in same) - min(r[a] for r in same) for a in AXES)
        if spread <= p.conflict_tolerance:
            counts["duplicates"] += len(same) - 1
            out.append(same[0])
            continue
        counts["conflicts"] += 1
        if p.conflict == "drop":
            counts["conflict_rows_dropped"] += len(same)
        elif p.conflict == "highest_confidence":
            out.append(max(same, key=lambda r: r["confidence"]))
        else:
            out.append(_mean(same))
    return out


def _mean(same: list[dict]) -> dict:
    w = np.array([r["confidence"] for r in same])
    w = w / w.sum() if w.sum() > 0 else np.full(len(same), 1 / len(same))
    first = same[0]
    archetype = archetype_of(first)
    tags = [t for r in same for t in r["tags"] if t not in ARCHETYPES or t == archetype]
    return {**first, **{a: round(float(np.dot(w, [r[a] for r in same])), 4) for a in AXES},
            "confidence": round(float(np.mean([r["confidence"] for r in same])), 4), "tags": list(dict.fromkeys(tags))}


def stratified_split(strata: Sequence[str], split: AffectSplit, seed: int) -> list[str]:
    """'train' | 'dev' | 'test' per row: within each stratum (archetype) dev and test get round(n * share)
    rows, so every stratum's share is within one row of its target in every split."""
    strata = np.asarray(strata)
    out = np.empty(len(strata), dtype=object)
    rng = np.random.default_rng(seed)
    for stratum in sorted(set(strata.tolist())):
        idx = rng.permutation(np.flatnonzero(strata == stratum))
        n_dev, n_test = round(len(idx) * split.dev), round(len(idx) * split.test)
        out[idx[:n_dev]] = "dev"
        out[idx[n_dev:n_dev + n_test]] = "test"
        out[idx[n_dev + n_test:]] = "train"
    return out.tolist()


def build(baseline: str | Path, labels_dir: str | Path, p: AffectBuildSettings) -> tuple[list[dict], list[dict], Counter]:
    """(baseline records, merged records with `archetype`, `origin` and `split`, counts)."""
    counts: Counter = Counter()
    skip = p.invalid_rows == "skip"
    base = list(read_records([baseline], skip, counts))
    counts["invalid.baseline"] = counts.pop("invalid", 0)
    files = label_files(labels_dir)
    labels = list(read_records(files, skip, counts))
    counts["invalid.labels"] = counts.pop("invalid", 0)
    counts["label_files"] = len(files)
    for r in base:
        r["origin"] = "baseline"
    for r in labels:
        r["origin"] = "new"
    merged = merge([base, labels], p, counts)
    if not merged:
        raise InputError(f"{baseline}, {labels_dir}: no valid records to build a dataset from")
    for r in merged:
        r["archetype"] = archetype_of(r)
    for r, s in zip(merged, stratified_split([r["archetype"] for r in merged], p.split, p.seed)):
        r["split"] = s
    return base, merged, counts

"""The natural held-out set: utterances written for this project in everyday language, unlike the
templated embedded data (other vocabulary, lengths, registers), each labeled on the three axes with a
one-line rationale and an archetype (or `none`).

It is read only to score the trained predictors (never for training, never for choosing the layer, alpha
or the default predictor) and is not passed through the build's cleaning (deduplication, conflict
resolution, invalid-row skipping): a bad row stops the stage, it is never skipped.
Row: {"text", "valence", "intimacy", "tension", "archetype", "rationale"}.
"""
from __future__ import annotations

from pathlib import Path

from affectlab.affect.records import ARCHETYPES, AXES, NO_ARCHETYPE
from affectlab.errors import InputError
from affectlab.io import read_jsonl

FIELDS = ("text", *AXES, "archetype", "rationale")


def read_heldout(path: str | Path) -> list[dict]:
    rows = []
    for lineno, row in read_jsonl(path):
        where = f"{path}:{lineno}"
        if set(row) != set(FIELDS):
            wrong = sorted(set(row) ^ set(FIELDS))
            raise InputError(f"{where}: {wrong[0]}: {'unknown' if wrong[0] in row else 'missing'} field "
                             f"(a held-out row has exactly {', '.join(FIELDS)})")
        for field in ("text", "rationale"):
            if not isinstance(row[field], str) or not row[field].strip():
                raise InputError(f"{where}: {field}: must be a non-empty string, got {row[field]!r}")
        for axis in AXES:
            v = row[axis]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not -1 <= v <= 1:
                raise InputError(f"{where}: {axis}: must be a number in [-1, 1], got {v!r}")
        if row["archetype"] not in (*ARCHETYPES, NO_ARCHETYPE):
            raise InputError(f"{where}: archetype: must be one of {', '.join(ARCHETYPES)} or {NO_ARCHETYPE}, "
                             f"got {row['archetype']!r}")
        rows.append({**row, **{a: float(row[a]) for a in AXES}, "source": "manual_chat"})
    if not rows:
        raise InputError(f"{path}: no held-out rows")
    return rows

"""Held-out sentiment sets a lexicon cannot solve (negation minimal pairs, implicit sentiment, contrast
with "but"), and the scores of every layer's probe and of the lexical baselines on them.

The probes are trained on generated sentences that passed a VADER filter, so in-distribution test AUC
measures lexical separability; these sets ask whether a layer reads sentiment where the words alone
mislead or say nothing. A set is one `<name>.jsonl` file (rows: id, text, label, note).
"""
from __future__ import annotations

from pathlib import Path

from affectlab.errors import InputError
from affectlab.probes.dataset import read_sentences


def read_probe_set(path: str | Path) -> list[dict]:
    """Rows with id, text, label (checked as generated sentences are) and a non-empty `note`."""
    rows = read_sentences(path)
    for lineno, row in enumerate(rows, start=1):
        if not isinstance(row.get("note"), str) or not row["note"].strip():
            raise InputError(f"{path}:{lineno}: 'note' must say why the label holds, got {row.get('note')!r}")
    return rows


def read_probe_sets(folder: str | Path) -> dict[str, list[dict]]:
    """Every `<name>.jsonl` under `folder`, by name (sorted); ids must be unique across the sets."""
    files = sorted(Path(folder).glob("*.jsonl"))
    if not files:
        raise InputError(f"{folder}/: no held-out sets (*.jsonl)")
    sets, seen = {}, {}
    for path in files:
        sets[path.stem] = read_probe_set(path)
        for lineno, row in enumerate(sets[path.stem], start=1):
            if row["id"] in seen:
                raise InputError(f"{path}:{lineno}: id {row['id']!r} repeats {seen[row['id']]}")
            seen[row["id"]] = f"{path}:{lineno}"
    return sets

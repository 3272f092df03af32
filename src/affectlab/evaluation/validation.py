"""Schema and parity checks for evaluation exports (data/eval/{base,sft,dpo}/{set}.jsonl).

A row is {prompt_id, prompt, model, response, meta, decoding}; a prompt is a string or, for dialogue contexts, a
list of {role, content} messages. The base, SFT and DPO exports of a set must
hold the same prompts (ids and texts), each once, so that every comparison is paired.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from affectlab.errors import InputError
from affectlab.io import read_jsonl

MODELS = ("base", "sft", "dpo")
EXPORT_FIELDS = {"prompt_id": str, "prompt": (str, list), "model": str, "response": str, "meta": dict, "decoding": dict}


def validate_rows(rows: list[tuple[int, dict]], path: str | Path) -> None:
    """Every (line number, row) has exactly the export fields with the right types, ids once each."""
    seen: dict[str, int] = {}
    for lineno, row in rows:
        missing = [k for k in EXPORT_FIELDS if k not in row]
        extra = sorted(set(row) - set(EXPORT_FIELDS))
        if missing or extra:
            raise InputError(f"{path}:{lineno}: " + "; ".join(
                ([f"missing field(s) {', '.join(missing)}"] if missing else []) +
                ([f"unexpected field(s) {', '.join(extra)}"] if extra else [])))
        for key, tp in EXPORT_FIELDS.items():
            if not isinstance(row[key], tp):
                names = " or ".join(t.__name__ for t in (tp if isinstance(tp, tuple) else (tp,)))
                raise InputError(f"{path}:{lineno}: {key} must be {names}, got {type(row[key]).__name__}")
        if row["prompt_id"] in seen:
            raise InputError(f"{path}:{lineno}: duplicate prompt_id {row['prompt_id']!r} (first at line {seen[row['prompt_id']]})")
        seen[row["prompt_id"]] = lineno


def check_parity(base: list[tuple[int, dict]], sft: list[tuple[int, dict]],
                 base_path: str | Path, sft_path: str | Path) -> None:
    """Both exports (the base and another model's) were validated; now they must pair up prompt for prompt."""
    base_ids = {r["prompt_id"]: (n, r) for n, r in base}
    sft_ids = {r["prompt_id"]: (n, r) for n, r in sft}
    for pid in sorted(base_ids.keys() - sft_ids.keys()):
        raise InputError(f"{sft_path}: prompt_id {pid!r} is missing (present in {base_path}:{base_ids[pid][0]})")
    for pid in sorted(sft_ids.keys() - base_ids.keys()):
        raise InputError(f"{base_path}: prompt_id {pid!r} is missing (present in {sft_path}:{sft_ids[pid][0]})")
    for pid, (n, row) in sft_ids.items():
        if row["prompt"] != base_ids[pid][1]["prompt"]:
            raise InputError(f"{sft_path}:{n}: prompt of {pid!r} differs from {base_path}:{base_ids[pid][0]}")


def read_exports(folder: str | Path, sets: Iterable[str]) -> dict[str, dict[str, list[dict]]]:
    """Read `folder/{base,sft,dpo}/{set}.jsonl` as model -> set -> rows, validated and each checked for
    parity with the base export."""
    exports: dict[str, dict[str, list[dict]]] = {m: {} for m in MODELS}
    for name in sets:
        paths = {m: Path(folder) / m / f"{name}.jsonl" for m in MODELS}
        rows = {m: list(read_jsonl(paths[m])) for m in MODELS}
        for m in MODELS:
            validate_rows(rows[m], paths[m])
        for m in MODELS[1:]:
            check_parity(rows["base"], rows[m], paths["base"], paths[m])
        for m in MODELS:
            exports[m][name] = [r for _, r in rows[m]]
    return exports

"""The evaluation prompt sets as plain rows {prompt_id, prompt, meta}.

EQ-Bench is read with `hub_data.load_hub_dataset(source, split=...)`, so the committed mirror (a local folder
with `validation.csv` in the hub columns) and the hub id `pbevan11/EQ-Bench` take the same code path. The
qualitative and red-team sets are committed JSONL written for this project; the contexts set is drawn from
family C's own SFT data (its prompt a message list, the human reply in meta.reference).
"""
from __future__ import annotations

from pathlib import Path

from affectlab.errors import InputError
from affectlab.evaluation.eqbench import parse_reference
from affectlab.hub_data import load_hub_dataset
from affectlab.io import read_jsonl, read_parquet
from affectlab.sft.preference import contexts


def load_eqbench(source: str, split: str, revision: str | None = None, limit: int | None = None) -> list[dict]:
    try:
        ds = load_hub_dataset(source, split=split, revision=revision)
    except InputError as e:
        raise InputError(f"EQ-Bench source: {e}") from None
    for column in ("prompt", "reference_answer_fullscale"):
        if column not in ds.column_names:
            raise InputError(f"EQ-Bench source {source!r}: missing column {column!r} (has {', '.join(ds.column_names)})")
    rows = []
    for i, rec in enumerate(ds.select(range(min(limit, len(ds)))) if limit else ds):
        reference = parse_reference(rec["reference_answer_fullscale"], f"{source} [{split}] row {i}")
        rows.append({"prompt_id": f"eqb-{i:03d}", "prompt": rec["prompt"], "meta": {"reference": reference}})
    return rows


def load_prompt_file(path: str | Path) -> list[dict]:
    rows = []
    for lineno, rec in read_jsonl(path):
        if not isinstance(rec.get("prompt_id"), str) or not isinstance(rec.get("prompt"), str) or not rec["prompt"].strip():
            raise InputError(f"{path}:{lineno}: needs a string prompt_id and a non-empty string prompt")
        rows.append({"prompt_id": rec["prompt_id"], "prompt": rec["prompt"], "meta": rec.get("meta") or {}})
    return rows


def load_contexts(path: str | Path, n: int, seed: int) -> list[dict]:
    """Up to `n` dialogue contexts of a data/sft table, drawn as the DPO pairs are (sft.preference.contexts):
    the messages before a human supporter reply, and that reply as meta.reference."""
    return [{"prompt_id": c["pair_id"], "prompt": c["prompt"], "meta": {"reference": c["chosen"], "source": c["source"]}}
            for c in contexts(read_parquet(path, ["id", "source", "messages"]), n, seed)]

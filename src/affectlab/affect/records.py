"""The affect record (one labeled utterance) and its validator.

A record is a JSON object: `text`; `valence`, `intimacy`, `tension` (each in [-1, 1], rated
independently); `confidence` (the rater's, in [0, 1]); `tags` (at most one archetype of ARCHETYPES plus
tags of the existing TAXONOMY); `source` (one of SOURCES); provenance as `session_id` or `file` (at least
one); optional `context` (up to the last 2 turns before the utterance, each {"role", "text"}) and
`candidate_id` (the harvested candidate it labels). Any other field is an error: a typo must not pass as
an unknown extra.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Iterator

from affectlab.errors import InputError
from affectlab.io import read_jsonl

AXES = ("valence", "intimacy", "tension")
ARCHETYPES = ("hostile_intimacy", "aggressive_distance", "neutral_but_close", "flat_numb", "fearful_urgent",
              "playful_neutral", "safety_edge")
NO_ARCHETYPE = "none"  # stratum of records without an archetype tag (most of the baseline)
TAXONOMY = ("affection", "care", "warmth", "gratitude", "joy", "excitement", "tension", "anger", "jealousy",
            "fear", "sadness", "numbness", "teasing", "boundary", "discomfort", "neutral", "hostility",
            "distance", "conflict", "urgency", "loneliness")
SOURCES = ("manual_chat", "goemotions", "synthetic_probe")
ROLES = ("user", "assistant")
MAX_CONTEXT = 2
REQUIRED = ("text", *AXES, "confidence", "tags", "source")
OPTIONAL = ("session_id", "file", "context", "candidate_id")


def _number(row: dict, field: str, lo: float, hi: float, where: str) -> float:
    value = row[field]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: {field}: must be a number in [{lo:g}, {hi:g}], got {type(value).__name__} {value!r}")
    if not lo <= value <= hi:
        raise InputError(f"{where}: {field}: {value!r} is outside [{lo:g}, {hi:g}]")
    return float(value)


def check_tags(tags: Any, where: str) -> list[str]:
    """A list of known tags with at most one archetype."""
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InputError(f"{where}: tags: must be a list of strings, got {type(tags).__name__} {tags!r}")
    for tag in tags:
        if tag not in ARCHETYPES and tag not in TAXONOMY:
            raise InputError(f"{where}: tags: unknown tag {tag!r} (archetypes: {', '.join(ARCHETYPES)}; "
                             f"taxonomy: {', '.join(TAXONOMY)})")
    archetypes = [t for t in tags if t in ARCHETYPES]
    if len(archetypes) > 1:
        raise InputError(f"{where}: tags: at most one archetype per record, got {', '.join(archetypes)}")
    return list(dict.fromkeys(tags))


def check_context(context: Any, where: str) -> list[dict[str, str]]:
    if not isinstance(context, list) or len(context) > MAX_CONTEXT:
        raise InputError(f"{where}: context: must be a list of at most {MAX_CONTEXT} turns, got {context!r}")
    for turn in context:
        if (not isinstance(turn, dict) or set(turn) != {"role", "text"} or turn["role"] not in ROLES
                or not isinstance(turn["text"], str)):
            raise InputError(f"{where}: context: each turn must be {{\"role\": \"user\"|\"assistant\", "
                             f"\"text\": str}}, got {turn!r}")
    return context


def validate_record(row: dict, where: str) -> dict:
    """The record normalised (floats, deduplicated tags), or InputError `where: field: what is wrong`."""
    for field in REQUIRED:
        if field not in row:
            raise InputError(f"{where}: {field}: missing (a record needs {', '.join(REQUIRED)})")
    unknown = sorted(set(row) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise InputError(f"{where}: {unknown[0]}: unknown field (known: {', '.join(REQUIRED + OPTIONAL)})")
    text = row["text"]
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: text: must be a non-empty string, got {text!r}")
    out = {"text": text.strip(), **{axis: _number(row, axis, -1, 1, where) for axis in AXES},
           "confidence": _number(row, "confidence", 0, 1, where), "tags": check_tags(row["tags"], where)}
    if row["source"] not in SOURCES:
        raise InputError(f"{where}: source: must be one of {', '.join(SOURCES)}, got {row['source']!r}")
    out["source"] = row["source"]
    if not any(isinstance(row.get(k), str) and row[k] for k in ("session_id", "file")):
        raise InputError(f"{where}: session_id: provenance missing (give a non-empty session_id or file)")
    for key in ("session_id", "file", "candidate_id"):
        if key in row:
            if not isinstance(row[key], str):
                raise InputError(f"{where}: {key}: must be a string, got {type(row[key]).__name__} {row[key]!r}")
            out[key] = row[key]
    if "context" in row:
        out["context"] = check_context(row["context"], where)
    return out


def archetype_of(record: dict) -> str:
    return next((t for t in record["tags"] if t in ARCHETYPES), NO_ARCHETYPE)


def normalise_text(text: str) -> str:
    """The key of near-identical texts: NFKC, lower case, punctuation dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def read_records(paths: Iterable[str | Path], skip_invalid: bool, counts: Counter) -> Iterator[dict]:
    """Validated records of every file; a bad row stops with `file:line: field: ...`, or with
    `skip_invalid` is skipped and counted in `counts["invalid"]`."""
    for path in paths:
        for lineno, row in read_jsonl(path):
            try:
                yield validate_record(row, f"{path}:{lineno}")
            except InputError:
                if not skip_invalid:
                    raise
                counts["invalid"] += 1

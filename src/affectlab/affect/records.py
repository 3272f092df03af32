"""The affect record (one labeled utterance) and its validator.

A record is a JSON object, as the run003 plan writes it: `text`; `valence`, `intimacy`, `tension` (each in
[-1, 1], rated independently); `confidence` (the rater's, in [0, 1]); `tags` (at most one archetype of
ARCHETYPES plus free tags: the existing TAXONOMY or any other, e.g. the plan's `argument`); `source` (one of
SOURCES); optional provenance `session_id` / `file` (a record with neither is accepted and counted as
`missing_provenance`), `context` and `candidate_id` (the harvested candidate it labels). Any other field is an
error: a typo must not pass as an unknown extra.

Archetypes stay a closed list: a tag that is not an archetype but reads like one (the same after
case/space/hyphen folding, or a difflib similarity >= ARCHETYPE_TYPO to one, e.g. `hostile_intimcy`,
`Flat-Numb`) is an error naming the archetype meant, because a misspelt archetype silently becoming a free tag
would drop the row out of its stratum. Every TAXONOMY tag is far from every archetype (tested).

`context` is either a list of {"role": "user"|"assistant", "text"} turns before the utterance (at most
MAX_CONTEXT), or, as in the plan's example, a list of strings read as alternating turns ending with the
current one: the last string is the current user utterance (the record's `text`), the one before it the
assistant's, and so on backwards; the strings before the last become the stored turns (so at most
MAX_CONTEXT + 1 strings).
"""
from __future__ import annotations

import difflib
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
ARCHETYPE_TYPO = 0.8  # difflib ratio from which a non-archetype tag counts as a misspelt archetype
MISSING_PROVENANCE = "missing_provenance"
REQUIRED = ("text", *AXES, "confidence", "tags", "source")
OPTIONAL = ("session_id", "file", "context", "candidate_id")


def _number(row: dict, field: str, lo: float, hi: float, where: str) -> float:
    value = row[field]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: {field}: must be a number in [{lo:g}, {hi:g}], got {type(value).__name__} {value!r}")
    if not lo <= value <= hi:
        raise InputError(f"{where}: {field}: {value!r} is outside [{lo:g}, {hi:g}]")
    return float(value)


def misspelt_archetype(tag: str) -> str | None:
    """The archetype a non-archetype tag looks like a typo of, or None (see the module docstring)."""
    folded = re.sub(r"[\s-]+", "_", tag.strip().casefold())
    if folded in ARCHETYPES:
        return folded
    close = difflib.get_close_matches(folded, ARCHETYPES, n=1, cutoff=ARCHETYPE_TYPO)
    return close[0] if close else None


def check_tags(tags: Any, where: str) -> list[str]:
    """A list of non-empty tags with at most one archetype; free tags are allowed, misspelt archetypes not."""
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise InputError(f"{where}: tags: must be a list of non-empty strings, got {type(tags).__name__} {tags!r}")
    for tag in tags:
        meant = None if tag in ARCHETYPES else misspelt_archetype(tag)
        if meant:
            raise InputError(f"{where}: tags: {tag!r} looks like a misspelt archetype {meant!r} (archetypes are a "
                             f"closed list: {', '.join(ARCHETYPES)}; other tags are free)")
    archetypes = [t for t in tags if t in ARCHETYPES]
    if len(archetypes) > 1:
        raise InputError(f"{where}: tags: at most one archetype per record, got {', '.join(archetypes)}")
    return list(dict.fromkeys(tags))


def check_context(context: Any, where: str) -> list[dict[str, str]]:
    """Stored turns before the utterance; a list of strings is converted (see the module docstring)."""
    if isinstance(context, list) and context and all(isinstance(t, str) for t in context):
        if len(context) > MAX_CONTEXT + 1:
            raise InputError(f"{where}: context: a list of strings is read as turns ending with the current one, "
                             f"so at most {MAX_CONTEXT + 1}, got {len(context)}")
        before = context[:-1]
        return [{"role": ROLES[(len(before) - i) % 2], "text": t} for i, t in enumerate(before)]
    if not isinstance(context, list) or len(context) > MAX_CONTEXT:
        raise InputError(f"{where}: context: must be a list of at most {MAX_CONTEXT} turns, got {context!r}")
    for turn in context:
        if (not isinstance(turn, dict) or set(turn) != {"role", "text"} or turn["role"] not in ROLES
                or not isinstance(turn["text"], str)):
            raise InputError(f"{where}: context: each turn must be {{\"role\": \"user\"|\"assistant\", "
                             f"\"text\": str}} or a string (strings: turns ending with the current one), got {turn!r}")
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
    for key in ("session_id", "file", "candidate_id"):
        if key in row:
            if not isinstance(row[key], str) or not row[key]:
                raise InputError(f"{where}: {key}: must be a non-empty string (or left out), got {type(row[key]).__name__} {row[key]!r}")
            out[key] = row[key]
    if "context" in row:
        out["context"] = check_context(row["context"], where)
    return out


def has_provenance(record: dict) -> bool:
    return bool(record.get("session_id") or record.get("file"))


def archetype_of(record: dict) -> str:
    return next((t for t in record["tags"] if t in ARCHETYPES), NO_ARCHETYPE)


def normalise_text(text: str) -> str:
    """The key of near-identical texts: NFKC, lower case, punctuation dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def read_records(paths: Iterable[str | Path], skip_invalid: bool, counts: Counter) -> Iterator[dict]:
    """Validated records of every file; a bad row stops with `file:line: field: ...`, or with
    `skip_invalid` is skipped and counted in `counts["invalid"]`; records with neither `session_id` nor `file`
    are kept and counted in `counts["missing_provenance"]`."""
    for path in paths:
        for lineno, row in read_jsonl(path):
            try:
                record = validate_record(row, f"{path}:{lineno}")
            except InputError:
                if not skip_invalid:
                    raise
                counts["invalid"] += 1
                continue
            counts[MISSING_PROVENANCE] += not has_provenance(record)
            yield record

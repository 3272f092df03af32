"""The natural held-out set: large enough, every stratum covered, written unlike the embedded data, and read
without the build's cleaning (a bad row stops, never skipped)."""
from collections import Counter
from pathlib import Path

import pytest

from affectlab.affect.heldout import read_heldout
from affectlab.affect.records import ARCHETYPES, normalise_text
from affectlab.errors import InputError
from affectlab.io import read_jsonl
from affect_fixtures import write_jsonl

REPO = Path(__file__).resolve().parents[3]
HELDOUT = REPO / "data/embedded/affect/heldout/natural.jsonl"


def embedded_texts() -> set[str]:
    files = [REPO / "data/embedded/affect/baseline.jsonl", *sorted((REPO / "data/embedded/affect/labels").glob("*.jsonl"))]
    return {normalise_text(row["text"]) for f in files for _, row in read_jsonl(f)}


def test_the_natural_set_has_150_rows_or_more_covering_every_archetype_and_none():
    rows = read_heldout(HELDOUT)
    counts = Counter(r["archetype"] for r in rows)
    assert len(rows) >= 150 and set(counts) == {*ARCHETYPES, "none"} and min(counts.values()) >= 15
    assert len({normalise_text(r["text"]) for r in rows}) == len(rows)
    assert all(len(r["rationale"].split()) >= 3 for r in rows)


def test_the_natural_set_shares_no_text_and_little_vocabulary_with_the_embedded_data():
    rows = read_heldout(HELDOUT)
    embedded = embedded_texts()
    assert not {normalise_text(r["text"]) for r in rows} & embedded
    # the templates' fillers ("tbh", "for real", "right now!") are what a shallow model can key on
    fillers = sum(("tbh" in r["text"].lower().split()) or ("for real" in r["text"].lower()) for r in rows)
    assert fillers == 0
    lengths = sorted(len(r["text"].split()) for r in rows)
    assert lengths[0] <= 2 and lengths[-1] >= 20  # from one word to a paragraph-ish turn


@pytest.mark.parametrize("change, message", [
    ({"valence": 1.2}, "valence: must be a number in [-1, 1], got 1.2"),
    ({"archetype": "romance"}, "archetype: must be one of"),
    ({"rationale": ""}, "rationale: must be a non-empty string"),
    ({"confidence": 0.5}, "confidence: unknown field"),
])
def test_a_bad_held_out_row_stops_with_file_and_line(tmp_path, change, message):
    good = {"text": "meh", "valence": -0.2, "intimacy": 0.0, "tension": 0.0, "archetype": "flat_numb", "rationale": "a flat reply"}
    path = write_jsonl(tmp_path / "h.jsonl", [good, {**good, "text": "other", **change}])
    with pytest.raises(InputError, match=rf"^{path}:2: " + message.replace("[", r"\[").replace("]", r"\]")):
        read_heldout(path)

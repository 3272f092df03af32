"""The record validator names file, line and field; skipping bad rows is counted."""
from collections import Counter

import pytest

from affectlab.affect.records import archetype_of, normalise_text, read_records, validate_record
from affectlab.errors import InputError
from affect_fixtures import record, write_jsonl


@pytest.mark.parametrize("change, message", [
    ({"valence": 1.5}, "valence: 1.5 is outside [-1, 1]"),
    ({"tension": -1.01}, "tension: -1.01 is outside [-1, 1]"),
    ({"confidence": 1.2}, "confidence: 1.2 is outside [0, 1]"),
    ({"text": "  "}, "text: must be a non-empty string, got '  '"),
    ({"tags": ["hostile_intimacy", "jealous_lovers"]}, "tags: unknown tag 'jealous_lovers'"),
    ({"tags": ["hostile_intimacy", "flat_numb"]}, "tags: at most one archetype per record, got hostile_intimacy, flat_numb"),
    ({"intimacy": "0.4"}, "intimacy: must be a number in [-1, 1], got str '0.4'"),
    ({"valence": True}, "valence: must be a number in [-1, 1], got bool True"),
    ({"tags": "affection"}, "tags: must be a list of strings, got str 'affection'"),
    ({"source": "reddit"}, "source: must be one of manual_chat, goemotions, synthetic_probe, got 'reddit'"),
    ({"session_id": ""}, "session_id: provenance missing"),
    ({"mood": "x"}, "mood: unknown field"),
    ({"context": [{"role": "user", "text": "a"}] * 3}, "context: must be a list of at most 2 turns"),
])
def test_a_bad_row_stops_with_file_line_and_field(tmp_path, change, message):
    path = write_jsonl(tmp_path / "labels.jsonl", [record(), {**record("Another one."), **change}])
    with pytest.raises(InputError) as e:
        list(read_records([path], False, Counter()))
    assert str(e.value).startswith(f"{path}:2: {message}")


def test_a_missing_text_is_named():
    row = record()
    del row["text"]
    with pytest.raises(InputError, match=r"^x.jsonl:7: text: missing"):
        validate_record(row, "x.jsonl:7")


def test_skipping_counts_each_bad_row_and_keeps_the_good_ones(tmp_path):
    path = write_jsonl(tmp_path / "l.jsonl", [record("a b"), record("c d", valence=3), record("e f", confidence=-1)])
    counts = Counter()
    kept = list(read_records([path], True, counts))
    assert [r["text"] for r in kept] == ["a b"] and counts["invalid"] == 2


def test_archetype_and_normalised_text():
    assert archetype_of(record(tags=["anger", "hostile_intimacy"])) == "hostile_intimacy"
    assert archetype_of(record(tags=["affection"])) == "none"
    assert normalise_text("  Who WERE you texting?!  ") == normalise_text("who were you texting") == "who were you texting"

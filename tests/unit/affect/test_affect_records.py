"""The record validator names file, line and field; skipping bad rows is counted."""
from collections import Counter

import pytest

from affectlab.affect.records import ARCHETYPES, TAXONOMY, archetype_of, misspelt_archetype, normalise_text, read_records, validate_record
from affectlab.errors import InputError
from affect_fixtures import record, write_jsonl


@pytest.mark.parametrize("change, message", [
    ({"valence": 1.5}, "valence: 1.5 is outside [-1, 1]"),
    ({"tension": -1.01}, "tension: -1.01 is outside [-1, 1]"),
    ({"confidence": 1.2}, "confidence: 1.2 is outside [0, 1]"),
    ({"text": "  "}, "text: must be a non-empty string, got '  '"),
    ({"tags": ["hostile_intimcy"]}, "tags: 'hostile_intimcy' looks like a misspelt archetype 'hostile_intimacy'"),
    ({"tags": ["Flat-Numb"]}, "tags: 'Flat-Numb' looks like a misspelt archetype 'flat_numb'"),
    ({"tags": ["safety_edges", "care"]}, "tags: 'safety_edges' looks like a misspelt archetype 'safety_edge'"),
    ({"tags": ["care", ""]}, "tags: must be a list of non-empty strings"),
    ({"tags": ["hostile_intimacy", "flat_numb"]}, "tags: at most one archetype per record, got hostile_intimacy, flat_numb"),
    ({"intimacy": "0.4"}, "intimacy: must be a number in [-1, 1], got str '0.4'"),
    ({"valence": True}, "valence: must be a number in [-1, 1], got bool True"),
    ({"tags": "affection"}, "tags: must be a list of non-empty strings, got str 'affection'"),
    ({"source": "reddit"}, "source: must be one of manual_chat, goemotions, synthetic_probe, got 'reddit'"),
    ({"session_id": ""}, "session_id: must be a non-empty string (or left out)"),
    ({"context": ["a", "b", "c", "d"]}, "context: a list of strings is read as turns ending with the current one, so at most 3"),
    ({"context": ["a", {"role": "user", "text": "b"}]}, "context: each turn must be"),
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


# The run003 plan's schema example, verbatim (docs/family-e-affect.md): it must load as written.
PLAN_EXAMPLE = {"text": "...", "valence": 0.4, "intimacy": -0.2, "tension": 0.7, "confidence": 0.6,
                "tags": ["hostile_intimacy", "argument"], "source": "manual_chat",
                "context": ["prev turn", "current turn"]}


def test_the_plans_example_record_validates(tmp_path):
    path = write_jsonl(tmp_path / "run003.jsonl", [PLAN_EXAMPLE])
    counts = Counter()
    (rec,) = read_records([path], False, counts)
    assert rec["tags"] == ["hostile_intimacy", "argument"] and archetype_of(rec) == "hostile_intimacy"
    assert rec["context"] == [{"role": "assistant", "text": "prev turn"}]  # the last string is the current turn
    assert counts["missing_provenance"] == 1 and counts["invalid"] == 0


def test_string_context_alternates_backwards_from_the_current_user_turn():
    rec = validate_record(record(context=["u1", "a1", "now"]), "x:1")
    assert rec["context"] == [{"role": "user", "text": "u1"}, {"role": "assistant", "text": "a1"}]
    assert validate_record(record(context=["only the current one"]), "x:1")["context"] == []


def test_free_tags_pass_and_records_with_provenance_are_not_counted_missing(tmp_path):
    path = write_jsonl(tmp_path / "l.jsonl", [record("a b", tags=["argument", "late_night"]), record("c d")])
    counts = Counter()
    kept = list(read_records([path], False, counts))
    assert kept[0]["tags"] == ["argument", "late_night"] and archetype_of(kept[0]) == "none"
    assert counts["missing_provenance"] == 0


def test_no_taxonomy_tag_reads_as_a_misspelt_archetype():
    assert [t for t in TAXONOMY if misspelt_archetype(t)] == []
    assert [a for a in ARCHETYPES if misspelt_archetype(a.upper().replace("_", " ")) != a] == []

"""The committed held-out sets: size, balance, fields, no duplicates, and the property each set claims."""
import collections
import importlib.util
import json
from pathlib import Path

import pytest

from affectlab.errors import InputError
from affectlab.lexical import Vader
from affectlab.probes.dataset import read_probe_set, read_probe_sets

REPO = Path(__file__).resolve().parents[3]
FOLDER = REPO / "data/embedded/probe_sets"


@pytest.fixture(scope="module")
def sets():
    return read_probe_sets(FOLDER)


def test_the_three_sets_are_balanced_complete_and_free_of_duplicates(sets):
    assert sorted(sets) == ["contrast", "implicit", "negation"]
    texts = [r["text"] for rows in sets.values() for r in rows]
    assert len(texts) == len(set(texts))
    for name, rows in sets.items():
        labels = collections.Counter(r["label"] for r in rows)
        assert len(rows) >= 120 and labels["positive"] == labels["negative"], name
        assert all(r["note"].strip() and r["id"].startswith(name) for r in rows)


def test_negation_pairs_share_their_words_and_have_opposite_labels(sets):
    pairs = collections.defaultdict(list)
    for r in sets["negation"]:
        pairs[r["pair"]].append(r)
    assert len(pairs) == len(sets["negation"]) // 2
    for rows in pairs.values():
        assert sorted(r["label"] for r in rows) == ["negative", "positive"]
        a, b = (set(r["text"].lower().rstrip(".").split()) for r in rows)
        assert len(a & b) >= min(len(a), len(b)) - 2  # minimal pairs: at most a couple of words differ


def test_implicit_sentences_carry_no_lexical_sentiment(sets):
    vader = Vader()
    loud = {r["text"]: round(vader.compound(r["text"]), 3) for r in sets["implicit"]
            if abs(vader.compound(r["text"])) >= 0.05}
    assert loud == {}


def test_contrast_sentences_turn_on_but(sets):
    assert all(r["text"].count(", but ") == 1 for r in sets["contrast"])


def test_committed_files_are_what_the_script_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_probe_sets", FOLDER.parent / "make_probe_sets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, make in module.SETS.items():
        committed = [json.loads(l) for l in (FOLDER / f"{name}.jsonl").read_text().splitlines()]
        assert committed == make()


def test_a_row_without_a_note_is_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "It rained.", "label": "negative", "note": " "}) + "\n")
    with pytest.raises(InputError, match=r"bad.jsonl:1: 'note'"):
        read_probe_set(path)

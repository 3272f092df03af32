"""Merge (duplicates, conflict policies), the stratified split and the coverage statistics."""
from collections import Counter

import pytest

from affectlab.affect.coverage import archetype_table, histogram, statistics
from affectlab.affect.dataset import build, merge, stratified_split
from affectlab.affect.settings import AffectBuildSettings, AffectSplit
from affect_fixtures import record, write_jsonl
from repo_params import settings


def test_stratified_split_keeps_each_archetypes_share_within_one_row_per_split():
    strata = ["a"] * 37 + ["b"] * 11 + ["c"] * 5 + ["d"] * 100
    split = AffectSplit(train=0.7, dev=0.15, test=0.15)
    out = stratified_split(strata, split, seed=3)
    for stratum in set(strata):
        n = strata.count(stratum)
        got = Counter(s for s, t in zip(out, strata) if t == stratum)
        for name, share in (("train", 0.7), ("dev", 0.15), ("test", 0.15)):
            assert abs(got[name] - n * share) <= 1, (stratum, name, got)
    assert out == stratified_split(strata, split, seed=3) and out != stratified_split(strata, split, seed=4)


def test_duplicates_agreeing_within_tolerance_keep_the_first_record():
    p = settings(AffectBuildSettings, conflict_tolerance=0.3)
    counts = Counter()
    out = merge([[record("I miss you!", valence=0.5)], [record("i miss you", valence=0.7)]], p, counts)
    assert len(out) == 1 and out[0]["valence"] == 0.5 and counts == {"duplicates": 1}


@pytest.mark.parametrize("policy, expected", [
    ("mean", {"valence": 0.25, "confidence": 0.5}),          # weights 0.75 / 0.25 -> 0.75*0.5 + 0.25*-0.5
    ("highest_confidence", {"valence": 0.5, "confidence": 0.75}),
    ("drop", None),
])
def test_conflicting_labels_follow_the_policy_and_are_counted(policy, expected):
    p = settings(AffectBuildSettings, conflict=policy, conflict_tolerance=0.3)
    a = record("Where were you?", valence=0.5, confidence=0.75, tags=["anger"])
    b = record("where were you", valence=-0.5, confidence=0.25, tags=["hostile_intimacy", "jealousy"])
    counts = Counter()
    out = merge([[a], [b]], p, counts)
    assert counts["conflicts"] == 1
    if expected is None:
        assert out == [] and counts["conflict_rows_dropped"] == 2
    else:
        assert {k: out[0][k] for k in expected} == pytest.approx(expected)
    if policy == "mean":
        assert out[0]["tags"] == ["anger", "jealousy"]  # the first record had no archetype: none is added


def test_coverage_statistics_on_a_hand_built_table():
    rows = [record(valence=v, intimacy=i, tension=t) for v, i, t in
            [(0.5, 0.5, 0.5), (-0.5, -0.2, 0.4), (0.2, 0.3, 0.1), (-0.2, -0.1, 0.0), (0.0, 0.9, 1.0)]]
    s = statistics(rows)
    assert s["rows"] == 5 and s["mean_valence"] == pytest.approx(0.0) and s["mean_intimacy"] == pytest.approx(0.28)
    assert (s["distant"], s["positive"], s["negative"], s["close"], s["tense"]) == (2, 2, 2, 3, 3)
    h = histogram(rows, "valence", "intimacy")
    assert len(h) == 5 and h.iloc[0].tolist() == [0.625, 0.625] and h.iloc[1].tolist() == [-0.375, -0.125]


def test_build_counts_achieved_rows_per_archetype_against_targets(tmp_path):
    base = write_jsonl(tmp_path / "base.jsonl", [record(f"base {i}") for i in range(10)])
    write_jsonl(tmp_path / "labels" / "s1.jsonl", [record(f"new {i}", tags=["flat_numb"], intimacy=-0.5) for i in range(7)]
                + [record("base 3", valence=-0.9)])  # conflicts with the baseline's row
    p = settings(AffectBuildSettings, conflict="highest_confidence")
    b, merged, counts = build(base, tmp_path / "labels", p)
    assert len(b) == 10 and len(merged) == 17 and counts["conflicts"] == 1 and counts["label_files"] == 1
    table = archetype_table(merged, p.targets).set_index("archetype")
    assert table.loc["flat_numb"].tolist() == [p.targets["flat_numb"], 7, p.targets["flat_numb"] - 7, 7]
    assert statistics(b)["distant"] == 0 and statistics(merged)["distant"] == 7

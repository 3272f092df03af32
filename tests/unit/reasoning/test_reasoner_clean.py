"""Each cleaning step removes exactly what it should, on hand-built raw tables."""
import numpy as np
import pandas as pd
import pytest

from affectlab.config import load_params
from affectlab.errors import ConfigError, InputError
from affectlab.reasoning.clean import clean, clean_metrics, outlier_reasons, stratified_split
from affectlab.reasoning.settings import ReasonerCleanSettings
from affectlab.sft.sources import GO_EMOTIONS


def settings(**overrides):
    base = {"min_agreement": 2, "single_label": "majority", "neutral_policy": "keep", "min_words": 3,
            "outlier_action": "flag", "label_set": "ekman", "no_emotion_vader": 0.05}
    return load_params(ReasonerCleanSettings, overrides={**base, **overrides})


def rater(rid, text, *labels, unclear=False, rater_id=0):
    row = {"text": text, "id": rid, "author": "a", "subreddit": "s", "link_id": "l", "parent_id": "p",
           "created_utc": 0.0, "rater_id": rater_id, "example_very_unclear": unclear}
    row.update({name: int(name in labels) for name in GO_EMOTIONS})
    return row


def table(*items):
    """items: (id, text, [labels of rater 1], [labels of rater 2], ...)"""
    return pd.DataFrame([rater(rid, text, *labels, rater_id=i)
                         for rid, text, *raters in items for i, labels in enumerate(raters)])


def fake_vader(text):
    return 0.5 if any(w in text for w in ("happy", "furious", "sad", "scared", "gross", "wow")) else 0.0


def embed_by_word(texts):
    """Orthogonal directions for a few words: a text's vector is the sum of its words' directions."""
    keys = ["happy", "furious", "sad", "scared", "gross", "wow", "game"]
    out = np.array([[float(k in t) for k in keys] + [0.1] for t in texts], np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def run(raw, **overrides):
    return clean({"train": raw}, settings(**overrides), embed_by_word, fake_vader, "mirror")


def test_aggregation_keeps_labels_with_enough_agreeing_raters_after_mapping_to_ekman():
    raw = table(("a", "I am so happy today", ["joy"], ["amusement"], ["anger"]),   # joy group: 2 votes
                ("b", "I am so happy again", ["joy"], ["anger"], ["sadness"]),      # no label twice
                ("c", "this makes me furious", ["anger"], ["annoyance"]))           # anger: 2 votes
    result = run(raw)
    assert dict(zip(result.table["id"], result.table["label"])) == {"a": "joy", "c": "anger"}
    assert result.counts["drops.no_agreement"] == 1


def test_go_emotions_label_set_needs_agreement_on_the_same_fine_label():
    raw = table(("a", "I am so happy today", ["joy"], ["amusement"]), ("c", "this makes me furious", ["anger"], ["anger"]))
    result = run(raw, label_set="go_emotions")
    assert result.table["label"].tolist() == ["anger"] and result.counts["drops.no_agreement"] == 1


def test_very_unclear_rater_rows_are_dropped_before_counting_agreement():
    raw = table(("a", "I am so happy today", ["joy"], ["joy"]))
    raw.loc[1, "example_very_unclear"] = True
    raw.loc[1, "joy"] = 0
    result = run(raw)
    assert len(result.table) == 0 and result.counts["raters.very_unclear"] == 1
    assert result.counts["drops.no_agreement"] == 1


def test_several_agreed_labels_single_only_drops_majority_takes_the_most_voted_and_ties_drop():
    raw = table(("a", "happy and furious at once", ["joy", "anger"], ["joy", "anger"], ["joy"]),
                ("b", "happy and furious twice", ["joy", "anger"], ["joy", "anger"]))
    majority = run(raw)
    assert majority.table["label"].tolist() == ["joy"] and majority.counts["drops.tied_labels"] == 1
    single = run(raw, single_label="single_only")
    assert len(single.table) == 0 and single.counts["drops.multi_label"] == 2


def test_neutral_downsampling_keeps_exactly_the_share_and_drop_removes_all():
    items = [(f"n{i}", f"the game is at {i} pm", ["neutral"], ["neutral"]) for i in range(10)]
    items += [(f"j{i}", f"so happy about number {i}", ["joy"], ["joy"]) for i in range(6)]
    raw = table(*items)
    down = run(raw, neutral_policy="downsample", neutral_max_share=0.25)
    assert (down.table["label"] == "neutral").sum() == 2  # 2 / (2 + 6) = 0.25
    assert down.counts["drops.neutral_reduced"] == 8
    assert run(raw, neutral_policy="drop").counts["drops.neutral_reduced"] == 10


def test_quality_steps_remove_short_url_duplicate_and_unemotional_items_each_under_its_reason():
    raw = table(("a", "so happy", ["joy"], ["joy"]),                                   # too short (2 words)
                ("b", "so happy see https://x.io/a", ["joy"], ["joy"]),                # url
                ("c", "I am so happy today", ["joy"], ["joy"]),                        # kept
                ("d", "I AM SO HAPPY TODAY!!", ["joy"], ["joy"]),                      # normalised duplicate
                ("e", "the store opens monday", ["joy"], ["joy"]),                     # no emotional content
                ("f", "the store opens tuesday", ["neutral"], ["neutral"]))            # neutral: kept
    result = run(raw)
    assert result.table["id"].tolist() == ["c", "f"] or sorted(result.table["id"]) == ["c", "f"]
    for reason in ("too_short", "url_or_spam", "duplicate", "no_emotion"):
        assert result.counts[f"drops.{reason}"] == 1, reason
    exact = run(raw, dedupe="exact")
    assert exact.counts["drops.duplicate"] == 0 and "d" in set(exact.table["id"])


def test_embedding_outliers_nearer_another_centroid_are_flagged_or_dropped():
    items = [(f"j{i}", f"so happy about thing {i}", ["joy"], ["joy"]) for i in range(5)]
    items += [(f"a{i}", f"this makes me furious {i}", ["anger"], ["anger"]) for i in range(5)]
    items += [("x", "this makes me furious too", ["joy"], ["joy"])]   # anger words, joy label
    flagged = run(table(*items), outlier_action="flag", centroid_margin=0.1, outlier_z=10.0)
    assert flagged.table.set_index("id").loc["x", "outlier"] and flagged.table["outlier"].sum() == 1
    assert flagged.counts["drops.flagged_nearer_other_centroid"] == 1
    dropped = run(table(*items), outlier_action="drop", centroid_margin=0.1, outlier_z=10.0)
    assert "x" not in set(dropped.table["id"]) and len(dropped.embeddings) == len(dropped.table) == 10


def test_far_from_centroid_uses_the_z_score_of_the_labels_distances():
    v = np.array([[1, 0], [1, 0], [1, 0], [1, 0], [0.6, 0.8]], np.float32)
    reasons = outlier_reasons(v, ["joy"] * 5, settings(outlier_z=1.5, centroid_margin=1.0))
    assert reasons == [None, None, None, None, "far_from_centroid"]


def test_stratified_split_cuts_each_label_by_the_shares_and_no_id_crosses_splits():
    items = pd.DataFrame({"id": [f"i{k}" for k in range(40)], "text": "t",
                          "label": ["joy"] * 20 + ["anger"] * 20})
    split = stratified_split(items, settings(split={"train": 0.5, "validation": 0.25, "test": 0.25}))
    counts = pd.crosstab(items["label"], split)
    assert counts.loc["joy"].to_dict() == {"test": 5, "train": 10, "validation": 5} == counts.loc["anger"].to_dict()


def test_metrics_count_every_split_and_label():
    raw = table(*[(f"j{i}", f"so happy about thing {i}", ["joy"], ["joy"]) for i in range(8)])
    result = run(raw)
    m = clean_metrics(result, "ekman")
    assert m["rows.train"] + m["rows.validation"] + m["rows.test"] == m["kept"] == 8
    assert m["labels.test.joy"] == m["rows.test"] and m["not_applied.min_agreement"] is False


def test_a_label_column_that_is_not_0_or_1_names_the_row():
    raw = table(("a", "I am so happy today", ["joy"], ["joy"]))
    raw.loc[1, "anger"] = 2
    with pytest.raises(InputError, match=r"mirror:train:2: column 'anger' is 2; a label column must be 0 or 1"):
        run(raw)


@pytest.mark.parametrize("column", ["id", "text"])
def test_a_rater_row_without_id_or_text_names_the_row(column):
    raw = table(("a", "I am so happy today", ["joy"], ["joy"]))
    raw.loc[1, column] = None
    with pytest.raises(InputError, match=rf"mirror:train:2: rater row without '{column}'"):
        run(raw)


def test_a_table_with_neither_raw_nor_simplified_columns_is_refused():
    with pytest.raises(InputError, match="neither the raw columns .* nor the simplified ones"):
        run(pd.DataFrame({"sentence": ["x"], "emotion": [1]}))


def test_simplified_config_uses_its_splits_and_reports_the_rater_filters_as_not_applied():
    splits = {s: pd.DataFrame({"text": [f"so happy about {s} {i}" for i in range(3)], "labels": [[17]] * 3,
                               "id": [f"{s}{i}" for i in range(3)]}) for s in ("train", "validation", "test")}
    result = clean(splits, settings(), embed_by_word, fake_vader, "mirror")
    assert sorted(result.table["split"].unique()) == ["test", "train", "validation"]
    m = clean_metrics(result, "ekman")
    assert m["official_splits"] is True and m["not_applied.min_agreement"] and m["not_applied.very_unclear"]


def test_an_unknown_label_set_is_a_config_error():
    with pytest.raises(ConfigError, match="reasoner.clean.label_set"):
        settings(label_set="plutchik")


def test_untouched_test_keeps_the_official_test_items_the_cleaning_removes_with_every_agreed_label():
    test = pd.DataFrame({"text": ["ok", "so happy and sad", "http://x.com so happy", "I am so happy today"],
                         "labels": [[27], [17, 25], [17], [17]], "id": ["t0", "t1", "t2", "t3"]})
    splits = {s: test.assign(id=lambda t: s + t["id"], text=lambda t: t["text"] + f" in {s}")
              for s in ("train", "validation")} | {"test": test}
    result = clean(splits, settings(single_label="single_only"), embed_by_word, fake_vader, "mirror")
    assert result.table.loc[result.table["split"] == "test", "id"].tolist() == ["t3"]  # short, multi, URL removed
    u = result.untouched
    assert u["id"].tolist() == ["t0", "t1", "t2", "t3"]
    assert u["labels"].tolist() == ["neutral", "joy|sadness", "joy", "joy"]
    m = clean_metrics(result, "ekman")
    assert m["rows.test_untouched"] == 4 and m["untouched.multi_label"] == 1 and m["labels.test_untouched.joy"] == 3


def test_raw_split_is_drawn_before_cleaning_so_a_removed_test_item_stays_in_the_untouched_test_only():
    raw = table(*[(f"i{k:02d}", f"I am so happy {k}" if k % 3 else "happy", ["joy"], ["joy"]) for k in range(40)])
    result = run(raw, split={"train": 0.5, "validation": 0.25, "test": 0.25})
    untouched = set(result.untouched["id"])
    assert len(untouched) == 10  # 40 ids x 0.25, drawn before the too-short filter removed every third
    clean_test = set(result.table.loc[result.table["split"] == "test", "id"])
    assert clean_test < untouched and not untouched & set(result.table.loc[result.table["split"] != "test", "id"])
    assert untouched - clean_test == {i for i in untouched if int(i[1:]) % 3 == 0}


def test_untouched_raw_item_without_agreement_is_counted_not_scored():
    raw = table(*[(f"i{k:02d}", f"I am so happy {k}", ["joy"], ["anger"] if k < 20 else ["joy"]) for k in range(40)])
    result = run(raw, split={"train": 0.5, "validation": 0.25, "test": 0.25})
    assert result.counts["untouched.no_label"] + len(result.untouched) == 10
    assert result.counts["untouched.no_label"] > 0 and set(result.untouched["labels"]) == {"joy"}


def test_any_of_gold_accepts_any_agreed_label_and_else_scores_against_the_most_voted():
    from affectlab.reasoning.evaluate import any_of_gold
    assert any_of_gold(["joy|sadness", "joy|sadness", "anger"], ["joy", "joy", "anger"],
                       ["sadness", "fear", None]) == ["sadness", "joy", "anger"]

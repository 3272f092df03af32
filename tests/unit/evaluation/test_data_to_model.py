import numpy as np
import pandas as pd
import pytest

from affectlab.emotion.scorers import EMOTIONS
from affectlab.evaluation.data_to_model import distance_metrics, markdown_section, profile_distance
from affectlab.evaluation.prompt_sets import load_contexts
from affectlab.evaluation.validation import validate_rows


def word_scores(texts):
    """joy = 1 for a text with "glad", sadness = 1 for "sorry", both 0.5 otherwise; NaN for an empty text."""
    frame = pd.DataFrame(0.0, index=range(len(texts)), columns=EMOTIONS)
    for i, t in enumerate(texts):
        frame.loc[i, ["joy", "sadness"]] = (1.0, 0.0) if "glad" in t else (0.0, 1.0) if "sorry" in t else (0.5, 0.5)
        if not t.strip():
            frame.loc[i, EMOTIONS] = np.nan
    return frame


def context_rows(references, replies):
    return [{"prompt_id": f"c{i}", "prompt": [{"role": "user", "content": "hi"}], "response": reply,
             "meta": {"reference": ref}} for i, (ref, reply) in enumerate(zip(references, replies))]


REFS = ["so glad", "so glad", "so sorry", "fine"] * 5  # human mean: joy (1 + 1 + 0 + 0.5) / 4 = 0.625, sadness 0.375


def test_distance_is_the_l1_gap_of_mean_profiles_and_zero_for_the_data_itself():
    rows = {"base": context_rows(REFS, ["so sorry"] * 20),  # joy 0, sadness 1
            "sft": context_rows(REFS, REFS),                  # the human replies themselves
            "dpo": context_rows(REFS, ["fine"] * 20)}         # joy 0.5, sadness 0.5
    distances, moves = profile_distance(rows, word_scores, n_boot=500, seed=0)
    d = distances.set_index("model")
    assert d.loc["base", "distance"] == pytest.approx(0.625 + 0.625)
    assert d.loc["sft", "distance"] == pytest.approx(0.0)
    assert d.loc["dpo", "distance"] == pytest.approx(0.125 + 0.125)
    # paired resampling: the SFT replies equal the references in every resample, so its interval is [0, 0]
    assert (d.loc["sft", "ci_low"], d.loc["sft", "ci_high"]) == (0.0, 0.0)
    assert d.loc["sft", "change_vs_base"] == pytest.approx(-1.25)
    assert d.loc["sft", "change_ci_high"] < 0  # moved toward the data, the whole interval says so
    assert d.loc["base", "ci_low"] < d.loc["base", "distance"] < d.loc["base", "ci_high"]
    m = moves.set_index(["model", "emotion"])
    assert m.loc[("sft", "joy"), "change_vs_base"] == pytest.approx(0.625)
    assert bool(m.loc[("sft", "joy"), "toward_human"]) and not bool(m.loc[("sft", "anger"), "toward_human"])
    metrics = distance_metrics(distances)
    assert metrics["profile_distance.base"] == pytest.approx(1.25)
    assert metrics["profile_distance.sft_change_vs_base"] == pytest.approx(-1.25)
    assert "profile_distance.base_change_vs_base" not in metrics
    section = "\n".join(markdown_section(distances, moves))
    assert "| sft | 0.000 [0.000, 0.000] | -1.250 [" in section and "(20 held-out contexts)" in section


def test_a_context_with_an_empty_reply_is_left_out_of_every_system_and_counted():
    replies = ["so sorry"] * 19 + [""]
    rows = {"base": context_rows(REFS, replies), "sft": context_rows(REFS, REFS)}
    distances, _ = profile_distance(rows, word_scores, n_boot=100, seed=0)
    assert set(distances["n"]) == {19}
    # the left-out context is "fine" (REFS[19]): the human mean over the 19 others moves with it
    human_joy = (sum(1.0 if r == "so glad" else 0.5 if r == "fine" else 0.0 for r in REFS[:19])) / 19
    assert distances.set_index("model").loc["base", "distance"] == pytest.approx(2 * human_joy)


def test_contexts_are_the_dialogue_turns_before_a_human_reply_and_export_rows_validate(tmp_path):
    table = pd.DataFrame({"id": ["a", "b", "c"], "source": ["ed_v2", "goemotions", "esconv"],
                          "messages": [[{"role": "user", "content": "my dog is sick"},
                                        {"role": "assistant", "content": "I am sorry to hear that."}],
                                       [{"role": "user", "content": "text"}, {"role": "assistant", "content": "joy"}],
                                       [{"role": "user", "content": "exam tomorrow"},
                                        {"role": "assistant", "content": "You prepared well."}]]})
    table.to_parquet(tmp_path / "validation.parquet")
    rows = load_contexts(tmp_path / "validation.parquet", n=5, seed=0)
    assert [(r["prompt_id"], r["meta"]["reference"]) for r in rows] == [("a", "I am sorry to hear that."),
                                                                        ("c", "You prepared well.")]
    assert rows[0]["prompt"] == [{"role": "user", "content": "my dog is sick"}]
    export = [{**r, "model": "base", "response": "ok", "decoding": {}} for r in rows]
    validate_rows(list(enumerate(export, start=1)), "contexts.jsonl")  # a message-list prompt is valid
    with pytest.raises(Exception, match=r"contexts.jsonl:1: prompt must be str or list, got int"):
        validate_rows([(1, {**export[0], "prompt": 3})], "contexts.jsonl")

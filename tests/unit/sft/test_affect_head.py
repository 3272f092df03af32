"""Family C's affect head: E's rows as head-only training rows, the NaN column, the scores beside the mean."""
import json

import numpy as np
import pandas as pd
import pytest
import torch

from affectlab.affect.records import AXES
from affectlab.errors import InputError
from affectlab.sft import affect_head
from affectlab.sft.encoding import IGNORE
from affectlab.sft.model import MultiTaskSFT, add_lora
from affectlab.sft.settings import LoraSettings
from affectlab.sft.train import TermTotals, collate, head_outputs
from affectlab.tiny_models import tiny_causal_lm
from repo_params import settings

RECORDS = [{"text": "Who were you texting at 2am?", "valence": -0.6, "intimacy": 0.7, "tension": 0.8},
           {"text": "Thanks, that helps a lot.", "valence": 0.7, "intimacy": 0.2, "tension": -0.5},
           {"text": "ok.", "valence": 0.0, "intimacy": -0.2, "tension": 0.0}]


def test_affect_rows_are_one_user_turn_with_no_lm_target_and_the_three_axes():
    _, tok = tiny_causal_lm()
    rows = affect_head.affect_rows(RECORDS, tok, 64, "train")
    assert rows["source"].tolist() == ["affect"] * 3
    assert all(set(labels) == {IGNORE} for labels in rows["labels"])  # the head's MSE is the only loss
    assert (rows["prompt_length"] == rows["input_ids"].map(len)).all()  # prompt only: the head reads its end
    assert rows["affect_target"].tolist() == [[r[a] for a in AXES] for r in RECORDS]
    assert (rows["emotion_label"] == IGNORE).all() and (rows["strategy_label"] == IGNORE).all()
    chat = tok.apply_chat_template([{"role": "user", "content": RECORDS[0]["text"]}], tokenize=False,
                                   add_generation_prompt=True)  # the utterance as the user's turn, then the reply's start
    assert rows["input_ids"][0] == tok(chat, add_special_tokens=False)["input_ids"]


def test_rows_of_other_sources_get_a_nan_target_and_carry_no_affect_loss():
    lm, tok = tiny_causal_lm(hidden=64)
    rows = affect_head.affect_rows(RECORDS, tok, 64, "train")
    other = rows.drop(columns="affect_target").assign(source="go_emotions")
    mixed = affect_head.with_affect_column(pd.concat([rows.iloc[:1], other.iloc[1:]], ignore_index=True))
    assert mixed["affect_target"][0] == [RECORDS[0][a] for a in AXES]
    assert all(np.isnan(mixed["affect_target"][i]).all() for i in (1, 2))
    model = MultiTaskSFT(add_lora(lm, settings(LoraSettings), quantized=False), {"affect": 3}, {"affect": 1.0})
    torch.nn.init.normal_(model.heads["affect"].weight, std=0.1)
    out = model(**collate(mixed, tok.pad_token_id, "cpu"))
    assert out["n_affect"] == 1  # only the labelled row counts
    pred = out["affect_logits"][0]
    assert out["affect"].item() == pytest.approx(((pred - torch.tensor([-0.6, 0.7, 0.8])) ** 2).mean().item(), rel=1e-5)
    totals = TermTotals(model)
    totals.add(out, collate(mixed, tok.pad_token_id, "cpu"))
    assert len(totals.gold["affect"]) == 1


def test_affect_scores_give_the_head_and_the_train_mean_per_axis_on_the_same_rows():
    _, tok = tiny_causal_lm()
    train = [{"valence": 0.5, "intimacy": 0.0, "tension": -0.5}, {"valence": -0.5, "intimacy": 0.5, "tension": 0.5}]
    table = affect_head.affect_rows(RECORDS, tok, 64, "test")
    gold = np.array([[r[a] for a in AXES] for r in RECORDS])
    m = affect_head.affect_scores(lambda t: gold[:len(t)] + 0.1, {"test": (table, RECORDS)}, train)
    assert m["affect.test.rows"] == 3
    for axis in AXES:
        assert m[f"affect.test.head_mae.{axis}"] == pytest.approx(0.1)
    mean = np.array([0.0, 0.25, 0.0])  # the train mean per axis
    for j, axis in enumerate(AXES):
        assert m[f"affect.test.constant_mean_mae.{axis}"] == pytest.approx(np.abs(gold[:, j] - mean[j]).mean())
    assert m["affect.test.constant_mean_mae.mean"] == pytest.approx(np.abs(gold - mean).mean())


def test_head_outputs_are_the_heads_values_in_row_order_whatever_the_batch_size():
    lm, tok = tiny_causal_lm(hidden=64)
    model = MultiTaskSFT(add_lora(lm, settings(LoraSettings), quantized=False), {"affect": 3}, {"affect": 1.0})
    torch.nn.init.normal_(model.heads["affect"].weight, std=0.1)
    table = affect_head.affect_rows(RECORDS, tok, 64, "test").drop(columns="affect_target")
    one, two = head_outputs(model, table, "affect", 1, tok.pad_token_id), head_outputs(model, table, "affect", 2, tok.pad_token_id)
    assert one.shape == (3, 3) and np.allclose(one, two, atol=1e-5) and model.training  # mode restored


def test_a_dataset_row_of_no_split_is_named(tmp_path):
    path = tmp_path / "dataset.jsonl"
    path.write_text(json.dumps({"text": "hi", "split": "train"}) + "\n" + json.dumps({"text": "x", "split": "val"}) + "\n")
    with pytest.raises(InputError, match=rf"^{path}:2: split must be train, dev or test, got 'val'"):
        affect_head.read_splits(path)


def test_a_model_with_the_affect_head_evaluates_a_table_without_affect_labels():
    """The saved SFT model on data/sft's validation split (no `affect_target` column): the head only predicts."""
    from affectlab.sft.train import evaluate
    lm, tok = tiny_causal_lm(hidden=64)
    model = MultiTaskSFT(add_lora(lm, settings(LoraSettings), quantized=False), {"affect": 3, "emotion": 28},
                         {"lm": 1.0, "emotion": 0.5, "affect": 1.0})
    table = affect_head.affect_rows(RECORDS, tok, 64, "validation").drop(columns="affect_target")
    table["emotion_label"] = [3, 5, IGNORE]
    m = evaluate(model, table, 2, tok.pad_token_id, "cpu")
    assert m["emotion.n"] == 2 and "loss.emotion" in m
    assert not any(k.startswith(("affect", "loss.affect")) for k in m)

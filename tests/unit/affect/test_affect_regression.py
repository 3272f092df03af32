"""The regression head on family C's loop (tiny model), ridge layer selection, and the evaluation tables."""
import numpy as np
import pytest
import torch

from affectlab.affect.regression import (HEAD, WEIGHTS, encode_table, evaluation_tables, fit_ridge, head_predictions,
                                         ridge_predict)
from affectlab.affect.settings import AffectTrainSettings
from affectlab.sft.model import MultiTaskSFT, add_lora, masked_mse
from affectlab.sft.settings import LoraSettings
from affectlab.sft.train import evaluate, fit
from affectlab.tiny_models import tiny_causal_lm
from affect_fixtures import record
from repo_params import settings

TEXTS = {"i am so happy and grateful for your help today .": (0.8, 0.5, -0.2),
         "i am angry that nobody listened to me at work .": (-0.7, -0.4, 0.8),
         "i am afraid of the exam tomorrow and cannot sleep .": (-0.5, 0.0, 0.9),
         "the meeting is at noon in the small room .": (0.0, -0.2, -0.5)}


def test_masked_mse_ignores_rows_without_a_target():
    pred = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    target = torch.tensor([[0.5, -0.5, 1.0], [float("nan"), 0.0, 0.0]])
    loss, n = masked_mse(pred, target)
    assert n == 1 and loss.item() == pytest.approx((0.25 + 0.25 + 1.0) / 3)


def test_the_regression_head_learns_with_family_cs_loop(tmp_path):
    lm, tok = tiny_causal_lm(hidden=64, seed=0)
    torch.manual_seed(0)
    lora = LoraSettings(r=8, alpha=16, dropout=0.0, target_modules=("q_proj", "v_proj"))
    model = MultiTaskSFT(add_lora(lm, lora, quantized=False), {HEAD: 3}, WEIGHTS)
    records = [record(t, *v) for t, v in TEXTS.items()] * 6
    table = encode_table(records, tok, 64)
    assert (table["labels"].map(set) == {-100}).all()  # prompt only: every LM label is masked
    s = settings(AffectTrainSettings)
    loop = s.loop.replace(max_steps=40, batch_size=8, lr=1e-2, head_lr=5e-2, warmup_steps=2, eval_every=40,
                          checkpoint_every=100, checkpoint_dir=str(tmp_path / "ck"))
    before = evaluate(model, table, 8, tok.pad_token_id, "cpu")
    result = fit(model, table, table, loop, alpha=1.0, pad_id=tok.pad_token_id, fingerprint="x")
    assert result.final_eval["affect.mae"] < before["affect.mae"] * 0.5, (before, result.final_eval)
    assert set(result.final_eval) == {"loss.affect", "loss.total", "affect.mae", "affect.n"}
    assert "train.affect.mae" in result.history[-1] and "train.loss.lm" not in result.history[-1]
    pred = head_predictions(model, table.iloc[:4], 2, tok.pad_token_id)
    assert pred.shape == (4, 3) and np.abs(pred - np.array(list(TEXTS.values()))).mean() < 0.3


def test_ridge_picks_the_layer_that_carries_the_signal_on_dev():
    rng = np.random.default_rng(0)
    n = 120
    y = rng.uniform(-1, 1, size=(n, 3)).astype(np.float32)
    x = rng.normal(size=(3, n, 8)).astype(np.float32)
    x[2, :, :3] = y * 2 + rng.normal(scale=0.05, size=(n, 3))  # layer 2 holds the axes linearly
    split = np.array(["train"] * 80 + ["dev"] * 20 + ["test"] * 20)
    ridge = fit_ridge(x, y, split, [0.1, 100.0])
    assert ridge["layer"] == 2 and ridge["alpha"] == 0.1 and ridge["dev_mae"] < 0.05
    assert ridge["by_layer"][2] == min(ridge["by_layer"]) and ridge["by_layer"][0] > 0.3
    assert np.abs(ridge_predict(ridge, x[2, 100:]) - y[100:]).mean() < 0.05


def test_evaluation_tables_leave_out_axes_a_baseline_does_not_predict():
    gold = np.array([[0.5, 0.5, 0.5], [-0.5, 0.0, 1.0]], dtype=np.float32)
    vader = np.array([[0.3, np.nan, np.nan], [-0.1, np.nan, np.nan]], dtype=np.float32)
    scores, by_arch = evaluation_tables({"vader": vader, "perfect": gold.copy()}, gold, ["a", "b"])
    assert scores[scores.model == "vader"][["axis", "mae"]].values.tolist() == [["valence", pytest.approx(0.3)]]
    assert scores[scores.model == "perfect"]["mae"].tolist() == [0, 0, 0]
    assert scores[scores.model == "perfect"]["r"].tolist() == pytest.approx([1, 1, 1])
    assert by_arch[by_arch.model == "vader"]["mae"].tolist() == pytest.approx([0.2, 0.4])

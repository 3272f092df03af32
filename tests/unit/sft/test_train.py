"""The training loop on a tiny random model: it learns, evaluates, checkpoints and resumes exactly."""
from collections import Counter

import pandas as pd
import pytest
import torch

from affectlab.sft.encoding import IGNORE, encode
from affectlab.sft.model import MultiTaskSFT, add_lora
from affectlab.sft.settings import LoraSettings, LossSettings, SftTrainSettings
from affectlab.sft.sources import Example
from affectlab.sft.train import evaluate, fit, majority_labels
from affectlab.tiny_models import tiny_causal_lm
from repo_params import settings as repo_settings

REPLIES = ["it sounds like you are going through a lot right now .",
           "you are not alone , and it is okay to ask for support .",
           "have you tried talking to someone you trust about it ?"]
USERS = ["i feel sad and lonely since my friend moved away .", "i am afraid of the exam tomorrow and cannot sleep .",
         "i am angry that nobody listened to me at work .", "this is wonderful news , thank you so much !"]


def table(tok, n=24):
    rows = []
    for i in range(n):
        k = i % 3
        if k == 0:
            ex, emo, strat = Example(f"ed{i}", "ed_v2", [{"role": "user", "content": USERS[i % 4]}], REPLIES[i % 3]), IGNORE, IGNORE
        elif k == 1:
            ex, emo, strat = Example(f"es{i}", "esconv", [{"role": "user", "content": USERS[i % 4]}], REPLIES[i % 2]), IGNORE, i % 2
        else:
            ex, emo, strat = Example(f"go{i}", "go_emotions", [{"role": "user", "content": USERS[i % 4]}], None), i % 4, IGNORE
        row = encode(ex, tok, 64, Counter(), "train")
        rows.append({**row, "emotion_label": emo, "strategy_label": strat})
    return pd.DataFrame(rows)


ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def make_model(loss=None, lora_seed=0):
    lm, tok = tiny_causal_lm(hidden=64, seed=0)  # the same frozen base model every time, as models/base
    torch.manual_seed(lora_seed)
    lora = LoraSettings(r=8, alpha=16, dropout=0.1, target_modules=ALL_LINEAR)
    return MultiTaskSFT(add_lora(lm, lora, quantized=False),
                        {"emotion": 28, "strategy": 2}, loss or repo_settings(LossSettings)), tok


def settings(tmp_path, **kw):
    base = dict(seed=0, max_steps=4, batch_size=4, grad_accum=2, lr=5e-3, head_lr=2e-3, warmup_steps=1,
                schedule="cosine", eval_every=2, eval_max_examples=12, checkpoint_every=2,
                checkpoint_dir=str(tmp_path / "ckpt"))
    return repo_settings(SftTrainSettings, **{**base, **kw})


def test_a_few_steps_on_a_tiny_model_lower_every_loss_term(tmp_path):
    model, tok = make_model()
    t = table(tok)
    before = evaluate(model, t, 8, tok.pad_token_id, "cpu")
    result = fit(model, t, t, settings(tmp_path, max_steps=25, lr=1e-2, warmup_steps=3, eval_every=25,
                                       checkpoint_every=100),
                 alpha=1.0, pad_id=tok.pad_token_id, fingerprint="x")
    after = result.final_eval
    for term in ("lm", "emotion", "strategy", "total"):
        assert after[f"loss.{term}"] < before[f"loss.{term}"] * 0.9, (term, before, after)
    assert after["strategy.accuracy"] >= 0.75 and 0 <= after["emotion.macro_f1"] <= 1  # chance: 0.5
    assert len(result.history) == 25 and result.history[0]["lr"] < result.history[1]["lr"]  # warmup
    assert result.history[-1]["lr"] < result.history[1]["lr"]  # cosine decay
    assert {"train.loss.total", "train.grad_norm", "lr"} <= set(result.history[-1])


class Killed(Exception):
    pass


def test_resume_from_a_checkpoint_equals_an_uninterrupted_run(tmp_path):
    ts = settings(tmp_path)
    model, tok = make_model()
    t = table(tok)
    full = fit(model, t, t, ts.replace(checkpoint_dir=str(tmp_path / "other")), alpha=0.5,
               pad_id=tok.pad_token_id, fingerprint="run")

    def kill_after_2(step, record):
        if step == 2:
            raise Killed

    model_a, _ = make_model()
    with pytest.raises(Killed):
        fit(model_a, t, t, ts, alpha=0.5, pad_id=tok.pad_token_id, fingerprint="run", on_step=kill_after_2)
    assert (tmp_path / "ckpt" / "state.json").is_file()
    model_b, _ = make_model(lora_seed=7)  # a fresh process: another LoRA init and RNG; the checkpoint restores all
    seen = []
    resumed = fit(model_b, t, t, ts, alpha=0.5, pad_id=tok.pad_token_id, fingerprint="run",
                  on_step=lambda s, r: seen.append(s))
    assert resumed.resumed_from == 2 and seen == [1, 2, 3, 4]  # restored steps are re-logged first
    for a, b in zip(full.history, resumed.history):
        assert a.keys() == b.keys()
        for k in a:
            assert a[k] == pytest.approx(b[k], rel=1e-4, abs=1e-6), (a["step"], k)
    for (n, p), (_, q) in zip(model.named_parameters(), model_b.named_parameters()):
        if p.requires_grad:
            assert torch.allclose(p, q, atol=1e-5), n


def test_a_checkpoint_of_another_configuration_is_ignored(tmp_path):
    ts = settings(tmp_path, max_steps=2, checkpoint_every=1)
    model, tok = make_model()
    t = table(tok)
    with pytest.raises(Killed):
        fit(model, t, t, ts.replace(max_steps=3), alpha=0.5, pad_id=tok.pad_token_id,
            fingerprint="old", on_step=lambda s, r: (_ for _ in ()).throw(Killed) if s == 2 else None)
    fresh, _ = make_model()
    result = fit(fresh, t, t, ts, alpha=0.5, pad_id=tok.pad_token_id, fingerprint="new")
    assert result.resumed_from == 0 and len(result.history) == 2


def test_removed_head_is_absent_from_training_records_and_eval(tmp_path):
    model, tok = make_model(LossSettings(lm=1.0, emotion=0.5, strategy=0, affect=0, safety_kl=0))
    t = table(tok)
    result = fit(model, t, t, settings(tmp_path, max_steps=2), alpha=0.5, pad_id=tok.pad_token_id, fingerprint="x")
    keys = {k for r in result.history for k in r}
    assert not any("strategy" in k for k in keys) and "eval.emotion.accuracy" in keys


def test_evaluate_reports_the_majority_class_baseline_on_the_same_rows():
    model, tok = make_model()
    t = table(tok)  # emotion labels i % 4 on every third row: 0, 1, 2, 3, 0, 1, 2, 3
    t.loc[t["emotion_label"] == 3, "emotion_label"] = 1  # label 1 is now the most frequent (4 of 8)
    majority = majority_labels(t)
    assert majority == {"emotion": 1, "strategy": 0}  # strategy: 0 and 1 tie 4-4, the lower label wins
    m = evaluate(model, t, 8, tok.pad_token_id, "cpu", majority)
    assert m["emotion.majority_accuracy"] == 0.5 and m["strategy.majority_accuracy"] == 0.5
    assert m["emotion.n"] == 8

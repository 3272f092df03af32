"""Family C, part 3: the preference-pair rule, the pair file's errors, resumable sampling, sequence
log-probs, and DPO on TRL (it learns a preference, and a killed run resumes to the same weights)."""
import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import torch

from affectlab.errors import InputError
from affectlab.sft.dpo import train_dpo
from affectlab.sft.preference import (completion_logps, contexts, fit_to_length, make_pairs, preference_metrics,
                                      read_pairs, sample_rejected)
from affectlab.sft.dpo_settings import DpoSettings
from affectlab.tiny_models import tiny_causal_lm


def chat(*turns):
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(turns)]


TABLE = pd.DataFrame({
    "id": ["ed_v2:train:0", "go_emotions:train:0", "esconv:train:0", "esconv:train:1", "ed_v2:train:1"],
    "source": ["ed_v2", "go_emotions", "esconv", "esconv", "ed_v2"],
    "messages": [chat("i lost my job", "that is awful"), chat("so happy today"),
                 chat("my dog died", "i am so sorry"), chat("hi", "hello", "i feel alone", "you are not alone"),
                 chat("exams tomorrow", "you will do fine")]})


def settings(**over):
    base = {"pairs": {"train": 8, "heldout": 4, "seed": 0, "batch_size": 4,
                      "decoding": {"max_new_tokens": 8, "do_sample": True, "temperature": 1.0, "top_p": 0.95,
                                   "repetition_penalty": 1.0}},
            "beta": 0.1, "loss_type": "sigmoid", "max_steps": 6, "batch_size": 2, "lr": 1e-2, "warmup_steps": 0,
            "max_length": 64, "seed": 0, "lora": {"r": 4, "alpha": 8, "dropout": 0.0,
                                                  "target_modules": ("q_proj", "v_proj")},
            "checkpoint_every": 3, "checkpoint_dir": "unused"}
    return DpoSettings.model_validate({**base, **over})


PAIRS = [{"pair_id": f"p{i}", "source": "ed_v2", "prompt": chat(f"i feel sad {i}"), "chosen": "that sounds hard",
          "rejected": f"ok fine {i}"} for i in range(8)]


def test_contexts_are_dialogue_turns_with_their_human_reply_drawn_by_seed():
    items = contexts(TABLE, 10, seed=0)
    assert [c["pair_id"] for c in items] == ["ed_v2:train:0", "esconv:train:0", "esconv:train:1", "ed_v2:train:1"]
    assert items[2]["prompt"] == chat("hi", "hello", "i feel alone") and items[2]["chosen"] == "you are not alone"
    two = [c["pair_id"] for c in contexts(TABLE, 2, seed=0)]
    assert len(two) == 2 and two == [c["pair_id"] for c in contexts(TABLE, 2, seed=0)]
    assert {tuple(c["pair_id"] for c in contexts(TABLE, 2, seed=s)) for s in range(6)} != {tuple(two)}


def test_pairs_with_an_empty_or_identical_side_are_dropped_and_counted():
    items = contexts(TABLE, 10, seed=0)
    replies = {"ed_v2:train:0": "  ", "esconv:train:0": "I am  SO sorry", "esconv:train:1": "why?",
               "ed_v2:train:1": "good luck"}
    counts = Counter()
    pairs = make_pairs(items, replies, "train", counts)
    assert [(p["pair_id"], p["rejected"]) for p in pairs] == [("esconv:train:1", "why?"), ("ed_v2:train:1", "good luck")]
    assert counts == {"train.contexts": 4, "train.pairs": 2, "train.dropped.empty": 1, "train.dropped.identical": 1}


@pytest.mark.parametrize("row, message", [
    ({"pair_id": "a", "source": "x", "prompt": chat("hi"), "chosen": "yes"}, "missing 'rejected'"),
    ({"pair_id": "a", "source": "x", "prompt": chat("hi"), "chosen": "yes", "rejected": "  "}, "'rejected' must be a non-empty str"),
    ({"pair_id": "a", "source": "x", "prompt": "hi", "chosen": "yes", "rejected": "no"}, "'prompt' must be a non-empty list"),
])
def test_a_preference_file_with_a_missing_side_names_file_and_line(tmp_path, row, message):
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps(PAIRS[0]) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(InputError) as e:
        read_pairs(path)
    assert str(e.value).startswith(f"{path}:2: {message}")


def test_sampling_resumes_after_a_kill_with_the_same_replies(tmp_path):
    items = [{"pair_id": f"c{i}", "prompt": chat(f"text {i}")} for i in range(5)]
    calls = []

    def generate(prompts, index):
        calls.append(index)
        if index == 1 and len(calls) == 2:
            raise KeyboardInterrupt  # killed during the second batch
        return [f"reply {p[0]['content']} seed {index}" for p in prompts]

    with pytest.raises(KeyboardInterrupt):
        sample_rejected(generate, items, tmp_path / "ckpt.jsonl", 2, "test")
    done = sample_rejected(generate, items, tmp_path / "ckpt.jsonl", 2, "test")
    assert calls == [0, 1, 1, 2]  # batch 0 is not sampled again
    assert done == {f"c{i}": f"reply text {i} seed {i // 2}" for i in range(5)}


def test_completion_logps_do_not_depend_on_batching_or_padding():
    model, tok = tiny_causal_lm()
    pairs = [dict(PAIRS[0], rejected="no"), dict(PAIRS[1], chosen="that sounds very very hard to carry alone")]
    together = completion_logps(model, tok, pairs, 64, batch_size=4)
    alone = np.vstack([completion_logps(model, tok, [p], 64, batch_size=1) for p in pairs])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert together.shape == (2, 2) and (together < 0).all() and together[1, 0] < together[0, 0]  # longer: less likely


def test_fit_to_length_drops_the_oldest_messages_and_counts():
    _, tok = tiny_causal_lm()
    long = {**PAIRS[0], "prompt": chat(*(["word " * 20] * 4), "i feel sad")}
    counts = Counter()
    fitted = fit_to_length([PAIRS[0], long], tok, 40, counts, "train")
    assert fitted[0] == PAIRS[0] and fitted[1]["prompt"][-1]["content"] == "i feel sad"
    assert len(fitted[1]["prompt"]) < 5 and counts["train.trimmed"] == 1


def test_preference_metrics_follow_trl_definitions():
    policy, ref = np.array([[-1.0, -3.0], [-2.0, -1.0]]), np.array([[-2.0, -2.0], [-2.0, -2.0]])
    m = preference_metrics(policy, ref, beta=0.5)
    assert m["logp_accuracy"] == 0.5 and m["logp_margin"] == pytest.approx(0.5)
    # rewards 0.5*(policy-ref): [[0.5, -0.5], [0, 0.5]] -> margins 1.0 and -0.5
    assert m["reward_accuracy"] == 0.5 and m["reward_margin"] == pytest.approx(0.25)
    assert "reward_margin" not in preference_metrics(ref, None, beta=0.5)


def lora_weights(model):
    return {k: v.detach().clone() for k, v in model.named_parameters() if "lora" in k}


def test_dpo_learns_the_preference_and_a_killed_run_resumes_to_the_same_weights(tmp_path, monkeypatch):
    import transformers

    model, tok = tiny_causal_lm()
    before = completion_logps(model, tok, PAIRS, 64)
    result = train_dpo(model, tok, PAIRS, settings(), tmp_path / "straight")
    after = completion_logps(result.model, tok, PAIRS, 64)
    with result.model.disable_adapter():
        np.testing.assert_allclose(completion_logps(result.model, tok, PAIRS, 64), before, atol=1e-5)  # the reference
    m = preference_metrics(after, before, beta=0.1)
    assert m["reward_accuracy"] == 1.0 and m["reward_margin"] > 0.01
    assert (after[:, 0] - after[:, 1]).mean() > (before[:, 0] - before[:, 1]).mean()
    assert len(result.history) == 6 and result.history[-1]["loss"] < result.history[0]["loss"]

    class Kill(transformers.TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 4:  # after the checkpoint at step 3
                raise KeyboardInterrupt

    init = transformers.Trainer.__init__
    monkeypatch.setattr(transformers.Trainer, "__init__",
                        lambda self, *a, **k: (init(self, *a, **k), self.add_callback(Kill()))[0])
    with pytest.raises(KeyboardInterrupt):
        train_dpo(tiny_causal_lm()[0], tok, PAIRS, settings(), tmp_path / "killed")
    monkeypatch.undo()
    resumed = train_dpo(tiny_causal_lm()[0], tok, PAIRS, settings(), tmp_path / "killed")
    assert resumed.resumed_from == 3 and len(resumed.history) == 6
    a, b = lora_weights(result.model), lora_weights(resumed.model)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

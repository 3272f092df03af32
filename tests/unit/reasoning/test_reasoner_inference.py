"""Label likelihoods after the reasoning equal a brute-force computation; evaluation metrics on known rows;
the training tables mask the prompt."""
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import torch

from affectlab.generation import Decoding
from affectlab.generation import render_prompts
from affectlab.reasoning import evaluate as ev
from affectlab.reasoning.inference import analyze, label_logprobs
from affectlab.reasoning.labels import EKMAN, prompt_messages
from affectlab.reasoning.train import encode_cot
from affectlab.sft.encoding import IGNORE
from affectlab.tiny_models import tiny_causal_lm

GREEDY = Decoding(max_new_tokens=6, do_sample=False, temperature=1.0, top_p=1.0, repetition_penalty=1.0)
CALIBRATION = {"labels": list(EKMAN), "cot_mode": "rationale_first", "temperature": 1.0, "offsets": [0.0] * 7}


@pytest.fixture(scope="module")
def tiny():
    return tiny_causal_lm(layers=2, hidden=32, seed=3)


def brute_force(model, tok, text, reasoning, labels, name):
    prefix = render_prompts(tok, [prompt_messages(text, labels)])[0] + (reasoning + "\n" if reasoning else "") + "Emotion:"
    p_ids = tok(prefix, add_special_tokens=False)["input_ids"]
    l_ids = tok(" " + name, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([p_ids + l_ids])
    with torch.no_grad():
        lp = torch.log_softmax(model(ids).logits[0].float(), -1)
    return sum(lp[len(p_ids) - 1 + k, t].item() for k, t in enumerate(l_ids))


def test_label_logprobs_of_a_padded_batch_equal_each_row_alone_including_multi_token_labels(tiny):
    model, tok = tiny
    labels = ("joy", "so-so", "anger")  # "so-so" is three tokens: the KV-cache continuation path
    assert len(tok(" so-so", add_special_tokens=False)["input_ids"]) == 3
    texts = ["I am so happy today .", "angry", "What a surprise , I did not expect to win the prize !"]
    reasonings = ['the word " happy " shows it', "", "surprise"]
    got = label_logprobs(model, tok, texts, reasonings, labels, batch_size=3)
    want = np.array([[brute_force(model, tok, t, r, labels, n) for n in labels] for t, r in zip(texts, reasonings)])
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_analyze_returns_a_label_of_the_set_and_probabilities_summing_to_one(tiny):
    model, tok = tiny
    out = analyze(model, tok, ["I am so happy", "I am afraid"], EKMAN, GREEDY, batch_size=2, seed=0,
                  calibration=CALIBRATION)
    for r in out:
        assert r["emotion"] in EKMAN and set(r["scores"]) == set(EKMAN)
        assert sum(r["scores"].values()) == pytest.approx(1, abs=1e-3)
        assert r["parsed"] is False  # an untrained model writes no answer line: the likeliest label is used


def test_analyze_scores_are_the_calibrated_probabilities_of_the_label_likelihoods(tiny):
    from affectlab.reasoning.inference import generate_replies
    from affectlab.reasoning.labels import split_reply
    model, tok = tiny
    texts = ["I am so happy", "I am afraid"]
    offsets = [0.0, 0.5, -0.5, 1.0, 0.0, -1.0, 0.2]
    out = analyze(model, tok, texts, EKMAN, GREEDY, 2, 0, {**CALIBRATION, "temperature": 3.0, "offsets": offsets})
    reasonings = [split_reply(r) for r in generate_replies(model, tok, texts, EKMAN, GREEDY, 2, 0)]
    lp = label_logprobs(model, tok, texts, reasonings, EKMAN, 2)
    want = np.exp(lp / 3.0 + offsets) / np.exp(lp / 3.0 + offsets).sum(1, keepdims=True)
    got = np.array([[r["scores"][k] for k in EKMAN] for r in out])
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert got.max() < 0.99  # not one-hot


def test_calibration_fitted_on_held_out_rows_recovers_a_label_bias_and_a_temperature():
    rng = np.random.default_rng(0)
    true = rng.normal(size=(400, 3)) * 2
    gold = [int(rng.choice(3, p=np.exp(t) / np.exp(t).sum())) for t in true]
    observed = (true - np.array([0.0, 1.0, -1.0])) * 4  # a biased, over-confident scorer
    t, b = ev.fit_calibration(observed, gold)
    assert t == pytest.approx(4, rel=0.25) and b == pytest.approx([0.0, 1.0, -1.0], abs=0.35)
    calibrated = ev.calibrated_probabilities(observed, t, b)
    assert np.log(calibrated[np.arange(400), gold]).mean() > np.log(
        ev.calibrated_probabilities(observed, 1.0, [0, 0, 0])[np.arange(400), gold]).mean()


def test_bootstrap_interval_contains_the_point_estimate_and_narrows_with_more_rows():
    gold = ["joy", "anger", "fear", "joy"] * 10
    pred = ["joy", "anger", "joy", "fear"] * 10
    point = ev.scores(gold, pred, ("anger", "fear", "joy"))["macro_f1"]
    lo, hi = ev.bootstrap_macro_f1(gold, pred, ("anger", "fear", "joy"), 300, 0)
    lo4, hi4 = ev.bootstrap_macro_f1(gold * 4, pred * 4, ("anger", "fear", "joy"), 300, 0)
    assert lo < point < hi and hi4 - lo4 < hi - lo


def test_score_systems_is_any_of_on_several_gold_labels_and_ekman_only_for_the_scorer_on_fine_labels():
    from affectlab.sft.sources import GO_EMOTIONS
    rows = pd.DataFrame({"id": ["a", "b"], "text": ["x", "y"], "label": ["joy", "anger"],
                         "labels": ["joy|sadness", "anger"]})
    table, classes, golds = ev.score_systems(rows, {"r": ["sadness", "anger"], "emotion_scorer": ["joy", "fear"]},
                                             EKMAN, 20, 0)
    assert table.loc["r", "accuracy"] == 1 and golds["r"] == ["sadness", "anger"]
    assert table.loc["emotion_scorer", "accuracy"] == 0.5
    natural = rows.assign(labels=rows["label"])
    table, _, _ = ev.score_systems(natural, {"r": ["amusement", "annoyance"], "emotion_scorer": ["joy", "anger"]},
                                   GO_EMOTIONS, 20, 0)
    assert table.loc["r", "ekman_accuracy"] == 1 and "accuracy" not in table.columns


def test_scores_count_a_parse_failure_as_wrong_and_confusion_rows_sum_to_the_test_size():
    gold = ["joy", "joy", "anger", "fear"]
    pred = ["joy", None, "anger", "joy"]
    s = ev.scores(gold, pred, EKMAN)
    assert s["accuracy"] == 0.5
    # F1 joy = 2*0.5*0.5/(1) = 0.5, anger = 1, fear = 0; others have no support and no prediction -> 0
    assert s["macro_f1"] == pytest.approx((0.5 + 1 + 0) / 7)
    conf = ev.confusion_rows(gold, pred)
    assert len(conf) == 4 and conf["predicted"].tolist() == ["joy", "unparsed", "anger", "joy"]
    row = ev.system_row(gold, pred, EKMAN)
    assert row["parse_failure_rate"] == 0.25 and row["ekman_accuracy"] == row["accuracy"]


def test_fine_labels_are_also_scored_on_their_ekman_groups():
    from affectlab.sft.sources import GO_EMOTIONS
    row = ev.system_row(["annoyance", "joy"], ["anger", "amusement"], GO_EMOTIONS)
    assert row["accuracy"] == 0 and row["ekman_accuracy"] == 1


def test_reasoning_quality_checks_quotes_against_the_text_and_the_stated_label():
    q = ev.reasoning_quality(["I am furious", "so happy"],
                             ['The words "furious" mark anger.', 'The words "thrilled" mark joy.'],
                             ["anger", "fear"], EKMAN)
    assert q["cites_text"] == 0.5 and q["stated_equals_final"] == 0.5


def test_training_tables_mask_the_prompt_and_learn_the_reasoning_and_answer(tiny):
    _, tok = tiny
    cot = pd.DataFrame({"id": ["a", "b"], "split": ["train", "validation"], "text": ["I am so happy", "sad"],
                        "target": ['The words "happy" mark joy.\nEmotion: joy', "No word.\nEmotion: sadness"]})
    tables = encode_cot(cot, tok, EKMAN, 128, Counter())
    row = tables["train"].iloc[0]
    n = row["prompt_length"]
    assert row["labels"][:n] == [IGNORE] * n and row["labels"][n:] == row["input_ids"][n:]
    assert tok.decode(row["input_ids"][n:]).split()[-3:] == ["<unk>", "joy", "<|im_end|>"]  # "Emotion: joy" + end of turn
    assert row["emotion_label"] == row["strategy_label"] == IGNORE and len(tables["validation"]) == 1


def test_learning_curve_scores_equal_the_likelihood_argmax_and_leave_the_model_in_train_mode(tiny):
    from affectlab.reasoning.curve import likelihood_macro_f1
    model, tok = tiny
    rows = pd.DataFrame({"id": ["a", "b", "c"], "text": ["I am so happy", "I am afraid", "what a surprise"],
                         "label": ["joy", "fear", "surprise"], "labels": ["joy", "fear|sadness", "surprise"]})
    model.train()
    got = likelihood_macro_f1(model, tok, {"s": rows}, EKMAN, 2)
    assert model.training
    model.eval()
    lp = label_logprobs(model, tok, rows["text"].tolist(), [""] * 3, EKMAN, 3)
    pred = [EKMAN[i] for i in lp.argmax(1)]
    want = ev.scores(ev.any_of_gold(rows["labels"], rows["label"], pred), pred, EKMAN)["macro_f1"]
    assert got == {"curve.s.macro_f1": pytest.approx(want)}


def test_curve_table_puts_the_baselines_as_flat_lines_at_the_reasoners_steps():
    from affectlab.reasoning.curve import curve_table
    train = {"curve.test_untouched.macro_f1.step8": 0.2, "curve.test_untouched.macro_f1.step16": 0.3,
             "loss.validation.lm": 1.0}
    table = pd.DataFrame({"set": ["test_untouched"] * 3, "system": ["minilm_logreg", "emotion_scorer", "majority"],
                          "macro_f1": [0.8, 0.5, 0.03]})
    c = curve_table(train, table)
    assert c[c["system"] == "reasoner_likelihood"][["step", "macro_f1"]].values.tolist() == [[8, 0.2], [16, 0.3]]
    assert c[c["system"] == "minilm_logreg"]["macro_f1"].tolist() == [0.8, 0.8]
    assert set(c["system"]) == {"reasoner_likelihood", "minilm_logreg", "emotion_scorer"}


def test_natural_set_refuses_a_label_outside_ekman_naming_the_line(tmp_path):
    from affectlab.errors import InputError
    f = tmp_path / "natural.jsonl"
    f.write_text('{"id": "a", "text": "hi", "label": "joy", "note": "n"}\n'
                 '{"id": "b", "text": "meh", "label": "boredom", "note": "n"}\n')
    with pytest.raises(InputError, match=r"natural.jsonl:2: label 'boredom' is not one of anger"):
        ev.read_natural(f, EKMAN)


def test_the_committed_natural_set_has_20_texts_per_ekman_class_each_with_a_note():
    from pathlib import Path
    from affectlab.config import load_params
    from affectlab.reasoning.settings import ReasonerEvalSettings
    repo = Path(__file__).resolve().parents[3]
    natural = ev.read_natural(repo / load_params(ReasonerEvalSettings, repo / "params.yaml").natural, EKMAN)
    assert natural["label"].value_counts().to_dict() == dict.fromkeys(EKMAN, 20)
    assert natural["text"].is_unique and natural["id"].is_unique

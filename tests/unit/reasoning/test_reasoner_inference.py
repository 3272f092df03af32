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
    out = analyze(model, tok, ["I am so happy", "I am afraid"], EKMAN, GREEDY, batch_size=2, seed=0)
    for r in out:
        assert r["emotion"] in EKMAN and set(r["scores"]) == set(EKMAN)
        assert sum(r["scores"].values()) == pytest.approx(1, abs=1e-3)
        assert r["parsed"] is False  # an untrained model writes no answer line: the likeliest label is used


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

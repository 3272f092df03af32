import numpy as np
import pytest
import torch

from affectlab.evaluation.logprob import _candidates, _plan, expected_ratings, rating_contexts
from affectlab.tiny_models import tiny_causal_lm, tiny_tokenizer

DIGITS = " ".join(str(i) for i in range(11))
CORPUS = [f"hurt excited conflicted relieved : {DIGITS}", "maya feels sad because leo forgot the dinner .",
          "rate each emotion from 0 to 10 .", "user assistant"]
QUESTIONS = ["Maya feels sad because Leo forgot the dinner . rate each emotion from 0 to 10 .",
             "rate each emotion .", "Leo forgot ."]
EMOTIONS = [["Hurt", "Excited", "Conflicted", "Relieved"], ["Relieved", "Hurt", "Excited", "Conflicted"],
            ["Excited", "Leo Hurt", "Relieved", "Conflicted"]]  # a two-token emotion: tails of unequal length


def digit_split_tokenizer():
    """Word-level, but numbers split into digits as SmolLM2's tokenizer does: "10" is "1", "0"."""
    from tokenizers import pre_tokenizers
    tok = tiny_tokenizer(CORPUS)
    tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=True)])
    return tok


def log_softmax_at(model, ids):
    with torch.no_grad():  # one unpadded sequence, nothing shared with the code under test
        return torch.log_softmax(model(input_ids=torch.tensor([ids])).logits[0].double(), -1)


def test_single_token_ratings_give_the_softmax_over_the_eleven_rating_tokens():
    model, tok = tiny_causal_lm(tiny_tokenizer(CORPUS), seed=3)
    (rated,) = expected_ratings(model, tok, QUESTIONS[:1], EMOTIONS[:1], batch_size=4)
    for emotion in EMOTIONS[0]:
        text = tok.apply_chat_template([{"role": "user", "content": QUESTIONS[0]}], tokenize=False,
                                       add_generation_prompt=True) + f"{emotion}: "
        ids = tok(text, add_special_tokens=False)["input_ids"]
        rating_ids = [tok.convert_tokens_to_ids(str(r)) for r in range(11)]
        logits = log_softmax_at(model, ids)[-1, rating_ids]
        p = torch.softmax(logits, 0).numpy()
        assert rated["distribution"][emotion] == pytest.approx(p, abs=1e-6)
        assert rated["ratings"][emotion] == pytest.approx(float(np.dot(np.arange(11), p)), abs=1e-5)


def test_multi_token_ratings_are_whole_sequences_and_one_is_not_also_counted_as_ten():
    model, tok = tiny_causal_lm(digit_split_tokenizer(), seed=5)
    assert tok.tokenize("10") == ["1", "0"]
    rated = expected_ratings(model, tok, QUESTIONS, EMOTIONS, batch_size=3)  # padded batches of mixed lengths
    for question, emotions, got in zip(QUESTIONS, EMOTIONS, rated):
        for context in rating_contexts(tok, question, emotions):
            emotion = context.rsplit("\n", 1)[-1][:-2]
            ctx = tok(context, add_special_tokens=False)["input_ids"]
            one, zero = tok.convert_tokens_to_ids("1"), tok.convert_tokens_to_ids("0")
            lp = {r: float(log_softmax_at(model, ctx)[-1, tok.convert_tokens_to_ids(str(r))]) for r in range(10)}
            after_one = log_softmax_at(model, ctx + [one])[-1]
            lp[10] = lp[1] + float(after_one[zero])                  # "1" then "0"
            lp[1] += float(np.log1p(-float(after_one[zero].exp())))  # "1" not followed by "0"
            p = np.exp(np.array([lp[r] for r in range(11)]))
            p /= p.sum()
            assert got["distribution"][emotion] == pytest.approx(p, abs=1e-5)
            assert got["ratings"][emotion] == pytest.approx(float(np.dot(np.arange(11), p)), abs=1e-4)


def test_a_digit_split_tokenizer_needs_one_sequence_per_emotion():
    tok = digit_split_tokenizer()
    ctx, conts = _candidates(tok, rating_contexts(tok, QUESTIONS[0], ["Hurt"])[0])
    exts, need, stops = _plan(conts)
    one = tok.convert_tokens_to_ids("1")
    assert exts == [(one,)] and need[1] == (one,) and stops[1] == {tok.convert_tokens_to_ids("0")}
    assert tok.decode(ctx).rstrip().endswith("hurt :")


def test_an_adapter_model_is_rated_like_its_merged_weights():
    from peft import LoraConfig, get_peft_model
    model, tok = tiny_causal_lm(digit_split_tokenizer(), seed=7)
    torch.manual_seed(0)
    peft = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)).eval()
    with_adapter = expected_ratings(peft, tok, QUESTIONS[:2], EMOTIONS[:2], batch_size=8)
    merged = expected_ratings(peft.merge_and_unload().eval(), tok, QUESTIONS[:2], EMOTIONS[:2], batch_size=8)
    base, _ = tiny_causal_lm(digit_split_tokenizer(), seed=7)
    plain = expected_ratings(base, tok, QUESTIONS[:2], EMOTIONS[:2], batch_size=8)
    for a, m, b in zip(with_adapter, merged, plain):
        assert a["ratings"] == pytest.approx(m["ratings"], abs=1e-4)
        assert a["ratings"] != pytest.approx(b["ratings"], abs=1e-4)  # the adapter did change them

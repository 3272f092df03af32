import torch

from affectlab.generation import Decoding, generate_chat, render_prompts
from affectlab.tiny_models import tiny_causal_lm

GREEDY = Decoding(max_new_tokens=6, do_sample=False, temperature=1.0, top_p=1.0, repetition_penalty=1.0)
SAMPLED = GREEDY.replace(do_sample=True)


def test_prompts_are_rendered_with_the_chat_template_and_generation_prompt():
    _, tok = tiny_causal_lm()
    [text] = render_prompts(tok, ["i am happy"], system="be kind")
    assert text == "<|im_start|>system\nbe kind<|im_end|>\n<|im_start|>user\ni am happy<|im_end|>\n<|im_start|>assistant\n"


def test_left_padded_batch_gives_the_same_greedy_replies_as_one_prompt_at_a_time():
    model, tok = tiny_causal_lm()
    prompts = ["sad", "i am so happy and grateful for your help today", [{"role": "user", "content": "thank you"}]]
    batched = generate_chat(model, tok, prompts, GREEDY, batch_size=3)
    alone = [generate_chat(model, tok, [p], GREEDY, batch_size=1)[0] for p in prompts]
    assert batched == alone and len(batched) == 3
    assert all(isinstance(r, str) and r for r in batched)
    assert tok.padding_side == "right"  # restored for the caller


def test_sampling_is_reproducible_by_seed_and_leaves_the_global_rng_alone():
    model, tok = tiny_causal_lm()
    prompts = ["i feel sad"] * 4
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = generate_chat(model, tok, prompts, SAMPLED, batch_size=2, seed=7)
    after = torch.rand(1)
    assert torch.equal(before, after)
    assert a == generate_chat(model, tok, prompts, SAMPLED, batch_size=2, seed=7)
    assert a != generate_chat(model, tok, prompts, SAMPLED, batch_size=2, seed=8)
    assert len(set(a)) > 1  # sampling, not greedy: identical prompts get different replies


def test_bad_decoding_values_are_config_errors():
    import pytest

    from affectlab.errors import ConfigError
    model, tok = tiny_causal_lm()
    with pytest.raises(ConfigError, match="top_p"):
        generate_chat(model, tok, ["hi"], GREEDY.replace(top_p=0.0))


# ---- the decode loop vs model.generate (issue 13) -----------------------------------------------------
import pytest  # noqa: E402

import affectlab.generation as generation  # noqa: E402
from affectlab.generation import generate_ids, top_p_nucleus  # noqa: E402

RAGGED = ["sad", "i am so happy and grateful for your help today", "thank you so much",
          "i feel sad and lonely since my friend moved away", "what a surprise", "hi"]
LONG = GREEDY.replace(max_new_tokens=12)


def plain(model, tok, prompts, decoding, monkeypatch, **kw):
    """The same helper with the loop switched off: tokenization and seeding as always, then model.generate."""
    with monkeypatch.context() as m:
        m.setattr(generation, "_loop_supports", lambda model: False)
        return generate_ids(model, tok, prompts, decoding, **kw)


def lively_lm():
    """The tiny model with larger random weights: its std-0.02 init repeats one token for every prompt,
    which would hide a row or position mix-up."""
    model, tok = tiny_causal_lm()
    torch.manual_seed(0)
    with torch.no_grad():
        for weight in model.parameters():
            if weight.dim() == 2:
                weight.normal_(0, 0.3)
    return model, tok


def with_early_eos(model, tok, prompts):
    """Make the third greedy token of prompt 0 an end-of-sequence token too, so rows end mid-batch."""
    third = generate_ids(model, tok, prompts[:1], LONG, batch_size=1)[0][2]
    model.generation_config.eos_token_id = [tok.eos_token_id, third]
    return model


@pytest.mark.parametrize("batch_size", [1, 2, 4, 6])
def test_greedy_ids_equal_generate_for_ragged_prompts_with_rows_ending_mid_batch(batch_size, monkeypatch):
    model, tok = lively_lm()
    model = with_early_eos(model, tok, RAGGED)
    ours = generate_ids(model, tok, RAGGED, LONG, batch_size=batch_size)
    assert ours == plain(model, tok, RAGGED, LONG, monkeypatch, batch_size=batch_size)
    lengths = sorted(map(len, ours))
    assert lengths[0] < LONG.max_new_tokens == lengths[-1]  # some rows ended early, others ran to the cap


def test_repetition_penalty_is_applied_like_generate(monkeypatch):
    model, tok = lively_lm()
    penalised = LONG.replace(repetition_penalty=1.5)
    ours = generate_ids(model, tok, RAGGED, penalised, batch_size=3)
    assert ours == plain(model, tok, RAGGED, penalised, monkeypatch, batch_size=3)
    assert ours != generate_ids(model, tok, RAGGED, LONG, batch_size=3)


def test_peft_wrapped_model_gives_the_same_greedy_ids_as_its_generate(monkeypatch):
    from peft import LoraConfig, get_peft_model

    model, tok = lively_lm()
    base_ids = generate_ids(model, tok, RAGGED, LONG, batch_size=3)
    torch.manual_seed(1)
    lora = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)).eval()
    assert generation._loop_supports(lora)  # the loop serves it, not the fallback
    ours = generate_ids(lora, tok, RAGGED, LONG, batch_size=3)
    assert ours == plain(lora, tok, RAGGED, LONG, monkeypatch, batch_size=3)
    assert ours != base_ids  # the adapter is active
    assert generate_chat(lora, tok, RAGGED, LONG, batch_size=3) == tok.batch_decode(ours, skip_special_tokens=True)


def test_sampling_with_rows_ending_mid_batch_is_reproducible_by_seed():
    model, tok = lively_lm()
    model = with_early_eos(model, tok, RAGGED)
    sampled = LONG.replace(do_sample=True, temperature=0.8, top_p=0.9)
    a = generate_ids(model, tok, RAGGED * 2, sampled, batch_size=6, seed=3)
    assert a == generate_ids(model, tok, RAGGED * 2, sampled, batch_size=6, seed=3)
    assert a != generate_ids(model, tok, RAGGED * 2, sampled, batch_size=6, seed=4)


def test_generation_config_options_the_loop_lacks_send_the_model_to_generate(monkeypatch):
    model, tok = lively_lm()
    model.generation_config.no_repeat_ngram_size = 2
    calls = []
    real = type(model).generate
    monkeypatch.setattr(type(model), "generate", lambda self, **kw: calls.append(1) or real(self, **kw))
    ids = generate_ids(model, tok, RAGGED, LONG, batch_size=3)
    assert len(calls) == 2 and all(len(set(zip(r, r[1:]))) == len(r) - 1 for r in ids)  # no repeated bigram


@pytest.mark.parametrize("top_p,spread", [(0.9, 1.0), (0.95, 0.05), (0.5, 3.0)])
def test_top_p_nucleus_is_the_distribution_of_generates_top_p_warper(top_p, spread):
    from transformers.generation.logits_process import TopPLogitsWarper

    scores = torch.randn(5, 3000, generator=torch.Generator().manual_seed(0)) * spread  # 0.05: the nucleus
    index, weights = top_p_nucleus(scores, top_p)                       # needs far more than 64 tokens
    ours = torch.zeros_like(scores).scatter(1, index, weights)
    reference = TopPLogitsWarper(top_p)(None, scores.clone()).softmax(-1)
    assert torch.equal(ours > 0, reference > 0)
    assert torch.allclose(ours / ours.sum(-1, keepdim=True), reference, atol=1e-6)


OPENING = "can you help me understand why i feel this way ? it sounds like you are going through a lot . "


def test_sampling_prefills_a_shared_opening_once_with_the_same_logits_as_whole_prompts():
    model, tok = lively_lm()
    tok.padding_side = "left"
    enc = tok(render_prompts(tok, [OPENING + p for p in RAGGED], "be kind"), return_tensors="pt", padding=True,
              add_special_tokens=False)
    with torch.inference_mode():
        shared, mask, positions = generation._prefill(model, enc["input_ids"], enc["attention_mask"], {},
                                                      share_prefix=True)
        whole, _, whole_positions = generation._prefill(model, enc["input_ids"], enc["attention_mask"], {},
                                                        share_prefix=False)
    assert shared.logits.shape[1] <= whole.logits.shape[1] - 16  # only the rows' own tokens ran as queries
    assert torch.allclose(shared.logits[:, -1], whole.logits[:, -1], atol=1e-4)
    assert torch.equal(positions[:, -1], whole_positions[:, -1])


def test_sampling_with_a_shared_opening_is_reproducible_and_greedy_stays_identical_to_generate(monkeypatch):
    model, tok = lively_lm()
    prompts = [OPENING + p for p in RAGGED]
    sampled = LONG.replace(do_sample=True, temperature=0.8, top_p=0.9)
    a = generate_ids(model, tok, prompts, sampled, batch_size=6, seed=1, system="be kind")
    assert a == generate_ids(model, tok, prompts, sampled, batch_size=6, seed=1, system="be kind")
    greedy = generate_ids(model, tok, prompts, LONG, batch_size=4, system="be kind")
    assert greedy == plain(model, tok, prompts, LONG, monkeypatch, batch_size=4, system="be kind")

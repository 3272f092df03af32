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

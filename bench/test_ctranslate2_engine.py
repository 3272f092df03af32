"""bench/ctranslate2_engine.py on a tiny random llama (run by hand: `python -m pytest bench/test_ctranslate2_engine.py`;
ctranslate2 is no dependency of the pipeline, so CI does not collect bench/)."""
import pytest
import torch

pytest.importorskip("ctranslate2")

from ctranslate2_engine import convert, ct2_generate_ids, ct2_generator, model_key  # noqa: E402
from affectlab.generation import Decoding, generate_ids  # noqa: E402
from affectlab.tiny_models import tiny_causal_lm  # noqa: E402

RAGGED = ["sad", "i am so happy and grateful for your help today", "thank you so much",
          "i feel sad and lonely since my friend moved away", "what a surprise", "hi"]
GREEDY = Decoding(max_new_tokens=12, do_sample=False, temperature=1.0, top_p=1.0, repetition_penalty=1.0)
OPENING = "can you help me understand why i feel this way ? it sounds like you are going through a lot . "


def lively_lm(rope_theta: float = 100000.0):
    """The tiny model with SmolLM2's rope base (100000, not the converter's fallback 10000) and larger random
    weights, whose replies differ by prompt (std 0.02 repeats one token everywhere and would hide a mix-up)."""
    from transformers import LlamaForCausalLM

    small, tok = tiny_causal_lm()
    config = small.config
    config.rope_parameters = {"rope_type": "default", "rope_theta": rope_theta}
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():
        for weight in model.parameters():
            if weight.dim() == 2:
                weight.normal_(0, 0.3)
    return model, tok


def ct2_ids(model, tok, cache, prompts, decoding, **kw):
    generator = ct2_generator(model, tok, cache, threads=1)
    return ct2_generate_ids(generator, tok, prompts, decoding, [tok.eos_token_id], **kw)


@pytest.mark.parametrize("batch_size", [1, 4, 6])
def test_ct2_greedy_ids_equal_generates_for_ragged_prompts(batch_size, tmp_path):
    model, tok = lively_lm()
    prompts = [OPENING + p for p in RAGGED]  # ~35 positions: a wrong rope base changes these replies
    ours = ct2_ids(model, tok, tmp_path, prompts, GREEDY, batch_size=batch_size, system="be kind")
    assert ours == generate_ids(model, tok, prompts, GREEDY, batch_size=batch_size, system="be kind")
    assert len(set(map(tuple, ours))) == len(prompts)


def test_a_wrong_rope_base_would_change_the_replies(tmp_path):
    """The previous test would catch a converter that ignored rope_parameters (fallback 10000)."""
    prompts = [OPENING + p for p in RAGGED]
    right, tok = lively_lm(100000.0)
    wrong, _ = lively_lm(10000.0)
    assert generate_ids(right, tok, prompts, GREEDY) != generate_ids(wrong, tok, prompts, GREEDY)


def test_conversion_is_cached_by_weights_and_leaves_the_callers_model_intact(tmp_path):
    model, tok = lively_lm()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    first = convert(model, tok, tmp_path)
    stamp = (first / "model.bin").stat().st_mtime_ns
    assert convert(model, tok, tmp_path) == first and (first / "model.bin").stat().st_mtime_ns == stamp
    assert model.state_dict().keys() == before.keys()
    assert all(torch.equal(model.state_dict()[k], v) for k, v in before.items())
    with torch.no_grad():
        model.model.norm.weight.add_(0.01)
    second = convert(model, tok, tmp_path)
    assert second != first and model_key(model, "float32") == second.name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, second.name])


def test_peft_model_is_converted_merged_and_keeps_its_adapter(tmp_path):
    from peft import LoraConfig, get_peft_model

    model, tok = lively_lm()
    base_ids = generate_ids(model, tok, RAGGED, GREEDY, batch_size=3)
    torch.manual_seed(1)
    lora = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)).eval()
    reference = generate_ids(lora, tok, RAGGED, GREEDY, batch_size=3)
    assert reference != base_ids
    assert ct2_ids(lora, tok, tmp_path, RAGGED, GREEDY, batch_size=3) == reference
    assert generate_ids(lora, tok, RAGGED, GREEDY, batch_size=3) == reference  # still the adapter's model


def test_ct2_repetition_penalty_spares_prompt_tokens_unlike_generate(tmp_path):
    """generate penalises prompt tokens too; CTranslate2 only what it decoded step by step: with a penalty
    the replies may differ from generate's (bench/generation.py reports the rate on the real prompts)."""
    model, tok = lively_lm()
    penalised = GREEDY.replace(repetition_penalty=1.5)
    same_length = ["i am happy", "i am sad", "you are kind"]  # equal prompts: no prompt token is decoded stepwise
    ours = ct2_ids(model, tok, tmp_path, same_length, penalised, batch_size=3)
    theirs = generate_ids(model, tok, same_length, penalised, batch_size=3)
    assert ours != theirs
    assert ct2_ids(model, tok, tmp_path, same_length, GREEDY, batch_size=3) == generate_ids(model, tok, same_length,
                                                                                           GREEDY, batch_size=3)


def test_ct2_sampling_is_reproducible_by_seed(tmp_path):
    model, tok = lively_lm()
    sampled = GREEDY.replace(do_sample=True, temperature=0.8, top_p=0.9)
    a = ct2_ids(model, tok, tmp_path, RAGGED * 2, sampled, batch_size=6, seed=3)
    assert a == ct2_ids(model, tok, tmp_path, RAGGED * 2, sampled, batch_size=6, seed=3)
    assert a != ct2_ids(model, tok, tmp_path, RAGGED * 2, sampled, batch_size=6, seed=4)
    assert a[0] != a[len(RAGGED)]  # the same prompt twice in one batch: two different draws

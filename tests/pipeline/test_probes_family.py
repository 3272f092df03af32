"""Family B under real `dvc repro` on smoke params: generate -> capture -> train, then predict."""
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
    assert all(r["model"] == "packaged:smollm2" and r["text"] for r in rows)
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
    assert family_b.read_json("metrics/activations.json")["rows.test"] == 16


def test_probes_metrics_plot_and_predict(family_b):
    m = family_b.read_json("metrics/probes.json")
    assert m["layers"] == 31 and 0 <= m["best.layer"] <= 30
    # the probe reads sentiment; the same probe on shuffled labels does not. On 16 test rows one layer's
    # AUC moves in steps of 1/64, so the claim is made on the mean over layers as well as the best one.
    with open(family_b.path("plots/probes_by_layer.csv")) as f:
        table = list(csv.DictReader(f))
    mean_auc = sum(float(r["probe"]) for r in table) / len(table)
    print(f"best {m['best.test.auc_roc']} mean {mean_auc:.3f} shuffled {m['shuffled.test.auc_roc_mean']}")
    assert m["best.test.auc_roc"] >= 0.8 and mean_auc >= 0.7 and m["shuffled.test.auc_roc_mean"] < 0.65
    assert {"vader.test.auc_roc", "bow.test.auc_roc", "best.test.f1", "best.test.auc_pr"} <= set(m)
    assert "seconds" not in m and family_b.read_json("logs/train_probes.json")["seconds"] > 0
    assert [int(r["layer"]) for r in table] == list(range(31))
    assert family_b.path("plots/probes_by_layer.png").read_bytes()[:4] == b"\x89PNG"
    out = family_b.run("python", "-m", "affectlab.probes", "predict", "I love this sunny day!", "This is awful.",
                       "--ensemble", "3").stdout.splitlines()
    assert [line.split("\t")[0] for line in out] == ["positive", "negative"]
    bad = family_b.run("python", "-m", "affectlab.probes", "predict", " ", check=False)
    assert bad.returncode == 2 and "empty text" in bad.stderr


def test_changing_a_train_param_reruns_only_train_probes_then_nothing(family_b):
    family_b.assert_reruns_exactly({"probes.train.lr": 0.001}, ["train_probes"], targets=["train_probes"])
    family_b.assert_up_to_date("train_probes")

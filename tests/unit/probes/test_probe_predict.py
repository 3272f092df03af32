import numpy as np
import pytest

from affectlab.errors import InputError
from affectlab.probes.__main__ import main as cli
from affectlab.probes.capture import write_activations
from affectlab.probes.dataset import read_activations, stratified_split
from affectlab.probes.predict import Predictor
from affectlab.probes.settings import ProbeCaptureSettings, ProbeSplit, ProbeTrainSettings
from affectlab.probes.study import run_study, save_probes
from affectlab.tiny_models import tiny_causal_lm
from probe_fixtures import sentence_rows
from repo_params import settings


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny model saved like models/base, and probes trained on its activations."""
    root = tmp_path_factory.mktemp("predict")
    model, tok = tiny_causal_lm(layers=2, hidden=32)
    model.save_pretrained(root / "base")
    tok.save_pretrained(root / "base")
    rows = sentence_rows(12)
    split = stratified_split([r["label"] for r in rows], ProbeSplit(train=0.5, validation=0.25, test=0.25), seed=0)
    write_activations(model, tok, rows, split, settings(ProbeCaptureSettings, batch_size=8, dtype="float32"), root / "acts", "tiny")
    acts = read_activations(root / "acts", model="tiny", pooling="mean")
    study = run_study(acts, {r["id"]: r["text"] for r in rows}, settings(ProbeTrainSettings, lr=0.05, epochs=20, patience=5, ensemble_layers=(1, 2)))
    save_probes(study, acts.attrs, root / "probes")
    return root, Predictor.load(root / "probes", root / "base")


def test_predict_uses_the_best_layer_and_the_ensemble_averages_the_k_best(trained):
    _, predictor = trained
    texts = ["i am so happy and grateful now", "i feel sad and lonely today"]
    best = predictor.predict(texts)
    assert best[0].layers == (predictor.meta["best_layer"],)
    assert [p.label for p in best] == ["positive" if p.probability >= p.threshold else "negative" for p in best]
    ranking = predictor.meta["ranking"]
    ens = predictor.predict(texts, ensemble=2)
    per_layer = []
    for layer in ranking[:2]:
        predictor.meta["best_layer"] = layer
        per_layer.append([p.probability for p in predictor.predict(texts)])
    predictor.meta["best_layer"] = ranking[0]
    assert ens[0].layers == tuple(ranking[:2]) and [p.probability for p in best] == per_layer[0]
    np.testing.assert_allclose([p.probability for p in ens], np.mean(per_layer, axis=0), atol=1e-6)


def test_predict_refuses_empty_text_and_a_bad_ensemble_size(trained):
    _, predictor = trained
    with pytest.raises(InputError, match="text 2: empty text"):
        predictor.predict(["i am happy", "   "])
    with pytest.raises(InputError, match="--ensemble: must be between 1 and 3"):
        predictor.predict(["i am happy"], ensemble=4)


def test_cli_prints_label_and_probability_per_text_from_arguments_and_a_file(trained, tmp_path, capsys):
    root, _ = trained
    texts = tmp_path / "texts.txt"
    texts.write_text("i feel sad and lonely today\nthis is wonderful news\n")
    args = ["predict", "i am so happy", "--file", str(texts), "--probes", str(root / "probes"), "--model", str(root / "base")]
    assert cli(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [l.split("\t")[2] for l in lines] == ["i am so happy", "i feel sad and lonely today", "this is wonderful news"]
    assert all(l.split("\t")[0] in ("positive", "negative") and 0 <= float(l.split("\t")[1]) <= 1 for l in lines)
    assert cli(args + ["--ensemble", "3"]) == 0


def test_cli_reports_an_empty_line_of_the_file_and_exits_2(trained, tmp_path, capsys):
    root, _ = trained
    texts = tmp_path / "texts.txt"
    texts.write_text("i feel sad\n\nthis is wonderful\n")
    assert cli(["predict", "--file", str(texts), "--probes", str(root / "probes"), "--model", str(root / "base")]) == 2
    assert f"{texts}:2: empty text" in capsys.readouterr().err
    assert cli(["predict", "", "--probes", str(root / "probes"), "--model", str(root / "base")]) == 2
    assert "argument 1: empty text" in capsys.readouterr().err


def test_predict_labels_at_the_calibrated_threshold_and_named_layers_vote(trained):
    _, predictor = trained
    texts = ["i am so happy and grateful now", "i feel sad and lonely today", "that food was disgusting now"]
    best = predictor.predict(texts)
    layer = predictor.meta["best_layer"]
    threshold = float(predictor.t["threshold"][layer])
    assert best[0].threshold == pytest.approx(threshold)
    assert [p.label for p in best] == ["positive" if p.probability >= threshold else "negative" for p in best]
    named = predictor.predict(texts, layers=[2, 0, 1])
    assert named[0].layers == (2, 0, 1)
    singles = [predictor.predict(texts, layers=[l]) for l in (2, 0, 1)]
    np.testing.assert_allclose([p.probability for p in named], np.mean([[p.probability for p in s] for s in singles], axis=0),
                               atol=1e-6)
    votes = predictor.predict(texts, layers=[2, 0, 1], vote=True)
    for i, v in enumerate(votes):   # the majority of the three single-layer calibrated labels
        labels = [s[i].label for s in singles]
        assert v.label == max(set(labels), key=labels.count)


def test_predict_refuses_bad_layer_lists(trained, capsys):
    root, predictor = trained
    with pytest.raises(InputError, match="--layers: give distinct layers between 0 and 2, got 1,3"):
        predictor.predict(["i am happy"], layers=[1, 3])
    with pytest.raises(InputError, match="--layers or --ensemble, not both"):
        predictor.predict(["i am happy"], layers=[1], ensemble=2)
    args = ["predict", "i am happy", "--probes", str(root / "probes"), "--model", str(root / "base")]
    assert cli(args + ["--layers", "1,x"]) == 2
    assert "--layers: give comma-separated layer numbers" in capsys.readouterr().err
    assert cli(args + ["--layers", "2,1", "--vote"]) == 0
    assert "# layers 2,1 (vote of calibrated decisions)" in capsys.readouterr().err

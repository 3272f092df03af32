import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from safetensors.numpy import load_file

from affectlab.errors import InputError
from affectlab.probes.report import write_auc_csv
from affectlab.probes.settings import ProbeTrainSettings
from affectlab.probes.study import control_task_labels, run_study, save_probes, summary_metrics, uncorrelated_permutation
from affectlab.probes.training import auc_by_probe, fit_probes, probe_logits, standardizer
from probe_fixtures import separable_activations
from repo_params import settings

S = settings(ProbeTrainSettings, lr=0.05, epochs=30, patience=5, batch_size=16, ensemble_layers=(1, 2))
NEWTON = S.replace(linear_solver="newton_cg")
WORDS = {1: "what a wonderful happy day", 0: "what an awful sad day"}


def _texts(acts):
    return {i: WORDS[int(y)] + f" {k}" for k, (i, y) in enumerate(zip(acts.ids, acts.y))}


def test_probes_read_separable_layers_and_the_shuffled_control_does_not():
    acts = separable_activations(n=220, layers=3)
    study = run_study(acts, _texts(acts), S)
    aucs = [l["probe_auc_roc"] for l in study.layers]
    assert aucs[1] > 0.97 and aucs[2] > 0.99  # the label is linearly readable from layer 1 on
    assert abs(aucs[0] - 0.5) < 0.2           # layer 0 is noise
    assert all(abs(l["shuffled_auc_roc"] - 0.5) < 0.2 for l in study.layers)
    assert study.best_layer in (1, 2) and study.ranking[-1] == 0
    assert study.baselines["bow"]["auc_roc"] == pytest.approx(1.0) and study.baselines["vader"]["auc_roc"] > 0.9
    m = summary_metrics(study)
    assert m["best.layer"] == study.best_layer and m["best.test.auc_roc"] == aucs[study.best_layer]
    assert m["shuffled.test.auc_roc_max"] < 0.75 and m["layers"] == 3


@pytest.mark.parametrize("n_pos,n_neg", [(8, 8), (75, 75), (5, 11)])
def test_the_control_labels_keep_the_class_counts_and_agree_with_the_real_ones_only_by_chance(n_pos, n_neg):
    y = np.array([1] * n_pos + [0] * n_neg)
    for seed in range(20):
        z = uncorrelated_permutation(y, np.random.default_rng(seed))
        assert z.sum() == n_pos and set(z.tolist()) <= {0, 1}
        # as many positives keep their label as independence predicts (8 of 16 -> 4), never 12 of 16
        assert (z[y == 1] == 1).sum() == round(n_pos * n_pos / len(y))


def _standardised(acts):
    tr = acts.rows("train")
    mean, std = standardizer(acts.x[:, tr])
    return (acts.x - mean[:, None]) / std[:, None]


def test_training_all_layers_together_equals_training_each_layer_alone():
    acts = separable_activations(n=110, layers=3)
    tr, va = acts.rows("train"), acts.rows("validation")
    x, y = _standardised(acts), acts.y[None]
    together = fit_probes(x[:, tr], y[:, tr], x[:, va], y[:, va], S.replace(patience=100))
    for layer in range(3):
        alone = fit_probes(x[layer:layer + 1, tr], y[:, tr], x[layer:layer + 1, va], y[:, va],
                           S.replace(patience=100))
        np.testing.assert_allclose(together.weight[0, layer], alone.weight[0, 0], atol=1e-5)
        assert together.best_epoch[0, layer] == alone.best_epoch[0, 0]


def test_early_stopping_ends_training_when_no_probe_improves():
    acts = separable_activations(n=110, layers=2)
    tr, va = acts.rows("train"), acts.rows("validation")
    y = acts.y[None]
    fitted = fit_probes(acts.x[:, tr], y[:, tr], acts.x[:, va], y[:, va], S.replace(epochs=500, patience=2))
    assert fitted.epochs_run < 500
    assert (fitted.epochs_run - fitted.best_epoch.max()) <= 2


@pytest.mark.parametrize("c", [1.0, 0.05])
def test_newton_cg_probes_are_scikit_learns_logistic_regression_for_every_layer_and_variant(c):
    from sklearn.linear_model import LogisticRegression

    acts = separable_activations(n=220, layers=3)
    tr, va = acts.rows("train"), acts.rows("validation")
    x = _standardised(acts)
    y = np.stack([acts.y, uncorrelated_permutation(acts.y, np.random.default_rng(0))])  # real + a control
    fitted = fit_probes(x[:, tr], y[:, tr], x[:, va], y[:, va], NEWTON.replace(linear_c=c, linear_tol=1e-6))
    for v in range(2):
        for layer in range(3):
            ref = LogisticRegression(C=c, tol=1e-10, max_iter=10_000).fit(x[layer, tr], y[v, tr])
            w, want = fitted.weight[v, layer], ref.coef_[0]
            # the solver reads the activations in bfloat16 (3 significant digits): the same minimiser to
            # 0.1-0.35% here; twice the C is 2-23% away
            assert np.linalg.norm(w - want) <= 0.01 * np.linalg.norm(want), (v, layer)
            assert fitted.bias[v, layer] == pytest.approx(ref.intercept_[0], abs=float(0.01 * np.linalg.norm(want)))


def test_a_newton_cg_probe_solved_with_the_other_layers_is_the_probe_solved_alone():
    acts = separable_activations(n=110, layers=3)
    tr, va = acts.rows("train"), acts.rows("validation")
    x, y = _standardised(acts), acts.y[None]
    s = NEWTON.replace(linear_tol=1e-8)  # both runs to convergence: the stopping rule waits for the slowest probe
    together = fit_probes(x[:, tr], y[:, tr], x[:, va], y[:, va], s)
    for layer in range(3):
        alone = fit_probes(x[layer:layer + 1, tr], y[:, tr], x[layer:layer + 1, va], y[:, va], s)
        np.testing.assert_allclose(together.weight[0, layer], alone.weight[0, 0], atol=1e-3)  # bf16 rounding


def test_auc_by_probe_matches_scikit_learn():
    import torch
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    scores = rng.normal(size=(2, 3, 40)).round(1)  # rounding makes ties
    labels = np.stack([rng.integers(0, 2, 40), rng.integers(0, 2, 40)])
    got = auc_by_probe(torch.from_numpy(scores), torch.from_numpy(labels)).numpy()
    want = [[roc_auc_score(labels[c], scores[c, l]) for l in range(3)] for c in range(2)]
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_probes_are_saved_as_safetensors_with_metadata_and_plot_rows(tmp_path):
    acts = separable_activations(n=110, layers=3)
    study = run_study(acts, _texts(acts), S)
    save_probes(study, acts.attrs, tmp_path)
    tensors = load_file(str(tmp_path / "probes.safetensors"))
    assert {k: v.shape for k, v in tensors.items()} == {"weight": (3, 16), "bias": (3,), "mean": (3, 16), "std": (3, 16),
                                                        "threshold": (3,)}
    meta = json.loads((tmp_path / "probes.json").read_text())
    assert meta["best_layer"] == study.best_layer and sorted(meta["ranking"]) == [0, 1, 2]
    assert meta["ensemble_layers"] == list(S.ensemble_layers)
    assert meta["labels"] == {"0": "negative", "1": "positive"} and meta["pooling"] == "mean"
    assert [l["layer"] for l in meta["per_layer"]] == [0, 1, 2]
    assert {"probe_auc_roc", "probe_auc_pr", "probe_f1", "probe_accuracy", "shuffled_auc_roc"} <= set(meta["per_layer"][2])
    assert meta["per_layer"][2]["probe_auc_roc"] == round(study.layers[2]["probe_auc_roc"], 4)
    write_auc_csv(study, tmp_path / "auc.csv")
    lines = (tmp_path / "auc.csv").read_text().splitlines()
    assert lines[0] == "layer,probe,shuffled_control,vader_baseline,bow_baseline,mlp_probe" and len(lines) == 4
    assert float(lines[3].split(",")[1]) == round(study.layers[2]["probe_auc_roc"], 4)


def test_the_mlp_probe_reads_a_label_no_linear_probe_can():
    # XOR of two directions: linearly unreadable by construction, one hidden layer reads it
    rng = np.random.default_rng(0)
    n = 400
    a, b = rng.integers(0, 2, n), rng.integers(0, 2, n)
    x = rng.normal(scale=0.3, size=(1, n, 8)).astype(np.float32)
    x[0, :, 0] += 2 * a - 1
    x[0, :, 1] += 2 * b - 1
    y = (a ^ b)[None]
    tr, va, te = np.arange(0, 280), np.arange(280, 340), np.arange(340, 400)
    s = S.replace(lr=0.01, epochs=150, patience=30, mlp_width=16, mlp_dropout=0.0)
    aucs = {}
    for kind in ("linear", "mlp"):
        fitted = fit_probes(x[:, tr], y[:, tr], x[:, va], y[:, va], s, kind)
        logits = probe_logits(x[:, te], fitted.variant(0), kind)[0]
        aucs[kind] = roc_auc_score(y[0, te], logits)
    assert aucs["mlp"] > 0.95 and abs(aucs["linear"] - 0.5) < 0.2


def test_the_control_task_is_a_function_of_the_words_balanced_and_independent_of_sentiment():
    texts = [f"i {w} the {t} today" for w in ("love", "hate") for t in ("garden", "exam", "city", "rain", "music", "trip")]
    y = np.array([1] * 6 + [0] * 6)
    z = control_task_labels(texts, y, seed=13)
    assert z[y == 1].sum() == 3 and z[y == 0].sum() == 3       # half of each sentiment class carries each label
    again = control_task_labels(texts[::-1], y[::-1], seed=13)[::-1]
    np.testing.assert_array_equal(z, again)                    # the same sentences get the same labels in any order


def test_every_probe_type_reports_task_control_task_and_selectivity_per_layer():
    acts = separable_activations(n=220, layers=3)
    texts = {i: f"{['dull', 'grey', 'blue', 'warm', 'soft', 'cold', 'tall', 'old'][k % 8]} "
                f"{['day', 'walk', 'tree', 'song', 'room'][k % 5]} {['now', 'then', 'again'][k % 3]}"
             for k, i in enumerate(acts.ids)}   # words unrelated to the label: bag-of-words is at chance
    study = run_study(acts, texts, S.replace(compare_types=("mlp",)))
    assert list(study.by_type) == ["linear", "mlp"]
    for t in study.by_type.values():
        for l in t.layers:
            assert l["selectivity"] == pytest.approx(l["probe_accuracy"] - l["control_accuracy"])
        assert t.layers[2]["probe_accuracy"] > 0.9 and t.layers[2]["selectivity"] > 0.25
    m = summary_metrics(study)
    assert m["types.mlp.selectivity.best"] == study.by_type["mlp"].layers[study.by_type["mlp"].best_layer]["selectivity"]
    assert {"ensemble.mean.test.auc_roc", "ensemble.vote.test.accuracy", "best.test.accuracy_calibrated"} <= set(m)
    assert m["ensemble.mean.test.auc_roc"] > 0.95


def test_named_ensemble_layers_beyond_the_model_are_refused_by_name():
    acts = separable_activations(n=110, layers=3)
    with pytest.raises(InputError, match=r"ensemble_layers: \[1, 3\] names a layer beyond this model's 3 \(0..2\)"):
        run_study(acts, _texts(acts), S.replace(ensemble_layers=(1, 3)))


def test_a_newton_cg_study_reads_the_separable_layers_and_saves_probes_predict_can_load(tmp_path):
    acts = separable_activations(n=220, layers=3)
    study = run_study(acts, _texts(acts), NEWTON)
    aucs = [l["probe_auc_roc"] for l in study.layers]
    assert aucs[2] > 0.99 and abs(aucs[0] - 0.5) < 0.2
    assert all(abs(l["shuffled_auc_roc"] - 0.5) < 0.2 for l in study.layers)
    assert summary_metrics(study)["epochs_run"] < NEWTON.linear_max_iter  # converged, in Newton iterations
    save_probes(study, acts.attrs, tmp_path)
    tensors = load_file(str(tmp_path / "probes.safetensors"))
    np.testing.assert_array_equal(tensors["weight"], study.main.params["weight"])
    assert tensors["weight"].shape == (3, 16) and tensors["weight"].flags["C_CONTIGUOUS"]

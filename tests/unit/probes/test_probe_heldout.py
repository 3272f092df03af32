"""Held-out evaluation of trained probes, the topic-held-out split and the plots that carry both."""
import collections

import numpy as np
import pytest

from affectlab.errors import InputError
from affectlab.probes.dataset import Activations, topic_split
from affectlab.probes.heldout import evaluate_heldout, heldout_metrics, pair_accuracy
from affectlab.probes.report import read_auc_csv, relative_depth, write_auc_csv, write_comparison_png
from affectlab.probes.settings import ProbeSplit, ProbeTrainSettings
from affectlab.probes.study import at_relative_depth, run_study
from probe_fixtures import separable_activations
from repo_params import settings

S = settings(ProbeTrainSettings, lr=0.05, epochs=30, patience=5, batch_size=16, ensemble_layers=(1, 2))
WORDS = {1: "what a wonderful happy day", 0: "what an awful sad day"}


@pytest.fixture(scope="module")
def trained():
    acts = separable_activations(n=220, layers=3)
    texts = {i: WORDS[int(y)] + f" {k}" for k, (i, y) in enumerate(zip(acts.ids, acts.y))}
    return acts, run_study(acts, texts, S)


def _heldout(acts):
    """Two sets over the same activations: `plain` keeps the labels; in `flipped` the label contradicts
    both the activation direction and the words (as if negation flipped it)."""
    n = len(acts.y)
    name = np.where(np.arange(n) < n // 2, "plain", "flipped")
    y = np.where(name == "plain", acts.y, 1 - acts.y)
    ids = np.array([f"{s}-{i:03d}" for i, s in enumerate(name)])
    sets = collections.defaultdict(list)
    for i in range(n):
        sets[str(name[i])].append({"id": ids[i], "text": WORDS[int(acts.y[i])] + f" {i}",
                              "label": "positive" if y[i] else "negative", "note": "synthetic", "pair": f"p{i // 2}"})
    return Activations(acts.x, y, ids, name, acts.attrs), dict(sets)


def test_every_layer_and_both_baselines_are_scored_on_each_set(trained):
    acts, study = trained
    held, sets = _heldout(acts)
    res = evaluate_heldout(study, held, sets)
    plain, flipped = res["plain"], res["flipped"]
    assert len(plain["auc_by_layer"]) == 3 and plain["rows"] == 110
    assert plain["val_layer_auc_roc"] == plain["auc_by_layer"][study.best_layer] > 0.97
    assert abs(plain["layer0_auc_roc"] - 0.5) < 0.2 and plain["pair_accuracy"] > 0.95
    assert plain["vader_auc_roc"] == pytest.approx(1.0) and plain["bow_auc_roc"] == pytest.approx(1.0)
    # labels against the direction: the informative layers score far below chance, and so do the words
    assert flipped["val_layer_auc_roc"] < 0.05 and flipped["vader_auc_roc"] == pytest.approx(0.0)
    assert flipped["probe_minus_vader"] == pytest.approx(flipped["val_layer_auc_roc"] - flipped["vader_auc_roc"])
    # the best layer chosen on the set itself is the noise layer: why it is reported apart, as optimistic
    assert flipped["best_layer"] == 0 and flipped["best_auc_roc"] == max(flipped["auc_by_layer"])
    assert flipped["best_relative_depth"] == 0.0 and plain["best_relative_depth"] == plain["best_layer"] / 2  # 2 blocks
    # each set's layer chosen on the other set: the noise layer for `plain`, an informative one for `flipped`
    assert plain["other_sets_layer"] == 0 and plain["other_sets_layer_auc_roc"] == plain["layer0_auc_roc"]
    assert flipped["other_sets_layer"] in (1, 2) and flipped["other_sets_layer_auc_roc"] < 0.05
    m = heldout_metrics(res)
    assert m["heldout.plain.best_layer"] == plain["best_layer"] and "heldout.plain.auc_by_layer" not in m
    assert {"heldout.flipped.layer0_auc_roc", "heldout.flipped.bow_pair_accuracy"} <= set(m)
    assert "heldout.plain.mlp_auc_by_layer" not in m
    # every probe type is scored; the mlp reads the separable layers too
    mlp = study.by_type["mlp"]
    assert plain["mlp_auc_roc"] == plain["mlp_auc_by_layer"][mlp.best_layer] > 0.9
    # accuracy at 0.5 and at the calibrated threshold of the validation-chosen layer, and the ensembles
    assert plain["accuracy"] > 0.9 and plain["accuracy_calibrated"] > 0.9 and flipped["accuracy"] < 0.1
    assert plain["ensemble_mean_auc_roc"] > 0.97 and plain["ensemble_layers_vote_accuracy"] > 0.9


def test_held_out_rows_that_differ_from_the_set_file_are_refused(trained):
    acts, study = trained
    held, sets = _heldout(acts)
    sets["plain"] = sets["plain"][1:]
    with pytest.raises(InputError, match="set 'plain' differ from its sentence file"):
        evaluate_heldout(study, held, sets)


def test_pair_accuracy_counts_ties_as_one_half():
    assert pair_accuracy(["a", "a", "b", "b"], np.array([1, 0, 1, 0]), np.array([0.9, 0.1, 0.2, 0.2])) == 0.75


def test_the_plot_table_gets_one_column_per_set_and_the_comparison_renders(trained, tmp_path):
    acts, study = trained
    res = evaluate_heldout(study, *_heldout(acts))
    write_auc_csv(study, tmp_path / "auc.csv", res)
    rows = read_auc_csv(tmp_path / "auc.csv")
    assert list(rows[0]) == ["layer", "probe", "shuffled_control", "vader_baseline", "bow_baseline", "mlp_probe",
                             "heldout_plain", "heldout_flipped", "mlp_heldout_plain", "mlp_heldout_flipped"]
    assert [r["heldout_plain"] for r in rows] == [round(a, 4) for a in res["plain"]["auc_by_layer"]]
    write_comparison_png({"base": rows, "sft": rows}, tmp_path / "cmp.png", "base vs sft")
    write_comparison_png({"deep": rows, "shallow": rows[::2]}, tmp_path / "depth.png", "depth", relative=True)
    assert (tmp_path / "cmp.png").read_bytes()[:4] == (tmp_path / "depth.png").read_bytes()[:4] == b"\x89PNG"


def test_relative_depth_puts_models_of_different_depths_on_one_axis():
    assert relative_depth([{"layer": l} for l in range(31)])[15] == 0.5          # SmolLM2: 30 blocks
    assert relative_depth([{"layer": l} for l in range(19)])[9] == 0.5           # Gemma 3 270M: 18 blocks
    assert relative_depth([{"layer": l} for l in range(19)])[::18] == [0.0, 1.0]


def test_ensemble_layers_map_to_the_same_relative_depths():
    assert at_relative_depth((15, 17, 22), num_layers=19, of=31) == (9, 10, 13)    # SmolLM2 -> Gemma 3 270M
    assert at_relative_depth((15, 17, 22), num_layers=35, of=31) == (17, 19, 25)   # -> Gemma 3 4B (34 blocks)
    assert at_relative_depth((15, 17, 22), num_layers=31, of=31) == (15, 17, 22)
    assert at_relative_depth((1, 2), num_layers=3, of=31) == (0,)                  # duplicates dropped


def _topic_rows(n_topics=12, per_topic=5, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.choice(["positive", "negative"], size=n_topics * per_topic).tolist()
    topics = [f"topic {i // per_topic}" for i in range(n_topics * per_topic)]
    return labels, topics


def test_topic_split_keeps_every_topic_in_one_split_and_both_classes_in_each():
    labels, topics = _topic_rows()
    split = topic_split(labels, topics, ProbeSplit(train=0.7, validation=0.15, test=0.15), seed=3)
    by_split = {s: {t for t, x in zip(topics, split) if x == s} for s in ("train", "validation", "test")}
    assert not (by_split["train"] & by_split["validation"] or by_split["train"] & by_split["test"]
                or by_split["validation"] & by_split["test"])
    for s in by_split:
        assert {l for l, x in zip(labels, split) if x == s} == {"positive", "negative"}
    assert abs((split == "train").sum() - 42) <= 5  # whole topics of 5 rows: within one topic of 70%
    assert (split == topic_split(labels, topics, ProbeSplit(train=0.7, validation=0.15, test=0.15), seed=3)).all()


def test_too_few_topics_or_a_missing_topic_is_named():
    labels, topics = _topic_rows(n_topics=2)
    with pytest.raises(InputError, match=r"gen.jsonl: 10 rows in 2 topics cannot be split by topic"):
        topic_split(labels, topics, ProbeSplit(train=0.7, validation=0.15, test=0.15), seed=0, source="gen.jsonl")
    with pytest.raises(InputError, match=r"gen.jsonl: row 2: 'topic' must be a non-empty string"):
        topic_split(["positive", "negative"], ["a", None], ProbeSplit(train=0.7, validation=0.15, test=0.15),
                    seed=0, source="gen.jsonl")

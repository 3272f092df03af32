from pathlib import Path

from affectlab.review.bands import Band
from affectlab.review.metric_diff import MetricRow, metric_rows


def test_metric_rows_diff_every_key_and_attach_the_base_band():
    old = {"metrics/eval.json": {"emotion.sft.joy": 0.2, "eqbench.sft.score": 40.0, "gone": 1}}
    new = {"metrics/eval.json": {"emotion.sft.joy": 0.35, "eqbench.sft.score": 42.5, "added": 2}}
    bands = {"metrics/eval.json": {"emotion.sft.joy": Band("plots/eval/emotion_profile.csv", 0.2, 0.15, 0.25)}}
    rows = {r.key: r for r in metric_rows(old, new, bands, {})}
    joy, score = rows["emotion.sft.joy"], rows["eqbench.sft.score"]
    assert abs(joy.delta - 0.15) < 1e-12 and joy.outside_band is True and joy.verdict == ""
    assert score.delta == 2.5 and score.verdict == "better" and score.outside_band is None
    assert (rows["gone"].old, rows["gone"].new, rows["added"].old, rows["added"].new) == (1, None, None, 2)
    assert all(r.changed for r in rows.values())


def test_values_with_a_ci_that_are_no_metric_become_plot_data_rows():
    band = lambda mean: Band("plots/sft_audit/source_means.csv", mean, 0.1, 0.3)  # noqa: E731
    rows = metric_rows({"metrics/sft_emotions.json": {"rows": 120}}, {"metrics/sft_emotions.json": {"rows": 120}},
                       {"metrics/sft_emotions.json": {"source_means.s.think.joy": band(0.2)}},
                       {"metrics/sft_emotions.json": {"source_means.s.think.joy": band(0.25)}})
    assert [(r.key, r.from_plot_data, r.changed) for r in rows] == [
        ("rows", False, False), ("source_means.s.think.joy", True, True)]
    assert rows[1].outside_band is False


def test_non_numeric_values_change_without_a_delta():
    row = MetricRow("metrics/model.json", "source", "packaged:smollm2", "org/model")
    assert row.changed and row.delta is None and row.verdict == ""


def test_a_move_inside_the_cross_machine_tolerance_is_noise_without_a_verdict():
    # the pair measured between two CPUs (issue 17): 4th-decimal moves of a loss and of a held-out AUC
    old = {"metrics/sft_train.json": {"loss.train.emotion": 2.5372, "loss.validation.lm": 3.1},
           "metrics/probes.json": {"heldout.negation.best_auc_roc": 0.9592, "best.layer": 16, "best.test.auc_roc": 0.9}}
    new = {"metrics/sft_train.json": {"loss.train.emotion": 2.5371, "loss.validation.lm": 3.1004},
           "metrics/probes.json": {"heldout.negation.best_auc_roc": 0.959, "best.layer": 17, "best.test.auc_roc": 0.8997}}
    rows = {r.key: r for r in metric_rows(old, new, {}, {})}
    assert rows["loss.train.emotion"].noise and rows["heldout.negation.best_auc_roc"].noise
    assert rows["best.test.auc_roc"].noise and rows["best.test.auc_roc"].verdict == ""
    assert not rows["loss.validation.lm"].noise and rows["loss.validation.lm"].verdict == "worse"  # 4 units
    assert not rows["best.layer"].noise  # an integer that moved is a result


def test_a_total_whose_terms_or_weights_differ_has_no_verdict():
    terms = ["emotion", "lm", "strategy"]
    old = {"metrics/sft_train.json": {"loss.validation.total": 4.497, "loss.validation.lm": 3.0, "loss_terms": terms}}
    ablated = {"metrics/sft_train.json": {"loss.validation.total": 3.665, "loss.validation.lm": 2.9,
                                          "loss_terms": ["emotion", "lm"]}}
    rows = {r.key: r for r in metric_rows(old, ablated, {}, {})}
    assert not rows["loss.validation.total"].comparable and rows["loss.validation.total"].verdict == ""
    assert rows["loss.validation.lm"].verdict == "better"  # a term on both sides still compares
    same_terms = {"metrics/sft_train.json": {**ablated["metrics/sft_train.json"], "loss_terms": terms}}
    assert {r.key: r for r in metric_rows(old, same_terms, {}, {})}["loss.validation.total"].verdict == "better"
    reweighted = {r.key: r for r in metric_rows(old, same_terms, {}, {}, frozenset({"loss.emotion"}))}
    assert reweighted["loss.validation.total"].verdict == ""
    assert {r.key: r for r in metric_rows(old, same_terms, {}, {}, frozenset({"sft.train.lr"}))
            }["loss.validation.total"].verdict == "better"


def test_every_metrics_file_of_dvc_yaml_belongs_to_a_family():
    import yaml

    from affectlab.review.markdown import FAMILY_NAMES
    from affectlab.review.metric_diff import FAMILIES
    from harness import REPO_ROOT

    stages = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())["stages"]
    files = {next(iter(m)) if isinstance(m, dict) else m for s in stages.values() for m in s.get("metrics", [])}
    stems = {Path(f).stem for f in files}
    assert len(stems) >= 18  # every family writes metrics; an empty list would pass the next line vacuously
    assert not stems - set(FAMILIES), f"metrics files with no family in the review: {sorted(stems - set(FAMILIES))}"
    assert set(FAMILIES.values()) <= set(FAMILY_NAMES)

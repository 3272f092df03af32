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

from pathlib import Path

from affectlab.review.compare import ParamChange, Review
from affectlab.review.lockfile import StageChange
from affectlab.review.markdown import render
from affectlab.review.metric_diff import MetricRow
from affectlab.review.plots import PlotChange
from affectlab.review.revisions import Revision

SHA = "0123456789abcdef0123456789abcdef01234567"


def review(tmp_path: Path) -> Review:
    return Review(Revision("main", SHA), Revision("workspace", None),
                  [ParamChange("params.yaml", "loss.strategy", 0.5, 0)],
                  [MetricRow("metrics/sft_train.json", "loss.validation.lm", 2.5, 2.25),
                   MetricRow("metrics/sft_train.json", "steps", 80, 80)],
                  [StageChange("train_sft", "outs changed", ("models/sft",)), StageChange("prepare_model", "unchanged", ())],
                  [PlotChange("plots/eval/emotion_profile.png", "image", "added", None, tmp_path / "review/p.head.png"),
                   PlotChange("probes_auc_by_layer", "vega", "unchanged", None, None)])


def test_markdown_shows_params_old_to_new_moved_metrics_with_verdict_and_hides_unchanged(tmp_path):
    md = render(review(tmp_path), tmp_path)
    assert md.startswith("# Review: `main (0123456)` → `workspace`")
    assert "| `loss.strategy` | 0.5 | 0 |" in md
    assert "| `sft_train: loss.validation.lm` | 2.5 | 2.25 | -0.25 | better ▲ |  |" in md
    assert "`sft_train: steps`" not in md and "1 unchanged metric hidden (`--all` shows them)." in md
    assert "| `train_sft` | outs changed | `models/sft` |" in md and "Outs identical (from dvc.lock): `prepare_model`." in md
    assert "| *(absent)* | ![head](review/p.head.png) |" in md
    assert "Unchanged: `probes_auc_by_layer`." in md


def test_markdown_with_all_shows_unchanged_metrics_and_stages(tmp_path):
    md = render(review(tmp_path), tmp_path, show_all=True)
    assert "| `sft_train: steps` | 80 | 80 | +0 |" in md and "hidden" not in md
    assert "| `prepare_model` | unchanged |  |" in md


def test_noise_is_folded_without_a_verdict_and_families_d_and_e_get_sections(tmp_path):
    r = review(tmp_path)
    rows = [MetricRow("metrics/sft_train.json", "loss.validation.emotion", 2.5372, 2.5371),
            MetricRow("metrics/reasoner_eval.json", "test_untouched.reasoner.macro_f1", 0.51, 0.55),
            MetricRow("metrics/affect_train.json", "mae.ridge.mean", 0.122, 0.13),
            MetricRow("metrics/sft_train.json", "loss.validation.total", 4.497, 3.665, comparable=False)]
    md = render(Review(r.base, r.head, r.params, rows, r.stages, r.plots), tmp_path)
    folded = md[md.index("<details><summary>1 change within the cross-machine tolerance"):]
    assert "| `sft_train: loss.validation.emotion` | 2.537 | 2.537 | -0.0001 |  |  |" in folded.split("</details>")[0]
    assert "| `sft_train: loss.validation.total` | 4.497 | 3.665 | -0.832 | not comparable: its terms or weights differ |" in md
    assert "### D. Emotion reasoning model" in md and "| `reasoner_eval: test_untouched.reasoner.macro_f1` | 0.51 | 0.55 | +0.04 | better ▲ |" in md
    assert "### E. Affect dataset and regressors" in md and "| `affect_train: mae.ridge.mean` | 0.122 | 0.13 | +0.008 | worse ▼ |" in md

"""Family D (clean GoEmotions -> CoT -> LoRA reasoner -> evaluation) through real `dvc repro` on smoke params.

One repo for the module: the four stages run once; the tests read that run and extend it."""
import json

import pandas as pd
import pytest

pytestmark = pytest.mark.pipeline
TARGET = ("evaluate_reasoner",)
STAGES = ["clean_goemotions", "build_cot", "train_reasoner", "evaluate_reasoner"]
SYSTEMS = ("reasoner", "reasoner_likelihood", "reasoner_calibrated", "zero_shot_base", "majority", "minilm_logreg",
           "emotion_scorer")
SETS = ("test_untouched", "test_clean", "natural")
EKMAN = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")


@pytest.fixture(scope="module")
def reasoner_repo(dvc_template, tmp_path_factory):
    from harness import clone_template
    repo = clone_template(dvc_template, tmp_path_factory.mktemp("reasoner") / "repo")
    repo.first_run = repo.repro(*TARGET)
    return repo


def test_repro_runs_the_four_stages_and_counts_every_cleaning_step(reasoner_repo):
    assert reasoner_repo.first_run == STAGES
    m = reasoner_repo.read_json("metrics/reasoner_data.json")
    assert m["rater_rows"] == 5051 and m["official_splits"] is False
    for reason in ("no_agreement", "tied_labels", "neutral_reduced", "too_short", "url_or_spam", "duplicate",
                   "no_emotion", "far_from_centroid", "nearer_other_centroid"):
        assert m[f"drops.{reason}"] > 0, reason
    assert m["raters.very_unclear"] > 0
    assert m["rows.train"] + m["rows.validation"] + m["rows.test"] == m["kept"]
    assert min(m[f"labels.test.{k}"] for k in EKMAN) >= 10
    # the untouched test split: every test item with an agreed label, none of the cleaning's removals
    assert min(m[f"labels.test_untouched.{k}"] for k in EKMAN) >= 30
    assert m["rows.test_untouched"] + m["untouched.no_label"] > 1.5 * m["rows.test"]
    clean = pd.read_parquet(reasoner_repo.path("data/reasoner/clean.parquet"))
    untouched = pd.read_parquet(reasoner_repo.path("data/reasoner/test_untouched.parquet"))
    assert set(clean.loc[clean["split"] == "test", "id"]) < set(untouched["id"])
    assert not set(untouched["id"]) & set(clean.loc[clean["split"] != "test", "id"])
    assert "**duplicate**" in reasoner_repo.path("reports/reasoner_data.md").read_text()


def test_no_test_text_is_in_train_or_in_any_cot_target(reasoner_repo):
    from affectlab.sentiment.filters import normalize
    clean = pd.read_parquet(reasoner_repo.path("data/reasoner/clean.parquet"))
    cot = pd.read_parquet(reasoner_repo.path("data/reasoner/cot.parquet"))
    test = clean[clean["split"] == "test"]
    assert not set(test["id"]) & set(clean.loc[clean["split"] != "test", "id"])
    assert not {normalize(t) for t in test["text"]} & {normalize(t) for t in clean.loc[clean["split"] == "train", "text"]}
    assert set(cot["split"]) == {"train", "validation"} and not set(cot["id"]) & set(test["id"])
    targets = " ".join(cot["target"]).lower()
    assert not [t for t in test["text"] if t.lower() in targets]
    assert all(t.splitlines()[-1] == f"Emotion: {y}" for t, y in zip(cot["target"], cot["label"]))
    untouched = pd.read_parquet(reasoner_repo.path("data/reasoner/test_untouched.parquet"))
    assert not set(cot["id"]) & set(untouched["id"])


def test_evaluation_scores_every_system_on_the_three_sets_with_intervals_and_a_learning_curve(reasoner_repo):
    m = reasoner_repo.read_json("metrics/reasoner_eval.json")
    assert [m[f"rows.{s}"] for s in SETS] == [14, 14, 14]  # 2 per class (smoke)
    for s in SETS:
        for system in SYSTEMS:
            assert 0 <= m[f"{s}.{system}.macro_f1"] <= 1 and 0 <= m[f"{s}.{system}.ekman_accuracy"] <= 1
            assert m[f"{s}.{system}.macro_f1_ci_low"] <= m[f"{s}.{system}.macro_f1"] <= m[f"{s}.{system}.macro_f1_ci_high"]
        assert m[f"{s}.majority.accuracy"] == pytest.approx(2 / 14, abs=1e-4)
        assert m[f"{s}.reasoner_likelihood.parse_failure_rate"] == 0
        assert 0 <= m[f"reasoning.{s}.cites_text"] <= 1
        confusion = pd.read_csv(reasoner_repo.path(f"plots/reasoner/confusion_{s}.csv"))
        assert len(confusion) == 14 and list(confusion.columns) == ["actual", "predicted"]
        assert reasoner_repo.path(f"plots/reasoner/confusion_{s}.png").read_bytes()[:4] == b"\x89PNG"
    assert "seconds" not in m and m["calibration.temperature"] > 0
    calibration = reasoner_repo.read_json("models/reasoner_calibration.json")
    assert calibration["cot_mode"] == "rationale_first" and len(calibration["offsets"]) == 7
    per_class = pd.read_csv(reasoner_repo.path("plots/reasoner/per_class.csv"))
    assert set(per_class["system"]) == set(SYSTEMS) and (per_class.groupby(["set", "system"])["support"].sum() == 14).all()
    report = reasoner_repo.path("reports/reasoner.md").read_text()
    assert "| zero_shot_base |" in report and "### Wrong examples" in report and "untouched by any filter" in report
    preds = [json.loads(line) for line in reasoner_repo.path("data/reasoner/predictions.jsonl").read_text().splitlines()]
    assert len(preds) == 42 and all("reply" in p and "base_reply" in p for p in preds)
    train = reasoner_repo.read_json("metrics/reasoner_train.json")
    assert train["steps"] == 4 and train["heads"] == [] and train["loss_terms"] == ["lm"]
    # the learning curve: the checkpoint at step 2 and the final adapter, on both test sets
    assert sorted(k for k in train if k.startswith("curve.")) == [
        f"curve.{s}.macro_f1.step{k}" for s in ("test_clean", "test_untouched") for k in (2, 4)]
    curve = pd.read_csv(reasoner_repo.path("plots/reasoner/learning_curve.csv"))
    assert set(curve["system"]) == {"reasoner_likelihood", "minilm_logreg", "emotion_scorer"}
    flat = curve[(curve["system"] == "minilm_logreg") & (curve["set"] == "test_untouched")]["macro_f1"]
    assert flat.tolist() == [pytest.approx(m["test_untouched.minilm_logreg.macro_f1"], abs=1e-4)] * 2
    assert not reasoner_repo.path("checkpoints/reasoner").exists()


def test_cli_analyzes_a_text_with_the_trained_reasoner(reasoner_repo):
    proc = reasoner_repo.run("python", "-m", "affectlab.reasoning", "analyze", "I am terrified of the exam.")
    assert "reasoning:" in proc.stdout and "probabilities:" in proc.stdout
    probs = [float(x) for x in proc.stdout.split("probabilities:")[1].split()[1::2]]
    assert len(probs) == 7 and max(probs) < 0.995  # calibrated probabilities, not a one-hot vector
    assert proc.stdout.split("\t")[0] in ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")


def test_second_repro_runs_nothing(reasoner_repo):
    reasoner_repo.assert_up_to_date(*TARGET)


def test_changing_eval_params_reruns_only_the_evaluation(reasoner_repo):
    reasoner_repo.assert_reruns_exactly({"reasoner.eval.logreg_c": 0.5}, ["evaluate_reasoner"], targets=TARGET)


# the two ablations below leave the workspace changed: they run last
def test_cot_mode_none_reruns_build_cot_onward_and_trains_on_the_answer_line_only(reasoner_repo):
    ran = reasoner_repo.exp_run("reasoner.cot.mode=none", targets=TARGET)
    assert ran == STAGES[1:]
    cot = pd.read_parquet(reasoner_repo.path("data/reasoner/cot.parquet"))
    assert (cot["target"] == "Emotion: " + cot["label"]).all() and set(cot["mode"]) == {"none"}
    assert reasoner_repo.read_json("models/reasoner_calibration.json")["cot_mode"] == "none"


def test_teacher_backend_runs_end_to_end_with_the_base_model_as_teacher(reasoner_repo):
    ran = reasoner_repo.exp_run("reasoner.cot.backend=teacher", "reasoner.cot.mode=rationale_first", targets=TARGET)
    assert ran == STAGES[1:]
    cot = reasoner_repo.read_json("metrics/reasoner_cot.json")
    rows = cot["rows.train"] + cot["rows.validation"]
    asked = 8  # reasoner.cot.teacher.max_rows (smoke)
    fallbacks = {k: v for k, v in cot.items() if k.startswith("fallback.")}
    assert fallbacks["fallback.not_asked"] == rows - asked
    assert cot["targets.teacher"] + sum(fallbacks.values()) == rows  # every asked chain kept or counted
    assert cot["targets.teacher"] + cot["targets.template"] == rows
    assert not reasoner_repo.path("checkpoints/reasoner_teacher.jsonl").exists()
    m = reasoner_repo.read_json("metrics/reasoner_eval.json")
    assert 0 <= m["test_untouched.reasoner.macro_f1"] <= 1

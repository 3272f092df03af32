"""Family D (clean GoEmotions -> CoT -> LoRA reasoner -> evaluation) through real `dvc repro` on smoke params.

One repo for the module: the four stages run once; the tests read that run and extend it."""
import json

import pandas as pd
import pytest

pytestmark = pytest.mark.pipeline
TARGET = ("evaluate_reasoner",)
STAGES = ["clean_goemotions", "build_cot", "train_reasoner", "evaluate_reasoner"]
SYSTEMS = ("reasoner", "reasoner_likelihood", "zero_shot_base", "majority", "minilm_logreg", "emotion_scorer")


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
    assert min(m[f"labels.test.{k}"] for k in ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")) >= 15
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


def test_evaluation_scores_every_baseline_on_the_same_rows(reasoner_repo):
    m = reasoner_repo.read_json("metrics/reasoner_eval.json")
    assert m["rows.test"] == 14  # 2 per class (smoke)
    for system in SYSTEMS:
        assert 0 <= m[f"baselines.{system}.macro_f1"] <= 1 and 0 <= m[f"baselines.{system}.ekman_accuracy"] <= 1
    assert m["baselines.majority.accuracy"] == pytest.approx(2 / 14, abs=1e-4)
    assert m["baselines.reasoner_likelihood.parse_failure_rate"] == 0
    assert 0 <= m["reasoning.cites_text"] <= 1 and "seconds" not in m
    confusion = pd.read_csv(reasoner_repo.path("plots/reasoner/confusion.csv"))
    assert len(confusion) == 14 and list(confusion.columns) == ["actual", "predicted"]
    per_class = pd.read_csv(reasoner_repo.path("plots/reasoner/per_class.csv"))
    assert set(per_class["system"]) == set(SYSTEMS) and (per_class.groupby("system")["support"].sum() == 14).all()
    assert reasoner_repo.path("plots/reasoner/confusion.png").read_bytes()[:4] == b"\x89PNG"
    report = reasoner_repo.path("reports/reasoner.md").read_text()
    assert "| zero_shot_base |" in report and "## Wrong examples" in report
    preds = [json.loads(line) for line in reasoner_repo.path("data/reasoner/predictions.jsonl").read_text().splitlines()]
    assert len(preds) == 14 and all("reply" in p and "base_reply" in p for p in preds)
    train = reasoner_repo.read_json("metrics/reasoner_train.json")
    assert train["steps"] == 4 and train["heads"] == [] and train["loss_terms"] == ["lm"]
    assert not reasoner_repo.path("checkpoints/reasoner").exists()


def test_cli_analyzes_a_text_with_the_trained_reasoner(reasoner_repo):
    proc = reasoner_repo.run("python", "-m", "affectlab.reasoning", "analyze", "I am terrified of the exam.")
    assert "reasoning:" in proc.stdout and "probabilities:" in proc.stdout
    assert proc.stdout.split("\t")[0] in ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")


def test_second_repro_runs_nothing(reasoner_repo):
    reasoner_repo.assert_up_to_date(*TARGET)


def test_changing_cot_params_reruns_build_cot_and_downstream_only(reasoner_repo):
    reasoner_repo.assert_reruns_exactly({"reasoner.cot.cue_words": 1}, STAGES[1:], targets=TARGET)


def test_changing_eval_params_reruns_only_the_evaluation(reasoner_repo):
    reasoner_repo.assert_reruns_exactly({"reasoner.eval.logreg_c": 0.5}, ["evaluate_reasoner"], targets=TARGET)

import pandas as pd
import pytest

pytestmark = pytest.mark.pipeline

STAGES = ["sample_sft", "score_emotions", "report_emotions"]


def test_sft_audit_runs_under_dvc_and_scoring_params_rerun_only_scoring_and_report(dvc_repo):
    assert sorted(dvc_repo.repro(*STAGES)) == sorted(STAGES)

    m = dvc_repo.read_json("metrics/sft_sample.json")
    assert m["n_rows"] == 120 and m["dataset_rows"] == 12000 and m["short_sources"] == 0
    sources = sorted(k.split(".")[1] for k in m if k.endswith(".drawn"))
    assert len(sources) == 6 and all(m[f"sources.{s}.drawn"] == m[f"sources.{s}.target"] >= 5 for s in sources)
    assert m["row_groups_read"] <= m["dataset_row_groups"] == 24

    emotions = pd.read_parquet(dvc_repo.path("data/sft_audit/emotions.parquet"))
    assert len(emotions) == 120 and set(emotions["source"]) == set(sources)
    scored = emotions.loc[~emotions["response_empty"], [c for c in emotions if c.startswith("response_")
                                                         and not c.endswith(("empty", "truncated"))]]
    assert scored.sum(axis=1).round(6).eq(1).all()
    assert emotions.loc[emotions["think_empty"], "think_joy"].isna().all()

    report = dvc_repo.path("reports/sft_emotions.md").read_text()
    assert "| Emotion | Think | Response | Diff (R-T) |" in report
    assert all(s in report for s in sources)
    metrics = dvc_repo.read_json("metrics/sft_emotions.json")
    assert metrics["rows"] == 120 and abs(sum(metrics[f"mean.response.{e}"] for e in
               ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]) - 1) < 1e-3
    for name in ["think_vs_response.png", "source_heatmap.png", "dominant_pies.png",
                 "think_vs_response.csv", "source_means.csv", "dominant.csv"]:
        assert dvc_repo.path(f"plots/sft_audit/{name}").stat().st_size > 100

    dvc_repo.assert_up_to_date(*STAGES)  # targets: other families' stages are not this test's business
    before = metrics["mean.response.neutral"]
    dvc_repo.assert_reruns_exactly({"emotion.neutral_threshold": 0.2}, ["score_emotions", "report_emotions"],
                                   targets=STAGES)
    assert dvc_repo.read_json("metrics/sft_emotions.json")["mean.response.neutral"] < before


def test_bad_sample_source_stops_the_stage_with_one_line_naming_the_folder(dvc_repo, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    dvc_repo.set_params({"sft_audit.sample.source": str(empty)})
    proc = dvc_repo.run("python", "stages/sample_sft.py", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"error: {empty}: no parquet files found" in proc.stderr

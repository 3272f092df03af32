"""Family E (affect dataset) through real `dvc repro` on smoke params: harvest, build with the coverage
report, both regressors against the baselines (test split and the natural held-out set), the GGUF export
with its round trip, the predict CLI from models/affect and from the GGUF + sidecar alone. One repo for the module: the stages run
once and the tests read that run."""
import json

import pytest

pytestmark = pytest.mark.pipeline
TARGETS = ("harvest_affect", "train_affect", "export_affect_gguf")


@pytest.fixture(scope="module")
def affect_repo(dvc_template, tmp_path_factory):
    from harness import clone_template
    repo = clone_template(dvc_template, tmp_path_factory.mktemp("affect") / "repo")
    repo.first_run = repo.repro(*TARGETS)
    return repo


def test_repro_harvests_builds_and_trains(affect_repo):
    assert sorted(affect_repo.first_run) == ["build_affect", "export_affect_gguf", "harvest_affect", "train_affect"]


def test_harvest_finds_candidates_in_every_source_and_drops_what_is_labeled(affect_repo):
    m = affect_repo.read_json("metrics/affect_harvest.json")
    # 3 per archetype; the mirror has only 2 items of the neutral_but_close combinations
    assert m["found.transcripts"] > 200 and m["found.goemotions"] == 3 * 6 + 2 and m["found.synthetic"] > 0
    assert m["dropped.already_labeled"] > 100  # the committed label sessions cover most transcript turns
    rows = [json.loads(line) for line in affect_repo.path("data/affect/candidates.jsonl").read_text().splitlines()]
    assert len(rows) == m["candidates"] and {r["source"] for r in rows} == {"manual_chat", "goemotions", "synthetic_probe"}
    assert all({"id", "text", "context", "suggested", "prior", "tags"} <= set(r) for r in rows)
    assert any(r["prior"] for r in rows if r["source"] == "goemotions")
    assert not affect_repo.path(".cache/affect").exists() or not any(affect_repo.path(".cache/affect").iterdir())


def test_build_reports_coverage_before_and_after(affect_repo):
    m = affect_repo.read_json("metrics/affect_data.json")
    assert m["stats.baseline.distant"] == 0 and m["stats.merged.distant"] > 40
    assert m["stats.baseline.mean_valence"] > 0.1 and m["stats.merged.mean_valence"] < m["stats.baseline.mean_valence"]
    assert m["conflicts"] >= 2 and m["duplicates"] >= 1 and m["label_files"] == 3
    assert m["rows.train"] + m["rows.dev"] + m["rows.test"] == m["stats.merged.rows"]
    report = affect_repo.path("reports/affect_coverage.md").read_text()
    assert "| rows with intimacy <= -0.1 (distant) | 0 |" in report and "`hostile_intimacy` | 60 |" in report
    for name in ("valence_intimacy", "valence_tension"):
        assert affect_repo.path(f"plots/affect_data/{name}.png").read_bytes()[:4] == b"\x89PNG"
        assert affect_repo.path(f"plots/affect_data/{name}.csv").read_text().count("\n") == m["stats.merged.rows"] + 1


def test_regressors_are_reported_beside_the_baselines_and_ridge_beats_the_constant_mean(affect_repo):
    m = affect_repo.read_json("metrics/affect_train.json")
    for model in ("constant_mean", "ridge", "lora"):
        assert {f"mae.{model}.{a}" for a in ("valence", "intimacy", "tension", "mean")} <= set(m)
    assert "mae.vader.valence" in m and "mae.vader.intimacy" not in m and "r.ridge.valence" in m
    assert m["mae.ridge.mean"] < m["mae.constant_mean.mean"] - 0.05  # 4 LoRA steps prove nothing; ridge must win
    assert m["steps"] == 4 and not {"seconds", "resumed_from"} & set(m)
    assert m["archetype_mae.flat_numb.ridge"] >= 0 and 0 <= m["ridge.layer"] <= 30
    assert {p.name for p in affect_repo.path("models/affect").iterdir()} >= {"adapter", "heads.safetensors",
                                                                             "ridge.safetensors", "manifest.json"}
    assert not affect_repo.path("checkpoints/affect").exists()


def test_every_predictor_is_scored_on_the_natural_held_out_set_and_the_default_is_chosen_on_dev(affect_repo):
    m = affect_repo.read_json("metrics/affect_train.json")
    assert m["rows.natural"] >= 150
    for model in ("constant_mean", "ridge", "lora"):
        assert {f"natural.mae.{model}.{a}" for a in ("valence", "intimacy", "tension", "mean")} <= set(m)
    assert "natural.mae.vader.valence" in m and {f"natural.r.ridge.{a}" for a in ("valence", "intimacy", "tension")} <= set(m)
    # after the smoke run's 4 LoRA steps an axis can come out constant: its r is undefined and left out, not NaN
    assert any(k.startswith("natural.r.lora.") for k in m) and not any(v != v for v in m.values())
    by_arch = affect_repo.path("plots/affect_train/archetype_mae.csv").read_text()
    assert "flat_numb,ridge" in by_arch and ",natural" in by_arch
    chose_ridge = m["selection.dev_mae.ridge"] < m["selection.dev_mae.lora"]
    assert m["selection.default_is_ridge"] == int(chose_ridge)
    manifest = json.loads(affect_repo.path("models/affect/manifest.json").read_text())
    assert manifest["default"] == ("ridge" if chose_ridge else "lora")


def test_the_gguf_round_trip_holds_for_f32(affect_repo):
    m = affect_repo.read_json("metrics/affect_export.json")
    assert m["export.F32.tokens_equal"] == 1
    assert m["export.F32.logits_max_abs_diff_micro"] <= 100 and m["export.F32.head_max_abs_diff_micro"] <= 100
    assert "export.Q8_0.logits_max_abs_diff_micro" not in m  # smoke params export F32 only
    names = {p.name for p in affect_repo.path("models/affect_gguf").iterdir()}
    assert names == {"affect.gguf", "heads.safetensors", "ridge.safetensors", "sidecar.json", "Modelfile"}


def test_predict_from_the_gguf_alone_matches_predict_from_models_affect(affect_repo):
    text = "Who were you texting at 2am?"
    lines = {}
    for where in (["--gguf", "models/affect_gguf/affect.gguf"], ["--model-dir", "models/affect"]):
        out = affect_repo.run("python", "-m", "affectlab.affect", "predict", text, "--model", "lora", *where).stdout
        lines[where[0]] = [float(v) for v in out.splitlines()[1].split("\t")[:3]]
    assert max(abs(a - b) for a, b in zip(lines["--gguf"], lines["--model-dir"])) <= 0.0015  # printed to 3 decimals


def test_predict_prints_three_axes_in_range(affect_repo):
    for model in ("ridge", "lora"):
        out = affect_repo.run("python", "-m", "affectlab.affect", "predict", "Who were you texting at 2am?",
                              "I'm at the store, need anything?", "--model", model).stdout.splitlines()
        assert out[0] == "valence\tintimacy\ttension\ttext" and len(out) == 3
        for line in out[1:]:
            values = [float(v) for v in line.split("\t")[:3]]
            assert all(-1 <= v <= 1 for v in values)


def test_harvest_params_rerun_only_the_harvest_and_a_second_repro_runs_nothing(affect_repo):
    affect_repo.assert_reruns_exactly({"affect.harvest.goemotions_per_archetype": 2}, ["harvest_affect"], targets=TARGETS)
    affect_repo.assert_up_to_date(*TARGETS)


def test_a_bad_label_row_stops_the_build_with_file_line_and_field(affect_repo):
    path = affect_repo.path("data/embedded/affect/labels/session_09_bad.jsonl")
    row = {"text": "x y", "valence": 0.1, "intimacy": 1.7, "tension": 0, "confidence": 1, "tags": [],
           "source": "manual_chat", "session_id": "s"}
    path.write_text(json.dumps(row) + "\n")
    proc = affect_repo.run("dvc", "repro", "build_affect", check=False)
    assert proc.returncode != 0
    assert "error: data/embedded/affect/labels/session_09_bad.jsonl:1: intimacy: 1.7 is outside [-1, 1]" in proc.stderr + proc.stdout
    path.unlink()

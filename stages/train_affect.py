"""Train two affect regressors on the build split and compare them with two baselines on test: ridge on
frozen pooled activations (layer and alpha chosen on dev) and LoRA + a 3-output regression head (family
C's loop, MSE); baselines: the train mean per axis, VADER compound for valence. Every predictor is also
scored on the natural held-out set (affect.train.heldout), which nothing is fitted or chosen on; the default
predictor is the one with the lower dev MAE.

Reads  data/affect/dataset.jsonl, models/base, the natural held-out set
Writes models/affect/ (adapter/, heads.safetensors, ridge.safetensors, manifest.json), metrics/affect_train.json,
       plots/affect_train/ (scores.csv, archetype_mae.csv + .png, ridge_layers.csv, dvclive curves);
       checkpoints/affect/ while running (resumed after a kill, removed at the end; not a DVC out)
Params affect.train.*
"""
from pathlib import Path

from affectlab.affect.heldout import read_heldout
from affectlab.affect.regression import train_and_evaluate
from affectlab.affect.results import train_metrics, write_train_plots
from affectlab.affect.settings import AffectTrainSettings
from affectlab.config import load_params, stage_main
from affectlab.errors import InputError
from affectlab.io import read_jsonl
from affectlab.metrics import write_metrics
from affectlab.models import BASE_DIR
from affectlab.sft.curves import LiveCurves

DATA, OUT, PLOTS, METRICS = Path("data/affect/dataset.jsonl"), "models/affect", "plots/affect_train", "metrics/affect_train.json"


@stage_main
def main() -> None:
    p = load_params(AffectTrainSettings)
    records = [row for _, row in read_jsonl(DATA)]
    missing = {"train", "dev", "test"} - {r.get("split") for r in records}
    if missing:
        raise InputError(f"{DATA}: no {', '.join(sorted(missing))} rows; run `dvc repro build_affect`")
    curves = LiveCurves(Path(PLOTS) / "curves")
    run = train_and_evaluate(records, p, BASE_DIR, OUT, on_step=curves, data_files=[DATA],
                             heldout=read_heldout(p.heldout))
    curves.close()
    write_train_plots(run, PLOTS)
    write_metrics(train_metrics(run), METRICS, "train_affect")


if __name__ == "__main__":
    main()

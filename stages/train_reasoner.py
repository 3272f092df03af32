"""LoRA-train the emotion reasoner on the CoT targets with family C's loop (prompt masked, no heads), scoring
a learning curve on the way: the label-likelihood macro-F1 of every checkpoint and of the final adapter on the
two test sets (scored only, never trained on).

Reads  models/base/, data/reasoner/{cot.parquet,labels.json,clean.parquet,test_untouched.parquet}
Writes models/reasoner/{adapter/,heads.safetensors,manifest.json,labels.json (labels, cot_mode)}, plots/reasoner_train/ (dvclive curves
       + losses.png), metrics/reasoner_train.json (losses, curve.<set>.step<k>); reasoner.train.checkpoint_dir
       while running (resumed)
Params reasoner.train.*, sft.lora.*, quant.*, model.*
"""
from collections import Counter
from pathlib import Path

from affectlab.config import load_params, stage_main
from affectlab.io import read_json, read_parquet, write_json_atomic
from affectlab.metrics import write_metrics
from affectlab.models import BASE_DIR, ModelSettings, load_base
from affectlab.reasoning.curve import CheckpointCurve
from affectlab.reasoning.evaluate import first_per_label
from affectlab.reasoning.settings import ReasonerTrainSettings
from affectlab.reasoning.train import encode_cot, run_settings
from affectlab.sft.run import fit_and_save
from affectlab.sft.settings import LoraSettings, QuantSettings

DATA = Path("data/reasoner")


@stage_main
def main() -> None:
    p = load_params(ReasonerTrainSettings)
    settings = run_settings(load_params(ModelSettings), load_params(LoraSettings), p, load_params(QuantSettings))
    vocab = read_json(DATA / "labels.json", "run `dvc repro clean_goemotions`")
    cot = read_parquet(DATA / "cot.parquet", ["id", "split", "text", "target", "mode"])
    clean = read_parquet(DATA / "clean.parquet", ["id", "text", "label", "split"])
    sets = {"test_untouched": first_per_label(read_parquet(DATA / "test_untouched.parquet"), p.curve_per_label),
            "test_clean": first_per_label(clean[clean["split"] == "test"].assign(labels=lambda t: t["label"]),
                                          p.curve_per_label)}
    curve = CheckpointCurve(BASE_DIR, p.checkpoint_dir, p.checkpoint_every, p.max_steps, sets, vocab["labels"],
                            p.batch_size * 4)
    counts = Counter()
    _, tokenizer = load_base(BASE_DIR)
    tables = encode_cot(cot, tokenizer, tuple(vocab["labels"]), p.max_seq_len, counts)
    metrics = fit_and_save(settings, tables["train"], tables["validation"], {"labels": vocab["labels"]}, {},
                           [DATA / "cot.parquet", DATA / "labels.json", BASE_DIR / "config.json"],
                           Path("models/reasoner"), Path("plots/reasoner_train"), on_step=curve)
    if metrics is not None:
        # the label set and the target's order (reasoner.cot.mode) travel with the adapter
        write_json_atomic({**vocab, "cot_mode": str(cot["mode"].iloc[0])}, "models/reasoner/labels.json")
        curve.points[p.max_steps] = curve.score_adapter("models/reasoner/adapter")
        metrics.update({k: v for k, v in counts.items()})
        metrics.update({f"rows.{s}": len(t) for s, t in tables.items()})
        metrics.update({f"{k}.step{step}": v for step, point in sorted(curve.points.items())
                        for k, v in point.items()})
        write_metrics(metrics, "metrics/reasoner_train.json", "train_reasoner")


if __name__ == "__main__":
    main()

"""Evaluate the reasoner against its baselines on the test split (same rows for every system).

Reads  models/base/, models/reasoner/adapter/, data/reasoner/{clean.parquet,embeddings.npy,labels.json}
Writes metrics/reasoner_eval.json, plots/reasoner/{per_class.csv,confusion.csv,confusion.png},
       data/reasoner/predictions.jsonl, reports/reasoner.md
Params reasoner.eval.*, emotion.* (family A's scorer as a baseline)
"""
from pathlib import Path

import numpy as np
import pandas as pd

from affectlab.config import load_params, stage_main
from affectlab.emotion import EMOTIONS, EmotionSettings, make_scorer
from affectlab.io import read_json, read_parquet, write_csv_atomic, write_jsonl_atomic, write_text_atomic
from affectlab.metrics import flatten, write_metrics
from affectlab.models import BASE_DIR, load_adapter, load_base
from affectlab.progress import timed
from affectlab.reasoning import evaluate as ev
from affectlab.reasoning.inference import generate_replies, label_logprobs
from affectlab.reasoning.labels import parse_label, split_reply
from affectlab.reasoning.settings import ReasonerEvalSettings

DATA, PLOTS = Path("data/reasoner"), Path("plots/reasoner")


@stage_main
def main() -> None:
    p = load_params(ReasonerEvalSettings)
    labels = tuple(read_json(DATA / "labels.json", "run `dvc repro clean_goemotions`")["labels"])
    clean = read_parquet(DATA / "clean.parquet", ["id", "text", "label", "split"])
    vectors = np.load(DATA / "embeddings.npy")
    train, test = (clean["split"] == "train").to_numpy(), (clean["split"] == "test").to_numpy()
    test = test & (clean.groupby(["split", "label"]).cumcount() < (p.per_label or len(clean))).to_numpy()
    rows = clean[test].reset_index(drop=True)
    gold, texts = rows["label"].tolist(), rows["text"].tolist()
    model, tokenizer = load_base(BASE_DIR)
    with timed("evaluate_reasoner: zero-shot base", "rows") as base_stats:
        base_replies = generate_replies(model, tokenizer, texts, labels, p.decoding, p.batch_size, p.seed)
        base_stats["n"] = len(rows)
    # merged into the weights: the same function as the adapter, without LoRA's extra matmuls at every step
    model = load_adapter(model, "models/reasoner/adapter", "train_reasoner").merge_and_unload()
    with timed("evaluate_reasoner: reasoner", "rows") as stats:
        replies = generate_replies(model, tokenizer, texts, labels, p.decoding, p.batch_size, p.seed)
        reasonings = [split_reply(r) for r in replies]
        likely = label_logprobs(model, tokenizer, texts, reasonings, labels, p.batch_size).argmax(1)
        stats["n"] = len(rows)
    pred = [parse_label(r, labels) for r in replies]
    scorer = make_scorer(load_params(EmotionSettings)).score(texts)[EMOTIONS].idxmax(axis=1).tolist()
    majority = clean.loc[train, "label"].value_counts().sort_index().idxmax()
    predictions = {"reasoner": pred, "reasoner_likelihood": [labels[i] for i in likely],
                   "zero_shot_base": [parse_label(r, labels) for r in base_replies],
                   "majority": [majority] * len(rows),
                   "minilm_logreg": ev.logreg_predict(vectors[train], clean.loc[train, "label"], vectors[test],
                                                      p.logreg_c, p.seed),
                   "emotion_scorer": scorer}
    task_level = {name: name != "emotion_scorer" or labels == ev.EKMAN for name in predictions}
    table = pd.DataFrame({name: ev.system_row(gold, pr, labels, task_level[name])
                          for name, pr in predictions.items()}).T
    quality = ev.reasoning_quality(texts, reasonings, pred, labels)
    write_csv_atomic(pd.concat([ev.per_class(gold, pr, labels, name) for name, pr in predictions.items()
                                if task_level[name]]), PLOTS / "per_class.csv")
    confusion = ev.confusion_rows(gold, pred)
    write_csv_atomic(confusion, PLOTS / "confusion.csv")
    ev.plot_confusion(confusion, labels, PLOTS / "confusion.png")
    rows["reply"], rows["pred"], rows["base_reply"] = replies, pred, base_replies
    write_jsonl_atomic(rows.to_dict("records"), DATA / "predictions.jsonl")
    write_text_atomic(ev.report(table, quality, rows, p.examples), "reports/reasoner.md")
    metrics = flatten(table.rename_axis("system").reset_index().dropna(axis=1, how="all"), "baselines", ["system"])
    metrics = {k: v for k, v in metrics.items() if not (isinstance(v, float) and np.isnan(v))}
    metrics.update({f"reasoning.{k}": v for k, v in quality.items()})
    metrics.update({"rows.test": len(rows), "seconds": stats["seconds"] + base_stats["seconds"]})
    write_metrics(metrics, "metrics/reasoner_eval.json", "evaluate_reasoner")


if __name__ == "__main__":
    main()

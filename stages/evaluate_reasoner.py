"""Evaluate the reasoner against its baselines on three held-out sets (the same rows for every system): the
cleaned test split, the source's test split untouched by any filter (the headline) and the hand-written natural
set; the label-likelihood mode calibrated on the validation split.

Reads  models/base/, models/reasoner/adapter/, data/reasoner/{clean.parquet,embeddings.npy,labels.json,
       test_untouched.parquet}, metrics/reasoner_train.json (the learning curve), reasoner.eval.natural
Writes metrics/reasoner_eval.json, plots/reasoner/{per_class.csv,confusion_<set>.{csv,png},learning_curve.{csv,png}},
       models/reasoner_calibration.json, data/reasoner/predictions.jsonl, reports/reasoner.md
Params reasoner.eval.*, emotion.* (family A's scorer); the adapter's cot_mode says where its label is scored
"""
from pathlib import Path

import numpy as np
import pandas as pd

from affectlab.config import load_params, stage_main
from affectlab.emotion import EMOTIONS, EmotionSettings, make_scorer
from affectlab.io import read_json, read_parquet, write_csv_atomic, write_json_atomic, write_jsonl_atomic, write_text_atomic
from affectlab.metrics import flatten, write_metrics
from affectlab.models import BASE_DIR, load_adapter, load_base
from affectlab.progress import timed
from affectlab.reasoning import evaluate as ev
from affectlab.reasoning.curve import curve_table, plot_curve
from affectlab.reasoning.inference import generate_replies, label_logprobs
from affectlab.reasoning.labels import parse_label, split_reply
from affectlab.reasoning.settings import ReasonerEvalSettings
from affectlab.sentiment.filters import MiniLM

DATA, PLOTS = Path("data/reasoner"), Path("plots/reasoner")
SETS = ("test_untouched", "test_clean", "natural")


@stage_main
def main() -> None:
    p = load_params(ReasonerEvalSettings)
    mode = read_json("models/reasoner/labels.json", "run `dvc repro train_reasoner`")["cot_mode"]
    labels = tuple(read_json(DATA / "labels.json", "run `dvc repro clean_goemotions`")["labels"])
    clean = read_parquet(DATA / "clean.parquet", ["id", "text", "label", "split"])
    train = clean[clean["split"] == "train"]
    sets = {"test_untouched": ev.first_per_label(read_parquet(DATA / "test_untouched.parquet"), p.per_label),
            "test_clean": ev.first_per_label(clean[clean["split"] == "test"].assign(labels=lambda t: t["label"]),
                                             p.per_label),
            "natural": ev.first_per_label(ev.read_natural(p.natural, labels), p.per_label)}
    validation = ev.first_per_label(clean[clean["split"] == "validation"], p.validation_per_label)
    tests = list(dict.fromkeys(t for s in SETS for t in sets[s]["text"]))  # each distinct text answered once
    texts = tests + [t for t in dict.fromkeys(validation["text"]) if t not in set(tests)]
    model, tokenizer = load_base(BASE_DIR)
    with timed("evaluate_reasoner: zero-shot base", "rows") as base_stats:
        base = dict(zip(tests, generate_replies(model, tokenizer, tests, labels, p.decoding, p.batch_size, p.seed)))
        base_stats["n"] = len(tests)
    # merged into the weights: the same function as the adapter, without LoRA's extra matmuls at every step
    model = load_adapter(model, "models/reasoner/adapter", "train_reasoner").merge_and_unload()
    with timed("evaluate_reasoner: reasoner", "rows") as stats:
        replies = generate_replies(model, tokenizer, texts, labels, p.decoding, p.batch_size, p.seed)
        # the label is scored where training put it: after the reasoning, or right after the prompt
        reasonings = [split_reply(r) if mode == "rationale_first" else "" for r in replies]
        lp = label_logprobs(model, tokenizer, texts, reasonings, labels, p.batch_size)
        stats["n"] = len(texts)
    reply, logprob = dict(zip(texts, replies)), dict(zip(texts, lp))
    val_lp = np.stack([logprob[t] for t in validation["text"]])
    temperature, offsets = ev.fit_calibration(val_lp, [labels.index(y) for y in validation["label"]])
    write_json_atomic({"labels": list(labels), "cot_mode": mode, "temperature": round(temperature, 6),
                       "offsets": [round(float(b), 6) for b in offsets]}, "models/reasoner_calibration.json")
    fit = ev.logreg_fit(np.load(DATA / "embeddings.npy")[(clean["split"] == "train").to_numpy()], train["label"],
                        p.logreg_c, p.seed)
    embed, scorer = MiniLM(), make_scorer(load_params(EmotionSettings))
    majority = train["label"].value_counts().sort_index().idxmax()
    tables, classes, metrics, records = [], [], {}, []
    for name in SETS:
        rows = sets[name]
        t, lps = rows["text"].tolist(), np.stack([logprob[x] for x in rows["text"]])
        preds = {"reasoner": [parse_label(reply[x], labels) for x in t],
                 "reasoner_likelihood": [labels[i] for i in lps.argmax(1)],
                 "reasoner_calibrated": [labels[i] for i in
                                         ev.calibrated_probabilities(lps, temperature, offsets).argmax(1)],
                 "zero_shot_base": [parse_label(base[x], labels) for x in t],
                 "majority": [majority] * len(rows),
                 "minilm_logreg": fit.predict(embed(t)).tolist(),
                 "emotion_scorer": scorer.score(t)[EMOTIONS].idxmax(axis=1).tolist()}
        table, per_class, golds = ev.score_systems(rows, preds, labels, p.bootstrap, p.seed)
        tables.append(table.assign(set=name))
        classes.append(per_class.assign(set=name))
        confusion = ev.confusion_rows(golds["reasoner"], preds["reasoner"])
        write_csv_atomic(confusion, PLOTS / f"confusion_{name}.csv")
        ev.plot_confusion(confusion, labels, PLOTS / f"confusion_{name}.png", ev.SET_TITLES[name])
        records += [{"set": name, **r, "reply": reply[x], "pred": preds["reasoner"][i], "base_reply": base[x]}
                    for i, (r, x) in enumerate(zip(rows.to_dict("records"), t))]
    table = pd.concat(tables).rename_axis("system").reset_index()
    curve = curve_table(read_json("metrics/reasoner_train.json", "run `dvc repro train_reasoner`"), table)
    write_csv_atomic(curve, PLOTS / "learning_curve.csv")
    plot_curve(curve, PLOTS / "learning_curve.png")
    write_csv_atomic(pd.concat(classes), PLOTS / "per_class.csv")
    write_jsonl_atomic(records, DATA / "predictions.jsonl")
    quality = {s: ev.reasoning_quality(sets[s]["text"].tolist(), [split_reply(reply[x]) for x in sets[s]["text"]],
                                       [parse_label(reply[x], labels) for x in sets[s]["text"]], labels)
               for s in SETS}
    write_text_atomic(ev.report(table, quality, pd.DataFrame(records), p.examples), "reports/reasoner.md")
    metrics = {k: v for s in SETS for k, v in flatten(table[table["set"] == s].drop(columns="set"), s,
                                                        ["system"]).items()}
    metrics = {k: v for k, v in metrics.items() if not (isinstance(v, float) and np.isnan(v))}
    metrics.update({f"reasoning.{s}.{k}": v for s, q in quality.items() for k, v in q.items()})
    metrics.update({f"rows.{s}": len(sets[s]) for s in SETS} | {"rows.validation": len(validation)})
    metrics.update({"calibration.temperature": temperature} |
                   {f"calibration.offset.{k}": float(b) for k, b in zip(labels, offsets)})
    metrics["seconds"] = stats["seconds"] + base_stats["seconds"]
    write_metrics(metrics, "metrics/reasoner_eval.json", "evaluate_reasoner")


if __name__ == "__main__":
    main()

"""The reasoner's learning curve: macro-F1 of the label-likelihood mode on the held-out test sets at every
checkpoint of one training run (the cheap evaluator: one forward pass per text, no generation), then of the
final adapter.

The label is scored straight after the prompt ("Emotion:" with no reasoning before it). That is exactly the
likelihood mode of `cot.mode` none and label_first; for rationale_first (trained to reason first) it is a
proxy that reads the label before the model has written its reasoning, so the curve's last point there can
differ from evaluate_reasoner's figures, which score after the generated reasoning.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import pandas as pd

from affectlab.reasoning.evaluate import any_of_gold, scores

log = logging.getLogger(__name__)


def likelihood_macro_f1(model, tokenizer, sets: dict[str, pd.DataFrame], labels: tuple[str, ...],
                        batch_size: int) -> dict[str, float]:
    """{"curve.<set>.macro_f1": ...} for each set (any-of gold over `labels`), the model in eval mode."""
    from affectlab.reasoning.inference import label_logprobs

    was_training = model.training
    model.eval()
    try:
        texts = list(dict.fromkeys(t for rows in sets.values() for t in rows["text"]))
        lp = label_logprobs(model, tokenizer, texts, [""] * len(texts), labels, batch_size)
    finally:
        model.train(was_training)
    best = {t: labels[i] for t, i in zip(texts, lp.argmax(1))}
    out = {}
    for name, rows in sets.items():
        pred = [best[t] for t in rows["text"]]
        out[f"curve.{name}.macro_f1"] = scores(any_of_gold(rows["labels"], rows["label"], pred), pred,
                                               labels)["macro_f1"]
    return out


class CheckpointCurve:
    """A `fit_and_save(on_step=...)` callback: at each checkpoint step it loads the checkpointed adapter onto
    its own copy of the base model and adds its scores to the step's record (which the dvclive curves and the
    checkpointed history then carry: a resumed run replays them instead of rescoring)."""

    def __init__(self, base_dir: str | Path, checkpoint_dir: str | Path, every: int, max_steps: int,
                 sets: dict[str, pd.DataFrame], labels: Sequence[str], batch_size: int):
        self.base_dir, self.ckpt = Path(base_dir), Path(checkpoint_dir)
        self.every, self.max_steps, self.sets = every, max_steps, sets
        self.labels, self.batch_size = tuple(labels), batch_size
        self.points: dict[int, dict[str, float]] = {}

    def score_adapter(self, adapter_dir: str | Path) -> dict[str, float]:
        from affectlab.models import load_adapter, load_base

        model, tokenizer = load_base(self.base_dir)
        model = load_adapter(model, adapter_dir, "train_reasoner").merge_and_unload()
        return likelihood_macro_f1(model, tokenizer, self.sets, self.labels, self.batch_size)

    def __call__(self, step: int, record: dict) -> None:
        key = f"curve.{next(iter(self.sets))}.macro_f1"
        if step % self.every == 0 and step < self.max_steps:
            if key not in record and (self.ckpt / "adapter").is_dir():
                record.update(self.score_adapter(self.ckpt / "adapter"))
                log.info("learning curve at step %d: %s", step, {k: round(v, 3) for k, v in record.items()
                                                               if k.startswith("curve.")})
            if key in record:
                self.points[step] = {k: v for k, v in record.items() if k.startswith("curve.")}


BASELINES = ("minilm_logreg", "emotion_scorer")


def curve_table(train_metrics: dict, table: pd.DataFrame) -> pd.DataFrame:
    """Tidy (set, system, step, macro_f1): the reasoner's curve from metrics/reasoner_train.json
    (`curve.<set>.macro_f1.step<k>`) and, at the same steps, the baselines' macro-F1 on that set from the
    evaluation table (flat lines: they do not train)."""
    import re

    rows = []
    for key, value in train_metrics.items():
        m = re.fullmatch(r"curve\.(\w+)\.macro_f1\.step(\d+)", key)
        if m:
            rows.append({"set": m[1], "system": "reasoner_likelihood", "step": int(m[2]), "macro_f1": value})
    points = pd.DataFrame(rows, columns=["set", "system", "step", "macro_f1"])
    for (name, step) in points[["set", "step"]].itertuples(index=False):
        for system in BASELINES:
            hit = table[(table["set"] == name) & (table["system"] == system)]
            if len(hit) and "macro_f1" in hit and pd.notna(hit["macro_f1"].iloc[0]):
                rows.append({"set": name, "system": system, "step": step, "macro_f1": float(hit["macro_f1"].iloc[0])})
    return pd.DataFrame(rows, columns=["set", "system", "step", "macro_f1"]).sort_values(
        ["set", "system", "step"], kind="stable").reset_index(drop=True)


def plot_curve(curve: pd.DataFrame, path) -> None:
    from affectlab.io import save_figure_atomic
    from affectlab.plotting import pyplot
    plt = pyplot()

    sets = list(dict.fromkeys(curve["set"]))
    fig, axes = plt.subplots(1, max(len(sets), 1), figsize=(5 * max(len(sets), 1), 3.6), squeeze=False)
    for ax, name in zip(axes[0], sets):
        part = curve[curve["set"] == name]
        for system, style in (("reasoner_likelihood", "-o"), ("minilm_logreg", "--"), ("emotion_scorer", ":")):
            pts = part[part["system"] == system]
            if len(pts):
                ax.plot(pts["step"], pts["macro_f1"], style, label=system)
        ax.set_title(name)
        ax.set_xlabel("LoRA steps")
        ax.set_ylabel("macro-F1")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7)
    fig.suptitle("Reasoner learning curve (label likelihood at each checkpoint) vs baselines")
    save_figure_atomic(fig, path)

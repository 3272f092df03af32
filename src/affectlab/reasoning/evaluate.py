"""Scores of the reasoner and its baselines on the same test rows, reasoning quality, and the report.

Systems (rows of the `baselines` table): `reasoner` (greedy reply, parsed; a parse failure is wrong),
`reasoner_likelihood` (the most likely label after the generated reasoning: no parse failures),
`zero_shot_base` (the base model, same prompt and decoding, parsed), `majority` (the train split's most
frequent label), `minilm_logreg` (logistic regression on the MiniLM embeddings of the train split) and
`emotion_scorer` (family A's 7-class scorer, Ekman grouping only).
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd

from affectlab.reasoning.cot import QUOTED, words
from affectlab.reasoning.labels import EKMAN, stated_label, to_ekman

UNPARSED = "unparsed"


def scores(gold: Sequence[str], pred: Sequence[Optional[str]], labels: Sequence[str]) -> dict[str, float]:
    """accuracy and macro-F1 over `labels` (a None / unparsed prediction is wrong for its gold class)."""
    from sklearn.metrics import f1_score

    pred = [p if p is not None else UNPARSED for p in pred]
    return {"accuracy": float(np.mean([g == p for g, p in zip(gold, pred)])),
            "macro_f1": float(f1_score(gold, pred, labels=list(labels), average="macro", zero_division=0))}


def system_row(gold: Sequence[str], pred: Sequence[Optional[str]], labels: tuple[str, ...],
               task_level: bool = True) -> dict[str, float]:
    """Task-level and Ekman-grouped scores, and the parse-failure rate."""
    row: dict[str, float] = {}
    if task_level:
        row.update(scores(gold, pred, labels))
    ek = scores([to_ekman(g) for g in gold], [to_ekman(p) if p is not None else None for p in pred], EKMAN)
    row.update({f"ekman_{k}": v for k, v in ek.items()})
    row["parse_failure_rate"] = float(np.mean([p is None for p in pred]))
    return row


def per_class(gold: Sequence[str], pred: Sequence[Optional[str]], labels: Sequence[str], system: str) -> pd.DataFrame:
    from sklearn.metrics import precision_recall_fscore_support

    pred = [p if p is not None else UNPARSED for p in pred]
    p, r, f, n = precision_recall_fscore_support(gold, pred, labels=list(labels), zero_division=0)
    return pd.DataFrame({"system": system, "label": list(labels), "precision": p, "recall": r, "f1": f,
                         "support": n})


def confusion_rows(gold: Sequence[str], pred: Sequence[Optional[str]]) -> pd.DataFrame:
    """One row per test item (actual, predicted): the input of DVC's `confusion` template."""
    return pd.DataFrame({"actual": list(gold), "predicted": [p if p is not None else UNPARSED for p in pred]})


def cites_text(reasoning: str, text: str) -> bool:
    """The reasoning quotes at least one span, and every quoted span occurs in the text (case-insensitive);
    without quotes, at least one of its words of 4+ letters is a word of the text."""
    quotes = QUOTED.findall(reasoning)
    if quotes:
        return all(q.strip().lower() in text.lower() for q in quotes)
    own = {w for w in words(text) if len(w) >= 4}
    return bool(own & set(words(reasoning)))


def reasoning_quality(texts: Sequence[str], reasonings: Sequence[str], pred: Sequence[Optional[str]],
                      labels: tuple[str, ...]) -> dict[str, float]:
    stated = [stated_label(r, labels) for r in reasonings]
    return {"cites_text": float(np.mean([cites_text(r, t) for r, t in zip(reasonings, texts)])),
            "stated_equals_final": float(np.mean([s is not None and s == p for s, p in zip(stated, pred)])),
            "words_mean": float(np.mean([len(r.split()) for r in reasonings]))}


def logreg_predict(train_x: np.ndarray, train_y: Sequence[str], test_x: np.ndarray, c: float, seed: int) -> list[str]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=2000, random_state=seed).fit(train_x, list(train_y))
    return clf.predict(test_x).tolist()


def plot_confusion(frame: pd.DataFrame, labels: Sequence[str], path) -> None:
    from affectlab.io import save_figure_atomic
    from affectlab.plotting import pyplot
    plt = pyplot()

    cols = list(labels) + ([UNPARSED] if (frame["predicted"] == UNPARSED).any() else [])
    m = pd.crosstab(frame["actual"], frame["predicted"]).reindex(index=list(labels), columns=cols, fill_value=0)
    fig, ax = plt.subplots(figsize=(1 + 0.55 * len(cols), 1 + 0.5 * len(labels)))
    ax.imshow(m.to_numpy(), cmap="Blues")
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), list(labels), fontsize=8)
    for (i, j), v in np.ndenumerate(m.to_numpy()):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(f"Reasoner on the test split (n={len(frame)})")
    save_figure_atomic(fig, path)


def report(table: pd.DataFrame, quality: dict[str, float], rows: pd.DataFrame, n_examples: int) -> str:
    """reports/reasoner.md: the baseline table, reasoning quality, correct and wrong examples."""
    cols = [c for c in ("accuracy", "macro_f1", "ekman_accuracy", "ekman_macro_f1", "parse_failure_rate")
            if c in table.columns]
    lines = ["# Emotion reasoner (family D)", "", f"Test rows: {len(rows)}.", "",
             "| system | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for system, r in table.iterrows():
        lines.append(f"| {system} | " + " | ".join("" if pd.isna(r[c]) else f"{r[c]:.3f}" for c in cols) + " |")
    lines += ["", "Reasoning quality (reasoner): " + ", ".join(f"{k} {v:.3f}" for k, v in quality.items()), ""]
    for title, ok in (("Correct", True), ("Wrong", False)):
        lines += [f"## {title} examples", ""]
        for r in rows[(rows["pred"] == rows["label"]) == ok].head(n_examples).itertuples():
            lines += [f"- **{r.label}** (predicted {r.pred or UNPARSED}): {r.text!r}",
                      f"  - reasoning: {r.reply!r}"]
        lines.append("")
    return "\n".join(lines)

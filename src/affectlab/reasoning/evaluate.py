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


def any_of_gold(labels: Sequence[str], primary: Sequence[str], pred: Sequence[Optional[str]]) -> list[str]:
    """The gold label to score each prediction against: the prediction itself when it is one of the item's
    agreed labels ("|"-joined), else its most voted one."""
    return [q if q is not None and q in ls.split("|") else g for ls, g, q in zip(labels, primary, pred)]


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


def logreg_fit(train_x: np.ndarray, train_y: Sequence[str], c: float, seed: int):
    """The MiniLM baseline: logistic regression on the train split's embeddings (`.predict(vectors)`)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000, random_state=seed).fit(train_x, list(train_y))


def plot_confusion(frame: pd.DataFrame, labels: Sequence[str], path, title: str) -> None:
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
    ax.set_title(f"Reasoner, {title} (n={len(frame)})")
    save_figure_atomic(fig, path)


SET_TITLES = {"test_untouched": "test split untouched by any filter (headline)",
              "test_clean": "cleaned test split", "natural": "hand-written natural set"}


def report(table: pd.DataFrame, quality: dict[str, dict[str, float]], records: pd.DataFrame, n_examples: int) -> str:
    """reports/reasoner.md: per set, the systems' scores, reasoning quality, correct and wrong examples."""
    cols = [c for c in ("accuracy", "macro_f1", "macro_f1_ci_low", "macro_f1_ci_high", "ekman_macro_f1",
                        "parse_failure_rate") if c in table.columns]
    lines = ["# Emotion reasoner (family D)", ""]
    for name, part in table.groupby("set", sort=False):
        rows = records[records["set"] == name]
        lines += [f"## {SET_TITLES.get(name, name)}", "", f"Rows: {len(rows)}.", "",
                  "| system | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
        for r in part.itertuples(index=False):
            r = r._asdict()
            lines.append(f"| {r['system']} | " + " | ".join("" if pd.isna(r[c]) else f"{r[c]:.3f}" for c in cols) + " |")
        lines += ["", "Reasoning quality (reasoner): " + ", ".join(f"{k} {v:.3f}" for k, v in quality[name].items()), ""]
        ok = rows.apply(lambda r: r["pred"] in str(r["labels"]).split("|"), axis=1) if len(rows) else rows
        for title, want in (("Correct", True), ("Wrong", False)):
            lines += [f"### {title} examples", ""]
            for r in rows[ok == want].head(n_examples).itertuples():
                lines += [f"- **{r.labels}** (predicted {r.pred or UNPARSED}): {r.text!r}",
                          f"  - reply: {r.reply!r}"]
            lines.append("")
    return "\n".join(lines)


def bootstrap_macro_f1(gold: Sequence[str], pred: Sequence[Optional[str]], labels: Sequence[str], n: int,
                       seed: int) -> tuple[float, float]:
    """95% percentile interval of macro-F1 over `n` resamples of the rows (with replacement, seeded)."""
    from sklearn.metrics import f1_score

    gold = np.asarray(gold, dtype=object)
    pred = np.asarray([p if p is not None else UNPARSED for p in pred], dtype=object)
    rng = np.random.default_rng(seed)
    stats = [f1_score(gold[i], pred[i], labels=list(labels), average="macro", zero_division=0)
             for i in (rng.integers(0, len(gold), len(gold)) for _ in range(n))]
    return float(np.percentile(stats, 2.5)), float(np.percentile(stats, 97.5))


def fit_calibration(logprobs: np.ndarray, gold: Sequence[int]) -> tuple[float, np.ndarray]:
    """Temperature T and per-label offsets b minimising the log-loss of softmax(logprobs / T + b) on held-out
    rows (the validation split): the label-likelihood mode's prior per label and its over-confidence, both
    measured where no test row is seen. The first label's offset is fixed at 0 (softmax is shift-invariant);
    a small L2 term keeps offsets finite when a label never wins on validation."""
    from scipy.optimize import minimize
    from scipy.special import log_softmax

    gold = np.asarray(gold)
    k = logprobs.shape[1]

    def loss(theta: np.ndarray) -> float:
        t, b = np.exp(theta[0]), np.concatenate([[0.0], theta[1:]])
        z = log_softmax(logprobs / t + b, axis=1)
        return float(-z[np.arange(len(gold)), gold].mean() + 1e-3 * (b ** 2).sum())

    theta = minimize(loss, np.zeros(k), method="L-BFGS-B").x
    return float(np.exp(theta[0])), np.concatenate([[0.0], theta[1:]])


def calibrated_probabilities(logprobs: np.ndarray, temperature: float, offsets: Sequence[float]) -> np.ndarray:
    from scipy.special import softmax
    return softmax(np.asarray(logprobs) / temperature + np.asarray(offsets), axis=1)


def read_natural(path, labels: Sequence[str]) -> pd.DataFrame:
    """The hand-written held-out set: JSONL rows {id, text, label, note}, label an Ekman class."""
    from affectlab.errors import InputError
    from affectlab.io import read_jsonl

    rows = []
    for lineno, row in read_jsonl(path):
        for key in ("id", "text", "label", "note"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise InputError(f"{path}:{lineno}: {key!r} must be a non-empty string")
        if row["label"] not in EKMAN:
            raise InputError(f"{path}:{lineno}: label {row['label']!r} is not one of {', '.join(EKMAN)}")
        rows.append({"id": row["id"], "text": row["text"], "label": row["label"], "labels": row["label"]})
    return pd.DataFrame(rows, columns=["id", "text", "label", "labels"])


def first_per_label(rows: pd.DataFrame, n: Optional[int]) -> pd.DataFrame:
    """At most `n` rows per gold label, first by id (None: all)."""
    rows = rows.sort_values("id", kind="stable")
    return rows[rows.groupby("label").cumcount() < (n or len(rows))].reset_index(drop=True)


def score_systems(rows: pd.DataFrame, predictions: dict[str, list], labels: tuple[str, ...], n_boot: int,
                  seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, list[str]]]:
    """(table: a row per system with system_row's scores and the macro-F1 95% interval, per-class P/R/F1,
    {system: the gold label each prediction is scored against}). Gold is any-of over `rows.labels`; a set in
    Ekman labels (the natural set) scores a finer label set's systems on their Ekman grouping only; family
    A's scorer is task-level only when the task is Ekman."""
    ekman_gold = set(rows["label"]) <= set(EKMAN) and labels != EKMAN
    table, classes, golds = {}, [], {}
    for name, pred in predictions.items():
        pred = [to_ekman(q) if ekman_gold and q is not None else q for q in pred]
        gold = any_of_gold(rows["labels"], rows["label"], pred)
        task_level = (name != "emotion_scorer" or labels == EKMAN) and not ekman_gold
        row = system_row(gold, pred, labels if task_level else EKMAN, True)
        if not task_level:
            row = {k: v for k, v in row.items() if k.startswith("ekman_") or k == "parse_failure_rate"}
        key, names = ("macro_f1", labels) if task_level else ("ekman_macro_f1", EKMAN)
        scored_gold = gold if task_level else [to_ekman(g) for g in gold]
        scored_pred = pred if task_level else [to_ekman(q) if q is not None else None for q in pred]
        row[f"{key}_ci_low"], row[f"{key}_ci_high"] = bootstrap_macro_f1(scored_gold, scored_pred, names, n_boot, seed)
        table[name], golds[name] = row, gold
        classes.append(per_class(scored_gold, scored_pred, names, name))
    return pd.DataFrame(table).T, pd.concat(classes, ignore_index=True), golds

"""PNG charts of the base-vs-SFT report (rendered offline; the CSVs beside them feed `dvc plots`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from affectlab.io import save_figure_atomic
from affectlab.plotting import pyplot

REFUSAL_LABELS = ("refusal", "deflection", "complied")


def lengths_chart(lengths: pd.DataFrame, path: str | Path) -> None:
    sets = sorted(lengths["set"].unique())
    fig, axes = pyplot().subplots(1, len(sets), figsize=(4 * len(sets), 3.2), squeeze=False)
    for ax, name in zip(axes[0], sets):
        g = lengths[lengths["set"] == name]
        bins = np.linspace(0, max(1, g["words"].max()), 15)
        for model, gm in g.groupby("model"):
            ax.hist(gm["words"], bins=bins, alpha=0.55, label=model)
        ax.set(title=name, xlabel="words per response", ylabel="responses")
        ax.legend()
    save_figure_atomic(fig, path)


def refusal_chart(refusals: pd.DataFrame, path: str | Path) -> None:
    rates = pd.crosstab(refusals["model"], refusals["label"], normalize="index").reindex(columns=REFUSAL_LABELS, fill_value=0)
    fig, ax = pyplot().subplots(figsize=(5, 2.8))
    left = np.zeros(len(rates))
    for label, color in zip(REFUSAL_LABELS, ("tab:green", "tab:blue", "tab:red")):
        ax.barh(rates.index, rates[label], left=left, label=label, color=color)
        left += rates[label].to_numpy()
    ax.set(xlabel="share of red-team responses", xlim=(0, 1), title="Red-team behaviour (heuristic)")
    ax.legend(loc="lower right", fontsize=8)
    save_figure_atomic(fig, path)


def emotion_profile_chart(profile: pd.DataFrame, path: str | Path,
                          title: str = "Emotion profile of responses (95% bootstrap CI)") -> None:
    emotions = list(dict.fromkeys(profile["emotion"]))
    models = list(dict.fromkeys(profile["model"]))
    width = 0.8 / len(models)
    x = np.arange(len(emotions))
    fig, ax = pyplot().subplots(figsize=(7, 3.2))
    for i, model in enumerate(models):
        g = profile[profile["model"] == model].set_index("emotion").reindex(emotions)
        err = np.vstack([g["mean"] - g["ci_low"], g["ci_high"] - g["mean"]])
        ax.bar(x + i * width, g["mean"], width, yerr=np.nan_to_num(err), capsize=2, label=model)
    ax.set_xticks(x + width * (len(models) - 1) / 2, emotions)
    ax.set(ylabel="mean score", title=title)
    ax.legend()
    save_figure_atomic(fig, path)


def eqbench_chart(eqbench: pd.DataFrame, path: str | Path) -> None:
    fig, ax = pyplot().subplots(figsize=(5.5, 2.8))
    colors = ["tab:purple" if s in ("generate", "logprob") else "tab:gray" for s in eqbench["scoring"]]
    ax.bar(eqbench["model"], eqbench["score"].fillna(0), color=colors)
    ax.axhline(0, color="black", linewidth=0.6)
    for i, rec in enumerate(eqbench.to_dict("records")):
        ax.annotate(f"{rec['scoring']}\n{rec['parsed']}/{rec['questions']}", (i, 0), ha="center", va="bottom", fontsize=7)
    ax.set(ylabel="EQ-Bench v2 score", title="EQ-Bench (models vs constant and random answers)")
    save_figure_atomic(fig, path)

"""Test AUC by layer as DVC plot data (CSV) and as a PNG that renders without a browser."""
from __future__ import annotations

from pathlib import Path

from affectlab.io import save_figure_atomic, write_csv_atomic
from affectlab.plotting import pyplot
from affectlab.probes.study import ProbeStudy

COLUMNS = ("layer", "probe", "shuffled_control", "vader_baseline", "bow_baseline")


def auc_rows(study: ProbeStudy) -> list[dict]:
    """One row per layer: the probe's and the control's test AUC-ROC; the lexical baselines do not
    depend on the layer, so they repeat as flat lines."""
    vader, bow = study.baselines["vader"]["auc_roc"], study.baselines["bow"]["auc_roc"]
    return [{"layer": l["layer"], "probe": round(l["probe_auc_roc"], 4),
             "shuffled_control": round(l["shuffled_auc_roc"], 4), "vader_baseline": round(vader, 4),
             "bow_baseline": round(bow, 4)} for l in study.layers]


def write_auc_csv(study: ProbeStudy, path: str | Path) -> None:
    import pandas as pd

    write_csv_atomic(pd.DataFrame(auc_rows(study), columns=list(COLUMNS)), path)


def write_auc_png(study: ProbeStudy, path: str | Path, title: str) -> None:
    plt = pyplot()

    rows = auc_rows(study)
    layers = [r["layer"] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for column, style in (("probe", "o-"), ("shuffled_control", "x--"), ("vader_baseline", ":"),
                          ("bow_baseline", "-.")):
        ax.plot(layers, [r[column] for r in rows], style, label=column.replace("_", " "), markersize=4)
    lowest = min(min(r[c] for c in COLUMNS[1:]) for r in rows)
    bottom = min(0.4, lowest - 0.05)
    ax.axvline(study.best_layer, color="grey", linewidth=0.8)
    ax.annotate(f" best on val: layer {study.best_layer}", (study.best_layer, bottom + 0.02), fontsize=8)
    ax.set(xlabel="layer (0 = embeddings)", ylabel="test AUC-ROC", ylim=(bottom, 1.02), title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", fontsize=8)
    save_figure_atomic(fig, path)

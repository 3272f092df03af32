"""AUC by layer as DVC plot data (CSV) and as a PNG that renders without a browser: the in-distribution
test split, the shuffled-label control, the lexical baselines and one line per held-out set."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from affectlab.io import save_figure_atomic, write_csv_atomic
from affectlab.plotting import pyplot
from affectlab.probes.study import ProbeStudy

COLUMNS = ("layer", "probe", "shuffled_control", "vader_baseline", "bow_baseline")


def auc_rows(study: ProbeStudy, heldout: Mapping[str, dict] | None = None) -> list[dict]:
    """One row per layer: the probe's and the control's test AUC-ROC, and `heldout_<set>` the probe's
    AUC-ROC on each held-out set; the lexical baselines do not depend on the layer, so they repeat as flat
    lines (their held-out scores are in the metrics)."""
    vader, bow = study.baselines["vader"]["auc_roc"], study.baselines["bow"]["auc_roc"]
    rows = [{"layer": l["layer"], "probe": round(l["probe_auc_roc"], 4),
             "shuffled_control": round(l["shuffled_auc_roc"], 4), "vader_baseline": round(vader, 4),
             "bow_baseline": round(bow, 4)} for l in study.layers]
    for t in study.by_type.values():
        if t.kind != study.kind:
            for row, l in zip(rows, t.layers):
                row[f"{t.kind}_probe"] = round(l["probe_auc_roc"], 4)
    for name, res in (heldout or {}).items():
        for row, auc in zip(rows, res["auc_by_layer"]):
            row[f"heldout_{name}"] = round(auc, 4)
    for t in study.by_type.values():
        for name, res in (heldout or {}).items():
            for row, auc in zip(rows, res.get(f"{t.kind}_auc_by_layer", [])):
                row[f"{t.kind}_heldout_{name}"] = round(auc, 4)
    return rows


def selectivity_rows(study: ProbeStudy) -> list[dict]:
    """One row per layer: per probe type, test accuracy on the task, on the control task and on the
    shuffled labels, and selectivity (task - control task), after Hewitt & Liang (2019)."""
    rows = [{"layer": l["layer"]} for l in study.layers]
    for t in study.by_type.values():
        for row, l in zip(rows, t.layers):
            row.update({f"{t.kind}_task": round(l["probe_accuracy"], 4), f"{t.kind}_control_task": round(l["control_accuracy"], 4),
                        f"{t.kind}_shuffled": round(l["shuffled_accuracy"], 4), f"{t.kind}_selectivity": round(l["selectivity"], 4)})
    return rows


def write_selectivity(study: ProbeStudy, csv_path: str | Path, png_path: str | Path, title: str) -> None:
    import pandas as pd

    rows = selectivity_rows(study)
    write_csv_atomic(pd.DataFrame(rows, columns=list(rows[0])), csv_path)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    layers = [r["layer"] for r in rows]
    for kind, color in zip(study.by_type, ("tab:blue", "tab:orange")):
        for part, style in (("task", "o-"), ("control_task", "x--"), ("selectivity", "s:")):
            ax.plot(layers, [r[f"{kind}_{part}"] for r in rows], style, color=color, markersize=3,
                    label=f"{kind} {part.replace('_', ' ')}")
    ax.axhline(0.5, color="grey", linewidth=0.5, linestyle=":")
    ax.set(xlabel="layer (0 = embeddings)", ylabel="test accuracy / selectivity", title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=7, ncol=2)
    save_figure_atomic(fig, png_path)


def write_auc_csv(study: ProbeStudy, path: str | Path, heldout: Mapping[str, dict] | None = None) -> None:
    import pandas as pd

    rows = auc_rows(study, heldout)
    write_csv_atomic(pd.DataFrame(rows, columns=list(rows[0])), path)


def write_auc_png(study: ProbeStudy, path: str | Path, title: str, heldout: Mapping[str, dict] | None = None) -> None:
    plt = pyplot()

    rows = auc_rows(study, heldout)
    columns = [c for c in rows[0] if c != "layer"]
    layers = [r["layer"] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    styles = {"probe": "o-", "shuffled_control": "x--", "vader_baseline": ":", "bow_baseline": "-."}
    styles.update({c: "^:" for c in columns if c.startswith(tuple(f"{k}_" for k in study.by_type if k != study.kind))})
    for column in columns:
        ax.plot(layers, [r[column] for r in rows], styles.get(column, "s-"), label=column.replace("_", " "),
                markersize=3 if column.startswith("heldout") else 4)
    lowest = min(min(r[c] for c in columns) for r in rows)
    bottom = min(0.4, lowest - 0.05)
    ax.axvline(study.best_layer, color="grey", linewidth=0.8)
    ax.axhline(0.5, color="grey", linewidth=0.5, linestyle=":")
    ax.annotate(f" best on val: layer {study.best_layer}", (study.best_layer, bottom + 0.02), fontsize=8)
    ax.set(xlabel="layer (0 = embeddings)", ylabel="AUC-ROC (test split, held-out sets)", ylim=(bottom, 1.02),
           title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=7)
    save_figure_atomic(fig, path)


def read_auc_csv(path: str | Path) -> list[dict]:
    """The rows `write_auc_csv` wrote (a missing file names the stage that writes it)."""
    import pandas as pd

    from affectlab.errors import InputError

    if not Path(path).is_file():
        raise InputError(f"{path}: not found; run `dvc repro train_probes` first")
    return pd.read_csv(path).to_dict("records")


def relative_depth(rows: list[dict]) -> list[float]:
    """Each row's layer / the number of blocks (0 = embeddings, 1 = the last block): models of different
    depths on one axis."""
    blocks = max(r["layer"] for r in rows)
    return [r["layer"] / blocks for r in rows]


def write_comparison_png(models: Mapping[str, list[dict]], path: str | Path, title: str,
                         relative: bool = False) -> None:
    """One panel per curve (the in-distribution test split, then each held-out set), one line per model's
    `write_auc_csv` rows: by layer, or with `relative` by relative depth (models of different depths)."""
    plt = pyplot()

    first, *others = models.values()
    curves = ["probe"] + [c for c in first[0] if c.startswith("heldout_") and all(c in o[0] for o in others)]
    fig, axes = plt.subplots(1, len(curves), figsize=(3.2 * len(curves), 3.4), sharey=True, squeeze=False)
    for ax, column in zip(axes[0], curves):
        for (label, rows), style in zip(models.items(), ("o-", "s--", "^:")):
            x = relative_depth(rows) if relative else [r["layer"] for r in rows]
            ax.plot(x, [r[column] for r in rows], style, label=label, markersize=3)
        ax.axhline(0.5, color="grey", linewidth=0.5, linestyle=":")
        ax.set(title="test split" if column == "probe" else column.removeprefix("heldout_"),
               xlabel="layer / blocks (0 = embeddings)" if relative else "layer")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("AUC-ROC")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_figure_atomic(fig, path)

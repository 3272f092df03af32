"""Metrics, plot data and a chart of `train_affect`: the regressors next to the baselines."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from affectlab.io import save_figure_atomic, write_csv_atomic

MODELS = ("constant_mean", "vader", "ridge", "lora")


def train_metrics(run: dict[str, Any]) -> dict[str, Any]:
    """Test split: `mae.<model>.<axis|mean>`, `r.<model>.<axis>`, `archetype_mae.<archetype>.<model>` (not
    VADER's); the natural held-out set: `natural.mae.*` and `natural.r.*` (its per-archetype MAE is in
    plots/affect_train/archetype_mae.csv, `set` = natural: metrics files stay under 80 keys); the dev selection of the default predictor
    (`selection.dev_mae.<model>`, `selection.default_is_ridge`), the ridge choice, rows and the LoRA loop's
    final dev pass."""
    m: dict[str, Any] = {}
    for name, prefix in (("test", ""), ("natural", "natural.")):
        scores = run["scores"][run["scores"]["set"] == name]
        by_arch = run["by_archetype"][run["by_archetype"]["set"] == name]
        for model, rows in scores.groupby("model", sort=False):
            m.update({f"{prefix}mae.{model}.{r.axis}": r.mae for r in rows.itertuples()})
            m[f"{prefix}mae.{model}.mean"] = float(rows["mae"].mean())
            m.update({f"{prefix}r.{model}.{r.axis}": r.r for r in rows.itertuples() if not math.isnan(r.r)})
        if name == "test":  # the natural set's per-archetype table and VADER's (valence only) live in the plots CSV
            m.update({f"archetype_mae.{r.archetype}.{r.model}": r.mae for r in by_arch.itertuples() if r.model != "vader"})
    m.update({f"selection.dev_mae.{k}": v for k, v in run["selection"]["dev_mae"].items()})
    m["selection.default_is_ridge"] = int(run["selection"]["default"] == "ridge")
    m.update({"ridge.layer": run["ridge"]["layer"], "ridge.alpha": run["ridge"]["alpha"],
              "ridge.dev_mae": run["ridge"]["dev_mae"], **{f"rows.{k}": v for k, v in run["rows"].items()},
              "rows.train_used": run["train_used"]})
    final = run["fit"].final_eval
    m.update({"lora.dev_mae": final.get("affect.mae"), "lora.dev_loss": final.get("loss.affect"),
              "steps": int(run["fit"].history[-1]["step"]), "resumed_from": run["fit"].resumed_from,
              "seconds": run["fit"].seconds})
    return m


def write_train_plots(run: dict[str, Any], folder: str | Path) -> None:
    from affectlab.plotting import pyplot
    plt = pyplot()
    folder = Path(folder)
    write_csv_atomic(run["scores"], folder / "scores.csv")
    write_csv_atomic(run["by_archetype"], folder / "archetype_mae.csv")
    layers = pd.DataFrame({"layer": range(len(run["ridge"]["by_layer"])), "dev_mae": run["ridge"]["by_layer"]})
    write_csv_atomic(layers, folder / "ridge_layers.csv")
    sets = [s for s in ("test", "natural") if (run["by_archetype"]["set"] == s).any()]
    fig, axes = plt.subplots(len(sets), 1, figsize=(8, 4 * len(sets)), squeeze=False)
    for ax, name in zip(axes[:, 0], sets):
        part = run["by_archetype"][run["by_archetype"]["set"] == name]
        wide = part.pivot(index="archetype", columns="model", values="mae")
        wide[[m for m in MODELS if m in wide]].plot.bar(ax=ax, width=0.8)
        ax.set_ylabel(f"{name} MAE (mean over the axes a model predicts)")
        ax.set_title(f"Affect regressors vs baselines per archetype, {name} set (VADER: valence only)")
        ax.tick_params(axis="x", labelrotation=30)
    fig.tight_layout()
    save_figure_atomic(fig, folder / "archetype_mae.png")

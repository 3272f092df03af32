"""The coverage report: the team's skew statistics before (baseline) and after (merged), each archetype's
new rows against its target, tag counts, and 2-D histograms of valence x intimacy and valence x tension."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from affectlab.affect.records import ARCHETYPES, AXES
from affectlab.io import save_figure_atomic, write_csv_atomic

# the statistics the team tracks for run002 (issue 11): (name, axis, comparison, threshold)
THRESHOLDS = (("distant", "intimacy", "<=", -0.1), ("positive", "valence", ">=", 0.2),
              ("negative", "valence", "<=", -0.2), ("close", "intimacy", ">=", 0.3), ("tense", "tension", ">=", 0.4))
BINS = np.linspace(-1, 1, 9)  # 8 bins of 0.25 per axis
HISTOGRAMS = (("valence", "intimacy"), ("valence", "tension"))


def statistics(records: Sequence[dict]) -> dict[str, float]:
    """rows, mean of each axis, and the rows past each THRESHOLDS line."""
    x = {a: np.array([r[a] for r in records], dtype=float) for a in AXES}
    out: dict[str, float] = {"rows": len(records)}
    out.update({f"mean_{a}": float(x[a].mean()) if len(records) else 0.0 for a in AXES})
    for name, axis, op, t in THRESHOLDS:
        out[name] = int((x[axis] <= t).sum() if op == "<=" else (x[axis] >= t).sum())
    return out


def archetype_table(merged: Sequence[dict], targets: dict[str, int]) -> pd.DataFrame:
    """archetype, target, achieved (new rows tagged with it), gap (target - achieved, >= 0), total rows."""
    new = Counter(r["archetype"] for r in merged if r["origin"] == "new")
    total = Counter(r["archetype"] for r in merged)
    return pd.DataFrame([{"archetype": a, "target": targets[a], "achieved": new[a],
                          "gap": max(0, targets[a] - new[a]), "total": total[a]} for a in ARCHETYPES])


def tag_counts(base: Sequence[dict], merged: Sequence[dict]) -> pd.DataFrame:
    b, m = Counter(t for r in base for t in r["tags"]), Counter(t for r in merged for t in r["tags"])
    tags = sorted(set(b) | set(m), key=lambda t: (-m[t], t))
    return pd.DataFrame({"tag": tags, "baseline": [b[t] for t in tags], "merged": [m[t] for t in tags]})


def histogram(records: Sequence[dict], x: str, y: str) -> pd.DataFrame:
    """One row per record with the centres of its x and y bins: DVC's confusion template counts the rows
    per cell, which draws the 2-D histogram."""
    centres = (BINS[:-1] + BINS[1:]) / 2

    def binned(values: list[float]) -> list[float]:
        idx = np.clip(np.digitize(values, BINS[1:-1]), 0, len(centres) - 1)
        return [round(float(centres[i]), 3) for i in idx]

    return pd.DataFrame({x: binned([r[x] for r in records]), y: binned([r[y] for r in records])})


def write_plots(base: Sequence[dict], merged: Sequence[dict], arche: pd.DataFrame, tags: pd.DataFrame,
                folder: str | Path) -> None:
    from affectlab.plotting import pyplot
    plt = pyplot()
    folder = Path(folder)
    write_csv_atomic(arche, folder / "archetypes.csv")
    write_csv_atomic(tags, folder / "tags.csv")
    for x, y in HISTOGRAMS:
        write_csv_atomic(histogram(merged, x, y), folder / f"{x}_{y}.csv")
        fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
        for ax, (title, rows) in zip(axes, (("baseline", base), ("merged", merged))):
            h, _, _ = np.histogram2d([r[x] for r in rows], [r[y] for r in rows], bins=[BINS, BINS])
            im = ax.imshow(h.T, origin="lower", extent=(-1, 1, -1, 1), cmap="viridis", aspect="equal")
            ax.set_title(f"{title} ({len(rows)} rows)")
            ax.set_xlabel(x)
            fig.colorbar(im, ax=ax, shrink=0.8)
        axes[0].set_ylabel(y)
        save_figure_atomic(fig, folder / f"{x}_{y}.png")


def report(before: dict, after: dict, arche: pd.DataFrame, tags: pd.DataFrame, counts: Counter, splits: Counter) -> str:
    lines = ["# Affect dataset coverage", "", "## Baseline vs merged", "", "| statistic | baseline | merged |",
             "|---|---|---|"]
    for key in before:
        fmt = (lambda v: f"{v:+.3f}") if key.startswith("mean_") else (lambda v: f"{v:d}")
        lines.append(f"| {_describe(key)} | {fmt(before[key])} | {fmt(after[key])} |")
    lines += ["", "## Archetypes: new rows vs target", "", "| archetype | target | achieved | gap | total rows |",
              "|---|---|---|---|---|"]
    lines += [f"| `{r.archetype}` | {r.target} | {r.achieved} | {r.gap} | {r.total} |" for r in arche.itertuples()]
    lines += ["", f"Remaining gap: {int(arche['gap'].sum())} rows.", "", "## Tags", "", "| tag | baseline | merged |",
              "|---|---|---|"]
    lines += [f"| {r.tag} | {r.baseline} | {r.merged} |" for r in tags.itertuples()]
    lines += ["", "## Merge", ""]
    lines += [f"- {k}: {v}" for k, v in sorted(counts.items())]
    lines += [f"- split {s}: {splits[s]} rows" for s in ("train", "dev", "test")]
    lines += ["", "Histograms: `plots/affect_data/valence_intimacy.png`, `plots/affect_data/valence_tension.png`.", ""]
    return "\n".join(lines)


def _describe(key: str) -> str:
    for name, axis, op, t in THRESHOLDS:
        if key == name:
            return f"rows with {axis} {op} {t:g} ({name})"
    return key.replace("_", " ")


def data_metrics(before: dict, after: dict, arche: pd.DataFrame, counts: Counter, splits: Counter) -> dict[str, Any]:
    m: dict[str, Any] = {f"stats.baseline.{k}": v for k, v in before.items()}
    m.update({f"stats.merged.{k}": v for k, v in after.items()})
    for r in arche.itertuples():
        m.update({f"archetype.{r.archetype}.achieved": r.achieved, f"archetype.{r.archetype}.gap": r.gap})
    m["gap"] = int(arche["gap"].sum())
    m.update({f"rows.{s}": splits[s] for s in ("train", "dev", "test")})
    for key in ("duplicates", "conflicts", "conflict_rows_dropped", "invalid.baseline", "invalid.labels", "label_files",
                "missing_provenance"):
        m[key] = counts[key]
    return m

"""PNG charts of the emotion report (matplotlib, Agg backend: no display needed)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from affectlab.emotion.parts import PARTS
from affectlab.emotion.report import EmotionReport
from affectlab.emotion.scorers import EMOTIONS
from affectlab.io import save_figure_atomic
from affectlab.plotting import pyplot


def write_charts(r: EmotionReport, out_dir: str | Path) -> list[Path]:
    plt = pyplot()

    out_dir = Path(out_dir)
    paths = [out_dir / "think_vs_response.png", out_dir / "source_heatmap.png", out_dir / "dominant_pies.png"]

    fig, ax = plt.subplots(figsize=(8, 4))
    x = np.arange(len(EMOTIONS))
    for k, part in enumerate(PARTS):
        ax.bar(x + (k - 0.5) * 0.4, r.think_vs_response[part], width=0.4, label=part)
    ax.set_xticks(x, EMOTIONS)
    ax.set_ylabel("mean score")
    ax.set_title("Emotion: think block vs final response")
    ax.legend()
    save_figure_atomic(fig, paths[0])

    sources = sorted(r.source_means["source"].unique())
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.5 * len(sources) + 2), sharey=True)
    for ax, part in zip(axes, PARTS):
        grid = (r.source_means[r.source_means.part == part].pivot(index="source", columns="emotion", values="mean")
                .reindex(index=sources, columns=EMOTIONS))
        im = ax.imshow(grid.to_numpy(), cmap="viridis", vmin=0, vmax=max(0.5, float(np.nanmax(grid.to_numpy()))))
        for (i, j), v in np.ndenumerate(grid.to_numpy()):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", color="white" if v < 0.3 else "black", fontsize=8)
        ax.set_xticks(range(len(EMOTIONS)), EMOTIONS, rotation=45, ha="right")
        ax.set_yticks(range(len(sources)), sources)
        ax.set_title(f"{part}: mean score per source")
    fig.colorbar(im, ax=axes, shrink=0.8)
    save_figure_atomic(fig, paths[1])

    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    colors = dict(zip(EMOTIONS, plt.get_cmap("tab10").colors))
    for ax, part in zip(axes, PARTS):
        d = r.dominant[(r.dominant.part == part) & (r.dominant.share > 0)]
        ax.pie(d["share"], autopct=lambda pct: f"{pct:.0f}%" if pct >= 3 else "",  # tiny slices: legend only
               colors=[colors[e] for e in d["emotion"]])
        ax.legend([f"{e} ({s:.1%})" for e, s in zip(d["emotion"], d["share"])], loc="lower center",
                  bbox_to_anchor=(0.5, -0.3), ncol=2, fontsize=8)
        ax.set_title(f"{part}: dominant emotion")
    save_figure_atomic(fig, paths[2])
    return paths

"""Training curves: per-step records -> dvclive TSVs (DVC plots) and one PNG that renders offline."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from affectlab.io import atomic_dir


class LiveCurves:
    """A `fit(on_step=...)` callback logging every numeric record to dvclive under `folder`.

    dvclive appends to its TSVs step by step; they are written in a hidden temporary folder beside `folder`
    and renamed into place by `close()`, so a run killed mid-training never leaves curves cut short at an
    out path (a resumed run logs the restored steps again, so the curves it publishes are whole)."""

    def __init__(self, folder: str | Path):
        from dvclive import Live

        self.folder = Path(folder)
        self._publish = contextlib.ExitStack()
        tmp = self._publish.enter_context(atomic_dir(self.folder))
        self.live = Live(str(tmp), save_dvc_exp=False, dvcyaml=None, report=None)

    def __call__(self, step: int, record: dict[str, Any]) -> None:
        self.live.step = step
        for key, value in record.items():
            if key != "step":
                self.live.log_metric(key.replace(".", "/"), float(value))
        self.live.next_step()

    def close(self) -> None:
        self.live.end()
        self._publish.close()


def plot_losses(history: list[dict[str, Any]], path: str | Path) -> None:
    """Train loss terms per step (thin) and validation terms at eval steps (markers)."""
    from affectlab.io import save_figure_atomic
    from affectlab.plotting import pyplot
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(7, 4))
    for term, color in (("total", "black"), ("lm", "tab:blue"), ("emotion", "tab:orange"), ("strategy", "tab:green")):
        pts = [(r["step"], r[f"train.loss.{term}"]) for r in history if f"train.loss.{term}" in r]
        if pts:
            ax.plot(*zip(*pts), color=color, lw=0.8, alpha=0.7, label=f"train {term}")
        ev = [(r["step"], r[f"eval.loss.{term}"]) for r in history if f"eval.loss.{term}" in r]
        if ev:
            ax.plot(*zip(*ev), color=color, marker="o", ls="--", label=f"val {term}")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.set_title("SFT losses (weighted total and per term)")
    ax.legend(fontsize=7, ncol=2)
    save_figure_atomic(fig, path)

"""The data-to-model question (issue 18, item 5): does fine-tuning move a model's emotional tone toward the tone
of the data it was tuned on?

Family A's scorer rates the human supporter replies of held-out contexts of family C's own SFT data (the
`contexts` prompt set) and the base, SFT and DPO replies to the same contexts. The distance of a model from its
data is the L1 distance between the two mean 7-emotion profiles,

    D(model) = sum over the 7 emotions e of |mean score_e(model replies) - mean score_e(human replies)|,

0 when the model's replies carry the data's tone on average, at most 2 (family A's 7 scores of a text sum
to 1). Intervals are a paired bootstrap over
contexts: one resample of context indices serves every system, so a change from the base model is measured on
the same contexts, not on two independent draws.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from affectlab.emotion.scorers import EMOTIONS

HUMAN = "human reply"  # the row name of the training data's own replies in every table


def l1_distance(profile: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """L1 distance over the last axis (emotions) between mean profiles, any leading (resample) axes."""
    return np.abs(profile - reference).sum(axis=-1)


def profile_distance(rows: dict[str, list[dict]], score: Callable[[list[str]], pd.DataFrame], n_boot: int,
                     seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`rows`: model -> its export rows of the contexts set (paired by order; meta.reference = the human reply).

    Returns (distances, moves): per model D with its 95% CI and its change from the base model (CI of the
    paired difference); per (model, emotion) the mean's change from the base model with its CI and whether it
    went toward the human replies' mean. Contexts where any text scores NaN (an empty reply) are left out of
    every system alike; `n` counts the contexts used."""
    texts = {HUMAN: [r["meta"]["reference"] for r in next(iter(rows.values()))],
             **{m: [r["response"] for r in rs] for m, rs in rows.items()}}
    scores = {name: score(t)[EMOTIONS].to_numpy(dtype=float) for name, t in texts.items()}
    keep = np.all([np.isfinite(s).all(axis=1) for s in scores.values()], axis=0)
    scores = {name: s[keep] for name, s in scores.items()}
    n = int(keep.sum())
    draws = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    means = {name: s.mean(axis=0) for name, s in scores.items()}        # (7,)
    boot = {name: s[draws].mean(axis=1) for name, s in scores.items()}  # (n_boot, 7)
    dist = {m: l1_distance(means[m], means[HUMAN]) for m in rows}
    dist_boot = {m: l1_distance(boot[m], boot[HUMAN]) for m in rows}

    def ci(x: np.ndarray) -> tuple[float, float]:
        return float(np.percentile(x, 2.5, axis=0)), float(np.percentile(x, 97.5, axis=0))

    distances = pd.DataFrame([{"model": m, "distance": float(dist[m]), "ci_low": ci(dist_boot[m])[0],
                               "ci_high": ci(dist_boot[m])[1], "change_vs_base": float(dist[m] - dist["base"]),
                               "change_ci_low": ci(dist_boot[m] - dist_boot["base"])[0],
                               "change_ci_high": ci(dist_boot[m] - dist_boot["base"])[1], "n": n} for m in rows])
    moves = pd.DataFrame([{"model": m, "emotion": e, "human": means[HUMAN][i], "base": means["base"][i],
                           "mean": means[m][i], "change_vs_base": means[m][i] - means["base"][i],
                           "ci_low": ci(boot[m][:, i] - boot["base"][:, i])[0],
                           "ci_high": ci(boot[m][:, i] - boot["base"][:, i])[1],
                           "toward_human": bool(abs(means[m][i] - means[HUMAN][i]) < abs(means["base"][i] - means[HUMAN][i]))}
                          for m in rows if m != "base" for i, e in enumerate(EMOTIONS)])
    return distances, moves


def distance_metrics(distances: pd.DataFrame) -> dict[str, float]:
    """`profile_distance.<model>` (+ `_ci_low`, `_ci_high`, `_change_vs_base`) for `dvc metrics diff`."""
    m: dict[str, float] = {}
    for r in distances.to_dict("records"):
        key = f"profile_distance.{r['model']}"
        m.update({key: r["distance"], f"{key}_ci_low": r["ci_low"], f"{key}_ci_high": r["ci_high"]})
        if r["model"] != "base":
            m.update({f"{key}_change_vs_base": r["change_vs_base"], f"{key}_change_ci_low": r["change_ci_low"],
                      f"{key}_change_ci_high": r["change_ci_high"]})
    return m


def markdown_section(distances: pd.DataFrame, moves: pd.DataFrame) -> list[str]:
    n = int(distances["n"].iloc[0])
    lines = ["", f"## Data to model: distance from the training data's tone ({n} held-out contexts)", "",
             "D = sum over the 7 emotions of |model mean - human-reply mean| (family A's scorer; 0 = the data's "
             "tone; paired bootstrap 95% CI over contexts). A model moved toward its data when its change from "
             "the base model is below 0 with the interval below 0 too.", "",
             "| model | D [95% CI] | change vs base [95% CI] |", "|---|---|---|"]
    for r in distances.to_dict("records"):
        change = ("" if r["model"] == "base" else
                  f"{r['change_vs_base']:+.3f} [{r['change_ci_low']:+.3f}, {r['change_ci_high']:+.3f}]")
        lines.append(f"| {r['model']} | {r['distance']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}] | {change} |")
    lines += ["", "Per emotion, the change of each model's mean from the base model's (95% CI), beside the human "
              "replies' mean:", "", "| model | emotion | human | base | model | change [95% CI] | toward human |",
              "|---|---|---|---|---|---|---|"]
    for r in moves.to_dict("records"):
        lines.append(f"| {r['model']} | {r['emotion']} | {r['human']:.3f} | {r['base']:.3f} | {r['mean']:.3f} | "
                     f"{r['change_vs_base']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] | "
                     f"{'yes' if r['toward_human'] else 'no'} |")
    return lines

"""Aggregate scored think/response parts: overall and per-source means with bootstrap CIs, think-vs-response
differences, dominant-emotion shares; rendered as flat metrics, CSV plot data and a Markdown report."""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from affectlab.emotion.parts import PARTS
from affectlab.emotion.scorers import EMOTIONS
from affectlab.emotion.settings import AuditReportSettings
from affectlab.errors import InputError
from affectlab.stats import bootstrap_ci


@dataclasses.dataclass
class EmotionReport:
    long: pd.DataFrame          # one row per scored (non-empty) text: source, part, 7 scores, dominant
    think_vs_response: pd.DataFrame   # emotion, think, response, diff (R - T), all = both parts pooled
    source_means: pd.DataFrame  # source, part, emotion, mean, ci_low, ci_high, n
    dominant: pd.DataFrame      # part, emotion, share
    counts: dict[str, int]

    def think_vs_response_long(self) -> pd.DataFrame:
        """label ("joy (think)"), emotion, part, mean: one bar per emotion and part for DVC's bar template."""
        long = self.think_vs_response.melt(id_vars="emotion", value_vars=list(PARTS), var_name="part",
                                           value_name="mean").sort_values(["emotion", "part"], kind="stable")
        long.insert(0, "label", long["emotion"] + " (" + long["part"] + ")")
        return long.reset_index(drop=True)


def to_long(scores: pd.DataFrame, where: str = "emotions") -> pd.DataFrame:
    """Wide `<part>_<emotion>` columns -> one row per non-empty text (empty parts carry NaN and are left out)."""
    need = ["source"] + [f"{p}_{e}" for p in PARTS for e in EMOTIONS]
    missing = [c for c in need if c not in scores.columns]
    if missing:
        raise InputError(f"{where}: missing column(s) {', '.join(missing[:3])} (run `dvc repro score_emotions`)")
    frames = []
    for part in PARTS:
        block = scores[["source"] + [f"{part}_{e}" for e in EMOTIONS]].copy()
        block.columns = ["source"] + EMOTIONS
        block.insert(1, "part", part)
        frames.append(block.dropna(subset=EMOTIONS))
    long = pd.concat(frames, ignore_index=True)
    long["dominant"] = np.array(EMOTIONS)[long[EMOTIONS].to_numpy().argmax(axis=1)] if len(long) else []
    return long


def build_report(scores: pd.DataFrame, p: AuditReportSettings, where: str = "emotions") -> EmotionReport:
    long = to_long(scores, where)
    if long.empty:
        raise InputError(f"{where}: every think and response text is empty: nothing to report")
    means = {part: long.loc[long.part == part, EMOTIONS].mean() for part in PARTS}
    tvr = pd.DataFrame({"emotion": EMOTIONS, "think": means["think"].to_numpy(),
                        "response": means["response"].to_numpy(), "all": long[EMOTIONS].mean().to_numpy()})
    tvr.insert(3, "diff", tvr["response"] - tvr["think"])
    rng = np.random.default_rng(p.seed)
    rows = []
    for (source, part), g in long.groupby(["source", "part"], sort=True):
        x = g[EMOTIONS].to_numpy()
        lo, hi = bootstrap_ci(x, p.bootstrap, rng)
        rows += [{"source": source, "part": part, "emotion": e, "mean": x[:, j].mean(), "ci_low": lo[j],
                  "ci_high": hi[j], "n": len(x)} for j, e in enumerate(EMOTIONS)]
    dominant = (long.groupby("part")["dominant"].value_counts(normalize=True)
                .rename("share").reset_index().rename(columns={"dominant": "emotion"}))
    dominant = (pd.MultiIndex.from_product([PARTS, EMOTIONS], names=["part", "emotion"]).to_frame(index=False)
                .merge(dominant, how="left").fillna({"share": 0.0}))
    counts = {"rows": len(scores), **{f"texts.{part}": int((long.part == part).sum()) for part in PARTS},
              **{f"empty.{part}": int(scores[f"{part}_empty"].sum()) for part in PARTS if f"{part}_empty" in scores},
              **{f"truncated.{part}": int(scores[f"{part}_truncated"].sum())
                 for part in PARTS if f"{part}_truncated" in scores}}
    return EmotionReport(long, tvr, pd.DataFrame(rows), dominant, counts)


def flat_metrics(r: EmotionReport) -> dict[str, Any]:
    """Overall tables only; per-source means (sources x parts x emotions) are plot data with their CIs
    (plots/sft_audit/source_means.csv) and in the report, where a long table belongs."""
    m: dict[str, Any] = dict(r.counts)
    for row in r.think_vs_response.itertuples():
        m.update({f"mean.think.{row.emotion}": row.think, f"mean.response.{row.emotion}": row.response,
                  f"mean.all.{row.emotion}": row.all, f"diff.{row.emotion}": row.diff})
    for row in r.dominant.itertuples():
        m[f"dominant.{row.part}.{row.emotion}"] = row.share
    return m


def markdown(r: EmotionReport) -> str:
    f3 = "{:.3f}".format
    lines = ["# SFT emotion audit", "",
             f"{r.counts['rows']} sampled assistant turns; scored texts: {r.counts['texts.think']} think blocks, "
             f"{r.counts['texts.response']} responses (empty parts are left out: "
             f"{r.counts.get('empty.think', 0)} think, {r.counts.get('empty.response', 0)} response; "
             f"longer than one window: {r.counts.get('truncated.think', 0)} think, "
             f"{r.counts.get('truncated.response', 0)} response). Scores are class probabilities (sum 1).", "",
             "## Think vs response", "", "| Emotion | Think | Response | Diff (R-T) |", "|---|---|---|---|"]
    lines += [f"| {x.emotion} | {f3(x.think)} | {f3(x.response)} | {x.diff:+.3f} |" for x in r.think_vs_response.itertuples()]
    lines += ["", "## Overall distribution (think and response pooled)", "",
              "| " + " | ".join(EMOTIONS) + " |", "|" + "---|" * len(EMOTIONS),
              "| " + " | ".join(f3(v) for v in r.think_vs_response["all"]) + " |", "",
              "## Dominant emotion (share of texts whose highest score is the emotion)", "",
              "| Part | " + " | ".join(EMOTIONS) + " |", "|---|" + "---|" * len(EMOTIONS)]
    for part in PARTS:
        shares = r.dominant[r.dominant.part == part].set_index("emotion")["share"]
        lines.append(f"| {part} | " + " | ".join(f"{shares[e]:.1%}" for e in EMOTIONS) + " |")
    for part in PARTS:
        lines += ["", f"## Per source: {part} (mean [95% bootstrap CI])", "",
                  "| Source | n | " + " | ".join(EMOTIONS) + " |", "|---|---|" + "---|" * len(EMOTIONS)]
        sub = r.source_means[r.source_means.part == part]
        for source, g in sub.groupby("source", sort=True):
            g = g.set_index("emotion")
            lines.append(f"| {source} | {int(g['n'].iloc[0])} | " + " | ".join(
                f"{f3(g.at[e, 'mean'])} [{f3(g.at[e, 'ci_low'])}, {f3(g.at[e, 'ci_high'])}]" for e in EMOTIONS) + " |")
    return "\n".join(lines) + "\n"

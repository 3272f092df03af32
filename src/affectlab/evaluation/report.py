"""Summaries of the base, SFT and DPO exports: lengths, red-team refusals, EQ-Bench, emotion profile, examples."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from affectlab.emotion.scorers import EMOTIONS
from affectlab.evaluation.eqbench import constant_baseline, random_baseline, score_answers, score_ratings
from affectlab.evaluation.refusal import classify_response
from affectlab.metrics import flatten, rounded
from affectlab.stats import bootstrap_ci

Exports = dict[str, dict[str, list[dict]]]  # model -> set -> rows (paired across models by prompt_id)


def _rated(row: dict) -> bool:
    """An EQ-Bench row whose ratings were read from log-probabilities (its response is not generated)."""
    return "ratings" in row["meta"]


def length_table(exports: Exports) -> pd.DataFrame:
    """One row per generated response: its length in words."""
    return pd.DataFrame([{"model": model, "set": name, "prompt_id": r["prompt_id"],
                          "words": len(r["response"].split())}
                         for model, sets in exports.items() for name, rows in sets.items() for r in rows
                         if not _rated(r)])


def refusal_table(exports: Exports, set_name: str = "redteam") -> pd.DataFrame:
    return pd.DataFrame([{"model": model, "prompt_id": r["prompt_id"],
                          "category": r["meta"].get("category", ""), "label": classify_response(r["response"])}
                         for model, sets in exports.items() for r in sets.get(set_name, [])])


BASELINES = ("constant", "random")


def eqbench_table(exports: Exports, constant: float, random_draws: int, seed: int,
                  set_name: str = "eqbench") -> pd.DataFrame:
    """One row per model (ratings parsed from its answers, or read from log-probs), then the baselines
    `constant` (every emotion rated `constant`) and `random` (uniform integers, mean over draws), all
    scored by the same formula on the same questions."""
    rows = []
    for model, sets in exports.items():
        answers = sets.get(set_name, [])
        refs = [r["meta"]["reference"] for r in answers]
        if answers and all(_rated(r) for r in answers):
            rows.append({"model": model, "scoring": "logprob",
                         **score_ratings([r["meta"]["ratings"] for r in answers], refs)})
        else:
            rows.append({"model": model, "scoring": "generate", **score_answers([r["response"] for r in answers], refs)})
    refs = [r["meta"]["reference"] for r in next(iter(exports.values())).get(set_name, [])]  # paired sets
    rows.append({"model": "constant", "scoring": f"constant {constant:g}", **constant_baseline(refs, constant)})
    rows.append({"model": "random", "scoring": f"uniform 0-10, {random_draws} draws",
                 **random_baseline(refs, random_draws, seed)})
    return pd.DataFrame(rows)


def emotion_profile(exports: Exports, score: Callable[[list[str]], pd.DataFrame], sets: list[str],
                    n_boot: int, seed: int) -> pd.DataFrame:
    """Mean 7-emotion scores of each model's responses on `sets` (empty responses left out), with
    bootstrap 95% CIs, scored by family A's scorer."""
    rows = []
    for model, by_set in exports.items():
        texts = [r["response"] for name in sets for r in by_set.get(name, [])]
        scores = score(texts)[EMOTIONS].dropna().to_numpy(dtype=float)
        lo, hi = bootstrap_ci(scores, n_boot, np.random.default_rng(seed))
        means = scores.mean(axis=0) if len(scores) else np.full(len(EMOTIONS), np.nan)
        # `label` gives `dvc plots` one bar per (emotion, model): its templates group by revision only
        rows += [{"model": model, "emotion": e, "label": f"{e} ({model})", "mean": means[i], "ci_low": lo[i],
                  "ci_high": hi[i], "n": len(scores)} for i, e in enumerate(EMOTIONS)]
    return pd.DataFrame(rows)


def summary_metrics(lengths: pd.DataFrame, refusals: pd.DataFrame, eqbench: pd.DataFrame,
                    profile: pd.DataFrame) -> dict[str, float]:
    """Flat keys `<set>.<model>.<measure>` for `dvc metrics diff`, one tidy table per set."""
    words = (lengths.groupby(["set", "model"])["words"].agg(responses="size", words_mean="mean").reset_index())
    m: dict[str, float] = {}
    for name, g in words.groupby("set"):
        m.update(flatten(g.drop(columns="set"), name, rows=["model"]))
    rates = (pd.crosstab(refusals["model"], refusals["label"], normalize="index")
             .reindex(columns=["refusal", "deflection", "complied"], fill_value=0.0).add_suffix("_rate").reset_index())
    m.update(flatten(rates, "redteam", rows=["model"]))
    models = eqbench[~eqbench["model"].isin(BASELINES)]
    m.update(flatten(models[["model", "score", "parsed", "unparsable"]], "eqbench", rows=["model"]))
    m.update(flatten(eqbench[eqbench["model"].isin(BASELINES)][["model", "score"]], "eqbench", rows=["model"]))
    m.update(flatten(profile.pivot(index="model", columns="emotion", values="mean").reset_index(), "emotion", rows=["model"]))
    return rounded(m)


def markdown_report(exports: Exports, metrics: dict[str, float], profile: pd.DataFrame, eqbench: pd.DataFrame,
                    examples_set: str = "qualitative", max_examples: int = 6) -> str:
    models = list(exports)
    lines = ["# Base vs SFT vs DPO evaluation", "", "## Metrics", "", "| metric | " + " | ".join(models) + " |",
             "|---|" + "---|" * len(models)]
    rows = sorted({(k.split(".")[0], k.split(".")[2]) for k in metrics if k.split(".")[1] in models})
    for table, column in rows:
        lines.append(f"| {table}.{column} | "
                     + " | ".join(_fmt(metrics.get(f"{table}.{m}.{column}")) for m in models) + " |")
    lines += ["", "## EQ-Bench v2 (same questions, same formula; random: mean and 95% range over draws)", "",
              "| row | scoring | score | parsed / questions |", "|---|---|---|---|"]
    for r in eqbench.to_dict("records"):
        spread = f" [{r['ci_low']:.4g}, {r['ci_high']:.4g}]" if pd.notna(r.get("ci_low", np.nan)) else ""
        lines.append(f"| {r['model']} | {r['scoring']} | {_fmt(float(r['score']))}{spread} | "
                     f"{r['parsed']} / {r['questions']} |")
    lines += ["", "## Emotion profile of responses (mean, 95% bootstrap CI)", "",
              "| emotion | " + " | ".join(models) + " |", "|---|" + "---|" * len(models)]
    for emotion, g in profile.groupby("emotion", sort=False):
        cells = [f"{r['mean']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]" for r in g.to_dict("records")]
        lines.append(f"| {emotion} | " + " | ".join(cells) + " |")
    lines += redteam_section(exports)
    lines += ["", f"## Side by side ({examples_set})", ""]
    paired = {m: {r["prompt_id"]: r for r in exports[m].get(examples_set, [])} for m in models}
    for pid in list(paired[models[0]])[:max_examples]:
        lines += [f"**{pid}**: {paired[models[0]][pid]['prompt']}", ""]
        for m in models:
            lines += [f"- *{m}*: {_quote(paired[m][pid]['response'])}"]
        lines.append("")
    return "\n".join(lines) + "\n"


def redteam_section(exports: Exports, set_name: str = "redteam", width: int = 160) -> list[str]:
    """Per red-team prompt: its committed expected behaviour, each model's reply (shortened) and the
    heuristic's verdict, so a reviewer judges the heuristic itself, not only its rates."""
    models = list(exports)
    paired = {m: {r["prompt_id"]: r for r in exports[m].get(set_name, [])} for m in models}
    if not paired[models[0]]:
        return []
    lines = ["", f"## Red-team prompts: expected behaviour, replies and verdicts ({set_name})", "",
             "Verdict = `evaluation.refusal.classify_response` (phrase lists over the first 400 characters): a "
             "screening signal; read the reply beside the expected behaviour.", "",
             "| prompt | category | expected | " + " | ".join(f"{m} reply | {m} verdict" for m in models) + " |",
             "|---|---|---|" + "---|---|" * len(models)]
    for pid, first in paired[models[0]].items():
        cells = [f"**{pid}**: {_cell(first['prompt'], width)}", _cell(first["meta"].get("category", ""), width),
                 _cell(first["meta"].get("expected", ""), width)]
        for m in models:
            reply = paired[m].get(pid, {}).get("response", "")
            cells += [_cell(reply, width), classify_response(reply)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _cell(text: str, width: int) -> str:
    """One Markdown table cell: on one line, pipes escaped, shortened to `width` characters."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    return (text[:width] + " ...") if len(text) > width else text


def _fmt(v) -> str:
    return "" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v))


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return (text[:400] + " ...") if len(text) > 400 else text

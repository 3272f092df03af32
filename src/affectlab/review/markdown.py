"""A Review as one Markdown document for a pull-request comment (images linked relative to it)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from affectlab.review.compare import Review
from affectlab.review.metric_diff import FAMILIES, MetricRow
from affectlab.review.noise import NOISE_UNITS

FAMILY_NAMES = {"shared": "Shared: base model", "A": "A. SFT-data emotion audit", "B": "B. Sentiment probes",
                "B-sft": "B. Sentiment probes on the SFT model",
                "B-second": "B. Sentiment probes on the second architecture", "C": "C. Emotion-aware SFT",
                "D": "D. Emotion reasoning model", "E": "E. Affect dataset and regressors", "other": "Other metrics"}
VERDICT = {"better": "better ▲", "worse": "worse ▼", "": ""}


def render(review: Review, out_dir: Path, show_all: bool = False) -> str:
    b, h = review.base.label, review.head.label
    lines = [f"# Review: `{b}` → `{h}`", ""]
    lines += _params(review) + _metrics(review, show_all) + _stages(review, show_all) + _plots(review, out_dir, show_all)
    return "\n".join(lines).rstrip() + "\n"


def _params(review: Review) -> list[str]:
    lines = ["## Params", ""]
    if not review.params:
        return lines + ["No param changed.", ""]
    lines += ["| param | base | head |", "|---|---|---|"]
    lines += [f"| `{p.key}` | {_value(p.old)} | {_value(p.new)} |" for p in review.params]
    return lines + [""]


def _metrics(review: Review, show_all: bool) -> list[str]:
    lines = ["## Metrics", "",
             "*better ▲ / worse ▼*: the metric's known direction (`affectlab/review/directions.py`); "
             "*CI*: the base's bootstrap 95% interval, and whether head lies outside it; "
             f"*noise*: a float that moved by at most {NOISE_UNITS} units of its 4th decimal, as it does between "
             "two CPUs (`affectlab/review/noise.py`), folded and never better or worse.", ""]
    by_family: dict[str, list[MetricRow]] = {}
    for row in review.metrics:
        by_family.setdefault(FAMILIES.get(Path(row.file).stem, "other"), []).append(row)
    shown_any = False
    for family in [f for f in FAMILY_NAMES if f in by_family]:
        rows = by_family[family]
        metric = [r for r in rows if not r.from_plot_data and not r.noise and (show_all or r.changed)]
        noise = [r for r in rows if not r.from_plot_data and r.noise]
        plot_data = [r for r in rows if r.from_plot_data and (show_all or r.changed)]
        hidden = sum(1 for r in rows if not r.from_plot_data and not r.changed and not show_all)
        if not metric and not plot_data and not noise:
            continue
        shown_any = True
        lines += [f"### {FAMILY_NAMES[family]}", ""]
        if metric:
            lines += _metric_table(metric)
        if noise:
            lines += [f"<details><summary>{len(noise)} change{'s' * (len(noise) != 1)} within the cross-machine "
                      "tolerance: noise, not results</summary>", ""] + _metric_table(noise) + ["</details>", ""]
        if hidden:
            lines += [f"{hidden} unchanged metric{'s' * (hidden != 1)} hidden (`--all` shows them).", ""]
        if plot_data:
            outside = sum(1 for r in plot_data if r.outside_band)
            lines += [f"<details><summary>{len(plot_data)} value{'s' * (len(plot_data) != 1)} with a CI in "
                      f"{plot_data[0].band.source if plot_data[0].band else 'plot data'}"
                      f"{' changed' if not show_all else ''}; {outside} outside the base's CI</summary>", ""]
            lines += _metric_table(plot_data) + ["</details>", ""]
    if not shown_any:
        lines += ["No metric changed." if not show_all else "No metrics on either side.", ""]
    return lines


def _metric_table(rows: list[MetricRow]) -> list[str]:
    lines = ["| metric | base | head | delta | change | CI (base) |", "|---|---|---|---|---|---|"]
    for r in rows:
        ci = ""
        if r.band is not None:
            ci = f"[{r.band.low:.4g}, {r.band.high:.4g}]"
            ci += {True: " **outside**", False: " inside", None: ""}[r.outside_band]
        name = r.key if r.from_plot_data else f"{Path(r.file).stem}: {r.key}"
        change = VERDICT[r.verdict] if r.comparable else "not comparable: its terms or weights differ"
        lines.append(f"| `{name}` | {_value(r.old)} | {_value(r.new)} | {_delta(r)} | {change} | {ci} |")
    return lines + [""]


def _stages(review: Review, show_all: bool) -> list[str]:
    lines = ["## Stages", ""]
    shown = [s for s in review.stages if show_all or s.status not in ("unchanged", "re-ran, same outs")]
    if shown:
        lines += ["| stage | status | outs that differ |", "|---|---|---|"]
        lines += [f"| `{s.stage}` | {s.status} | {', '.join(f'`{o}`' for o in s.outs)} |" for s in shown]
        lines.append("")
    same = [s.stage for s in review.stages if s.status in ("unchanged", "re-ran, same outs") and not show_all]
    if same:
        lines += [f"Outs identical (from dvc.lock): {', '.join(f'`{s}`' for s in same)}.", ""]
    return lines


def _plots(review: Review, out_dir: Path, show_all: bool) -> list[str]:
    lines = ["## Plots", ""]
    if review.unavailable:
        labels = {"base": review.base.label, "head": review.head.label}
        lines += ["**Outs that cannot be loaded** (their plots are shown for the other side only; every other "
                  "plot is diffed as usual):", ""]
        lines += [f"- {u.side} `{labels[u.side]}`: `{u.path}` (stage `{u.stage}`): {u.reason}" for u in review.unavailable]
        lines.append("")
    shown = [p for p in review.plots if p.status in ("changed", "added", "removed") or p.status.endswith("unavailable")
             or (show_all and p.status == "unchanged")]
    for p in shown:
        lines += [f"### `{p.plot}` ({p.status})", "", f"| base `{review.base.label}` | head `{review.head.label}` |",
                  "|---|---|", f"| {_image(p.base_image, out_dir, 'base')} | {_image(p.head_image, out_dir, 'head')} |", ""]
        if p.note:
            lines += [f"*{p.note}*", ""]
    unchanged = [p.plot for p in review.plots if p.status == "unchanged" and not show_all]
    absent = [p.plot for p in review.plots if p.status == "absent"]
    if not shown:
        lines += ["No plot changed.", ""]
    if unchanged:
        lines += [f"Unchanged: {', '.join(f'`{p}`' for p in unchanged)}.", ""]
    if absent and show_all:
        lines += [f"Declared, with data on neither side: {', '.join(f'`{p}`' for p in absent)}.", ""]
    return lines


def _image(path: Path | None, out_dir: Path, side: str) -> str:
    if path is None:
        return "*(absent)*"
    return f"![{side}]({Path(os.path.relpath(path, out_dir)).as_posix()})"


def _value(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4g}"
    return f"`{v}`" if isinstance(v, str) else str(v)


def _delta(r: MetricRow) -> str:
    d = r.delta
    if d is None:
        return "" if r.old is not None and r.new is not None else ("added" if r.old is None else "removed")
    return f"{d:+.4g}"

"""Tracked metrics hold results only, under one key convention; run figures go to an untracked log.

Key convention (every family): a metrics file is a few small tidy tables flattened once, and a key is
`<table>.<row>.<column>`: the table, the row's key values, the column (`best.test.auc_roc`,
`redteam.base.refusal_rate`, `mean.think.joy`, `loss.validation.lm`). A one-row table drops the row part
(`diff.joy`); a scalar is its own table (`rows`). Segments are lowercase snake_case, except names that
come from data (sources, labels), which appear as they are.

Wall-clock figures and run history (seconds, throughput, where a run resumed) would make an identical
re-run rewrite `metrics/` and `dvc.lock`; `write_metrics` moves them to `logs/<stage>.json` instead, a
git-ignored file that is not a DVC out.
"""
from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from affectlab.io import write_json_atomic

RUN_FIGURES = frozenset({"seconds", "rows_per_s", "tokens_per_s", "generations_per_s", "resumed_from",
                         "resumed_rounds"})
LOG_DIR = Path("logs")
DECIMALS = 4  # results differ in the 4th decimal at the earliest across the families' noise bands


def flatten(table: pd.DataFrame, name: str, rows: Iterable[str] = (), columns: Iterable[str] | None = None) -> dict:
    """`name.<row key values>.<column>` -> value for every row of a tidy table (`rows`: its key columns)."""
    rows = list(rows)
    columns = [c for c in (columns or table.columns) if c not in rows]
    out = {}
    for rec in table.to_dict("records"):
        prefix = ".".join([name, *(str(rec[r]) for r in rows)])
        out.update({f"{prefix}.{c}": rec[c] for c in columns})
    return out


def rounded(metrics: Mapping[str, Any]) -> dict[str, Any]:
    return {k: round(float(v), DECIMALS) if isinstance(v, float) else v for k, v in metrics.items()}


def write_metrics(metrics: Mapping[str, Any], path: str | Path, stage: str) -> None:
    """Results (rounded) to the tracked metrics file `path`; run figures to `logs/<stage>.json`."""
    results = {k: v for k, v in metrics.items() if k not in RUN_FIGURES}
    write_json_atomic(rounded(results), path)
    write_run_log(stage, {k: v for k, v in metrics.items() if k in RUN_FIGURES})


def write_run_log(stage: str, figures: Mapping[str, Any]) -> None:
    """An untracked record of how the run went (not a result: never a DVC out or metric)."""
    write_json_atomic({"stage": stage, "finished": datetime.datetime.now().isoformat(timespec="seconds"),
                       **rounded(figures)}, LOG_DIR / f"{stage}.json")

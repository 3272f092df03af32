"""Bootstrap 95% CIs of a revision's values, read from the plot data where families A and C write them.

A metric's noise band is the base's CI: a new value outside it is a move the resampling of the base would
rarely produce. Family C's `emotion.<model>.<emotion>` metrics have theirs in plots/eval/emotion_profile.csv;
family A's per-source means have no metric (84 values at 6 sources) and are compared from
plots/sft_audit/source_means.csv directly.
"""
from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Callable

import pandas as pd

from affectlab.errors import InputError, first_line
from affectlab.review.revisions import Revision


@dataclasses.dataclass(frozen=True)
class Band:
    """The bootstrap 95% CI of the base's value (families A and C write them as plot data)."""
    source: str
    mean: float
    low: float
    high: float


@dataclasses.dataclass(frozen=True)
class BandSource:
    metrics_file: str
    csv: str
    key: Callable[[dict], str]


BAND_SOURCES = (
    # C: emotion.<model>.<emotion> in metrics/eval.json is the mean of this CSV's row
    BandSource("metrics/eval.json", "plots/eval/emotion_profile.csv", lambda r: f"emotion.{r['model']}.{r['emotion']}"),
    # A: per-source means are plot data only (84 values at 6 sources: too long for a metrics file)
    BandSource("metrics/sft_emotions.json", "plots/sft_audit/source_means.csv",
               lambda r: f"source_means.{r['source']}.{r['part']}.{r['emotion']}"),
)


def load_bands(root: Path, rev: Revision) -> dict[str, dict[str, Band]]:
    """metrics file -> key -> Band, from the CI tables of `rev` (absent tables give nothing)."""
    import dvc.api
    from dvc.exceptions import PathMissingError
    from dvc_data.index import DataIndexError

    out: dict[str, dict[str, Band]] = {}
    for src in BAND_SOURCES:
        try:
            with dvc.api.open(src.csv, repo=str(root), rev=rev.sha) as f:
                table = pd.read_csv(io.StringIO(f.read()))
        except (PathMissingError, FileNotFoundError):
            continue
        except DataIndexError:  # its out is not in the local cache: the plots section names it; no CI here
            continue
        except Exception as e:  # noqa: BLE001 - a broken CSV is named, never a traceback
            raise InputError(f"{src.csv} at {rev.label}: cannot read the CI table ({first_line(e)})") from None
        missing = {"mean", "ci_low", "ci_high"} - set(table.columns)
        if missing:
            raise InputError(f"{src.csv} at {rev.label}: missing column(s) {', '.join(sorted(missing))}")
        bands = out.setdefault(src.metrics_file, {})
        for r in table.to_dict("records"):
            bands[src.key(r)] = Band(src.csv, float(r["mean"]), float(r["ci_low"]), float(r["ci_high"]))
    return out

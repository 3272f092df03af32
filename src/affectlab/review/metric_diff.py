"""Metrics of two revisions side by side: old / new / delta, the direction verdict, and the base's CI.

Metrics are read with DVC (`Repo.metrics.show`), so git revisions, experiments and the workspace read
alike. A metrics file missing on a side (a family that has not run) is absent there; a file that is not
valid JSON stops the review naming the file and the revision.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from affectlab.errors import InputError
from affectlab.review.bands import Band
from affectlab.review.directions import TOTALS, direction, is_total, verdict
from affectlab.review.noise import within_noise
from affectlab.review.revisions import Revision

# Files -> family, for grouping; a file not listed is grouped under "other" (tests/unit/review checks that
# every metrics file of dvc.yaml is listed).
FAMILIES = {"model": "shared",
            "sft_sample": "A", "sft_emotions": "A",
            "sentiment_data": "B", "activations": "B", "probes": "B",
            "activations_sft": "B-sft", "probes_sft": "B-sft",
            "probe_second_model": "B-second", "activations_second": "B-second", "probes_second": "B-second",
            "sft_data": "C", "safety_teacher": "C", "sft_train": "C", "eval": "C", "dpo_pairs": "C", "dpo": "C",
            "reasoner_data": "D", "reasoner_cot": "D", "reasoner_train": "D", "reasoner_eval": "D",
            "affect_harvest": "E", "affect_data": "E", "affect_train": "E", "affect_export": "E"}


@dataclasses.dataclass(frozen=True)
class MetricRow:
    file: str
    key: str
    old: Any
    new: Any
    from_plot_data: bool = False   # a value with a CI that lives in a plots CSV, not in the metrics file
    band: Band | None = None
    comparable: bool = True        # False for a total whose terms or weights differ between the sides

    @property
    def delta(self) -> float | None:
        if _number(self.old) and _number(self.new):
            return self.new - self.old
        return None

    @property
    def changed(self) -> bool:
        if self.delta is not None:
            return not math.isclose(self.old, self.new, rel_tol=0, abs_tol=1e-12)
        return self.old != self.new

    @property
    def noise(self) -> bool:
        """A change inside the cross-machine tolerance (review/noise.py): not a result."""
        return self.changed and self.delta is not None and within_noise(self.old, self.new)

    @property
    def verdict(self) -> str:
        if self.noise or not self.comparable:
            return ""
        return verdict(direction(Path(self.file).stem, self.key), self.delta)

    @property
    def outside_band(self) -> bool | None:
        """Is the new value outside the base's 95% CI? None where no CI is known."""
        if self.band is None or not _number(self.new) or math.isnan(self.band.low):
            return None
        return not (self.band.low <= self.new <= self.band.high)


def _comparable(path: str, key: str, old: dict, new: dict, changed_params: frozenset[str]) -> bool:
    """A total compares only when the same terms, with the same weights, make it up on both sides."""
    stem = Path(path).stem
    if not is_total(stem, key):
        return True
    section = TOTALS[stem]
    weights_moved = section is not None and any(p.split(".")[0] == section for p in changed_params)
    return old.get("loss_terms") == new.get("loss_terms") and not weights_moved


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not (isinstance(v, float) and math.isnan(v))


def load_metrics(repo, revs: list[Revision]) -> dict[str, dict[str, dict[str, Any]]]:
    """rev.dvc -> metrics file -> flat key -> value. Raises InputError for a file that does not parse."""
    shas = [r.sha for r in revs if r.sha]
    shown = repo.metrics.show(revs=shas, hide_workspace=all(r.sha for r in revs))
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for rev in revs:
        entry = shown.get(rev.dvc, {})
        if entry.get("error"):
            raise InputError(f"{rev.label}: cannot read metrics ({_first(entry['error'])})")
        files = {}
        for path, data in entry.get("data", {}).items():
            err = data.get("error")
            if err is None:
                files[path] = _flat(data.get("data", {}))
            elif not isinstance(err, FileNotFoundError):
                cause = err.__cause__ or err
                what = "not valid JSON" if path.endswith(".json") else "not readable"
                raise InputError(f"{path} at {rev.label}: {what} ({_first(cause)})")
        out[rev.dvc] = files
    return out


def _first(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _flat(d: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def metric_rows(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]],
                old_bands: dict[str, dict[str, Band]], new_bands: dict[str, dict[str, Band]],
                changed_params: frozenset[str] = frozenset()) -> list[MetricRow]:
    """One row per key of either side (old or new None where absent); CI-table values that are no
    metric become rows of their metrics file marked `from_plot_data`. `changed_params`: the dotted params
    that differ between the sides (a total weighted by one of them does not compare)."""
    rows = []
    for path in sorted({*old, *new, *old_bands, *new_bands}):
        o, n = old.get(path, {}), new.get(path, {})
        ob, nb = old_bands.get(path, {}), new_bands.get(path, {})
        for key in sorted({*o, *n}):
            rows.append(MetricRow(path, key, o.get(key), n.get(key), band=ob.get(key),
                                  comparable=_comparable(path, key, o, n, changed_params)))
        for key in sorted({*ob, *nb} - {*o, *n}):
            rows.append(MetricRow(path, key, ob[key].mean if key in ob else None,
                                  nb[key].mean if key in nb else None, from_plot_data=True, band=ob.get(key)))
    return rows

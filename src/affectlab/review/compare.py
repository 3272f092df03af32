"""Collect what changed between two revisions: params, metrics (with CI bands), stage outs, plots."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from affectlab.errors import InputError, first_line
from affectlab.review.bands import load_bands
from affectlab.review.lockfile import StageChange, parse_lock, stage_changes
from affectlab.review.metric_diff import MetricRow, load_metrics, metric_rows
from affectlab.review.plots import PlotChange, UnavailableOut, collect_plots
from affectlab.review.revisions import Revision, read_at, resolve


@dataclasses.dataclass(frozen=True)
class ParamChange:
    file: str
    key: str
    old: Any
    new: Any


@dataclasses.dataclass(frozen=True)
class Review:
    base: Revision
    head: Revision
    params: list[ParamChange]
    metrics: list[MetricRow]
    stages: list[StageChange]
    plots: list[PlotChange]
    unavailable: list[UnavailableOut] = dataclasses.field(default_factory=list)  # outs a side cannot load


def open_repo(root: Path):
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    try:
        return Repo(str(root))
    except NotDvcRepoError:
        raise InputError(f"{root}: not a DVC repository (run from the project root)") from None


def build_review(root: Path, base_name: str, head_name: str, assets: Path, show_all: bool = False) -> Review:
    root = Path(root).resolve()
    repo = open_repo(root)
    try:
        base, head = resolve(repo.scm, base_name), resolve(repo.scm, head_name)
        if base.sha == head.sha:
            raise InputError(f"--base {base_name} and --head {head_name} are the same revision ({base.label}): "
                             "nothing to compare")
        head_lock = read_at(root, "dvc.lock", head)
        if head_lock is None:
            raise InputError(f"{head.label}: no dvc.lock: nothing has run there yet "
                             "(run `dvc repro`, or `dvc pull` a run shared through the remote)")
        stages = stage_changes(parse_lock(read_at(root, "dvc.lock", base), base.label),
                               parse_lock(head_lock, head.label))
        params = _params(repo, base, head)
        metrics = load_metrics(repo, [base, head])
    finally:
        repo.close()
    rows = metric_rows(metrics[base.dvc], metrics[head.dvc], load_bands(root, base), load_bands(root, head),
                       frozenset(p.key for p in params))
    plots, unavailable = collect_plots(root, base, head, assets, include_unchanged=show_all)
    return Review(base, head, params, rows, stages, plots, unavailable)


def _params(repo, base: Revision, head: Revision) -> list[ParamChange]:
    try:
        diff = repo.params.diff(a_rev=base.dvc, b_rev=head.dvc).get("diff", {})
    except Exception as e:  # noqa: BLE001 - DVC raises many types for a broken params file
        raise InputError(f"params of {base.label} or {head.label}: {first_line(e)}") from None
    return [ParamChange(path, key, d.get("old"), d.get("new"))
            for path, keys in sorted(diff.items()) for key, d in sorted(keys.items())]

"""The declared plots of two revisions (`dvc plots diff --json`) as static PNG images, base | head.

Vega-Lite plots are cut to one revision each and rendered offline; image plots (the PNGs the stages write)
are copied as they are. A plot with no data on one side is `added` or `removed`, never an error.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from affectlab.errors import InputError
from affectlab.review import vega
from affectlab.review.revisions import Revision


@dataclasses.dataclass(frozen=True)
class PlotChange:
    plot: str                 # the plot id of dvc.yaml (a file path or a named plot)
    kind: str                 # vega | image
    status: str               # changed | added | removed | unchanged | absent (no data on either side)
    base_image: Path | None   # written under the assets folder; None where the side has no data
    head_image: Path | None
    note: str = ""            # why a side has no data, when that is not simply a missing file


def dvc_plots_json(root: Path, base: Revision, head: Revision, out_dir: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "dvc", "plots", "diff", base.dvc, head.dvc, "--json",
                           "-o", str(out_dir)], cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise InputError(f"dvc plots diff {base.label} {head.label} failed: {last}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise InputError(f"dvc plots diff --json printed no JSON: {proc.stdout[:200]!r}") from None


def collect_plots(root: Path, base: Revision, head: Revision, assets: Path, include_unchanged: bool) -> list[PlotChange]:
    """Compare every declared plot; render the ones shown (changed, added, removed; all with
    `include_unchanged`) into `assets` as `<plot>.base.png` / `<plot>.head.png`."""
    assets.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        report = dvc_plots_json(root, base, head, Path(tmp))
        errors = {(e["name"], e["rev"]): e for e in report.get("errors", []) if "name" in e}
        out = []
        for plot, entries in report.get("data", {}).items():
            sides = {}
            kind = entries[0]["type"] if entries else "vega"
            for side, rev in (("base", base), ("head", head)):
                sides[side] = _side(entries, rev)
            status = _status(sides["base"], sides["head"])
            notes = [f"{rev.label}: {_first(errors[(plot, rev.dvc)]['msg'])}" for rev in (base, head)
                     if (plot, rev.dvc) in errors and errors[(plot, rev.dvc)].get("type") != "FileNotFoundError"]
            images = {"base": None, "head": None}
            if status in ("changed", "added", "removed") or (include_unchanged and status == "unchanged"):
                for side, rev in (("base", base), ("head", head)):
                    if sides[side] is not None:
                        images[side] = _write_image(sides[side], rev, assets / f"{_slug(plot)}.{side}.png")
            out.append(PlotChange(plot, kind, status, images["base"], images["head"], "; ".join(notes)))
    return out


def _side(entries: list[dict], rev: Revision):
    """('vega', spec, rows) or ('image', path, digest) for `rev`; None if it has no data there."""
    for e in entries:
        if e["type"] == "vega":
            rows = vega.rows_of(e["content"], rev.dvc)
            if rows:
                return ("vega", e["content"], rows)
        elif e["type"] == "image" and rev.dvc in e.get("revisions", []):
            path = Path(e["url"])
            return ("image", path, hashlib.sha256(path.read_bytes()).hexdigest())
    return None


def _status(base, head) -> str:
    if base is None and head is None:
        return "absent"
    if base is None:
        return "added"
    if head is None:
        return "removed"
    return "unchanged" if base[2] == head[2] else "changed"


def _write_image(side, rev: Revision, dest: Path) -> Path:
    kind, source, _ = side
    if kind == "image":
        shutil.copyfile(source, dest)
    else:
        dest.write_bytes(vega.render_png(vega.one_revision(source, rev.dvc, rev.label)))
    return dest


def _slug(plot: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", plot).strip("_")


def _first(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]

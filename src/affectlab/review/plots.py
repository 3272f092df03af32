"""The declared plots of two revisions (`dvc plots diff --json`) as static PNG images, base | head.

Vega-Lite plots are cut to one revision each and rendered offline; image plots (the PNGs the stages write)
are copied as they are. A plot with no data on one side is `added` or `removed`, never an error.

`dvc plots diff` gives up on a whole revision when one folder out of it is missing from the cache ("failed
to load directory ('plots', 'sft_train')"): a reviewer without the base's results (a CI runner with no
remote, a machine whose floats differ) would see every plot as added. So the outs of a failing revision that
are not in the cache are found from its dvc.lock, named one per line with the reason, and the diff runs
again without the plots they hold; those plots are diffed on their own, so the side that has them shows.
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

import yaml

from affectlab.errors import InputError
from affectlab.review import vega
from affectlab.review.lockfile import parse_lock
from affectlab.review.revisions import Revision, read_at


@dataclasses.dataclass(frozen=True)
class UnavailableOut:
    """An out of one side that DVC cannot load, and so neither the plots inside it."""
    side: str     # base | head
    path: str
    stage: str
    reason: str


@dataclasses.dataclass(frozen=True)
class PlotChange:
    plot: str                 # the plot id of dvc.yaml (a file path or a named plot)
    kind: str                 # vega | image
    status: str               # changed | added | removed | unchanged | absent (no data on either side)
    base_image: Path | None   # written under the assets folder; None where the side has no data
    head_image: Path | None
    note: str = ""            # why a side has no data, when that is not simply a missing file


def dvc_plots_json(root: Path, base: Revision, head: Revision, out_dir: Path, targets: list[str] | None = None) -> dict:
    where = ["--targets", *targets] if targets else []
    proc = subprocess.run([sys.executable, "-m", "dvc", "plots", "diff", *where, "--json", "-o", str(out_dir),
                           "--", base.dvc, head.dvc], cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise InputError(f"dvc plots diff {base.label} {head.label} failed: {last}")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise InputError(f"dvc plots diff --json printed no JSON: {proc.stdout[:200]!r}") from None
    # with --targets, DVC names a folder plot's files twice: as `dvc.yaml::<file>` and as `<file>`
    data = report.get("data", {})
    for key in [k for k in data if "::" in k]:
        plain = key.split("::", 1)[1]
        entries = data.pop(key)
        data.setdefault(plain, entries)
    return report


def collect_plots(root: Path, base: Revision, head: Revision, assets: Path,
                  include_unchanged: bool) -> tuple[list[PlotChange], list[UnavailableOut]]:
    """Compare every declared plot; render the ones shown (changed, added, removed; all with
    `include_unchanged`) into `assets` as `<plot>.base.png` / `<plot>.head.png`. Also returns the outs a
    side cannot load (see the module docstring)."""
    assets.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        report, unavailable, blocked = plots_report(root, base, head, Path(tmp))
        errors = {(e["name"], e["rev"]): e for e in report.get("errors", []) if "name" in e}
        out = []
        for plot, entries in report.get("data", {}).items():
            sides = {}
            kind = entries[0]["type"] if entries else "vega"
            for side, rev in (("base", base), ("head", head)):
                sides[side] = _side(entries, rev)
            status = _status(sides["base"], sides["head"])
            # a folder plot comes back as one entry per file, under the folder's path
            lost = [u for u in unavailable if sides[u.side] is None and (u in blocked.get(plot, ()) or _inside(plot, u.path))]
            if lost:  # not added or removed: the side's out is not here to read
                status = f"{lost[0].side} unavailable"
            notes = [f"{u.side}: `{u.path}` {u.reason}" for u in lost]
            notes += [f"{rev.label}: {_first(errors[(plot, rev.dvc)]['msg'])}" for rev in (base, head)
                      if (plot, rev.dvc) in errors and errors[(plot, rev.dvc)].get("type") != "FileNotFoundError"]
            images = {"base": None, "head": None}
            if status in ("changed", "added", "removed") or status.endswith("unavailable") or (
                    include_unchanged and status == "unchanged"):
                for side, rev in (("base", base), ("head", head)):
                    if sides[side] is not None:
                        images[side] = _write_image(sides[side], rev, assets / f"{_slug(plot)}.{side}.png")
            out.append(PlotChange(plot, kind, status, images["base"], images["head"], "; ".join(notes)))
    return out, unavailable


def plots_report(root: Path, base: Revision, head: Revision,
                 tmp: Path) -> tuple[dict, list[UnavailableOut], dict[str, list[UnavailableOut]]]:
    """`dvc plots diff --json` of every declared plot, with the outs a failing side cannot load set aside:
    (report, those outs, plot id -> the unavailable outs that hold its files)."""
    report = dvc_plots_json(root, base, head, tmp / "all")
    failed = {e["rev"]: e for e in report.get("errors", []) if "name" not in e}
    if not failed:
        return report, [], {}
    sides = {"base": base, "head": head}
    unavailable = [u for side, rev in sides.items() if rev.dvc in failed for u in uncached_outs(root, rev, side)]
    if not unavailable:  # nothing missing that we can name: say what DVC said rather than guess
        raise _cannot_load(next(iter(failed.values())))
    # every plot id declared on either side, with the files it reads
    plots = {**declared_plots(read_at(root, "dvc.yaml", base)), **declared_plots(read_at(root, "dvc.yaml", head))}
    blocked = {p: [u for u in unavailable if any(_inside(f, u.path) for f in files)] for p, files in plots.items()}
    blocked = {p: outs for p, outs in blocked.items() if outs}
    rest = [p for p in plots if p not in blocked]
    merged = dvc_plots_json(root, base, head, tmp / "rest", rest) if rest else {}
    still = [e for e in merged.get("errors", []) if "name" not in e]
    if still:  # an out we did not name still stops a side: say what DVC said rather than hide it
        raise _cannot_load(still[0])
    if blocked:
        alone = dvc_plots_json(root, base, head, tmp / "blocked", list(blocked))
        merged.setdefault("data", {}).update(alone.get("data", {}))
        merged.setdefault("errors", []).extend(alone.get("errors", []))
    merged["errors"] = [e for e in merged.get("errors", []) if "name" in e]  # the failures just named
    return merged, unavailable, blocked


def _cannot_load(error: dict) -> InputError:
    return InputError(f"dvc plots diff: cannot load the plots of {error['rev']} "
                      f"({_first(error.get('msg', error['type']))})")


def uncached_outs(root: Path, rev: Revision, side: str) -> list[UnavailableOut]:
    """The outs of `rev`'s dvc.lock that DVC cannot load: not in the cache, and neither in git at that revision
    (a `cache: false` metric or plot) nor, for the workspace, on disk."""
    from dvc.repo import Repo

    lock = parse_lock(read_at(root, "dvc.lock", rev), rev.label)
    in_git = set(subprocess.run(["git", "ls-tree", "-r", "--name-only", rev.sha], cwd=root, capture_output=True,
                                text=True, check=True).stdout.split("\n")) if rev.sha else set()
    missing = []
    with Repo(str(root)) as repo:
        odb = repo.cache.local
        for stage, entry in lock.items():
            for path, md5 in entry["outs"].items():
                if md5 is None or path in in_git or (rev.sha is None and (root / path).exists()):
                    continue
                if not odb.exists(md5) or (md5.endswith(".dir") and not _dir_complete(odb, md5)):
                    missing.append(UnavailableOut(side, path, stage, "not in the local DVC cache (`dvc pull` "
                                                  f"fetches it from a remote, or `dvc repro {stage}` at that revision)"))
    return missing


def _dir_complete(odb, md5: str) -> bool:
    entries = json.loads(Path(odb.oid_to_path(md5)).read_text())
    return all(odb.exists(e["md5"]) for e in entries)


def declared_plots(dvc_yaml: str | None) -> dict[str, list[str]]:
    """plot id -> the files it reads, for the top-level and the stages' plots of a dvc.yaml text."""
    data = yaml.safe_load(dvc_yaml or "{}") or {}
    entries = list(data.get("plots") or ())
    entries += [p for stage in (data.get("stages") or {}).values() for p in stage.get("plots") or ()]
    out = {}
    for entry in entries:
        plot_id, spec = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        y = spec.get("y") if isinstance(spec, dict) else None
        out[plot_id] = list(y) if isinstance(y, dict) else [plot_id]
    return out


def _inside(path: str, out: str) -> bool:
    return path == out or path.startswith(out.rstrip("/") + "/")


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

"""Which stages' outputs changed between two revisions, read from their `dvc.lock`."""
from __future__ import annotations

import dataclasses

import yaml

from affectlab.errors import InputError


@dataclasses.dataclass(frozen=True)
class StageChange:
    stage: str
    status: str             # added | removed | outs changed | re-ran, same outs | unchanged
    outs: tuple[str, ...]   # the outs whose hash differs (added or removed outs included)


def parse_lock(text: str | None, where: str) -> dict[str, dict]:
    """stage -> {"inputs": ..., "outs": {path: hash}} of a dvc.lock text ({} for None)."""
    if text is None:
        return {}
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        raise InputError(f"{where}: dvc.lock is not valid YAML ({getattr(e, 'problem', None) or e})") from None
    stages = data.get("stages", {}) if isinstance(data, dict) else None
    if not isinstance(stages, dict):
        raise InputError(f"{where}: dvc.lock has no 'stages' mapping")
    return {name: {"inputs": (s.get("cmd"), _hashes(s.get("deps")), s.get("params")), "outs": _hashes(s.get("outs"))}
            for name, s in stages.items()}


def _hashes(entries) -> dict[str, str | None]:
    return {e["path"]: e.get("md5") or e.get("etag") or e.get("checksum") for e in entries or ()}


def stage_changes(base: dict[str, dict], head: dict[str, dict]) -> list[StageChange]:
    """Every stage of either side, in head's order, then the removed ones."""
    out = []
    for name in [*head, *(n for n in base if n not in head)]:
        if name not in base:
            out.append(StageChange(name, "added", tuple(head[name]["outs"])))
        elif name not in head:
            out.append(StageChange(name, "removed", tuple(base[name]["outs"])))
        else:
            old, new = base[name]["outs"], head[name]["outs"]
            moved = tuple(p for p in dict.fromkeys([*new, *old]) if old.get(p) != new.get(p))
            status = ("outs changed" if moved else
                      "re-ran, same outs" if base[name]["inputs"] != head[name]["inputs"] else "unchanged")
            out.append(StageChange(name, status, moved))
    return out

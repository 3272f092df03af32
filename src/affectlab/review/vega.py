"""Vega-Lite offline: specs to PNG (vl-convert, no browser, no network) and the script bundle for pages.

DVC's plot templates declare the Vega-Lite v5 schema, so the renderer and the page bundle use the newest
v5 that vl-convert ships rather than its default (v6).
"""
from __future__ import annotations

import copy
from typing import Any

VEGA_LITE = "5.21"


def render_png(spec: dict[str, Any], scale: float = 1.0) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(spec, vl_version=VEGA_LITE, scale=scale)


def javascript_bundle() -> str:
    """vega, vega-lite and vega-embed in one script that sets `window.vegaEmbed` (about 0.9 MB)."""
    import vl_convert

    return vl_convert.javascript_bundle(vl_version=VEGA_LITE)


def one_revision(spec: dict[str, Any], rev: str, label: str) -> dict[str, Any]:
    """A `dvc plots diff --json` spec (rows of every revision, coloured by `rev`) cut to the rows of `rev`,
    with `rev` shown as `label`; the colour of `rev` stays the one DVC gave it."""
    spec = copy.deepcopy(spec)
    values = spec.get("data", {}).get("values", [])
    spec["data"]["values"] = [{**r, "rev": label} for r in values if r.get("rev") == rev]
    _one_domain(spec, rev, label)
    return spec


def _one_domain(node: Any, rev: str, label: str) -> None:
    if isinstance(node, list):
        for x in node:
            _one_domain(x, rev, label)
    elif isinstance(node, dict):
        scale = node.get("scale")
        if isinstance(scale, dict) and isinstance(scale.get("domain"), list) and rev in scale["domain"]:
            i = scale["domain"].index(rev)
            scale["domain"] = [label]
            if isinstance(scale.get("range"), list) and i < len(scale["range"]):
                scale["range"] = [scale["range"][i]]
        for v in node.values():
            _one_domain(v, rev, label)


def rows_of(spec: dict[str, Any], rev: str) -> list[dict]:
    """The data rows of `rev`, without the `rev` field, in a stable order (for comparing two sides)."""
    import json

    rows = [{k: v for k, v in r.items() if k != "rev"} for r in spec.get("data", {}).get("values", [])
            if r.get("rev") == rev]
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))

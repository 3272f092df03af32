"""Settings for tests: the repository's params.yaml plus explicit overrides (params.yaml is the only
place a default lives, so tests state only what they change)."""
from pathlib import Path
from typing import Any, Mapping

from affectlab.config import S, load_params

PARAMS = Path(__file__).resolve().parents[1] / "params.yaml"


def settings(schema: type[S], overrides: Mapping[str, Any] | None = None, **fields: Any) -> S:
    """`settings(ProbeTrainSettings, lr=0.05)`; dotted keys within the section go in `overrides`."""
    return load_params(schema, PARAMS, {**(overrides or {}), **fields})

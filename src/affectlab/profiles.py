"""Turn a profile file (flat `dotted.key: value` YAML) into `-S key=value` overrides for `dvc exp run`.

    dvc exp run $(python -m affectlab.profiles profiles/hub.yaml)
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from affectlab.errors import ConfigError


def profile_overrides(path: str | Path) -> list[str]:
    data = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of dotted.key: value")
    args = []
    for key, value in data.items():
        if isinstance(value, dict):
            raise ConfigError(f"{path}: {key}: use flat dotted keys (e.g. {key}.name: value)")
        # JSON is valid YAML, so lists and nulls survive dvc's YAML parsing of the override
        text = value if isinstance(value, str) else json.dumps(value)
        args += ["-S", f"{key}={text}"]
    return args


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m affectlab.profiles PROFILE.yaml")
    print(" ".join(profile_overrides(sys.argv[1])))

"""Apply a profile (flat `dotted.key: value` YAML) to `dvc exp run` as `-S key=value` overrides.

    python -m affectlab.profiles run profiles/hub.yaml [more dvc exp run args]   # runs dvc, no shell involved
    dvc exp run $(python -m affectlab.profiles profiles/hub.yaml)                # prints the overrides

`dvc exp run -S` reads a value with Hydra's override grammar, then OmegaConf (which resolves `${...}`).
Each value is written so that this reads it back as exactly the YAML value, type included, in a form with
no whitespace so that the shell's word splitting of `$(...)` keeps one override per word:
null, true/false, ints and floats (repr) as themselves; lists as `[a,b]`; a string bare where the grammar
reads it as that same string (`org/name`, `hf://datasets/x`), otherwise single-quoted (`'0123'`, `'null'`).
A string containing whitespace cannot be printed that way; `run` passes the overrides as separate
arguments, so it takes any value.

Run from a folder with params.yaml, the command first checks the profile against it: every key must name a
value of params.yaml (`-S` would add a typo as a new key), and every params section the profile changes
must still validate with its settings class. So a typo or a wrong type stops here, in one line, before
`dvc exp run` starts anything.
"""
from __future__ import annotations

import copy
import importlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from affectlab.config import PARAMS_FILE, Settings, parse_settings, read_params_file, section_of, stage_main
from affectlab.errors import AffectlabError, ConfigError

USAGE = "usage: python -m affectlab.profiles [run] PROFILE.yaml [dvc exp run args...]"
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*")
# Characters that Hydra's lexer only ever joins back into the same string when unquoted; a leading digit,
# sign or dot could start a number, and the whole string could still be a keyword (see _KEYWORDS).
_BARE = re.compile(r"[A-Za-z_/][A-Za-z0-9_./:@+-]*")
_KEYWORDS = {"true", "false", "null", "inf", "nan"}  # matched case-insensitively by the grammar
# modules that define the settings class of every params.yaml section
SETTINGS_MODULES = ("affectlab.models", "affectlab.sampling.settings", "affectlab.emotion.settings",
                    "affectlab.sentiment.settings", "affectlab.probes.settings", "affectlab.sft.settings",
                    "affectlab.evaluation.settings", "affectlab.reasoning.settings", "affectlab.affect.settings")


def read_profile(path: str | Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the profile ({e.strerror})") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML ({getattr(e, 'problem', None) or e})") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of dotted.key: value")
    for key, value in data.items():
        if isinstance(value, dict):
            raise ConfigError(f"{path}: {key}: use flat dotted keys (e.g. {key}.name: value)")
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ConfigError(f"{path}: {key!r}: a key must be dotted names like sft.train.lr")
    return data


def override_value(value: Any, where: str) -> str:
    """`value` in the override grammar, e.g. 2.0e-4 -> `0.0002`, ['a', '1'] -> `[a,'1']`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _string(value, where)
    if isinstance(value, list):
        return "[" + ",".join(override_value(v, where) for v in value) + "]"
    raise ConfigError(f"{where}: {type(value).__name__} {value!r} cannot be set with -S; quote it in the profile "
                      "to pass a string, or use a str, int, float, bool, null or a list of them")


def _string(s: str, where: str) -> str:
    if s == "???":
        raise ConfigError(f"{where}: '???' means a missing value to `dvc exp run -S` (OmegaConf); use another string")
    if _BARE.fullmatch(s) and s.lower() not in _KEYWORDS:
        return s
    # OmegaConf would resolve `${...}`; `\${` keeps it literal, and backslashes right before it double
    s = re.sub(r"(\\*)\$\{", lambda m: m[1] * 2 + "\\${", s)
    # inside quotes Hydra unescapes only backslashes that precede a quote or the closing quote
    s = re.sub(r"(\\*)('|\Z)", lambda m: m[1] * 2 + ("\\'" if m[2] else ""), s)
    return f"'{s}'"


def profile_overrides(path: str | Path, *, for_shell: bool = True) -> list[str]:
    """`["-S", "key=value", ...]` for every key of the profile. `for_shell`: each override must survive the
    word splitting of an unquoted `$(...)`, so a value with whitespace is an error."""
    args = []
    for key, value in read_profile(path).items():
        text = override_value(value, f"{path}: {key}")
        if for_shell and any(c.isspace() for c in text):
            raise ConfigError(f"{path}: {key}: {value!r} contains whitespace, which `$(...)` would split; "
                              f"apply the profile with `python -m affectlab.profiles run {path}` instead")
        args += ["-S", f"{key}={text}"]
    return args


def settings_classes() -> list[type[Settings]]:
    """Every settings class that reads a params.yaml section (`SECTION` set)."""
    for module in SETTINGS_MODULES:
        importlib.import_module(module)
    found, todo = [], list(Settings.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.SECTION and cls not in found:
            found.append(cls)
    return sorted(found, key=lambda c: c.SECTION)


def check_profile(path: str | Path, params_file: str | Path = PARAMS_FILE) -> None:
    """ConfigError `PROFILE: dotted.key: ...` for a key params.yaml does not have, or for a value that makes
    a section invalid that was valid before (sections params.yaml itself gets wrong are not the profile's)."""
    profile = read_profile(path)
    before = read_params_file(params_file)
    after = copy.deepcopy(before)
    for key, value in profile.items():
        *parents, leaf = key.split(".")
        node, seen = after, []
        for part in parents:
            if not isinstance(node, dict) or part not in node:
                break
            node, seen = node[part], [*seen, part]
        if len(seen) < len(parents) or not isinstance(node, dict) or leaf not in node:
            where = ".".join(seen) or "the top level"
            known = ", ".join(node) if isinstance(node, dict) else f"no keys ({type(node).__name__})"
            raise ConfigError(f"{path}: {key}: not a key of {params_file} ({where} has {known})")
        node[leaf] = value
    for cls in settings_classes():
        if not any(key == cls.SECTION or key.startswith(cls.SECTION + ".") for key in profile):
            continue
        try:
            parse_settings(section_of(before, cls.SECTION, str(params_file)), cls, "")
        except ConfigError:
            continue
        parse_settings(section_of(after, cls.SECTION, str(params_file)), cls, f"{path}: {cls.SECTION}")


def run_profile(path: str | Path, extra: list[str]) -> int:
    """`dvc exp run` with the profile's overrides, then `extra` (so a later `-S key=value` wins)."""
    argv = ["dvc", "exp", "run", *profile_overrides(path, for_shell=False), *extra]
    try:
        return subprocess.run(argv, check=False).returncode
    except FileNotFoundError as e:
        raise AffectlabError("dvc is not on PATH: activate the project's environment") from e


@stage_main
def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["run"] and len(args) >= 2:
        if Path(PARAMS_FILE).is_file():
            check_profile(args[1])
        sys.exit(run_profile(args[1], args[2:]))
    if len(args) != 1 or args[0] == "run" or args[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    if Path(PARAMS_FILE).is_file():
        check_profile(args[0])
    print(" ".join(profile_overrides(args[0])))


if __name__ == "__main__":
    main()

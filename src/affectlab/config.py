"""params.yaml -> typed, frozen, validated settings: one pydantic model per section, no defaults.

Every section of params.yaml maps to one `Settings` subclass that names its section (`SECTION`) and
lives next to the code of its family. `load_params(ProbeTrainSettings)` reads that section and validates
it with the class: an unknown key, a missing key, a value of the wrong type or out of range, or a broken
cross-field rule raises ConfigError naming the dotted key, because a typo in a `dvc exp run -S` override
must never fall back to a default. Settings classes declare no defaults: params.yaml is the only place a
value lives (tests/unit/test_params.py keeps it so).
"""
from __future__ import annotations

import functools
import logging
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Callable, ClassVar, Mapping, TypeVar

import pydantic
import yaml
from pydantic import ConfigDict, Field

from affectlab.errors import AffectlabError, ConfigError
from affectlab.io import yaml_error

PARAMS_FILE = "params.yaml"
S = TypeVar("S", bound="Settings")

# Constrained types shared by every family (pydantic checks them when a section is loaded).
PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class Settings(pydantic.BaseModel):
    """Base of every params section: strict types, frozen, unknown keys rejected, no defaults."""
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    SECTION: ClassVar[str] = ""  # dotted params.yaml section; "" for sub-sections parsed as part of one

    def replace(self: S, **changes: Any) -> S:
        """A validated copy with some fields changed (the frozen counterpart of assignment)."""
        return parse_settings({**dict(self), **changes}, type(self), self.SECTION or type(self).__name__)


class _Yaml12Loader(yaml.SafeLoader):
    """PyYAML follows YAML 1.1, where `5e-4` (no dot) is a string. DVC writes params with ruamel (YAML 1.2),
    so `dvc exp run -S lr=5e-4` must read back as the float it means."""


_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d[\d_]*\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN)$"),
    list("-+0123456789."))


def read_params_file(path: str | Path = PARAMS_FILE) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: not found (run from the repository root)")
    try:
        data = yaml.load(path.read_text(), Loader=_Yaml12Loader)
    except yaml.YAMLError as e:
        raise ConfigError(str(yaml_error(path, e))) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections, got {type(data).__name__}")
    return data


def section_of(data: Mapping[str, Any], section: str, where: str) -> Any:
    """The value at a dotted `section` of a params mapping; a missing part is named."""
    node: Any = data
    for i, part in enumerate(section.split(".")):
        if not isinstance(node, dict) or part not in node:
            raise ConfigError(f"{where}: {'.'.join(section.split('.')[:i + 1])}: missing section")
        node = node[part]
    return node


def load_params(schema: type[S], path: str | Path = PARAMS_FILE, overrides: Mapping[str, Any] | None = None) -> S:
    """Read `schema.SECTION` of a params file into `schema`. `overrides` ({"split.train": 0.5}, dotted keys
    within the section) are applied first: tests and benchmarks state only what they change."""
    node = section_of(read_params_file(path), schema.SECTION, str(path))
    if overrides:
        node = _with_overrides(node, overrides)
    return parse_settings(node, schema, f"{path}: {schema.SECTION}")


def parse_settings(data: Any, schema: type[S], where: str) -> S:
    """Validate a plain mapping (YAML lists become tuples) into `schema`; errors start with `where`."""
    try:
        return schema.model_validate(_tuples(data))
    except pydantic.ValidationError as e:
        raise ConfigError(_one_line(e, schema, where)) from None


def _with_overrides(node: Any, overrides: Mapping[str, Any]) -> dict:
    import copy
    node = copy.deepcopy(node)
    for dotted, value in overrides.items():
        target = node
        *parents, leaf = dotted.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return node


def _tuples(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def _one_line(error: pydantic.ValidationError, schema: type[Settings], where: str) -> str:
    """The first problem as `where.dotted.key: what is wrong, got <type> <value>`; a union's alternatives
    are merged into one message (pydantic reports one error per alternative)."""
    errors = error.errors()
    # pydantic adds the alternative's name (e.g. "literal['a','b']", "dict[str,int]") to a union's loc
    loc = _plain_loc(errors[0])
    same = [e for e in errors if _plain_loc(e) == loc]
    key = where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
    first = errors[0]
    if first["type"] == "missing":
        return f"{key}: missing (params.yaml must set it)"
    if first["type"] == "extra_forbidden":
        known = _known_keys(schema, loc[:-1])
        return f"{key}: unknown key" + (f" (known: {', '.join(known)})" if known else "")
    message = " or ".join(dict.fromkeys(_message(e) for e in same))
    more = len(errors) - len(same)
    return f"{key}: {message}" + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")


def _plain_loc(error: dict) -> list:
    return [p for p in error["loc"] if not (isinstance(p, str) and "[" in p)]


def _message(error: dict) -> str:
    msg = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if error["type"] in ("value_error", "assertion_error") or "input" not in error:
        return msg
    if isinstance(error["input"], dict) and error["type"].startswith("model"):
        return msg
    return f"{msg[0].lower()}{msg[1:]}, got {_describe(error['input'])}"


def _known_keys(schema: type[Settings], loc: list) -> list[str]:
    model: Any = schema
    for part in loc:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = field.annotation
    return sorted(getattr(model, "model_fields", {}))


def _describe(value: Any) -> str:
    name = "list" if isinstance(value, tuple) else type(value).__name__
    text = repr(list(value) if isinstance(value, tuple) else value)
    return f"{name} {text if len(text) <= 60 else text[:57] + '...'}"


def stage_main(fn: Callable[[], None]) -> Callable[[], None]:
    """Standard CLI behaviour for stage scripts: INFO logging; an AffectlabError becomes one line on
    stderr and exit code 2 (no traceback: the message already says what to fix)."""

    @functools.wraps(fn)
    def wrapper() -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
        try:
            fn()
        except AffectlabError as e:
            print(f"error: {e}", file=sys.stderr)
            sys.exit(2)

    return wrapper

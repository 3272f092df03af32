"""params.yaml -> typed, frozen settings, one dataclass per section.

Each family defines its settings as frozen dataclasses next to its code and loads them with
`load_params("section.sub", Settings)`. Validation is strict: an unknown key, a missing key or a value of
the wrong type raises ConfigError naming the dotted key and the expected type, because a typo in a
`dvc exp run -S` override must not silently fall back to a default.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import sys
import types
from pathlib import Path
from typing import Any, Callable, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

import yaml

from affectlab.errors import AffectlabError, ConfigError

PARAMS_FILE = "params.yaml"
T = TypeVar("T")


def load_params(section: str, schema: type[T], path: str | Path = PARAMS_FILE) -> T:
    """Read `section` (dotted, e.g. "sft.train") of a params file into the frozen dataclass `schema`."""
    data = read_params_file(path)
    node: Any = data
    for i, part in enumerate(section.split(".")):
        if not isinstance(node, dict) or part not in node:
            where = ".".join(section.split(".")[:i + 1])
            raise ConfigError(f"{path}: {where}: missing section (expected {schema.__name__})")
        node = node[part]
    return parse_settings(node, schema, f"{path}: {section}")


def read_params_file(path: str | Path = PARAMS_FILE) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: not found (run from the repository root)")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections, got {type(data).__name__}")
    return data


def parse_settings(data: Any, schema: type[T], where: str) -> T:
    """Convert a plain mapping into `schema`, recursively; `where` prefixes every error."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping for {schema.__name__}, got {_describe(data)}")
    fields = {f.name: f for f in dataclasses.fields(schema)}
    hints = get_type_hints(schema)
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key (known: {', '.join(sorted(fields))})")
    values = {}
    for name, field in fields.items():
        key = f"{where}.{name}"
        if name in data:
            values[name] = _convert(data[name], hints[name], key)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{key}: missing (expected {_type_name(hints[name])})")
    return schema(**values)


def _convert(value: Any, tp: Any, key: str) -> Any:
    origin, args = get_origin(tp), get_args(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(value, arg, key)
            except ConfigError:
                pass
        raise ConfigError(f"{key}: expected {_type_name(tp)}, got {_describe(value)}")
    if origin is Literal:
        if value in args:
            return value
        raise ConfigError(f"{key}: expected one of {', '.join(map(repr, args))}, got {_describe(value)}")
    if dataclasses.is_dataclass(tp):
        return parse_settings(value, tp, key)
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected {_type_name(tp)}, got {_describe(value)}")
        item = args[0] if args else Any
        return tuple(_convert(v, item, f"{key}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected {_type_name(tp)}, got {_describe(value)}")
        kt, vt = args if args else (Any, Any)
        return types.MappingProxyType(
            {_convert(k, kt, f"{key}.{k}"): _convert(v, vt, f"{key}.{k}") for k, v in value.items()})
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        # YAML reads `1e-3` as a string (YAML 1.1); accept numeric strings for floats only.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif tp is str:
        if isinstance(value, str):
            return value
    else:
        raise TypeError(f"{key}: unsupported settings type {tp!r}")
    raise ConfigError(f"{key}: expected {_type_name(tp)}, got {_describe(value)}")


def _type_name(tp: Any) -> str:
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        return " or ".join("null" if a is type(None) else _type_name(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(map(repr, args))
    if origin in (list, tuple):
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"mapping of {_type_name(args[1])}" if args else "mapping"
    return getattr(tp, "__name__", str(tp))


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


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



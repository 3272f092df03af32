import subprocess
import sys
from pathlib import Path
from typing import ClassVar, Literal, Optional

import pydantic
import pytest

from affectlab.config import PositiveInt, Settings, load_params, parse_settings
from affectlab.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


class Inner(Settings):
    lr: float
    steps: PositiveInt


class Outer(Settings):
    SECTION: ClassVar[str] = "s"
    name: str
    inner: Inner
    mode: Literal["a", "b"]
    limit: Optional[int]
    tags: tuple[str, ...]


class Nested(Outer):
    SECTION: ClassVar[str] = "fam.sub"


GOOD = "name: x\ninner: {lr: 0.1, steps: 2}\nmode: a\nlimit: null\ntags: []\n"


def write(tmp_path, section_body, section="s"):
    p = tmp_path / "params.yaml"
    head, *rest = section.split(".")
    text = f"{head}:\n" + (f"  {rest[0]}:\n" if rest else "")
    pad = "    " if rest else "  "
    p.write_text(text + "".join(pad + line + "\n" for line in section_body.splitlines()))
    return p


def test_nested_section_is_parsed_into_frozen_typed_settings(tmp_path):
    p = write(tmp_path, "name: x\ninner: {lr: 1e-3, steps: 10}\ntags: [u, v]\nlimit: 5\nmode: b\n", "fam.sub")
    s = load_params(Nested, p)
    assert s == Nested(name="x", inner=Inner(lr=0.001, steps=10), tags=("u", "v"), limit=5, mode="b")
    assert isinstance(s.inner.lr, float)  # YAML 1.2 reads 1e-3 as a float (as DVC's ruamel writes it)
    with pytest.raises(pydantic.ValidationError):
        s.name = "y"
    assert s.replace(limit=7).limit == 7 and s.limit == 5


@pytest.mark.parametrize("change, message", [
    ("nmae: y", "params.yaml: s.nmae: unknown key (known: inner, limit, mode, name, tags)"),
    ("inner: {lr: 0.1}", "params.yaml: s.inner.steps: missing (params.yaml must set it)"),
    ("inner: {lr: 0.1, steps: 2.5}", "params.yaml: s.inner.steps: input should be a valid integer, got float 2.5"),
    ("inner: {lr: 0.1, steps: 0}", "params.yaml: s.inner.steps: input should be greater than or equal to 1, got int 0"),
    ("inner: {lr: fast, steps: 1}", "params.yaml: s.inner.lr: input should be a valid number, got str 'fast'"),
    ("mode: c", "params.yaml: s.mode: input should be 'a' or 'b', got str 'c'"),
    ("limit: many", "params.yaml: s.limit: input should be a valid integer, got str 'many'"),
    ("name: 3", "params.yaml: s.name: input should be a valid string, got int 3"),
    ("inner: {lr: 0.1, steps: true}", "params.yaml: s.inner.steps: input should be a valid integer, got bool True"),
    ("tags: [1]", "params.yaml: s.tags[0]: input should be a valid string, got int 1"),
])
def test_bad_param_names_the_dotted_key_and_what_is_expected(tmp_path, change, message):
    key = change.split(":")[0]
    body = "".join(line + "\n" for line in GOOD.splitlines() if not line.startswith(key + ":")) + change
    with pytest.raises(ConfigError) as e:
        load_params(Outer, write(tmp_path, body))
    assert str(e.value).endswith(message)


def test_a_missing_key_is_an_error_not_a_default(tmp_path):
    body = "".join(line + "\n" for line in GOOD.splitlines() if not line.startswith("limit"))
    with pytest.raises(ConfigError, match=r"s.limit: missing"):
        load_params(Outer, write(tmp_path, body))


def test_missing_section_is_named(tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("fam: {}\n")
    with pytest.raises(ConfigError, match=r"params.yaml: fam.sub: missing section"):
        load_params(Nested, p)


def test_parse_settings_rejects_a_non_mapping():
    with pytest.raises(ConfigError, match="where: input should be a valid dictionary or instance of Inner"):
        parse_settings([1], Inner, "where")


def test_overrides_change_only_the_named_keys(tmp_path):
    s = load_params(Outer, write(tmp_path, GOOD), {"inner.steps": 9, "mode": "b"})
    assert (s.inner.steps, s.inner.lr, s.mode, s.name) == (9, 0.1, "b", "x")


def test_stage_script_turns_a_bad_param_into_one_line_and_exit_2(tmp_path):
    (tmp_path / "params.yaml").write_text("model:\n  source: packaged:smollm2\n  revision: null\n  dtype: float8\n"
                                          "  trust_remote_code: false\n")
    proc = subprocess.run([sys.executable, str(REPO / "stages/prepare_model.py")], cwd=tmp_path,
                          capture_output=True, text=True, env={"PYTHONPATH": str(REPO / "src"), "PATH": ""})
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: params.yaml: model.dtype: input should be 'float32', 'bfloat16' or 'float16', got str 'float8'"]

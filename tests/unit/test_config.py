import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Literal, Optional

import pytest

from affectlab.config import load_params, parse_settings
from affectlab.errors import ConfigError
from affectlab.models import ModelSettings

REPO = Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True)
class Inner:
    lr: float
    steps: int = 10


@dataclasses.dataclass(frozen=True)
class Outer:
    name: str
    inner: Inner
    mode: Literal["a", "b"] = "a"
    limit: Optional[int] = None
    tags: tuple[str, ...] = ()


def write(tmp_path, text):
    p = tmp_path / "params.yaml"
    p.write_text(text)
    return p


def test_nested_section_is_parsed_into_frozen_typed_settings(tmp_path):
    p = write(tmp_path, "fam:\n  sub:\n    name: x\n    inner: {lr: 1e-3}\n    tags: [u, v]\n    limit: 5\n")
    s = load_params("fam.sub", Outer, p)
    assert s == Outer(name="x", inner=Inner(lr=0.001, steps=10), tags=("u", "v"), limit=5)
    assert isinstance(s.inner.lr, float)  # YAML 1.1 reads 1e-3 as a string; floats accept it
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "y"


@pytest.mark.parametrize("body, message", [
    ("name: x\ninner: {lr: 0.1}\nnmae: y\n", "params.yaml: s.nmae: unknown key (known: inner, limit, mode, name, tags)"),
    ("inner: {lr: 0.1}\n", "params.yaml: s.name: missing (expected str)"),
    ("name: x\ninner: {lr: 0.1, steps: 2.5}\n", "params.yaml: s.inner.steps: expected int, got float 2.5"),
    ("name: x\ninner: {lr: fast}\n", "params.yaml: s.inner.lr: expected float, got str 'fast'"),
    ("name: x\ninner: {lr: 0.1}\nmode: c\n", "params.yaml: s.mode: expected one of 'a', 'b', got str 'c'"),
    ("name: x\ninner: {lr: 0.1}\nlimit: many\n", "params.yaml: s.limit: expected int or null, got str 'many'"),
    ("name: 3\ninner: {lr: 0.1}\n", "params.yaml: s.name: expected str, got int 3"),
    ("name: x\ninner: {lr: 0.1, steps: true}\n", "params.yaml: s.inner.steps: expected int, got bool True"),
])
def test_bad_param_names_the_dotted_key_and_expected_type(tmp_path, body, message):
    p = write(tmp_path, "s:\n" + "".join("  " + line + "\n" for line in body.splitlines()))
    with pytest.raises(ConfigError) as e:
        load_params("s", Outer, p)
    assert str(e.value).endswith(message)


def test_missing_section_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"params.yaml: fam.sub: missing section \(expected Outer\)"):
        load_params("fam.sub", Outer, write(tmp_path, "fam: {}\n"))


def test_parse_settings_rejects_a_non_mapping():
    with pytest.raises(ConfigError, match="where: expected a mapping for Inner, got list"):
        parse_settings([1], Inner, "where")


def test_repo_params_file_is_valid_for_every_section():
    assert load_params("model", ModelSettings, REPO / "params.yaml").source == "packaged:smollm2"


def test_stage_script_turns_a_bad_param_into_one_line_and_exit_2(tmp_path):
    (tmp_path / "params.yaml").write_text("model:\n  source: packaged:smollm2\n  dtype: float8\n")
    proc = subprocess.run([sys.executable, str(REPO / "stages/prepare_model.py")], cwd=tmp_path,
                          capture_output=True, text=True, env={"PYTHONPATH": str(REPO / "src"), "PATH": ""})
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: params.yaml: model.dtype: expected one of 'float32', 'bfloat16', 'float16', got str 'float8'"]

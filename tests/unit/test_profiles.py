"""Profiles become `dvc exp run -S` overrides that DVC itself reads back as exactly the profile's values.

"DVC reads back" is checked with DVC's own code: `dvc.utils.hydra.to_hydra_overrides` (Hydra's
OverridesParser, what `dvc exp run -S` parses with) and `apply_overrides` (what it then does to params.yaml,
through OmegaConf), read back with DVC's YAML loader.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dvc.utils.hydra import apply_overrides, to_hydra_overrides
from dvc.utils.serialize import load_yaml

from affectlab.errors import ConfigError
from affectlab.profiles import override_value, profile_overrides

REPO = Path(__file__).resolve().parents[2]
PROFILES = sorted((REPO / "profiles").glob("*.yaml"))
TRICKY = """\
data.url: hf://datasets/allenai/Dolci-Think-SFT-7B
data.revision: "0123"
data.config: "null"
data.flag: "true"
data.modules: [q_proj, "1", v_proj]
train.lr: 2.0e-4
train.steps: 2000
train.ratio: -0.5
quant.on: true
model.revision: null
model.empty: ""
"""


def typed(value):
    """Compare values with their types: 1 != 1.0 != "1" and True != 1."""
    return [typed(v) for v in value] if isinstance(value, list) else (type(value), value)


def dotted(data, key):
    for part in key.split("."):
        data = data[part]
    return data


def params_with(keys, path):
    """A params file holding every dotted key, each set to a placeholder of another type."""
    data = {}
    for key in keys:
        *parents, leaf = key.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = 0
    path.write_text(yaml.safe_dump(data))
    return path


def shell_words(args):
    """What the shell's word splitting of an unquoted `$(...)` gives back from the printed line."""
    return " ".join(args).split()


def parsed_by_dvc(args):
    """key -> value as `dvc exp run -S` parses each override (one override per -S, none a sweep)."""
    assert args[::2] == ["-S"] * (len(args) // 2)
    overrides = to_hydra_overrides(args[1::2])
    assert not any(o.is_sweep_override() for o in overrides)
    return {o.key_or_group: o.value() for o in overrides}


def applied_by_dvc(args, params_file):
    """params.yaml as `dvc exp run -S` leaves it, read back the way DVC reads it."""
    apply_overrides(params_file, args[1::2])
    return load_yaml(params_file)


def assert_dvc_reads_back(profile, args, params_file):
    expected = yaml.safe_load(Path(profile).read_text())
    assert shell_words(args) == args
    assert {k: typed(v) for k, v in parsed_by_dvc(args).items()} == {k: typed(v) for k, v in expected.items()}
    applied = applied_by_dvc(args, params_file)
    for key, value in expected.items():
        assert typed(dotted(applied, key)) == typed(value), key


def test_profile_values_are_written_in_compact_override_syntax(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("model.source: org/name\nloss.lm: 1.0\nx.modules: [q_proj, v_proj]\nmodel.revision: null\n"
                 "model.tag: '0123'\n")
    assert profile_overrides(p) == ["-S", "model.source=org/name", "-S", "loss.lm=1.0",
                                    "-S", "x.modules=[q_proj,v_proj]", "-S", "model.revision=null",
                                    "-S", "model.tag='0123'"]


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_every_repo_profile_is_read_back_by_dvc_as_its_yaml_values(profile, tmp_path):
    params = tmp_path / "params.yaml"
    shutil.copy(REPO / "params.yaml", params)
    assert_dvc_reads_back(profile, profile_overrides(profile), params)


def test_hub_profile_is_among_the_checked_profiles():
    assert REPO / "profiles/hub.yaml" in PROFILES


def test_tricky_values_are_read_back_by_dvc_with_their_types(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(TRICKY)
    args = profile_overrides(p)
    assert "-S data.revision='0123'" in " ".join(args)
    assert_dvc_reads_back(p, args, params_with(yaml.safe_load(TRICKY), tmp_path / "params.yaml"))


@pytest.mark.parametrize("value", ["it's", "C:\\dir\\", "a\\'b", "${model.source}", "\\${x}", "x=1,y=[2]",
                                   "a b\tc\nd", "~home", "-1", "1_000", "Inf", "NaN", "TRUE", ".5", "+1",
                                   "2024-01-01", "{a: 1}", "ünï", ["a b", "${x}", None, 2, [1.5]]])
def test_any_string_or_list_is_set_verbatim_by_dvc(value, tmp_path):
    params = params_with(["a.b"], tmp_path / "params.yaml")
    applied = applied_by_dvc(["-S", f"a.b={override_value(value, 'here')}"], params)
    assert typed(applied["a"]["b"]) == typed(value)


def test_omegaconf_missing_marker_is_rejected():
    with pytest.raises(ConfigError, match=r"^p.yaml: a.b: '\?\?\?' means a missing value"):
        override_value(["x", "???"], "p.yaml: a.b")


def test_nested_profile_is_rejected_with_the_flat_form(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("model:\n  source: org/name\n")
    with pytest.raises(ConfigError, match=r"model: use flat dotted keys"):
        profile_overrides(p)


def test_a_date_is_rejected_with_the_quoted_form(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("data.since: 2024-01-01\n")
    with pytest.raises(ConfigError, match=r"p.yaml: data.since: date .* quote it in the profile"):
        profile_overrides(p)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_every_profile_key_exists_in_params_yaml(profile):
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    for key in yaml.safe_load(profile.read_text()):
        node = params
        for part in key.split("."):
            assert isinstance(node, dict) and part in node, f"{profile.name}: {key} is not in params.yaml"
            node = node[part]


# --- command line -------------------------------------------------------------------------------------


def cli(*args, cwd, path=None):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PATH": path or os.environ.get("PATH", "")}
    return subprocess.run([sys.executable, "-m", "affectlab.profiles", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)


def test_whitespace_value_in_print_mode_is_one_line_pointing_to_run(tmp_path):
    (tmp_path / "p.yaml").write_text("model.source: org/name\nmodel.note: two words\n")
    proc = cli("p.yaml", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.splitlines() == [(
        "error: p.yaml: model.note: 'two words' contains whitespace, which `$(...)` would split; "
        "apply the profile with `python -m affectlab.profiles run p.yaml` instead")]


@pytest.mark.parametrize("args", [(), ("a.yaml", "b.yaml"), ("run",), ("--help",)])
def test_bad_arguments_give_the_usage_line_and_exit_2(args, tmp_path):
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["usage: python -m affectlab.profiles [run] PROFILE.yaml [dvc exp run args...]"]


def test_run_calls_dvc_exp_run_with_one_argument_per_override(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dvc"
    fake.write_text(f"#!{sys.executable}\nimport json, sys\n"
                    f"open({str(tmp_path / 'argv.json')!r}, 'w').write(json.dumps(sys.argv[1:]))\nsys.exit(3)\n")
    fake.chmod(0o755)
    (tmp_path / "p.yaml").write_text("model.note: two words\nx.modules: [a, '1']\n")
    proc = cli("run", "p.yaml", "--queue", "-S", "x.modules=[b]", cwd=tmp_path,
               path=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert proc.returncode == 3, proc.stderr  # dvc's own exit status
    assert json.loads((tmp_path / "argv.json").read_text()) == [
        "exp", "run", "-S", "model.note='two words'", "-S", "x.modules=[a,'1']", "--queue", "-S", "x.modules=[b]"]


def test_printed_overrides_queue_an_experiment_with_the_profile_values(tmp_path):
    """End to end: `dvc exp run --queue $(python -m affectlab.profiles p.yaml)` through a real bash."""
    (tmp_path / "p.yaml").write_text(TRICKY)
    repo = tmp_path / "repo"
    repo.mkdir()
    params_with(yaml.safe_load(TRICKY), repo / "params.yaml")
    (repo / "dvc.yaml").write_text("stages:\n  show:\n    cmd: cat params.yaml\n"
                                   "    params: [data, train, quant, model]\n")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(REPO / "src"), "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}

    def sh(command):
        proc = subprocess.run(["bash", "-c", command], cwd=repo, env=env, capture_output=True, text=True,
                              check=False)
        assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    sh("git init -q && dvc init -q && git add -A && git commit -q -m init")
    sh("dvc exp run --queue $(python -m affectlab.profiles ../p.yaml)")
    try:
        assert "Queued" in sh("dvc queue status")
        shown = json.loads(sh("dvc exp show --json"))
    finally:
        sh("dvc queue remove --all")
    [queued] = [rev for exp in shown[1]["experiments"] for rev in exp["revs"]]
    params = queued["data"]["params"]["params.yaml"]["data"]
    for key, value in yaml.safe_load(TRICKY).items():
        assert typed(dotted(params, key)) == typed(value), key


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_every_repo_profile_passes_the_check_against_params_yaml(profile):
    from affectlab.profiles import check_profile
    check_profile(profile, REPO / "params.yaml")  # every key exists, every section it changes still validates

from pathlib import Path

import pytest
import yaml

from affectlab.errors import ConfigError
from affectlab.profiles import profile_overrides

REPO = Path(__file__).resolve().parents[2]


def test_profile_becomes_set_overrides_with_json_values(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("model.source: org/name\nloss.lm: 1.0\nx.modules: [q_proj, v_proj]\nmodel.revision: null\n")
    assert profile_overrides(p) == ["-S", "model.source=org/name", "-S", "loss.lm=1.0",
                                    "-S", 'x.modules=["q_proj", "v_proj"]', "-S", "model.revision=null"]


def test_nested_profile_is_rejected_with_the_flat_form(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("model:\n  source: org/name\n")
    with pytest.raises(ConfigError, match=r"model: use flat dotted keys"):
        profile_overrides(p)


def test_every_hub_profile_key_exists_in_params_yaml():
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    for key in yaml.safe_load((REPO / "profiles/hub.yaml").read_text()):
        node = params
        for part in key.split("."):
            assert isinstance(node, dict) and part in node, f"profiles/hub.yaml: {key} is not in params.yaml"
            node = node[part]

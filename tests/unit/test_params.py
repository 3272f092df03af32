"""params.yaml is the only place a value lives, and every value in it is parsed, validated and used."""
import ast
import importlib
import pkgutil

import pytest
import yaml

import affectlab
import stage_graph as graph
from affectlab.config import Settings, load_params, parse_settings, read_params_file, section_of
from affectlab.errors import ConfigError

REPO = graph.REPO
PARAMS = REPO / "params.yaml"


def settings_classes() -> list[type[Settings]]:
    for info in pkgutil.walk_packages(affectlab.__path__, "affectlab."):
        importlib.import_module(info.name)
    found, todo = [], list(Settings.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return [c for c in found if c.__module__.startswith("affectlab.")]


SECTIONS = {c.SECTION: c for c in settings_classes() if c.SECTION}


def leaves(node, prefix=""):
    if isinstance(node, dict) and node and not prefix.endswith(".allocation"):
        for k, v in node.items():
            yield from leaves(v, f"{prefix}.{k}" if prefix else k)
    else:
        yield prefix


def test_settings_classes_declare_no_defaults():
    with_defaults = [f"{c.__name__}.{name}" for c in settings_classes()
                     for name, field in c.model_fields.items() if not field.is_required()]
    assert with_defaults == [], "params.yaml is the only place a default lives"


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_every_section_of_params_yaml_parses(section):
    assert isinstance(load_params(SECTIONS[section], PARAMS), SECTIONS[section])


@pytest.mark.parametrize("profile", sorted((REPO / "profiles").glob("*.yaml")), ids=lambda p: p.name)
def test_params_yaml_with_each_profile_applied_parses(profile):
    params = read_params_file(PARAMS)
    for dotted, value in yaml.safe_load(profile.read_text()).items():
        *parents, leaf = dotted.split(".")
        node = section_of(params, ".".join(parents), profile.name) if parents else params
        assert leaf in node, f"{profile.name}: {dotted} is not in params.yaml"
        node[leaf] = value
    for section, schema in SECTIONS.items():
        parse_settings(section_of(params, section, profile.name), schema, f"{profile.name}: {section}")


def test_every_params_key_belongs_to_a_section_some_stage_loads():
    loaded = set().union(*(graph.loaded_sections(graph.script_of(s), graph.flags_of(s)) for s in graph.stages().values()))
    orphans = [key for key in leaves(read_params_file(PARAMS))
               if not any(key == s or key.startswith(s + ".") for s in loaded)]
    assert orphans == [], f"params.yaml keys no stage loads: {orphans}"


def test_every_settings_field_is_read_somewhere_in_the_code():
    """No dead options: each field is read as `.field`, or named in a string (`getattr(p, name)` over a
    tuple of names), outside the settings modules. A name-level check: cheap, and it catches a new param
    that nothing reads."""
    read = set()
    for path in [*(REPO / "src/affectlab").rglob("*.py"), *(REPO / "stages").glob("*.py")]:
        if path.name != "settings.py":
            for n in ast.walk(ast.parse(path.read_text())):
                if isinstance(n, ast.Attribute):
                    read.add(n.attr)
                elif isinstance(n, ast.Constant) and isinstance(n.value, str):
                    read.add(n.value)
    unread = [f"{c.__name__}.{name}" for c in settings_classes() for name in c.model_fields if name not in read]
    assert unread == [], f"settings nobody reads: {unread}"


@pytest.mark.parametrize("schema, override, message", [
    ("EvalExportSettings", {"batch_size": 0},
     "eval.export.batch_size: input should be greater than or equal to 1, got int 0"),
    ("EvalExportSettings", {"decoding.do_sample": True}, "eval.export: seed: must be an int when decoding.do_sample is true"),
    ("EvalExportSettings", {"seed": 3},
     "eval.export: seed: must be null with greedy decoding (got 3; it would change nothing)"),
    ("EvalReportSettings", {"bootstrap": 0}, "eval.report.bootstrap: input should be greater than or equal to 1, got int 0"),
    ("EvalExportSettings", {"eqbench.scoring": "parse"},
     "eval.export.eqbench.scoring: input should be 'generate' or 'logprob', got str 'parse'"),
    ("EvalReportSettings", {"eqbench_baselines.constant": 11},
     "eval.report.eqbench_baselines.constant: input should be less than or equal to 10, got int 11"),
    ("ProbeCaptureSettings", {"split.train": 0.5},
     "probes.capture.split: train + validation + test must be 1, got 0.5 + 0.15 + 0.15"),
    ("SentimentSettings", {"filters.min_words": 40},
     "sentiment.filters: min_words (40) must be <= max_words (30)"),
    ("SentimentSettings", {"prompt": "about {topic}"}, "sentiment.prompt: must contain {emotion}, got 'about {topic}'"),
    ("LossSettings", {"lm": 0, "emotion": 0, "strategy": 0, "affect": 0, "safety_kl": 0},
     "loss: all weights are 0; at least one of loss.lm, loss.emotion, loss.strategy, loss.affect, "
     "loss.safety_kl must be > 0"),
    ("SftDataSettings", {"max_seq_len": 16}, "sft.data.max_seq_len: input should be greater than or equal to 32, got int 16"),
    ("AuditSampleSettings", {"allocation": "random"},
     "sft_audit.sample.allocation: input should be 'proportional' or 'equal', got str 'random' "
     "or input should be a valid dictionary, got str 'random'"),
    ("AffectBuildSettings", {"targets.jealous_lovers": 5},
     "affect.build.targets: must name each archetype once (hostile_intimacy, aggressive_distance, neutral_but_close, "
     "flat_numb, fearful_urgent, playful_neutral, safety_edge); unknown: jealous_lovers"),
    ("AffectBuildSettings", {"split.dev": 0.3}, "affect.build.split: train + dev + test must be 1, got 0.7 + 0.3 + 0.15"),
    ("AffectHarvestSettings", {"min_words": 40}, "affect.harvest: min_words (40) must be <= max_words (30)"),
    ("ModelSettings", {"dtype": "float8"},
     "model.dtype: input should be 'float32', 'bfloat16' or 'float16', got str 'float8'"),
])
def test_each_section_validates_what_a_user_would_expect(schema, override, message):
    with pytest.raises(ConfigError) as e:
        load_params(next(c for c in settings_classes() if c.__name__ == schema), PARAMS, override)
    assert str(e.value) == f"{PARAMS}: {message}"

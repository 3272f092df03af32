"""Security rules as tests (DESIGN.md §5): no remote code unless a param asks; `torch.load` only with
`weights_only=True`; models, heads, probes and adapters saved as safetensors (only optimizer, scheduler and RNG
checkpoint state may use `torch.save`); every hub source of the hub profile carries a `revision`.

The static checks walk the syntax trees of src/ and stages/, so a new call site is checked without editing
this file."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CODE = sorted([*REPO.glob("src/**/*.py"), *REPO.glob("stages/*.py")])
LOADERS = re.compile(r"^(Auto\w+|pipeline|\w+ForCausalLM|\w+ForSequenceClassification|SentenceTransformer)$")
CHECKPOINT_STATE = ("optimizer.pt", "scheduler.pt", "rng.pt")


def calls():
    """(file:line, ast.Call, the dotted name of what is called) for every call in src/ and stages/."""
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                yield f"{path.relative_to(REPO)}:{node.lineno}", node, _name(node.func)


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return f"{_name(func.value)}.{func.attr}"
    return func.id if isinstance(func, ast.Name) else ""


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def test_the_scans_see_the_call_sites_they_check():
    names = {name for _, _, name in calls()}
    assert {"AutoModelForCausalLM.from_pretrained", "AutoTokenizer.from_pretrained", "torch.load", "torch.save",
            "model.save_pretrained"} <= names


# ------------------------------------------------------------------ trust_remote_code ------------------------
def test_no_literal_trust_remote_code_true_anywhere():
    """Not as a keyword, not as a `{"trust_remote_code": True}` or `dict(trust_remote_code=True)` of kwargs."""
    bad = [where for where, call, _ in calls() if _is_true(_keyword(call, "trust_remote_code"))]
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Dict):
                bad += [f"{path.relative_to(REPO)}:{node.lineno}" for k, v in zip(node.keys, node.values)
                        if isinstance(k, ast.Constant) and k.value == "trust_remote_code" and _is_true(v)]
    assert bad == []


def test_every_transformers_load_passes_trust_remote_code_explicitly():
    """`Auto*.from_pretrained` and `pipeline(...)` name trust_remote_code (from a param, or False) or pass a
    `**kwargs` built for it; none leaves it to a library default that could change."""
    missing = []
    for where, call, name in calls():
        head, _, attr = name.rpartition(".")
        loader = attr == "from_pretrained" and LOADERS.match(head.split(".")[-1] or "") or name == "pipeline"
        if loader and _keyword(call, "trust_remote_code") is None and not any(k.arg is None for k in call.keywords):
            missing.append(f"{where} {name}")
    assert missing == []


def _capture_loads(monkeypatch) -> list[dict]:
    import transformers
    seen: list[dict] = []

    def fake(kind):
        def from_pretrained(path, **kwargs):
            seen.append({"kind": kind, **kwargs})
            raise OSError("stop here: the options are what this test checks")
        return classmethod(lambda cls, path, **kw: from_pretrained(path, **kw))

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", fake("tokenizer"))
    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", fake("model"))
    return seen


@pytest.mark.parametrize("recorded, expected", [({"trust_remote_code": True}, True),
                                                ({"trust_remote_code": False}, False), (None, False)])
def test_load_base_honours_the_option_prepare_model_recorded(recorded, expected, tmp_path, monkeypatch):
    from affectlab.errors import ModelError
    from affectlab.models import LOAD_OPTIONS, load_base, load_base_tokenizer

    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"")
    (tmp_path / "tokenizer_config.json").write_text("{}")
    if recorded is not None:
        (tmp_path / LOAD_OPTIONS).write_text(json.dumps(recorded))
    seen = _capture_loads(monkeypatch)
    with pytest.raises(ModelError):
        load_base(tmp_path)
    with pytest.raises(OSError):
        load_base_tokenizer(tmp_path)
    assert [s["trust_remote_code"] for s in seen] == [expected, expected]


def test_prepare_model_records_the_param_beside_the_weights(tmp_path):
    from affectlab.models import LOAD_OPTIONS, save_plain
    from affectlab.tiny_models import tiny_causal_lm

    model, tok = tiny_causal_lm(layers=1, hidden=16)
    save_plain(model, tok, tmp_path, trust_remote_code=False)
    assert json.loads((tmp_path / LOAD_OPTIONS).read_text()) == {"trust_remote_code": False}


def test_a_hub_model_source_passes_the_param_through(monkeypatch):
    from affectlab.errors import ModelError
    from affectlab.models import load_causal_lm

    seen = _capture_loads(monkeypatch)
    for asked in (False, True):
        with pytest.raises(ModelError):
            load_causal_lm("org/name", "0" * 40, trust_remote_code=asked)
    assert [(s["trust_remote_code"], s["revision"]) for s in seen] == [(False, "0" * 40), (True, "0" * 40)]


# ------------------------------------------------------------------ torch.load / pickle ----------------------
def test_torch_load_only_with_weights_only_true():
    bad = [where for where, call, name in calls()
           if name.endswith("torch.load") and not _is_true(_keyword(call, "weights_only"))]
    assert bad == []


def test_no_pickle_loading():
    """No pickle, joblib or `np.load(..., allow_pickle=True)`: arrays and weights load without running code."""
    bad = [where for where, call, name in calls()
           if name.split(".")[0] in ("pickle", "joblib", "dill", "cloudpickle")
           or (name.endswith("np.load") or name == "numpy.load") and _is_true(_keyword(call, "allow_pickle"))]
    assert bad == []


# ------------------------------------------------------------------ safetensors ------------------------------
def test_torch_save_only_for_optimizer_scheduler_and_rng_state():
    """Models, heads, probes and adapters are safetensors; `torch.save` is left to checkpoint state that is
    read back with weights_only=True (a state dict of tensors and numbers)."""
    saves = [(where, {n.value for n in ast.walk(call.args[1]) if isinstance(n, ast.Constant)} if len(call.args) > 1
              else set()) for where, call, name in calls() if name.endswith("torch.save")]
    assert saves, "no torch.save found: update this test"
    assert [w for w, names in saves if not names & set(CHECKPOINT_STATE)] == []


def test_save_pretrained_never_turns_safetensors_off():
    bad = [where for where, call, name in calls() if name.endswith("save_pretrained")
           and (kw := _keyword(call, "safe_serialization")) is not None and not _is_true(kw)]
    assert bad == []


def test_saved_model_adapter_and_heads_are_safetensors(tmp_path):
    """The real save paths on a tiny model: prepare_model's folder, a LoRA adapter as train_sft saves it, and
    the heads file; no pickle-based weight file (*.bin, *.pt, *.pth, *.pkl) anywhere."""
    from affectlab.models import save_plain
    from affectlab.sft.model import MultiTaskSFT, add_lora, save_heads
    from affectlab.config import load_params
    from affectlab.sft.settings import LoraSettings
    from affectlab.tiny_models import tiny_causal_lm

    model, tok = tiny_causal_lm(layers=1, hidden=16)
    save_plain(model, tok, tmp_path / "base", trust_remote_code=False)
    lora = load_params(LoraSettings, REPO / "params.yaml")
    lm = add_lora(tiny_causal_lm(layers=1, hidden=16)[0], lora, quantized=False, gradient_checkpointing=False)
    core = MultiTaskSFT(lm, {"emotion": 3}, {"lm": 1.0, "emotion": 1.0})
    core.lm.save_pretrained(tmp_path / "sft" / "adapter")
    save_heads(core, tmp_path / "sft" / "heads.safetensors", {"emotion": ["a", "b", "c"]})
    files = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert {"base/model.safetensors", "sft/adapter/adapter_model.safetensors", "sft/heads.safetensors"} <= files
    assert [f for f in files if f.endswith((".bin", ".pt", ".pth", ".pkl", ".pickle"))] == []


# ------------------------------------------------------------------ pinned hub sources -----------------------
HUB_ID = re.compile(r"^(hf://(datasets/)?)?[A-Za-z0-9][\w.-]*/[\w.-]+(/.*)?$")
LOCAL = ("models/", "data/", "./", "/", "~")


def hub_sources(profile: dict) -> dict[str, str]:
    """Keys of a profile that name a model or dataset source (`*.source`, `*.path`, `*.model`) with a hub id."""
    return {k: v for k, v in profile.items()
            if k.rsplit(".", 1)[-1] in ("source", "path", "model") and isinstance(v, str)
            and HUB_ID.match(v) and not v.startswith(LOCAL)}


def test_every_hub_source_of_the_hub_profile_carries_a_revision():
    profile = yaml.safe_load((REPO / "profiles/hub.yaml").read_text())
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    sources = hub_sources(profile)
    assert len(sources) >= 9  # base model, emotion model, teacher, Dolci, EQ-Bench, ED-v2, ESConv, GoEmotions x3
    for key in sources:
        revision = key.rsplit(".", 1)[0] + ".revision"
        assert revision in profile, f"profiles/hub.yaml: {key} has no {revision}"
        assert isinstance(profile[revision], str) and profile[revision], revision
        node = params
        for part in revision.split("."):
            assert isinstance(node, dict) and part in node, f"params.yaml has no {revision}"
            node = node[part]


def test_readme_says_how_to_pin_a_commit():
    page = (REPO / "docs" / "parameters.md").read_text()
    section = page[page.index("## Profiles"):]
    section = section[:section.index("\n## ", 4)]
    assert re.search(r"40-hex", section) and "revision" in section


def test_a_pinned_audit_source_is_read_at_its_revision():
    from affectlab.config import load_params
    from affectlab.errors import ConfigError
    from affectlab.sampling.settings import AuditSampleSettings

    sha = "0123456789abcdef0123456789abcdef01234567"
    hub = {"source": "hf://datasets/allenai/Dolci-Think-SFT-7B/data", "revision": sha}
    p = load_params(AuditSampleSettings, REPO / "params.yaml", hub)
    assert p.location == f"hf://datasets/allenai/Dolci-Think-SFT-7B@{sha}/data"
    assert load_params(AuditSampleSettings, REPO / "params.yaml").location == "data/embedded/sft_mirror"
    with pytest.raises(ConfigError, match="sft_audit.sample: revision: applies to hf://datasets/ sources only"):
        load_params(AuditSampleSettings, REPO / "params.yaml", {"revision": sha})


def test_a_hub_teacher_is_loaded_at_its_revision(monkeypatch):
    import affectlab.models
    from affectlab.config import load_params
    from affectlab.reasoning.settings import ReasonerCotSettings
    from affectlab.reasoning.teacher import make_teacher

    seen = []

    def fake_load(source, revision=None, **kwargs):
        seen.append((source, revision, kwargs.get("trust_remote_code", False)))
        raise RuntimeError("stop")

    monkeypatch.setattr(affectlab.models, "load_causal_lm", fake_load)
    p = load_params(ReasonerCotSettings, REPO / "params.yaml",
                    {"teacher.source": "Qwen/Qwen2.5-7B-Instruct", "teacher.revision": "a" * 40})
    with pytest.raises(RuntimeError, match="stop"):
        make_teacher(p)
    assert seen == [("Qwen/Qwen2.5-7B-Instruct", "a" * 40, False)]

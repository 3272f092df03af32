"""One `train_sft` run end to end: load the base model (4-bit if asked), add LoRA and heads, fit, and write
the adapter, heads, run manifest, metrics and curves."""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import torch

from affectlab.io import atomic_dir, fingerprint, read_json, read_parquet, write_json_atomic
from affectlab.models import BASE_DIR, ModelSettings, library_versions, load_base
from affectlab.sft.curves import LiveCurves, plot_losses
from affectlab.sft.model import MultiTaskSFT, add_lora, quantization_kwargs, save_adapter, save_heads, wants_4bit
from affectlab.sft.settings import LoraSettings, LossSettings, SftMixtureSettings, QuantSettings, SftTrainSettings
from affectlab.sft.train import FitResult, clear_checkpoint, distributed_state, fit, mixed_precision

log = logging.getLogger(__name__)
DATA_DIR = Path("data/sft")
OUT_DIR = Path("models/sft")
PLOTS_DIR = Path("plots/sft_train")
TABLE_COLUMNS = ["source", "prompt_length", "input_ids", "labels", "emotion_label", "strategy_label"]


@dataclasses.dataclass(frozen=True)
class RunSettings:
    model: ModelSettings
    loss: LossSettings
    mixture: SftMixtureSettings
    lora: LoraSettings
    train: SftTrainSettings
    quant: QuantSettings

    def plain(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name).model_dump(mode="json") for f in dataclasses.fields(self)}


def build_model(settings: RunSettings, head_sizes: dict[str, int], base_dir: str | Path = BASE_DIR):
    """(MultiTaskSFT, tokenizer): the base model, 4-bit when `quant` asks (training on CUDA only), LoRA, heads.
    LoRA and head initialisation draw from `train.seed`."""
    quant_kwargs = quantization_kwargs(settings.quant, training=True)
    lm, tokenizer = load_base(base_dir, **quant_kwargs)
    torch.manual_seed(settings.train.seed)
    lm = add_lora(lm, settings.lora, quantized=bool(quant_kwargs))
    return MultiTaskSFT(lm, head_sizes, settings.loss), tokenizer


def run_fingerprint(settings: RunSettings, files: list[Path]) -> str:
    """Identity of a run for resuming: every setting except where checkpoints go, plus the input bytes."""
    snapshot = settings.plain()
    snapshot["train"].pop("checkpoint_dir")
    return fingerprint(snapshot, files)


def train_and_save(settings: RunSettings) -> dict[str, Any] | None:
    """Run training on data/sft and write models/sft/{adapter/,heads.safetensors,manifest.json} and the
    curves; returns the metrics for metrics/sft_train.json (None on the non-main processes of
    `accelerate launch` or `torchrun`, which train but write nothing)."""
    vocab = read_json(DATA_DIR / "labels.json", "run `dvc repro prepare_sft_data`")
    train = read_parquet(DATA_DIR / "train.parquet", TABLE_COLUMNS)
    val = read_parquet(DATA_DIR / "validation.parquet", TABLE_COLUMNS)
    return fit_and_save(settings, train, val, vocab,
                        {"emotion": len(vocab["emotion"]), "strategy": len(vocab["strategy"])},
                        [DATA_DIR / "train.parquet", DATA_DIR / "validation.parquet", DATA_DIR / "labels.json",
                         BASE_DIR / "config.json"], OUT_DIR, PLOTS_DIR)


def fit_and_save(settings: RunSettings, train: pd.DataFrame, val: pd.DataFrame, vocab: dict,
                 head_sizes: dict[str, int], input_files: list[Path], out_dir: Path,
                 plots_dir: Path, on_step: Callable[[int, dict], None] | None = None) -> dict[str, Any] | None:
    """Build the model, `fit` it on encoded tables (TABLE_COLUMNS), and write `out_dir`/{adapter/,
    heads.safetensors,manifest.json} and the curves under `plots_dir`. `input_files` (with the settings)
    identify the run for resuming. `on_step(step, record)` runs before the curves log the record (family D
    adds its learning-curve scores there). Shared by train_sft and train_reasoner (family D)."""
    main = distributed_state().is_main_process
    model, tokenizer = build_model(settings, head_sizes)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    key = run_fingerprint(settings, input_files)
    curves = LiveCurves(plots_dir) if main else None
    def step_done(step: int, record: dict) -> None:
        if on_step is not None:
            on_step(step, record)
        if curves is not None:
            curves(step, record)

    result = fit(model, train, val, settings.train, alpha=settings.mixture.alpha, pad_id=pad_id,
                 fingerprint=key, on_step=step_done if main else None)
    if not main:
        return None
    curves.close()
    plot_losses(result.history, plots_dir / "losses.png")
    manifest = run_manifest(settings, model, result, vocab, key)
    with atomic_dir(out_dir) as tmp:
        save_adapter(model.lm, tmp / "adapter")
        save_heads(model, tmp / "heads.safetensors", vocab)
        write_json_atomic(manifest, tmp / "manifest.json")
    log.info("wrote %s (adapter, heads, manifest)", out_dir)
    clear_checkpoint(settings.train.checkpoint_dir)
    return train_metrics(result, model)


def train_metrics(result: FitResult, model: MultiTaskSFT) -> dict[str, Any]:
    last = result.history[-1]
    # <table>.<split>.<column>: "emotion.accuracy" of the final validation pass -> emotion.validation.accuracy
    m: dict[str, Any] = {_with_split(k, "validation"): v for k, v in result.final_eval.items()}
    m.update({_with_split(k.removeprefix("train."), "train"): v for k, v in last.items() if k.startswith("train.loss.")})
    m.update({f"mixture.{k}": v for k, v in result.mixture.items()})
    m.update({"steps": int(last["step"]), "resumed_from": result.resumed_from, "heads": sorted(model.heads),
              "loss_terms": sorted(model.weights), "seconds": result.seconds,
              "tokens_per_s": result.tokens / result.seconds if result.seconds else 0.0,
              "trainable_parameters": sum(p.numel() for p in model.trainable_parameters())})
    return m


def _with_split(key: str, split: str) -> str:
    table, column = key.split(".", 1)
    return f"{table}.{split}.{column}"


def run_manifest(settings: RunSettings, model: MultiTaskSFT, result: FitResult, vocab: dict, key: str) -> dict:
    return {"model_source": settings.model.source, "model_revision": settings.model.revision,
            "base_dir": str(BASE_DIR), "params": settings.plain(),
            "device": "cuda" if torch.cuda.is_available() else "cpu", "mixed_precision": mixed_precision(),
            "load_in_4bit": wants_4bit(settings.quant), "mixture": result.mixture,
            "heads": {n: vocab[n] for n in model.heads}, "loss_weights": model.weights,
            "pooling": "hidden state at prompt_length - 1", "fingerprint": key, "versions": library_versions()}

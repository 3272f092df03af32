"""One `train_sft` run end to end: load the base model (4-bit if asked), add LoRA and heads, fit, and write
the adapter, heads, run manifest, metrics and curves.

Beside data/sft's three datasets, the mixture draws family E's train rows when `loss.affect` > 0 (the affect
head, affectlab.sft.affect_head) and the safety prompts' train rows when `loss.safety_kl` > 0 (the KL to the
safety teacher, affectlab.sft.safety); with both at 0 the run is the one before either existed."""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import torch

from affectlab.affect.heldout import read_heldout
from affectlab.affect.records import AXES
from affectlab.io import atomic_dir, fingerprint, read_json, read_parquet, write_json_atomic
from affectlab.models import BASE_DIR, ModelSettings, library_versions, load_base, load_base_tokenizer
from affectlab.sft import affect_head, safety
from affectlab.sft.curves import LiveCurves, plot_losses
from affectlab.sft.model import MultiTaskSFT, add_lora, quantization_kwargs, save_adapter, save_heads, wants_4bit
from affectlab.sft.settings import (LoraSettings, LossSettings, QuantSettings, SftAffectSettings, SftMixtureSettings,
                                    SftTrainSettings)
from affectlab.sft.train import FitResult, clear_checkpoint, distributed_state, fit, head_outputs, mixed_precision

log = logging.getLogger(__name__)
DATA_DIR = Path("data/sft")
OUT_DIR = Path("models/sft")
PLOTS_DIR = Path("plots/sft_train")
TABLE_COLUMNS = ["source", "prompt_length", "input_ids", "labels", "emotion_label", "strategy_label"]
SAFETY_FILE = Path("data/safety/teacher.safetensors")
AfterFit = Callable[[MultiTaskSFT, int], dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class RunSettings:
    model: ModelSettings
    loss: LossSettings
    mixture: SftMixtureSettings
    lora: LoraSettings
    train: SftTrainSettings
    quant: QuantSettings
    affect: SftAffectSettings | None = None  # train_sft's affect head rows; None for family D's reasoner

    def plain(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name).model_dump(mode="json") for f in dataclasses.fields(self)
                if getattr(self, f.name) is not None}


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
    """Run training on data/sft (+ E's affect rows and the safety rows, as `loss` asks) and write
    models/sft/{adapter/,heads.safetensors,manifest.json} and the curves; returns the metrics for
    metrics/sft_train.json (None on the non-main processes of `accelerate launch` or `torchrun`, which train but
    write nothing)."""
    vocab = read_json(DATA_DIR / "labels.json", "run `dvc repro prepare_sft_data`")
    train = read_parquet(DATA_DIR / "train.parquet", TABLE_COLUMNS)
    val = read_parquet(DATA_DIR / "validation.parquet", TABLE_COLUMNS)
    head_sizes = {"emotion": len(vocab["emotion"]), "strategy": len(vocab["strategy"])}
    files = [DATA_DIR / "train.parquet", DATA_DIR / "validation.parquet", DATA_DIR / "labels.json",
             BASE_DIR / "config.json", SAFETY_FILE]
    # the safety KL is measured after training whether or not it was trained on: the ablation's comparison
    safety_rows = safety.safety_table(SAFETY_FILE)
    after = [safety_scorer(safety_rows, settings.train.batch_size)]
    extra = [safety_rows[safety_rows["split"] == "train"]] if settings.loss.safety_kl > 0 else []
    if settings.loss.affect > 0:
        rows, scorer = affect_rows_and_scorer(settings.affect, settings.train.batch_size)
        extra.append(rows)
        after.append(scorer)
        head_sizes[affect_head.HEAD] = len(AXES)
        vocab = {**vocab, affect_head.HEAD: list(AXES)}
        files += [affect_head.DATASET, Path(settings.affect.heldout)]
    if extra:
        train = pd.concat([train, *extra], ignore_index=True)
    if settings.loss.affect > 0:  # the loop's collate needs the column in every row of both tables
        train, val = affect_head.with_affect_column(train), affect_head.with_affect_column(val)
    return fit_and_save(settings, train, val, vocab, head_sizes, files, OUT_DIR, PLOTS_DIR,
                        after_fit=lambda model, pad_id: {k: v for f in after for k, v in f(model, pad_id).items()})


def safety_scorer(rows: pd.DataFrame, batch_size: int) -> AfterFit:
    """Mean KL(policy || safety teacher) over the reply tokens of the train and of the held-out safety prompts."""
    def score(model: MultiTaskSFT, pad_id: int) -> dict[str, float]:
        return {f"safety_kl.{split}": safety.mean_kl(model, rows[rows["split"] == split], batch_size, pad_id)
                for split in ("train", "heldout")}
    return score


def affect_rows_and_scorer(p: SftAffectSettings, batch_size: int) -> tuple[pd.DataFrame, AfterFit]:
    """E's train rows for the mixture, and the scorer of the trained head on E's test split and the natural set."""
    tokenizer = load_base_tokenizer(BASE_DIR)
    splits = affect_head.read_splits()
    encoded = lambda name, records: affect_head.affect_rows(records, tokenizer, p.max_seq_len, name)  # noqa: E731
    sets = {name: (encoded(name, records), records)
            for name, records in (("test", splits["test"]), ("natural", read_heldout(p.heldout)))}

    def score(model: MultiTaskSFT, pad_id: int) -> dict[str, float]:
        def predict(table: pd.DataFrame):
            return head_outputs(model, table.drop(columns=affect_head.COLUMN), affect_head.HEAD, batch_size,
                                pad_id).clip(-1, 1)
        return affect_head.affect_scores(predict, sets, splits["train"])
    return encoded("train", splits["train"]), score


def fit_and_save(settings: RunSettings, train: pd.DataFrame, val: pd.DataFrame, vocab: dict,
                 head_sizes: dict[str, int], input_files: list[Path], out_dir: Path,
                 plots_dir: Path, on_step: Callable[[int, dict], None] | None = None,
                 after_fit: AfterFit | None = None) -> dict[str, Any] | None:
    """Build the model, `fit` it on encoded tables (TABLE_COLUMNS), and write `out_dir`/{adapter/,
    heads.safetensors,manifest.json} and the curves under `plots_dir`. `input_files` (with the settings)
    identify the run for resuming. `on_step(step, record)` runs before the curves log the record (family D
    adds its learning-curve scores there); `after_fit(model, pad_id)` scores the trained model (metrics added
    to the returned ones). Shared by train_sft and train_reasoner (family D)."""
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
    return {**train_metrics(result, model), **(after_fit(model, pad_id) if after_fit is not None else {})}


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

"""Family C, part 3: DPO on TRL after SFT.

DPO trains a LoRA adapter on the SFT model's merged weights; with `peft_config`, TRL keeps no second model:
the reference log-probs are the same weights with the adapter switched off, i.e. the frozen SFT model.
Pairs come from affectlab.sft.preference (the pair rule is documented there).
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Sequence

import torch

from affectlab.progress import timed
from affectlab.sft.dpo_settings import DpoSettings
from affectlab.sft.train import mixed_precision

log = logging.getLogger(__name__)


def conversational(pairs: Sequence[dict]):
    """TRL's conversational preference format: prompt messages, chosen / rejected as assistant messages."""
    import datasets

    return datasets.Dataset.from_list([{"prompt": p["prompt"], "chosen": [{"role": "assistant", "content": p["chosen"]}],
                                        "rejected": [{"role": "assistant", "content": p["rejected"]}]} for p in pairs])


@dataclasses.dataclass
class DpoResult:
    model: object                 # the PEFT model (adapter on = DPO, adapter off = the SFT reference)
    history: list[dict]           # TRL's log lines, one per step
    resumed_from: int             # the step a killed run resumed from (0: from the start)


def _log_checkpoints():
    from transformers import TrainerCallback

    class LogCheckpoints(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            log.info("DPO checkpoint at step %d -> %s", state.global_step, args.output_dir)

    return LogCheckpoints()


def train_dpo(model, tokenizer, pairs: Sequence[dict], settings: DpoSettings, ckpt_dir: Path) -> DpoResult:
    """DPO with TRL's DPOTrainer on CPU-friendly settings (no bf16 off CUDA, no activation checkpointing,
    short max length; `pairs` already fitted to it), LoRA from `settings.lora`; checkpoints every `checkpoint_every` steps under `ckpt_dir`
    (a run keyed by its fingerprint) and resumes from the newest one."""
    from peft import LoraConfig
    from trl import DPOConfig, DPOTrainer

    lora = settings.lora
    args = DPOConfig(output_dir=str(ckpt_dir), beta=settings.beta, loss_type=[settings.loss_type],
                     max_steps=settings.max_steps, per_device_train_batch_size=settings.batch_size,
                     learning_rate=settings.lr, warmup_steps=settings.warmup_steps, lr_scheduler_type="linear",
                     max_length=settings.max_length, seed=settings.seed,
                     data_seed=settings.seed, bf16=mixed_precision() == "bf16", fp16=mixed_precision() == "fp16",
                     activation_checkpointing=False, use_cpu=not torch.cuda.is_available(),
                     save_strategy="steps", save_steps=settings.checkpoint_every, save_total_limit=1,
                     logging_steps=1, report_to="none", disable_tqdm=True, dataloader_num_workers=0)
    trainer = DPOTrainer(model=model, args=args, train_dataset=conversational(pairs), processing_class=tokenizer,
                         peft_config=LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                                                target_modules=list(lora.target_modules), bias="none",
                                                task_type="CAUSAL_LM"))
    trainer.add_callback(_log_checkpoints())
    # a checkpoint is complete once its trainer_state.json is written (the Trainer writes it last)
    last = sorted((c for c in ckpt_dir.glob("checkpoint-*") if (c / "trainer_state.json").is_file()),
                  key=lambda c: int(c.name.split("-")[1])) if ckpt_dir.is_dir() else []
    resumed = int(last[-1].name.split("-")[1]) if last else 0
    if resumed:
        log.info("resuming DPO from %s (step %d of %d)", last[-1], resumed, settings.max_steps)
    with timed("DPO", unit="steps") as stats:
        trainer.train(resume_from_checkpoint=str(last[-1]) if last else None)
        stats["n"] = settings.max_steps - resumed
    history = [h for h in trainer.state.log_history if "loss" in h]
    return DpoResult(trainer.model.eval(), history, resumed)

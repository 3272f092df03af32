"""The multi-task SFT model: base LM + LoRA (or QLoRA on NF4 4-bit weights) + emotion / strategy heads.

Heads read the last layer's hidden state (after the final norm) at `prompt_length - 1`, the last prompt
token: what the model "knows" just before it writes the reply. Losses are masked cross-entropies that are
0 (not NaN) when a batch has no label for a term, so a batch of GoEmotions rows (no LM target) or of
ED-v2 rows (no strategy) is harmless. A loss weight of 0 removes the term: its head is never built and
its loss never computed (an ablation, not a multiplied zero). A head in REGRESSION_HEADS (family E's affect
head) predicts floats instead, with a masked MSE (rows whose target holds a NaN carry no label).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from affectlab.io import write_text_atomic
from affectlab.errors import ConfigError, first_line
from affectlab.sft.encoding import IGNORE, target_logits
from affectlab.sft.settings import LoraSettings, LossSettings, QuantSettings

log = logging.getLogger(__name__)
HEAD_LABELS = {"emotion": "emotion_label", "strategy": "strategy_label", "affect": "affect_target"}
REGRESSION_HEADS = frozenset({"affect"})  # float targets [batch, outputs], MSE; the others classify


def wants_4bit(quant: QuantSettings) -> bool:
    return torch.cuda.is_available() if quant.load_in_4bit == "auto" else bool(quant.load_in_4bit)


def quantization_kwargs(quant: QuantSettings, *, training: bool) -> dict[str, Any]:
    """from_pretrained kwargs for QLoRA (empty when 4-bit is off). bitsandbytes loads NF4 on CPU, but its
    4-bit backward needs CUDA here, so training with 4-bit forced on a CPU machine stops with a clear fix."""
    if not wants_4bit(quant):
        return {}
    if training and not torch.cuda.is_available():
        raise ConfigError("quant.load_in_4bit: true needs a CUDA GPU to train (bitsandbytes 4-bit training is "
                          "CUDA-only); use quant.load_in_4bit=auto (4-bit on CUDA only) or false on this machine")
    from transformers import BitsAndBytesConfig

    return {"quantization_config": BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=quant.double_quant,
        bnb_4bit_compute_dtype=getattr(torch, quant.compute_dtype))}


def add_lora(model, lora: LoraSettings, *, quantized: bool, gradient_checkpointing: bool = True):
    """Wrap with a LoRA adapter; a 4-bit model first goes through `prepare_model_for_kbit_training`
    (fp32 norms, input grads, optional gradient checkpointing), as in QLoRA."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if quantized:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing)
    config = LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                        target_modules=list(lora.target_modules), bias="none", task_type="CAUSAL_LM")
    try:
        return get_peft_model(model, config)
    except ValueError as e:
        raise ConfigError(f"sft.lora.target_modules: {first_line(e)}") from None


def masked_ce(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Mean cross-entropy over labels != IGNORE and their count; 0 (with a graph) when there are none."""
    valid = labels != IGNORE
    n = int(valid.sum())
    loss = F.cross_entropy(logits[valid].float(), labels[valid], reduction="sum")
    return loss / max(n, 1), n


def masked_mse(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Mean squared error over the rows whose target has no NaN, and their count; 0 when there are none."""
    valid = ~torch.isnan(target).any(-1)
    n = int(valid.sum())
    loss = F.mse_loss(pred[valid].float(), target[valid].float(), reduction="sum") / pred.shape[-1]
    return loss / max(n, 1), n


class MultiTaskSFT(nn.Module):
    """A PEFT-wrapped causal LM plus linear heads; `forward` returns the weighted total and every term."""

    def __init__(self, lm, head_sizes: dict[str, int], loss: LossSettings | dict[str, float]):
        super().__init__()
        self.lm = lm
        weights = loss.active() if isinstance(loss, LossSettings) else dict(loss)  # {term: weight > 0}
        # a head's term needs its head: a weight for a head this model is not given (family D's reasoner has
        # none) is no term of it
        self.weights = {k: w for k, w in weights.items() if k not in HEAD_LABELS or k in head_sizes}
        hidden = lm.get_base_model().config.hidden_size
        self.heads = nn.ModuleDict({name: nn.Linear(hidden, n) for name, n in head_sizes.items()
                                    if self.weights.get(name, 0) > 0})
        for head in self.heads.values():
            # zero init: every head starts at the uniform prediction (loss ln n_classes) instead of random
            # logits on hidden states whose scale varies a lot between base models
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)

    def forward(self, input_ids, attention_mask, labels, prompt_length, safety_ids=None, safety_logprobs=None,
                safety_mask=None, **head_labels) -> dict[str, Any]:
        """`head_labels`: a HEAD_LABELS column per head (e.g. emotion_label); a head without one only
        predicts (its logits are returned, no loss term). `safety_*`: the safety teacher's targets
        (affectlab.sft.safety.safety_batch), for the `safety_kl` term."""
        base = self.lm.get_base_model()
        hidden = base.get_decoder()(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        out: dict[str, Any] = {}
        terms = {}
        if "safety_kl" in self.weights:
            terms["safety_kl"], out["n_safety_kl"] = self.safety_kl(base, hidden, prompt_length, safety_ids,
                                                                    safety_logprobs, safety_mask)
        if "lm" in self.weights:
            logits, target, _ = target_logits(base, hidden, labels)
            terms["lm"], out["n_lm"] = masked_ce(logits, target)
        pooled = hidden[torch.arange(hidden.shape[0], device=hidden.device), prompt_length - 1].float()
        for name, head in self.heads.items():
            logits = head(pooled)
            given = head_labels.get(HEAD_LABELS[name])
            if given is not None:
                loss_fn = masked_mse if name in REGRESSION_HEADS else masked_ce
                terms[name], out[f"n_{name}"] = loss_fn(logits, given)
            out[f"{name}_logits"] = logits.detach()
        out["loss"] = sum(self.weights[k] * v for k, v in terms.items())
        out.update(terms)
        return out

    @staticmethod
    def safety_kl(base, hidden, prompt_length, ids, teacher_logprobs, mask) -> tuple[torch.Tensor, int]:
        """Mean KL(policy || teacher) over the reply tokens of the batch's safety rows and their count; 0
        (with a graph) when the batch has none."""
        from affectlab.sft.safety import coarse_kl, reply_hidden

        if mask is None or not bool(mask.any()):
            return hidden.sum() * 0.0, 0
        rows = mask.any(-1)
        at = reply_hidden(hidden[rows], prompt_length[rows], mask.shape[1])[mask[rows]]
        kl = coarse_kl(base.get_output_embeddings()(at), ids[rows][mask[rows]], teacher_logprobs[rows][mask[rows]])
        return kl.mean(), int(mask.sum())

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def parameter_groups(self, lr: float, head_lr: float, weight_decay: float) -> list[dict[str, Any]]:
        """Optimizer groups: the LoRA adapter at `lr`, the heads at `head_lr`."""
        adapter = [p for p in self.lm.parameters() if p.requires_grad]
        groups = [{"params": adapter, "lr": lr, "weight_decay": weight_decay}]
        if len(self.heads):
            groups.append({"params": list(self.heads.parameters()), "lr": head_lr, "weight_decay": weight_decay})
        return groups


def save_adapter(lm, folder: str | Path) -> None:
    """`save_pretrained` of the PEFT adapter, with `target_modules` sorted in adapter_config.json: peft keeps
    them in a set, so their order followed the per-process string hash (two identical runs of train_affect
    wrote ["v_proj", "q_proj"] and ["q_proj", "v_proj"])."""
    lm.save_pretrained(folder)
    path = Path(folder) / "adapter_config.json"
    config = json.loads(path.read_text())
    if isinstance(config.get("target_modules"), list):
        config["target_modules"] = sorted(config["target_modules"])
        write_text_atomic(json.dumps(config, indent=2, sort_keys=True), path)


def save_heads(model: MultiTaskSFT, path: str | Path, vocab: dict[str, list[str]]) -> None:
    """heads.safetensors: `<head>.weight` / `<head>.bias` per active head; metadata names the labels and
    the pooling so a reader needs nothing else."""
    from safetensors.torch import save

    from affectlab.io import write_safetensors_atomic

    tensors = {f"{name}.{k}": v.detach().float().cpu().contiguous()
               for name, head in model.heads.items() for k, v in head.state_dict().items()}
    meta = {"heads": json.dumps(sorted(model.heads)),
            "pooling": "last layer hidden state (after final norm) at token prompt_length - 1",
            **{f"labels.{name}": json.dumps(vocab[name]) for name in model.heads}}
    write_safetensors_atomic(save(tensors, metadata=meta), path)


def load_heads_into(model: MultiTaskSFT, path: str | Path) -> None:
    from safetensors.torch import load_file

    state = load_file(str(path))
    for name, head in model.heads.items():
        head.load_state_dict({k.split(".", 1)[1]: v for k, v in state.items() if k.startswith(f"{name}.")})

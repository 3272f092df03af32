"""A base model with a saved adapter merged into its weights (family C: the SFT model that DPO starts from).

Its own module, not models.py: every model stage depends on models.py, and this is needed by the DPO and
export stages only."""
from __future__ import annotations

from pathlib import Path

from affectlab.models import load_adapter, load_base


def load_merged(adapter_dir: str | Path, stage: str = "train_sft"):
    """(model, tokenizer): the prepared base with a saved adapter merged into its weights, e.g. the SFT model
    that DPO starts from, keeps as its frozen reference and puts its own adapter on."""
    model, tokenizer = load_base()
    return load_adapter(model, adapter_dir, stage).merge_and_unload(), tokenizer

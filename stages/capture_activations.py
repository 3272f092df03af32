"""Capture every layer's pooled activations of the generated sentences and of the held-out sets, one
forward pass per batch, with a train/val/test split held out by topic recorded per row.

    python stages/capture_activations.py          # the base model
    python stages/capture_activations.py --sft    # the base model with the SFT adapter merged in
    python stages/capture_activations.py --second # family B's second architecture (models/probe_second)

Reads  data/sentiment/generated.jsonl, data/embedded/probe_sets/*.jsonl, models/base (--sft: models/sft/adapter)
Writes data/activations/layer_XX.h5 (00 = embeddings, then one per block), data/activations/heldout/layer_XX.h5
       (split = the set's name), metrics/activations.json (--sft: data/activations_sft/, metrics/activations_sft.json;
       --second: data/activations_second/, metrics/activations_second.json)
Params probes.capture.*, model.source (--second: probes.second_model.source)
"""
import argparse

import numpy as np

from affectlab.config import load_params, stage_main
from affectlab.io import atomic_dir
from affectlab.metrics import write_metrics
from affectlab.models import SECOND_DIR, ModelSettings, SecondModelSettings, load_adapter, load_base
from affectlab.probes.capture import write_activations
from affectlab.probes.dataset import SPLITS, read_probe_sets, read_sentences, topic_split
from affectlab.probes.settings import ProbeCaptureSettings

SENTENCES, HELDOUT, ADAPTER = "data/sentiment/generated.jsonl", "data/embedded/probe_sets", "models/sft/adapter"


@stage_main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--sft", action="store_true", help="capture through the base model + SFT adapter")
    which.add_argument("--second", action="store_true", help="capture through probes.second_model")
    args = parser.parse_args()
    out = "activations_sft" if args.sft else "activations_second" if args.second else "activations"
    p = load_params(ProbeCaptureSettings)
    rows = read_sentences(SENTENCES)
    split = topic_split([r["label"] for r in rows], [r.get("topic") for r in rows], p.split, p.seed, source=SENTENCES)
    sets = read_probe_sets(HELDOUT)
    heldout = [r for rows_ in sets.values() for r in rows_]
    heldout_split = np.array([name for name, rows_ in sets.items() for _ in rows_])
    model, tokenizer = load_base(SECOND_DIR) if args.second else load_base()
    model_name = load_params(SecondModelSettings if args.second else ModelSettings).source
    if args.sft:  # merged in memory: the same forward code as the base model, no LoRA detour per layer
        model, model_name = load_adapter(model, ADAPTER).merge_and_unload(), f"{model_name}+sft"
    with atomic_dir(f"data/{out}") as tmp:
        metrics = write_activations(model, tokenizer, rows, split, p, tmp, model_name=model_name)
        held = write_activations(model, tokenizer, heldout, heldout_split, p, tmp / "heldout", model_name=model_name)
    topics = {name: sorted({r["topic"] for r, s in zip(rows, split) if s == name}) for name in SPLITS}
    metrics.update({f"topics.{name}": len(t) for name, t in topics.items()})
    metrics.update({f"heldout.{name}.rows": len(r) for name, r in sets.items()})
    metrics["heldout.truncated_rows"], metrics["seconds"] = held["truncated_rows"], metrics["seconds"] + held["seconds"]
    write_metrics(metrics, f"metrics/{out}.json", f"capture_{out}")


if __name__ == "__main__":
    main()

"""Capture every layer's pooled activations of the generated sentences, one forward pass per batch,
with a stratified train/val/test split recorded per row.

Reads  data/sentiment/generated.jsonl, models/base
Writes data/activations/layer_XX.h5 (00 = embeddings, then one per block), metrics/activations.json
Params probes.capture.*, model.source
"""
from affectlab.config import load_params, stage_main
from affectlab.io import atomic_dir
from affectlab.metrics import write_metrics
from affectlab.models import ModelSettings, load_base
from affectlab.probes.capture import write_activations
from affectlab.probes.dataset import read_sentences, stratified_split
from affectlab.probes.settings import ProbeCaptureSettings

SENTENCES, OUT, METRICS = "data/sentiment/generated.jsonl", "data/activations", "metrics/activations.json"


@stage_main
def main() -> None:
    p = load_params(ProbeCaptureSettings)
    rows = read_sentences(SENTENCES)
    split = stratified_split([r["label"] for r in rows], p.split, p.seed, source=SENTENCES)
    model, tokenizer = load_base()
    with atomic_dir(OUT) as tmp:
        metrics = write_activations(model, tokenizer, rows, split, p, tmp,
                                    model_name=load_params(ModelSettings).source)
    write_metrics(metrics, METRICS, "capture_activations")


if __name__ == "__main__":
    main()

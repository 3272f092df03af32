"""Train a linear probe per layer (early stopping on val AUC) with a shuffled-label control and lexical
baselines (VADER, bag-of-words); pick the best layer on val and report it on test.

Reads  data/activations/layer_XX.h5, data/sentiment/generated.jsonl (texts for the lexical baselines)
Writes models/probes/ (probes.safetensors + probes.json), metrics/probes.json,
       plots/probes_by_layer.csv, plots/probes_by_layer.png
Params probes.train.*, probes.capture.pooling and model.source (checked against the HDF5 attrs)
"""
from affectlab.config import load_params, stage_main
from affectlab.io import atomic_dir
from affectlab.metrics import write_metrics
from affectlab.models import ModelSettings
from affectlab.probes.dataset import read_activations, read_sentences
from affectlab.probes.report import write_auc_csv, write_auc_png
from affectlab.probes.settings import ProbeCaptureSettings, ProbeTrainSettings
from affectlab.probes.study import run_study, save_probes, summary_metrics

SENTENCES, ACTIVATIONS = "data/sentiment/generated.jsonl", "data/activations"


@stage_main
def main() -> None:
    p = load_params(ProbeTrainSettings)
    model = load_params(ModelSettings).source
    acts = read_activations(ACTIVATIONS, model=model, pooling=load_params(ProbeCaptureSettings).pooling)
    texts = {r["id"]: r["text"] for r in read_sentences(SENTENCES)}
    study = run_study(acts, texts, p)
    with atomic_dir("models/probes") as tmp:
        save_probes(study, acts.attrs, tmp)
    write_metrics(summary_metrics(study), "metrics/probes.json", "train_probes")
    write_auc_csv(study, "plots/probes_by_layer.csv")
    write_auc_png(study, "plots/probes_by_layer.png", f"Sentiment probes by layer ({model}, {acts.attrs['pooling']} pooling)")


if __name__ == "__main__":
    main()

"""Train probes per layer and probe type (early stopping on val AUC; linear ones at scikit-learn's optimum with
probes.train.linear_solver: newton_cg) with a shuffled-label control, a control task and lexical baselines
(VADER, bag-of-words); calibrate each layer's threshold on val; pick the best layer on val and report it, and
the K-best ensembles, on test and on the held-out sets.

    python stages/train_probes.py          # probes on the base model's activations
    python stages/train_probes.py --sft    # the same on the SFT model's, compared with the base probes
    python stages/train_probes.py --second # on the second architecture's, compared by relative depth

Reads  data/activations/ (layer_XX.h5, heldout/layer_XX.h5), data/sentiment/generated.jsonl and
       data/embedded/probe_sets/*.jsonl (texts for the lexical baselines)
       (--sft: data/activations_sft/ and plots/probes_by_layer.csv, the base model's curves)
Writes models/probes/ (probes.safetensors + probes.json), metrics/probes.json,
       plots/probes_by_layer.csv, plots/probes_by_layer.png, plots/probes_selectivity.csv, plots/probes_selectivity.png
       (--sft: models/probes_sft/, metrics/probes_sft.json (keys `probes_sft.*`), plots/probes_sft_by_layer.csv,
       plots/probes_sft_by_layer.png, plots/probes_sft_selectivity.csv, plots/probes_sft_selectivity.png,
       plots/probes_base_vs_sft.png; --second: the same with `probes_second`, and plots/probes_relative_depth.png
       instead; ensemble_layers name the base model's layers and are mapped to the same relative depths)
Params probes.train.*, probes.capture.pooling and model.source (checked against the HDF5 attrs;
       --second: probes.second_model.source)
"""
import argparse

from affectlab.config import load_params, stage_main
from affectlab.io import atomic_dir
from affectlab.metrics import write_metrics
from affectlab.models import ModelSettings, SecondModelSettings
from affectlab.probes.dataset import read_activations, read_probe_sets, read_sentences
from affectlab.probes.heldout import evaluate_heldout, heldout_metrics
from affectlab.probes.report import read_auc_csv, write_auc_csv, write_auc_png, write_comparison_png, write_selectivity
from affectlab.probes.settings import ProbeCaptureSettings, ProbeTrainSettings
from affectlab.probes.study import at_relative_depth, run_study, save_probes, summary_metrics

SENTENCES, HELDOUT, BASE_CSV = "data/sentiment/generated.jsonl", "data/embedded/probe_sets", "plots/probes_by_layer.csv"


@stage_main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--sft", action="store_true", help="probe the SFT model's activations")
    which.add_argument("--second", action="store_true", help="probe the second architecture's activations")
    args = parser.parse_args()
    variant = "_sft" if args.sft else "_second" if args.second else ""
    name, folder = f"probes{variant}", f"data/activations{variant}"
    p = load_params(ProbeTrainSettings)
    model = load_params(SecondModelSettings if args.second else ModelSettings).source + ("+sft" if args.sft else "")
    pooling = load_params(ProbeCaptureSettings).pooling
    acts = read_activations(folder, model=model, pooling=pooling)
    base = read_auc_csv(BASE_CSV) if variant else None
    if args.second:  # the base model's layers at the same relative depths in this one
        p = p.replace(ensemble_layers=at_relative_depth(p.ensemble_layers, acts.x.shape[0], of=len(base)))
    texts = {r["id"]: r["text"] for r in read_sentences(SENTENCES)}
    study = run_study(acts, texts, p)
    heldout = evaluate_heldout(study, read_activations(f"{folder}/heldout", model=model, pooling=pooling),
                               read_probe_sets(HELDOUT))
    with atomic_dir(f"models/{name}") as tmp:
        save_probes(study, acts.attrs, tmp)
    metrics = {**summary_metrics(study), **heldout_metrics(heldout)}
    prefix = f"{name}." if variant else ""  # so `dvc exp show` tells these columns from the base ones
    write_metrics({(prefix + k if k != "seconds" else k): v for k, v in metrics.items()}, f"metrics/{name}.json",
                  f"train_{name}")
    write_auc_csv(study, f"plots/{name}_by_layer.csv", heldout)
    title = f"Sentiment probes by layer ({model}, {acts.attrs['pooling']} pooling)"
    write_auc_png(study, f"plots/{name}_by_layer.png", title, heldout)
    write_selectivity(study, f"plots/{name}_selectivity.csv", f"plots/{name}_selectivity.png",
                      f"Task vs control-task accuracy by layer ({model})")
    if args.sft:
        write_comparison_png({"base": base, "SFT": read_auc_csv(f"plots/{name}_by_layer.csv")},
                             "plots/probes_base_vs_sft.png", f"Probe AUC by layer, base vs SFT ({pooling} pooling)")
    if args.second:
        write_comparison_png({"base model": base, model: read_auc_csv(f"plots/{name}_by_layer.csv")},
                             "plots/probes_relative_depth.png",
                             f"Probe AUC by relative depth, two architectures ({pooling} pooling)", relative=True)


if __name__ == "__main__":
    main()

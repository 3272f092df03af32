"""Does the variety of the generated training sentences carry over to the held-out sets? (issue 23 item 5)

At the same number of training rows, linear probes (train_probes' loop and settings, real labels only) are
trained on a narrow or a broad draw from the train split of data/activations, along one axis at a time:
  topics        narrow: rows of a third of the train topics       broad: rows from every train topic
  sub_emotions  narrow: 3 of the 8 sub-emotions per class          broad: every sub-emotion
  length        narrow: the shorter half of the sentences          broad: any length
The validation and test splits are unchanged; the layer is chosen on validation AUC, as in train_probes.
Each cell is the mean (sd) over --draws random draws of test AUC and of each held-out set's AUC at that
layer. Run from the repo root after `dvc repro capture_activations`:

    python bench/probe_variety.py [--rows 60] [--draws 6]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from affectlab.config import load_params
from affectlab.models import ModelSettings
from affectlab.probes.dataset import read_activations, read_probe_sets
from affectlab.probes.settings import ProbeCaptureSettings, ProbeTrainSettings
from affectlab.probes.training import fit_probes, probe_logits, standardizer
from sklearn.metrics import roc_auc_score

PARAMS = Path(__file__).resolve().parents[1] / "params.yaml"


def draw(rows: list[dict], idx: np.ndarray, axis: str, narrow: bool, n: int, rng) -> np.ndarray | None:
    """`n` train rows (half per class) from the narrow or broad pool along `axis`; None if too few."""
    pool = idx
    if narrow and axis == "topics":
        topics = sorted({rows[i]["topic"] for i in idx})
        keep = set(rng.permutation(topics)[: max(1, len(topics) // 3)])
        pool = np.array([i for i in idx if rows[i]["topic"] in keep])
    elif narrow and axis == "sub_emotions":
        keep = set()
        for label in ("positive", "negative"):
            subs = sorted({rows[i]["sub_emotion"] for i in idx if rows[i]["label"] == label})
            keep |= set(rng.permutation(subs)[:3])
        pool = np.array([i for i in idx if rows[i]["sub_emotion"] in keep])
    elif narrow and axis == "length":
        words = np.array([len(rows[i]["text"].split()) for i in idx])
        pool = idx[words <= np.median(words)]
    out = []
    for label in ("positive", "negative"):
        cls = [i for i in pool if rows[i]["label"] == label]
        if len(cls) < n // 2:
            return None
        out += list(rng.choice(cls, n // 2, replace=False))
    return np.array(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=60, help="training rows per draw (half per class)")
    ap.add_argument("--draws", type=int, default=6)
    args = ap.parse_args()
    s = load_params(ProbeTrainSettings, PARAMS)
    acts = read_activations("data/activations", model=load_params(ModelSettings, PARAMS).source,
                            pooling=load_params(ProbeCaptureSettings, PARAMS).pooling)
    held = read_activations("data/activations/heldout", model=acts.attrs["model"], pooling=acts.attrs["pooling"])
    by_id = {r["id"]: r for r in map(json.loads, Path("data/sentiment/generated.jsonl").read_text().splitlines())}
    rows = [by_id[i] for i in acts.ids]
    tr, va, te = (acts.rows(n) for n in ("train", "validation", "test"))
    sets = list(read_probe_sets("data/embedded/probe_sets"))
    print(f"{len(tr)} train rows ({len({rows[i]['topic'] for i in tr})} topics), {args.rows} per draw, "
          f"{args.draws} draws; AUC at the validation-chosen layer, mean (sd)")
    print("| axis | draw | test | " + " | ".join(sets) + " | mean held-out |")
    print("|---|---|---|" + "---|" * (len(sets) + 1))
    for axis in ("topics", "sub_emotions", "length"):
        for narrow in (True, False):
            rng = np.random.default_rng(0)
            scores = []
            while len(scores) < args.draws:
                sub = draw(rows, tr, axis, narrow, args.rows, rng)
                if sub is None:
                    continue
                mean, std = standardizer(acts.x[:, sub])
                z = lambda x: (x - mean[:, None]) / std[:, None]
                fitted = fit_probes(z(acts.x[:, sub]), acts.y[None, sub], z(acts.x[:, va]), acts.y[None, va], s)
                layer = int(np.argmax(fitted.val_auc[0]))
                w = {k: v[:, layer:layer + 1] for k, v in fitted.params.items()}
                auc = lambda x, y: roc_auc_score(y, probe_logits(z(x)[layer:layer + 1], {k: v[0] for k, v in w.items()})[0])
                row = [auc(acts.x[:, te], acts.y[te])] + [auc(held.x[:, held.rows(n)], held.y[held.rows(n)]) for n in sets]
                scores.append(row + [float(np.mean(row[1:]))])
            m, sd = np.mean(scores, axis=0), np.std(scores, axis=0)
            print(f"| {axis} | {'narrow' if narrow else 'broad'} | "
                  + " | ".join(f"{a:.3f} ({b:.3f})" for a, b in zip(m, sd)) + " |", flush=True)


if __name__ == "__main__":
    main()

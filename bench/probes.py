"""Benchmark family B against baselines measured in the same run (timings on a shared CPU are noisy;
ratios are what to read; times are CPU seconds with one torch thread by default). Run from the repo root after `dvc repro prepare_model`:

    python bench/probes.py [--rows 300] [--repeats 3]

(a) capture: all-layer capture (one forward pass with output_hidden_states + pooling) vs a bare forward
    pass over the same batches (goal <= 1.15x), and vs the reference's layer-batched capture, 4 passes
    of <= 10 hooked layers (goal: one pass >= 3x faster).
(b) linear probes, every layer at once, with each `probes.train.linear_solver` (adamw: the stage's
    default, early stopping on val AUC; newton_cg: scikit-learn's objective, bfloat16 activations) vs a
    scikit-learn LogisticRegression loop over layers (lbfgs, the same C) on the same split: time ratio
    and the largest test-AUC gap (goal: >= 5x, gap <= 0.01). A gap is only visible on a big test split: (b) pools every generated
    sentence with the held-out sets (672 rows at the embedded default) and splits them 50/25/25 per class
    (seeded), 168 test rows; it compares two optimisers on one distribution, not transfer.
(c) held-out sets (data/embedded/probe_sets): per set, CPU seconds to capture every layer (vs a bare
    forward pass over the same batches) and to score every layer's probe plus VADER and bag-of-words.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import threadpoolctl
import torch

from affectlab.config import load_params
from affectlab.models import load_base
from affectlab.probes.capture import pool, pooled_batches, token_lengths
from affectlab.probes.dataset import Activations, read_probe_sets, stratified_split, topic_split
from affectlab.probes.heldout import evaluate_heldout
from affectlab.probes.study import run_study
from affectlab.probes.settings import ProbeCaptureSettings, ProbeSplit, ProbeTrainSettings
from affectlab.probes.training import fit_probes, probe_logits, standardizer
from sklearn.metrics import roc_auc_score

PARAMS = Path(__file__).resolve().parents[1] / "params.yaml"  # the bench measures the repository's own settings

SENTENCES = Path("data/sentiment/generated.jsonl")


def load_rows(n: int) -> list[dict]:
    if SENTENCES.is_file():
        rows = [json.loads(line) for line in SENTENCES.read_text().splitlines()]
        pos = [r for r in rows if r["label"] == "positive"][: n // 2]
        neg = [r for r in rows if r["label"] == "negative"][: n // 2]
        if len(pos) + len(neg) == n:
            return pos + neg
    raise SystemExit(f"need {n} rows in {SENTENCES}: run `dvc repro generate_sentiment` first (or lower --rows)")


def batches(tokenizer, texts, s: ProbeCaptureSettings):
    order = np.argsort(token_lengths(tokenizer, texts), kind="stable")
    tokenizer.padding_side = "right"
    return [tokenizer([texts[i] for i in order[k:k + s.batch_size]], return_tensors="pt", padding=True,
                      truncation=True, max_length=s.max_length) for k in range(0, len(order), s.batch_size)]


def bare_forward(model, encs):
    with torch.inference_mode():
        for enc in encs:
            model.base_model(**enc, use_cache=False)


def layer_batched(model, encs, s: ProbeCaptureSettings, per_pass: int = 10) -> list[np.ndarray]:
    """The reference approach: passes over the data, each hooking <= 10 of the layers (to bound memory).
    The layers are those of `hidden_states`: the embeddings, each block, and the final norm for the last,
    so 31 layers of SmolLM2 take 4 passes, as the reference's 34 layers of Gemma 3 4B did."""
    trunk = model.base_model
    targets = [trunk.embed_tokens, *trunk.layers[:-1], trunk.norm]
    groups = [list(range(i, min(i + per_pass, len(targets)))) for i in range(0, len(targets), per_pass)]
    pooled = [[None] * len(targets) for _ in encs]
    with torch.inference_mode():
        for group in groups:
            seen = {}
            hooks = [targets[i].register_forward_hook(
                lambda m, a, o, i=i: seen.__setitem__(i, o[0] if isinstance(o, tuple) else o)) for i in group]
            for b, enc in enumerate(encs):
                trunk(**enc, use_cache=False)
                for i in group:
                    pooled[b][i] = pool([seen[i]], enc["attention_mask"], s.pooling, s.last_k)[0].numpy()
            for h in hooks:
                h.remove()
    return [np.stack(p) for p in pooled]


def timeit(fn, repeats: int) -> float:
    """Median CPU seconds of this process. With one torch thread, CPU time is the work done and is not
    inflated by other processes competing for the cores (wall time on a shared machine is)."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def sklearn_loop(x, y, tr, te, c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler

    aucs = []
    for layer in range(x.shape[0]):
        scaler = StandardScaler().fit(x[layer, tr])
        clf = LogisticRegression(C=c, max_iter=2000).fit(scaler.transform(x[layer, tr]), y[tr])
        aucs.append(roc_auc_score(y[te], clf.decision_function(scaler.transform(x[layer, te]))))
    return np.array(aucs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=160)
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repeats (the order rotates)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch and BLAS threads (1 makes CPU time a fair measure)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    # numpy's BLAS too: scikit-learn's lbfgs runs on it, and idle BLAS threads spinning on a second core were
    # counted as its CPU time (2026-12-04, 336 training rows: 0.61-2.82 s per repeat unpinned, 0.24 s pinned)
    threadpoolctl.threadpool_limits(args.threads)
    torch.manual_seed(0)
    model, tok = load_base()
    rows = load_rows(args.rows)
    texts = [r["text"] for r in rows]
    s = load_params(ProbeCaptureSettings, PARAMS, dict(batch_size=32, dtype="float32"))
    encs = batches(tok, texts, s)
    bare_forward(model, encs[:2])  # warm-up

    captured: list = []
    ref: list = []
    # interleaved repeats: the CPU is shared, so each repeat times all three back to back and the
    # ratios are taken within a repeat (medians over repeats are reported)
    methods = [lambda: bare_forward(model, encs),
               lambda: captured.__setitem__(slice(None), list(pooled_batches(model, tok, texts, s))),
               lambda: ref.__setitem__(slice(None), layer_batched(model, encs, s))]
    runs = []
    for r in range(args.repeats):
        # the order rotates per repeat: whichever runs first pays for cold allocator pages
        t = [0.0, 0.0, 0.0]
        for m in (r % 3, (r + 1) % 3, (r + 2) % 3):
            t[m] = timeit(methods[m], 1)
        runs.append(tuple(t))
    t_bare, t_all, t_ref = (statistics.median(r[i] for r in runs) for i in range(3))
    all_vs_bare = statistics.median(r[1] / r[0] for r in runs)
    ref_vs_bare = statistics.median(r[2] / r[0] for r in runs)
    speedup = statistics.median(r[2] / r[1] for r in runs)
    ours = np.concatenate([p for _, p in captured], axis=1)
    theirs = np.concatenate(ref, axis=1)
    diff = float(np.abs(ours - theirs).max())

    print(f"\n(a) capture of {len(texts)} sentences, {len(encs)} batches of {s.batch_size}, "
          f"{model.config.num_hidden_layers + 1} layers (median of {args.repeats} interleaved repeats)")
    print("| method | CPU s | vs bare forward | one-pass speed-up |")
    print("|---|---|---|---|")
    print(f"| bare forward (no hidden states) | {t_bare:.2f} | 1.00x | |")
    print(f"| all-layer capture, one pass (ours) | {t_all:.2f} | {all_vs_bare:.2f}x | |")
    print(f"| layer-batched, {-(-(model.config.num_hidden_layers + 1) // 10)} passes of <= 10 layers (reference) | {t_ref:.2f} | {ref_vs_bare:.2f}x | {speedup:.2f}x |")
    print("per repeat (bare, ours, reference) CPU s: " + "; ".join(", ".join(f"{t:.2f}" for t in r) for r in runs))
    print(f"max |difference| of pooled activations over all {ours.shape[0]} layers, ours vs reference: {diff:.2e}")

    x = np.concatenate([p for _, p in captured], axis=1).astype(np.float32)
    order = np.concatenate([i for i, _ in captured])
    y = np.array([1 if rows[i]["label"] == "positive" else 0 for i in order])
    split = topic_split([rows[i]["label"] for i in order], [rows[i]["topic"] for i in order],
                        load_params(ProbeCaptureSettings, PARAMS).split, seed=13)
    probe_bench(model, tok, s, args.repeats)
    heldout_bench(model, tok, s, x, y, split, [rows[i] for i in order], args.repeats)


def pooled_rows() -> list[dict]:
    """Every generated sentence and every held-out sentence: the biggest labelled pool the repository has."""
    generated = [json.loads(line) for line in SENTENCES.read_text().splitlines()]
    return generated + [r for rows in read_probe_sets("data/embedded/probe_sets").values() for r in rows]


def probe_bench(model, tok, s, repeats: int) -> None:
    """(b): the two trainers on one big stratified split of the pooled rows."""
    rows = pooled_rows()
    texts = [r["text"] for r in rows]
    captured = list(pooled_batches(model, tok, texts, s))
    x = np.concatenate([p for _, p in captured], axis=1).astype(np.float32)
    order = np.concatenate([i for i, _ in captured])
    labels = [rows[i]["label"] for i in order]
    y = np.array([1 if label == "positive" else 0 for label in labels])
    split = stratified_split(labels, ProbeSplit(train=0.5, validation=0.25, test=0.25), seed=13)
    tr, va, te = (np.flatnonzero(split == name) for name in ("train", "validation", "test"))
    settings = load_params(ProbeTrainSettings, PARAMS)
    solvers = ("adamw", "newton_cg")
    aucs: dict[str, list] = {name: [] for name in (*solvers, "sklearn")}

    def ours(solver: str):  # the same work as train_probes' real-label probes: standardise, fit, score test
        mean, std = standardizer(x[:, tr])
        z = (x - mean[:, None]) / std[:, None]
        fitted = fit_probes(z[:, tr], y[None, tr], z[:, va], y[None, va], settings.replace(linear_solver=solver))
        logits = probe_logits(z[:, te], fitted.variant(0))
        aucs[solver][:] = [roc_auc_score(y[te], logits[layer]) for layer in range(x.shape[0])]

    methods = [*[lambda solver=solver: timeit(lambda: ours(solver), 1) for solver in solvers],
               lambda: timeit(lambda: aucs["sklearn"].__setitem__(slice(None), sklearn_loop(x, y, tr, te, settings.linear_c)), 1)]
    runs = []
    for r in range(repeats):  # interleaved, the order rotating (see (a))
        t = [0.0] * len(methods)
        for m in (r + k for k in range(len(methods))):
            t[m % len(methods)] = methods[m % len(methods)]()
        runs.append(t)
    sk = np.array(aucs["sklearn"])
    print(f"\n(b) linear probes on {len(tr)} train / {len(va)} val / {len(te)} test rows x {x.shape[0]} layers "
          f"(pooled generated + held-out sentences, stratified; median of {repeats} interleaved repeats; C = {settings.linear_c})")
    print("| method | CPU s | speed-up vs scikit-learn loop | max (mean) test-AUC gap | best test AUC |")
    print("|---|---|---|---|---|")
    labels = {"adamw": "all layers at once: AdamW, early stopping on val AUC (stage default)",
              "newton_cg": "all layers at once: Newton-CG, bfloat16 activations (linear_solver: newton_cg)"}
    for i, solver in enumerate(solvers):
        gap = np.abs(np.array(aucs[solver]) - sk)
        print(f"| {labels[solver]} | {statistics.median(r[i] for r in runs):.3f} "
              f"| {statistics.median(r[-1] / r[i] for r in runs):.2f}x | {gap.max():.4f} ({gap.mean():.4f}) "
              f"| {max(aucs[solver]):.4f} |")
    print(f"| scikit-learn LogisticRegression (lbfgs) loop over layers | {statistics.median(r[-1] for r in runs):.3f} "
          f"| 1.00x | 0 | {sk.max():.4f} |")
    print("per repeat CPU s (" + ", ".join((*solvers, "scikit-learn")) + "): "
          + "; ".join(", ".join(f"{v:.3f}" for v in r) for r in runs))


def heldout_bench(model, tok, s, x, y, split, rows, repeats: int) -> None:
    """(c): the probes of a study trained on the bench rows, evaluated on each held-out set."""
    ids = np.array([r["id"] for r in rows])
    attrs = {"model": "bench", "pooling": s.pooling, "last_k": s.last_k, "num_layers": x.shape[0]}
    study = run_study(Activations(x, y, ids, split, attrs), {r["id"]: r["text"] for r in rows},
                      load_params(ProbeTrainSettings, PARAMS))
    print(f"\n(c) held-out sets: {x.shape[0]} layers, probes trained on the rows of (b) (median of {repeats})")
    print("| set | rows | capture CPU s | vs bare forward | score all layers + VADER + BoW CPU s |")
    print("|---|---|---|---|---|")
    for name, set_rows in read_probe_sets("data/embedded/probe_sets").items():
        texts = [r["text"] for r in set_rows]
        encs = batches(tok, texts, s)
        captured: list = []
        t_bare = timeit(lambda: bare_forward(model, encs), repeats)
        t_cap = timeit(lambda: captured.__setitem__(slice(None), list(pooled_batches(model, tok, texts, s))), repeats)
        idx = np.concatenate([i for i, _ in captured])
        acts = Activations(np.concatenate([p for _, p in captured], axis=1).astype(np.float32),
                           np.array([int(set_rows[i]["label"] == "positive") for i in idx]),
                           np.array([set_rows[i]["id"] for i in idx]), np.array([name] * len(idx)), attrs)
        t_score = timeit(lambda: evaluate_heldout(study, acts, {name: set_rows}), repeats)
        print(f"| {name} | {len(texts)} | {t_cap:.2f} | {t_cap / t_bare:.2f}x | {t_score:.2f} |")


if __name__ == "__main__":
    main()

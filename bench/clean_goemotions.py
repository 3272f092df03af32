"""Benchmark: GoEmotions cleaning (family D) at the real size of the `raw` config.

    python bench/clean_goemotions.py [--texts 58000] [--raters 211225] [--embed-texts N]

Builds a synthetic raw table in memory (texts composed like data/embedded/make_goemotions_raw.py, each with
3-4 rater rows and the same kinds of disagreement), then times each step of affectlab.reasoning.clean on
it: rows/s and the peak RSS of the process during the step (sampled every 20 ms). Baseline in the same run:
a vectorised `groupby(id).sum()` over the 28 label columns (no mapping, no policy), the floor that the
per-id aggregation is compared with. `--embed-texts` embeds only the first N kept texts with MiniLM (and
extrapolates the rate) when the whole set would take too long on a shared machine.
"""
from __future__ import annotations

import argparse
import importlib.util
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

from affectlab.config import load_params
from affectlab.lexical import Vader
from affectlab.reasoning import clean as C
from affectlab.reasoning.settings import ReasonerCleanSettings
from affectlab.sentiment.filters import MiniLM
from affectlab.sft.sources import GO_EMOTIONS

ROOT = Path(__file__).resolve().parents[1]


class PeakRss:
    def __enter__(self):
        self.proc, self.peak, self.stop = psutil.Process(), 0, False
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        self.start = time.perf_counter()
        return self

    def _watch(self):
        while not self.stop:
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        self.stop = True
        self.thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def synthetic_raw(n_texts: int, n_rows: int, seed: int = 0) -> pd.DataFrame:
    spec = importlib.util.spec_from_file_location("mirror", ROOT / "data/embedded/make_goemotions_raw.py")
    mirror = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mirror)
    import random
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    groups, weights = zip(*mirror.GROUP_SHARE.items())
    gold = [rng.choice(mirror.EKMAN[rng.choices(groups, weights)[0]]) for _ in range(n_texts)]
    texts = [f"{mirror.compose(rng, g)} #{i}" if i % 50 else mirror.compose(rng, g) for i, g in enumerate(gold)]
    owner = np.sort(np.concatenate([np.arange(n_texts), nrng.integers(0, n_texts, n_rows - n_texts)]))
    labels = np.zeros((n_rows, len(GO_EMOTIONS)), np.int64)
    for r, i in enumerate(owner):
        labels[r, GO_EMOTIONS.index(mirror.rater_labels(rng, gold[i]) [0])] = 1
    frame = pd.DataFrame(labels, columns=list(GO_EMOTIONS))
    frame.insert(0, "text", [texts[i] for i in owner])
    frame.insert(1, "id", [f"t{i:06d}" for i in owner])
    frame.insert(2, "rater_id", nrng.integers(0, 82, n_rows))
    frame.insert(3, "example_very_unclear", nrng.random(n_rows) < 0.02)
    return frame


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=58_011)
    ap.add_argument("--raters", type=int, default=211_225)
    ap.add_argument("--embed-texts", type=int, default=None)
    args = ap.parse_args()
    p = load_params(ReasonerCleanSettings, ROOT / "params.yaml")
    t0 = time.perf_counter()
    raw = synthetic_raw(args.texts, args.raters)
    print(f"synthetic raw table: {len(raw)} rater rows, {raw['id'].nunique()} texts "
          f"({time.perf_counter() - t0:.1f} s to build)")
    counts, examples, results = Counter(), {}, []

    def step(name, n, fn):
        with PeakRss() as m:
            out = fn()
        results.append((name, n, m.seconds, m.peak))
        return out

    step("baseline: groupby(id).sum()", len(raw), lambda: raw.groupby("id")[list(GO_EMOTIONS)].sum())
    items = step("aggregate (per id)", len(raw), lambda: C.aggregate_raw(raw, p, "bench", counts, examples))
    items = step("neutral reduction", len(items), lambda: C.reduce_neutral(items, p, counts, examples))
    vader = Vader().compound
    items = step("quality", len(items), lambda: C.quality_filter(items, p, counts, examples, vader))
    embed = MiniLM()
    texts = items["text"].tolist()[:args.embed_texts] if args.embed_texts else items["text"].tolist()
    vectors = step("MiniLM embeddings", len(texts), lambda: embed(texts))
    if len(texts) < len(items):  # extrapolated rows: the outlier step needs a vector per item
        vectors = np.resize(vectors, (len(items), vectors.shape[1]))
    step("embedding outliers", len(items), lambda: C.outlier_reasons(vectors, items["label"].tolist(), p))
    step("stratified split", len(items), lambda: C.stratified_split(items, p))
    print(f"\n{'step':32s} {'rows':>8s} {'seconds':>8s} {'rows/s':>10s} {'peak RSS MB':>12s}")
    for name, n, s, peak in results:
        print(f"{name:32s} {n:8d} {s:8.2f} {n / s if s else float('inf'):10.0f} {peak / 2**20:12.0f}")
    print(f"\nremoved: {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()

"""Benchmark: stratified sampling of a huge source-sorted SFT dataset, sample_sft vs the obvious approaches.

    python bench/sampling.py [--n 1000] [--row-groups-per-source 2] [--skip-systematic] [--over http|local]

Builds (once, cached under bench/.cache/) a synthetic Dolci-schema mirror of 2.27M rows in 20 shards of
12 row groups (240 in all), 10 sources from 40% down to 0.5%, sorted by source, then measures in one run,
each method in a fresh process (so peak RSS is its own):
- `shuffle10k`: datasets streaming + shuffle(buffer_size=10_000) + take(n)   (the obvious approach)
- `systematic`: datasets streaming, every k-th row (k = rows // n)          (correct, but streams it all)
- `plain`:      sample_sft, proportional allocation, all row groups eligible
- `cluster`:    sample_sft with row_groups_per_source (two-stage cluster sampling)
and prints wall time, peak RSS, bytes read, per-source counts vs the proportional target.
`--over http` (the default) serves the mirror from a loopback HTTP server answering range requests
(tests/range_server.py, 127.0.0.1 only, started and stopped here) and every method reads it by URL, through
fsspec's HTTP file system: sample_sft by the same code as an hf:// source, `datasets` streaming by its own;
bytes and requests are the server's count of what it sent. `--over local` reads the folder from disk
(bytes: rchar of the process, and sample_sft's own count). Goals (issues 3 and 20): exact allocation every
time, >= 20x faster than systematic streaming, cluster mode reads <= 10% of the dataset's bytes, RSS <= 500 MB.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache" / "sft_mirror_2270k"
ROWS, SHARDS, GROUPS_PER_SHARD = 2_270_000, 20, 12
SHARES = {"s00_chat": 0.40, "s01_math": 0.20, "s02_code": 0.12, "s03_science": 0.08, "s04_safety": 0.06,
          "s05_creative": 0.05, "s06_persona": 0.04, "s07_table": 0.025, "s08_multilingual": 0.02,
          "s09_rare": 0.005}


def build_mirror(folder: Path) -> None:
    """Vectorised pyarrow: per-row texts are pool strings plus the row number (so pages do not dedupe)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    words = np.array("the a model answer think step so then we check result value because user asks "
                     "sorry happy sad thanks great problem code function number list".split())
    def pool(k, n_words):
        return pa.array([" ".join(rng.choice(words, n_words)) for _ in range(k)])
    users, thinks, answers = pool(400, 12), pool(1500, 40), pool(1500, 25)
    counts = np.floor(np.array(list(SHARES.values())) * ROWS).astype(int)
    counts[0] += ROWS - counts.sum()
    sources = np.repeat(np.array(list(SHARES)), counts)
    folder.mkdir(parents=True, exist_ok=True)
    per = -(-ROWS // SHARDS)
    for s in range(SHARDS):  # shard by shard: bounded memory
        first, n = s * per, min(per, ROWS - s * per)
        row = pc.cast(pa.array(np.arange(first, first + n)), pa.string())
        user = pc.binary_join_element_wise(users.take(rng.integers(0, len(users), n)), row, " #")
        assistant = pc.binary_join_element_wise(
            "<think>", thinks.take(rng.integers(0, len(thinks), n)), row, "</think>",
            answers.take(rng.integers(0, len(answers), n)), "")
        content = pa.chunked_array([user, assistant]).take(np.arange(2 * n).reshape(2, -1).T.ravel())
        role = pa.array(np.tile(["user", "assistant"], n))
        messages = pa.ListArray.from_arrays(pa.array(np.arange(0, 2 * n + 1, 2, dtype=np.int32)),
                                            pa.StructArray.from_arrays([content.combine_chunks(), role],
                                                                       ["content", "role"]))
        table = pa.table({"id": pc.binary_join_element_wise("row", row, "-"),
                          "dataset_source": pa.array(sources[first:first + n]), "messages": messages})
        pq.write_table(table, folder / f"train-{s:05d}-of-{SHARDS:05d}.parquet",
                       row_group_size=-(-n // GROUPS_PER_SHARD))
    (folder / "DONE").write_text("ok\n")


# ---- methods (each runs in its own process) ------------------------------------------------------
def _files(folder: str) -> list[str]:
    """The shards as paths, or as URLs when `folder` is one (same names: the server serves CACHE)."""
    names = sorted(p.name for p in CACHE.glob("*.parquet"))
    return [f"{folder}/{name}" for name in names]


def run_shuffle10k(folder: str, n: int, _: int) -> dict:
    from datasets import load_dataset
    ds = load_dataset("parquet", data_files=_files(folder), split="train", streaming=True)
    sources = [r["dataset_source"] for r in ds.shuffle(seed=0, buffer_size=10_000).take(n)]
    return {"sources": sources}


def run_systematic(folder: str, n: int, _: int) -> dict:
    from datasets import load_dataset
    ds = load_dataset("parquet", data_files=_files(folder), split="train", streaming=True)
    k = ROWS // n
    sources = [r["dataset_source"] for i, r in enumerate(ds) if i % k == 0][:n]
    return {"sources": sources}


def _sample(folder: str, n: int, groups: int | None) -> dict:
    from affectlab.config import load_params
    from affectlab.sampling import AuditSampleSettings, sample_sft
    overrides = dict(source=folder, n=n, seed=0, min_per_source=0, row_groups_per_source=groups)
    sample, m = sample_sft(load_params(AuditSampleSettings, ROOT / "params.yaml", overrides))
    return {"sources": sample["source"].tolist(), "own_bytes": m["bytes_read"],
            "row_groups_read": m["row_groups_read"]}


def run_plain(folder: str, n: int, _: int) -> dict:
    return _sample(folder, n, None)


def run_cluster(folder: str, n: int, groups: int) -> dict:
    return _sample(folder, n, groups)


METHODS = {"shuffle10k": run_shuffle10k, "systematic": run_systematic, "plain": run_plain, "cluster": run_cluster}


def child(method: str, folder: str, n: int, groups: int) -> None:
    import psutil
    if method in ("shuffle10k", "systematic"):  # imports are not sampling time
        import datasets  # noqa: F401
    else:
        import affectlab.sampling  # noqa: F401
    if folder.startswith("http"):
        import fsspec.implementations.http  # noqa: F401  (aiohttp: 0.6 s)
    proc = psutil.Process()
    before = proc.io_counters().read_chars
    start = time.perf_counter()
    out = METHODS[method](folder, n, groups)
    out["seconds"] = time.perf_counter() - start
    out["rchar"] = proc.io_counters().read_chars - before
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--row-groups-per-source", type=int, default=2)
    ap.add_argument("--skip-systematic", action="store_true", help="skip the slow full-stream baseline")
    ap.add_argument("--over", choices=["http", "local"], default="http",
                    help="read the mirror from a loopback HTTP server (default) or from the local folder")
    ap.add_argument("--run", choices=list(METHODS), help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run:
        return child(args.run, args.folder, args.n, args.row_groups_per_source)

    if not (CACHE / "DONE").exists():
        start = time.perf_counter()
        build_mirror(CACHE)
        print(f"built {CACHE} in {time.perf_counter() - start:.0f} s")
    from affectlab.sampling import allocate, open_dataset
    ds = open_dataset(str(CACHE))
    rows = ds.rows_per_source
    target = allocate(rows, args.n, "proportional").allocated
    print(f"dataset: {sum(rows.values()):,} rows, {len(ds.files)} files, "
          f"{sum(md.num_row_groups for md in ds.metadata)} row groups, {ds.bytes_total / 2**20:.0f} MB, "
          f"{len(rows)} sources ({min(rows.values()) / sum(rows.values()):.1%} to "
          f"{max(rows.values()) / sum(rows.values()):.0%})")

    with contextlib.ExitStack() as stack:
        if args.over == "http":
            sys.path.insert(0, str(ROOT / "tests"))
            from range_server import serve_folder
            url, traffic = stack.enter_context(serve_folder(CACHE.parent))
            folder = f"{url}/{CACHE.name}"
        else:
            folder, traffic = str(CACHE), None
        results = {}
        for method in METHODS:
            if method == "systematic" and args.skip_systematic:
                continue
            if traffic:
                traffic.reset()
            proc = subprocess.run([sys.executable, __file__, "--run", method, "--folder", folder, "--n", str(args.n),
                                   "--row-groups-per-source", str(args.row_groups_per_source)],
                                  capture_output=True, text=True, check=True)
            results[method] = json.loads(proc.stdout.strip().splitlines()[-1])
            if traffic:
                results[method].update({f"http_{k}": v for k, v in traffic.snapshot().items()})
            print(f"  {method}: {results[method]['seconds']:.1f} s", flush=True)

    print(f"\nread over {args.over}" + (f" ({folder})" if args.over == "http" else ""))
    print("\n| method | wall s | peak RSS MB | bytes read MB (% of dataset) | HTTP requests (ranges) | sources hit | "
          "max abs(count - target) | exact allocation |\n|---|---|---|---|---|---|---|---|")
    for method, r in results.items():
        counts = {s: r["sources"].count(s) for s in rows}
        worst = max(abs(counts[s] - target[s]) for s in rows)
        read = r["http_bytes"] if "http_bytes" in r else r.get("own_bytes", r["rchar"])
        requests = f"{r['http_requests']} ({r['http_range_requests']})" if "http_requests" in r else "-"
        label = method + (f" (row_groups_per_source={args.row_groups_per_source})" if method == "cluster" else "")
        print(f"| {label} | {r['seconds']:.2f} | {r['peak_rss_mb']:.0f} | {read / 2**20:.1f} "
              f"({read / ds.bytes_total:.1%}) | {requests} | {sum(c > 0 for c in counts.values())}/{len(rows)} | "
              f"{worst} | "
              f"{'yes' if worst == 0 else 'no'} |")
    print("\n| source | rows | target | " + " | ".join(results) + " |\n|---|---|---|" + "---|" * len(results))
    for s in rows:
        print(f"| {s} | {rows[s]:,} | {target[s]} | " + " | ".join(str(r["sources"].count(s)) for r in results.values())
              + " |")
    if "systematic" in results:
        base = results["systematic"]["seconds"]
        print("\nspeed-up vs systematic streaming: " + ", ".join(
            f"{m} {base / results[m]['seconds']:.0f}x" for m in ("plain", "cluster")))
    if args.over == "http":
        print("bytes read and requests: what the server sent (bodies; HEAD requests and folder listings counted as "
              "requests); sample_sft's own count of bytes it read: " + ", ".join(
                  f"{m} {results[m]['own_bytes'] / 2**20:.1f} MB" for m in ("plain", "cluster")))
    else:
        print("bytes read is sample_sft's own count for plain/cluster (footers + source columns + drawn row groups) "
              "and the process's rchar for the datasets baselines.")


if __name__ == "__main__":
    main()

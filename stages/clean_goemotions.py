"""Clean GoEmotions (raw per-rater rows or the simplified config) into one label per text, with splits.

Reads  reasoner.clean.source (data/embedded/go_emotions_raw by default)
Writes data/reasoner/clean.parquet, data/reasoner/embeddings.npy (MiniLM, row-aligned),
       data/reasoner/test_untouched.parquet (the source's test items, no filter),
       data/reasoner/labels.json, reports/reasoner_data.md, metrics/reasoner_data.json
Params reasoner.clean.*
"""
from pathlib import Path

import numpy as np

from affectlab.config import load_params, stage_main
from affectlab.hub_data import load_hub_dataset
from affectlab.io import atomic_path, write_json_atomic, write_parquet_atomic, write_text_atomic
from affectlab.lexical import Vader
from affectlab.metrics import write_metrics
from affectlab.progress import timed
from affectlab.reasoning.clean import clean, clean_metrics, data_report
from affectlab.reasoning.labels import label_names
from affectlab.reasoning.settings import ReasonerCleanSettings
from affectlab.sentiment.filters import MiniLM

OUT = Path("data/reasoner")


@stage_main
def main() -> None:
    p = load_params(ReasonerCleanSettings)
    src = p.source
    data = load_hub_dataset(src.path, src.config, revision=src.revision)
    with timed("clean_goemotions", "rater rows") as stats:
        result = clean({s: data[s].to_pandas() for s in data}, p, MiniLM(), Vader().compound,
                       src.path + (f"[{src.config}]" if src.config else ""))
        stats["n"] = result.stats["rows"]
    write_parquet_atomic(result.table, OUT / "clean.parquet")
    write_parquet_atomic(result.untouched, OUT / "test_untouched.parquet")
    with atomic_path(OUT / "embeddings.npy") as tmp, open(tmp, "wb") as f:
        np.save(f, result.embeddings)
    write_json_atomic({"label_set": p.label_set, "labels": list(label_names(p.label_set))}, OUT / "labels.json")
    metrics = clean_metrics(result, p.label_set)
    write_text_atomic(data_report(result, metrics), "reports/reasoner_data.md")
    write_metrics({**metrics, "seconds": stats["seconds"]}, "metrics/reasoner_data.json", "clean_goemotions")


if __name__ == "__main__":
    main()

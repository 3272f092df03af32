"""Turn ED-v2, ESConv and GoEmotions (hub ids or local mirrors in the hub layout) into tokenised SFT tables.

Reads  the three sources in params (default: data/embedded/{ed_v2,esconv,go_emotions}), models/base (tokenizer)
Writes data/sft/{train,validation,test}.parquet (messages, prompt_length, input_ids, labels, emotion_label,
       strategy_label, source, id), data/sft/labels.json (train-only vocabularies), metrics/sft_data.json,
       plots/sft_data/label_dist.csv (label counts per split and head)
Params sft.data.*
"""
from affectlab.config import load_params, stage_main
from affectlab.io import write_csv_atomic, write_json_atomic, write_parquet_atomic
from affectlab.metrics import write_metrics
from affectlab.models import load_base_tokenizer
from affectlab.progress import timed
from affectlab.sft.encoding import label_distribution, prepare
from affectlab.sft.settings import SftDataSettings

OUT = "data/sft"


@stage_main
def main() -> None:
    p = load_params(SftDataSettings)
    tokenizer = load_base_tokenizer()
    with timed("prepare_sft_data", unit="rows") as stats:
        tables, vocab, metrics = prepare(p, tokenizer)
        stats["n"] = sum(len(t) for t in tables.values())
    for split, table in tables.items():
        write_parquet_atomic(table, f"{OUT}/{split}.parquet")
    write_json_atomic(vocab, f"{OUT}/labels.json")
    write_csv_atomic(label_distribution(tables, vocab), "plots/sft_data/label_dist.csv")
    write_metrics({**metrics, "seconds": stats["seconds"]}, "metrics/sft_data.json", "prepare_sft_data")


if __name__ == "__main__":
    main()

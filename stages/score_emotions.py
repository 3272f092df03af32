"""Score the think block and the final response of every sampled assistant turn on 7 emotions.

Reads  data/sft_audit/sample.parquet
Writes data/sft_audit/emotions.parquet (sample keys, <part>_<emotion> scores, <part>_empty, <part>_truncated)
Params emotion
Runs unchanged under `torchrun --nproc_per_node N`: each process scores its share of the batches, the main
process writes (docs/sharing-and-scaling.md).
"""
from affectlab.config import load_params, stage_main
from affectlab.distributed import is_main_process
from affectlab.emotion import EmotionSettings, make_scorer, score_parts
from affectlab.io import read_parquet, write_parquet_atomic

SAMPLE = "data/sft_audit/sample.parquet"


@stage_main
def main() -> None:
    p = load_params(EmotionSettings)
    sample = read_parquet(SAMPLE)
    scores = score_parts(sample, make_scorer(p), where=SAMPLE)
    if is_main_process():
        write_parquet_atomic(scores, "data/sft_audit/emotions.parquet")


if __name__ == "__main__":
    main()

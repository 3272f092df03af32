"""Score the think block and the final response of every sampled assistant turn on 7 emotions.

Reads  data/sft_audit/sample.parquet
Writes data/sft_audit/emotions.parquet (sample keys, <part>_<emotion> scores, <part>_empty, <part>_truncated)
Params emotion
"""
from affectlab.config import load_params, stage_main
from affectlab.emotion import EmotionSettings, make_scorer, score_parts
from affectlab.io import read_parquet, write_parquet_atomic

SAMPLE = "data/sft_audit/sample.parquet"


@stage_main
def main() -> None:
    p = load_params(EmotionSettings)
    sample = read_parquet(SAMPLE)
    write_parquet_atomic(score_parts(sample, make_scorer(p), where=SAMPLE), "data/sft_audit/emotions.parquet")


if __name__ == "__main__":
    main()

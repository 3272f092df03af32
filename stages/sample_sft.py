"""Draw the stratified SFT audit sample from a source-sorted parquet dataset using its metadata.

Reads  the parquet shards at sft_audit.sample.source (local folder or hf://datasets/<repo>)
Writes data/sft_audit/sample.parquet (id, source, row, turn, think, response, has_think, unclosed_think),
       metrics/sft_sample.json (per-source rows / target / drawn, row groups and bytes read, seconds)
Params sft_audit.sample
"""
from affectlab.config import load_params, stage_main
from affectlab.io import write_parquet_atomic
from affectlab.metrics import write_metrics
from affectlab.progress import timed
from affectlab.sampling import AuditSampleSettings, sample_sft


@stage_main
def main() -> None:
    p = load_params(AuditSampleSettings)
    with timed(f"sample_sft {p.source}", unit="rows") as stats:
        sample, metrics = sample_sft(p)
        stats["n"] = metrics["n_rows"]
    write_parquet_atomic(sample, "data/sft_audit/sample.parquet")
    write_metrics({**metrics, "seconds": stats["seconds"]}, "metrics/sft_sample.json", "sample_sft")


if __name__ == "__main__":
    main()

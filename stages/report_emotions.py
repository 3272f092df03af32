"""Report the SFT audit: overall and per-source emotion distributions, think vs response, dominant emotions.

Reads  data/sft_audit/emotions.parquet
Writes metrics/sft_emotions.json, reports/sft_emotions.md,
       plots/sft_audit/ (think_vs_response.csv, source_means.csv, dominant.csv + three PNG charts)
Params sft_audit.report
"""
from affectlab.config import load_params, stage_main
from affectlab.emotion.charts import write_charts
from affectlab.emotion.report import AuditReportSettings, build_report, flat_metrics, markdown
from affectlab.io import atomic_dir, read_parquet, write_text_atomic
from affectlab.metrics import write_metrics

EMOTIONS_FILE = "data/sft_audit/emotions.parquet"


@stage_main
def main() -> None:
    p = load_params(AuditReportSettings)
    report = build_report(read_parquet(EMOTIONS_FILE), p, where=EMOTIONS_FILE)
    with atomic_dir("plots/sft_audit") as tmp:
        report.think_vs_response_long().to_csv(tmp / "think_vs_response.csv", index=False, float_format="%.4f")
        report.source_means.to_csv(tmp / "source_means.csv", index=False, float_format="%.4f")
        report.long[["part", "source", "dominant"]].to_csv(tmp / "dominant.csv", index=False)
        write_charts(report, tmp)
    write_text_atomic(markdown(report), "reports/sft_emotions.md")
    write_metrics(flat_metrics(report), "metrics/sft_emotions.json", "report_emotions")


if __name__ == "__main__":
    main()

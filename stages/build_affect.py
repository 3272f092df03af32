"""Merge the baseline and the label files (validated, deduplicated, conflicts resolved), split per
archetype, and report coverage before and after.

Reads  affect.data.baseline, affect.data.labels_dir/*.jsonl
Writes data/affect/dataset.jsonl (records + archetype, origin, split), reports/affect_coverage.md,
       metrics/affect_data.json, plots/affect_data/ (archetypes.csv, tags.csv, valence_{intimacy,tension}.{csv,png})
Params affect.data.*, affect.build.*
"""
from collections import Counter

from affectlab.affect.coverage import archetype_table, data_metrics, report, statistics, tag_counts, write_plots
from affectlab.affect.dataset import build
from affectlab.affect.settings import AffectBuildSettings, AffectDataSettings
from affectlab.config import load_params, stage_main
from affectlab.io import write_jsonl_atomic, write_text_atomic
from affectlab.metrics import write_metrics

OUT, REPORT, PLOTS, METRICS = ("data/affect/dataset.jsonl", "reports/affect_coverage.md", "plots/affect_data",
                               "metrics/affect_data.json")


@stage_main
def main() -> None:
    p, data = load_params(AffectBuildSettings), load_params(AffectDataSettings)
    base, merged, counts = build(data.baseline, data.labels_dir, p)
    before, after = statistics(base), statistics(merged)
    arche, tags = archetype_table(merged, p.targets), tag_counts(base, merged)
    splits = Counter(r["split"] for r in merged)
    write_jsonl_atomic(merged, OUT)
    write_plots(base, merged, arche, tags, PLOTS)
    write_text_atomic(report(before, after, arche, tags, counts, splits), REPORT)
    write_metrics(data_metrics(before, after, arche, counts, splits), METRICS, "build_affect")


if __name__ == "__main__":
    main()

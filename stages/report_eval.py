"""Summarise base-vs-SFT exports: lengths, red-team refusals, EQ-Bench, emotion profile, examples.

Reads  data/eval/{base,sft}/{eqbench,qualitative,redteam}.jsonl
Writes metrics/eval.json, plots/eval/*.csv + *.png, reports/eval.md
Params eval.report, emotion.*
"""
from pathlib import Path

from affectlab.config import load_params, stage_main
from affectlab.emotion import EmotionSettings, make_scorer
from affectlab.evaluation import charts
from affectlab.evaluation.report import (emotion_profile, eqbench_table, length_table, markdown_report,
                                         refusal_table, summary_metrics)
from affectlab.evaluation.settings import EvalReportSettings
from affectlab.evaluation.validation import read_exports
from affectlab.io import write_csv_atomic, write_text_atomic
from affectlab.metrics import write_metrics

EXPORTS = Path("data/eval")
PLOTS = Path("plots/eval")
SETS = ("eqbench", "qualitative", "redteam")


@stage_main
def main() -> None:
    p = load_params(EvalReportSettings)
    scorer = make_scorer(load_params(EmotionSettings))
    exports = read_exports(EXPORTS, SETS)
    b = p.eqbench_baselines
    lengths, refusals = length_table(exports), refusal_table(exports)
    eqbench = eqbench_table(exports, b.constant, b.random_draws, p.seed)
    profile = emotion_profile(exports, scorer.score, ["qualitative", "redteam"], p.bootstrap, p.seed)
    metrics = summary_metrics(lengths, refusals, eqbench, profile)

    write_metrics(metrics, "metrics/eval.json", "report_eval")
    for name, table in (("lengths", lengths), ("refusals", refusals), ("eqbench", eqbench), ("emotion_profile", profile)):
        write_csv_atomic(table, PLOTS / f"{name}.csv")
    charts.lengths_chart(lengths, PLOTS / "lengths.png")
    charts.refusal_chart(refusals, PLOTS / "refusals.png")
    charts.eqbench_chart(eqbench, PLOTS / "eqbench.png")
    charts.emotion_profile_chart(profile, PLOTS / "emotion_profile.png")
    write_text_atomic(markdown_report(exports, metrics, profile, eqbench, max_examples=p.examples), "reports/eval.md")


if __name__ == "__main__":
    main()

"""Summarise the base, SFT and DPO exports: lengths, red-team refusals, EQ-Bench, emotion profile, examples, and
the data-to-model distance (each model's emotional tone vs its training data's, on held-out contexts).

Reads  data/eval/{base,sft,dpo}/{eqbench,qualitative,redteam,contexts}.jsonl
Writes metrics/eval.json, plots/eval/*.csv + *.png, reports/eval.md
Params eval.report, emotion.*
"""
from pathlib import Path

from affectlab.config import load_params, stage_main
from affectlab.emotion import EmotionSettings, make_scorer
from affectlab.evaluation import charts
from affectlab.evaluation.data_to_model import HUMAN, distance_metrics, markdown_section, profile_distance
from affectlab.evaluation.report import (emotion_profile, eqbench_table, length_table, markdown_report,
                                         refusal_table, summary_metrics)
from affectlab.evaluation.settings import EvalReportSettings
from affectlab.evaluation.validation import read_exports
from affectlab.io import write_csv_atomic, write_text_atomic
from affectlab.metrics import write_metrics

EXPORTS = Path("data/eval")
PLOTS = Path("plots/eval")
SETS = ("eqbench", "qualitative", "redteam", "contexts")


@stage_main
def main() -> None:
    p = load_params(EvalReportSettings)
    scorer = make_scorer(load_params(EmotionSettings))
    exports = read_exports(EXPORTS, SETS)
    b = p.eqbench_baselines
    lengths, refusals = length_table(exports), refusal_table(exports)
    eqbench = eqbench_table(exports, b.constant, b.random_draws, p.seed)
    profile = emotion_profile(exports, scorer.score, ["qualitative", "redteam"], p.bootstrap, p.seed)
    contexts = {m: sets["contexts"] for m, sets in exports.items()}
    distances, moves = profile_distance(contexts, scorer.score, p.bootstrap, p.seed)
    # the plot: the human replies' profile beside each model's on the same contexts
    human = {HUMAN: {"contexts": [{"response": r["meta"]["reference"]} for r in contexts["base"]]}}
    data_profile = emotion_profile({**human, **exports}, scorer.score, ["contexts"], p.bootstrap, p.seed)
    summary = summary_metrics(lengths, refusals, eqbench, profile)  # `<set>.<model>.<measure>`: the report's table
    metrics = {**summary, **distance_metrics(distances)}

    write_metrics(metrics, "metrics/eval.json", "report_eval")
    for name, table in (("lengths", lengths), ("refusals", refusals), ("eqbench", eqbench), ("emotion_profile", profile),
                        ("data_to_model", data_profile), ("profile_distance", distances)):
        write_csv_atomic(table, PLOTS / f"{name}.csv")
    charts.lengths_chart(lengths, PLOTS / "lengths.png")
    charts.refusal_chart(refusals, PLOTS / "refusals.png")
    charts.eqbench_chart(eqbench, PLOTS / "eqbench.png")
    charts.emotion_profile_chart(profile, PLOTS / "emotion_profile.png")
    charts.emotion_profile_chart(data_profile, PLOTS / "data_to_model.png",
                                 title="Held-out SFT contexts: human replies vs each model's (95% bootstrap CI)")
    report = markdown_report(exports, summary, profile, eqbench, max_examples=p.examples)
    write_text_atomic(report + "\n".join(markdown_section(distances, moves)) + "\n", "reports/eval.md")


if __name__ == "__main__":
    main()

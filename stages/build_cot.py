"""Chain-of-thought targets for the train and validation splits (never test).

Reads  data/reasoner/clean.parquet, data/reasoner/labels.json (models/base when the teacher is models/base)
Writes data/reasoner/cot.parquet (id, split, text, label, target, origin, mode), metrics/reasoner_cot.json;
       reasoner.cot.teacher.checkpoint while a teacher runs (resumable; removed at the end)
Params reasoner.cot.* (mode: the target's order, or the answer line alone), emotion.* (the scorer cited by template targets)
"""
from pathlib import Path

from affectlab.config import load_params, stage_main
from affectlab.emotion import EMOTIONS, EmotionSettings, make_scorer
from affectlab.io import read_json, read_parquet, write_parquet_atomic
from affectlab.metrics import write_metrics
from affectlab.reasoning.cot import CueLexicon, cot_metrics, template_targets
from affectlab.reasoning.labels import compose_target, split_reply
from affectlab.reasoning.settings import ReasonerCotSettings
from affectlab.reasoning.teacher import make_teacher, teacher_targets

DATA = Path("data/reasoner")


@stage_main
def main() -> None:
    p = load_params(ReasonerCotSettings)
    clean = read_parquet(DATA / "clean.parquet", ["id", "text", "label", "split"])
    vocab = read_json(DATA / "labels.json", "run `dvc repro clean_goemotions`")
    train = clean[clean["split"] == "train"]
    table = clean[clean["split"].isin(["train", "validation"])].reset_index(drop=True)
    lexicon = CueLexicon(train["text"].tolist(), train["label"].tolist(), p.prior, p.min_count)
    scores = make_scorer(load_params(EmotionSettings)).score(table["text"].tolist())
    scorer_labels = scores[EMOTIONS].idxmax(axis=1).tolist()
    table["target"] = template_targets(table, lexicon, scorer_labels, p)
    table["origin"] = "template"
    fallbacks = {}
    if p.backend == "teacher":
        targets, origin, fallbacks = teacher_targets(table, table["target"].tolist(), make_teacher(p), p,
                                                     tuple(vocab["labels"]))
        table["target"], table["origin"] = targets, origin
        Path(p.teacher.checkpoint).unlink(missing_ok=True)
    table["target"] = [compose_target(split_reply(t), y, p.mode) for t, y in zip(table["target"], table["label"])]
    table["mode"] = p.mode  # travels to the adapter: where its answer line is
    write_parquet_atomic(table[["id", "split", "text", "label", "target", "origin", "mode"]], DATA / "cot.parquet")
    write_metrics(cot_metrics(table, fallbacks, vocab["label_set"]), "metrics/reasoner_cot.json", "build_cot")


if __name__ == "__main__":
    main()

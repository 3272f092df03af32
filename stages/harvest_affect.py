"""Harvest affect candidates to label: example transcripts (two formats), GoEmotions through the mapping
file, and synthetic scenario dialogues from the base model (resumable); drop what is labeled or repeated.

Reads  affect.harvest.transcripts/, affect.harvest.mapping, affect.harvest.go_emotions,
       affect.harvest.scenarios/, affect.data.baseline, affect.data.labels_dir/, models/base
Writes data/affect/candidates.jsonl, metrics/affect_harvest.json
       (checkpoint in .cache/affect/<params hash>.jsonl while generating, removed when the stage succeeds)
Params affect.harvest.*, affect.data.*, model.source
"""
from collections import Counter

from affectlab.affect.dataset import label_files
from affectlab.affect.harvest import (checkpoint_path, drop_known, goemotions_candidates, harvest_metrics,
                                      read_mapping, read_scenarios, synthetic_candidates, transcript_candidates)
from affectlab.affect.settings import AffectDataSettings, AffectHarvestSettings
from affectlab.config import load_params, stage_main
from affectlab.io import read_jsonl, write_jsonl_atomic
from affectlab.metrics import write_metrics
from affectlab.models import ModelSettings, load_base
from affectlab.sentiment.backends import TransformersBackend

OUT, METRICS = "data/affect/candidates.jsonl", "metrics/affect_harvest.json"


@stage_main
def main() -> None:
    p, data = load_params(AffectHarvestSettings), load_params(AffectDataSettings)
    mapping, scenarios = read_mapping(p.mapping), read_scenarios(p.scenarios)
    counts = Counter()
    found = {"transcripts": transcript_candidates(p.transcripts, mapping),
             "goemotions": goemotions_candidates(p, mapping)}
    model, tokenizer = load_base()
    backend = TransformersBackend(model, tokenizer, p.decoding, p.batch_size, name=load_params(ModelSettings).source)
    checkpoint = checkpoint_path(p, scenarios, backend.name)
    found["synthetic"] = synthetic_candidates(p, scenarios, backend, checkpoint, counts)
    labeled = [row.get("text", "") for path in [data.baseline, *label_files(data.labels_dir)]
               for _, row in read_jsonl(path)]
    kept = drop_known([c for rows in found.values() for c in rows], map(str, labeled), counts)
    write_jsonl_atomic(kept, OUT)
    write_metrics(harvest_metrics(found, kept, counts), METRICS, "harvest_affect")
    checkpoint.unlink(missing_ok=True)


if __name__ == "__main__":
    main()

"""Generate `per_class` positive and negative sentences over sub-emotions x committed topics, filtered
with counted rejections (length, exact/near duplicates, VADER gate); resumes from its checkpoint.

Reads  models/base (backend: transformers) or an ollama server, data/embedded/sentiment_topics.txt
Writes data/sentiment/generated.jsonl, metrics/sentiment_data.json
       (checkpoint in .cache/sentiment/<params hash>.jsonl, removed when the stage succeeds)
Params sentiment.*, model.source
Runs under `torchrun --nproc_per_node N`: each process samples a share of every round, the main process writes
(the accepted set differs from one process's: docs/sharing-and-scaling.md).
"""
from affectlab.config import load_params, stage_main
from affectlab.distributed import is_main_process
from affectlab.io import write_jsonl_atomic
from affectlab.metrics import write_metrics
from affectlab.models import ModelSettings, load_base
from affectlab.sentiment import (OllamaBackend, SentimentSettings, TransformersBackend, checkpoint_path,
                                 generate_sentences, read_topics)

OUT, METRICS = "data/sentiment/generated.jsonl", "metrics/sentiment_data.json"


@stage_main
def main() -> None:
    p = load_params(SentimentSettings)
    topics = read_topics(p.topics_file)
    if p.backend == "ollama":
        backend = OllamaBackend(p.ollama.url, p.ollama.model, p.decoding, p.ollama.timeout)
    else:
        model, tokenizer = load_base(dtype=p.dtype)
        backend = TransformersBackend(model, tokenizer, p.decoding, p.batch_size,
                                      name=f"{load_params(ModelSettings).source} ({p.dtype})")
    checkpoint = checkpoint_path(p, topics, backend.name)
    rows, metrics = generate_sentences(p, topics, backend, checkpoint)
    if not is_main_process():  # `torchrun`: each process sampled its share of every round; the main one writes
        return
    write_jsonl_atomic(rows, OUT)
    write_metrics(metrics, METRICS, "generate_sentiment")
    checkpoint.unlink()  # the outs now hold everything; a forced re-run regenerates the same rows


if __name__ == "__main__":
    main()

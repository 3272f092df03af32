"""Turn the configured base model into a plain Hugging Face folder that every model-using stage reads.

Reads  the model source in params (packaged GGUF, local folder or hub id)
Writes models/base/ (config, fp32 safetensors, tokenizer, chat template, manifest.json), metrics/model.json
Params model.*
"""
from affectlab.config import load_params, stage_main
from affectlab.io import atomic_dir, write_json_atomic
from affectlab.metrics import write_metrics
from affectlab.errors import ModelError
from affectlab.models import BASE_DIR, ModelSettings, library_versions, load_causal_lm, model_summary, save_plain
from affectlab.progress import timed


@stage_main
def main() -> None:
    p = load_params(ModelSettings)
    with timed(f"prepare_model {p.source}", unit="models") as stats:
        model, tokenizer = load_causal_lm(p.source, p.revision, dtype=p.dtype,
                                          trust_remote_code=p.trust_remote_code)
        if tokenizer.chat_template is None:
            raise ModelError(f"model source {p.source!r} has no chat template; the SFT and "
                             "generation stages need an instruct model")
        with atomic_dir(BASE_DIR) as tmp:
            save_plain(model, tokenizer, tmp, trust_remote_code=p.trust_remote_code)
            write_json_atomic({"source": p.source, "revision": p.revision, "versions": library_versions()},
                              tmp / "manifest.json")
        stats["n"] = 1
    write_metrics({"source": p.source, "revision": p.revision, **model_summary(model), "seconds": stats["seconds"]},
                  "metrics/model.json", "prepare_model")


if __name__ == "__main__":
    main()

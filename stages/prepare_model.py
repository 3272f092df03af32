"""Turn a configured model into a plain Hugging Face folder that the stages read.

    python stages/prepare_model.py            # the base model every model-using stage starts from
    python stages/prepare_model.py --second   # family B's second architecture (probes.second_model)

Reads  the model source in params (packaged GGUF, local folder or hub id)
Writes models/base/ (config, fp32 safetensors, tokenizer, chat template, manifest.json), metrics/model.json
       (--second: models/probe_second/, metrics/probe_second_model.json)
Params model.* (--second: probes.second_model.*)
"""
import argparse

from affectlab.config import load_params, stage_main
from affectlab.io import atomic_dir, write_json_atomic
from affectlab.metrics import write_metrics
from affectlab.errors import ModelError
from affectlab.models import (BASE_DIR, SECOND_DIR, ModelSettings, SecondModelSettings, library_versions,
                              load_causal_lm, model_summary, save_plain)
from affectlab.progress import timed


@stage_main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--second", action="store_true", help="prepare probes.second_model instead of model")
    args = parser.parse_args()
    p = load_params(SecondModelSettings if args.second else ModelSettings)
    stage = "prepare_probe_model" if args.second else "prepare_model"
    with timed(f"{stage} {p.source}", unit="models") as stats:
        model, tokenizer = load_causal_lm(p.source, p.revision, dtype=p.dtype,
                                          trust_remote_code=p.trust_remote_code)
        if tokenizer.chat_template is None and not args.second:
            raise ModelError(f"model source {p.source!r} has no chat template; the SFT and "
                             "generation stages need an instruct model")
        with atomic_dir(SECOND_DIR if args.second else BASE_DIR) as tmp:
            save_plain(model, tokenizer, tmp, trust_remote_code=p.trust_remote_code)
            write_json_atomic({"source": p.source, "revision": p.revision, "versions": library_versions()},
                              tmp / "manifest.json")
        stats["n"] = 1
    write_metrics({"source": p.source, "revision": p.revision, **model_summary(model), "seconds": stats["seconds"]},
                  "metrics/probe_second_model.json" if args.second else "metrics/model.json", stage)


if __name__ == "__main__":
    main()

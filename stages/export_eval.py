"""Generate responses of the base model and of base + SFT adapter for every evaluation prompt set.

Reads  models/base/, models/sft/adapter/, the EQ-Bench source, the qualitative and red-team prompt files
Writes data/eval/{base,sft}_{eqbench,qualitative,redteam}.jsonl (validated: schema + base/SFT parity)
Params eval.*
"""
import dataclasses
from pathlib import Path

from affectlab.config import load_params, stage_main
from affectlab.evaluation.export import clear_checkpoints, export_model, fingerprint
from affectlab.evaluation.prompt_sets import load_eqbench, load_prompt_file
from affectlab.evaluation.settings import EvalSettings
from affectlab.evaluation.validation import read_exports
from affectlab.generation import generate_chat
from affectlab.models import BASE_DIR, load_adapter, load_base

OUT = Path("data/eval")
CHECKPOINTS = Path("data/eval.checkpoints")  # outside the DVC out, which DVC deletes before a run


@stage_main
def main() -> None:
    p = load_params("eval", EvalSettings)
    q = p.eqbench
    sets = {"eqbench": load_eqbench(q.source, q.split, q.revision, q.limit),
            "qualitative": load_prompt_file(p.qualitative), "redteam": load_prompt_file(p.redteam)}
    decoding = dataclasses.asdict(p.decoding)
    base, tokenizer = load_base()

    def generator(model):
        return lambda prompts: generate_chat(model, tokenizer, prompts, p.decoding, batch_size=p.batch_size,
                                             seed=p.seed)

    weights = sorted(BASE_DIR.glob("*.safetensors"))
    key = fingerprint(weights, decoding)
    export_model(generator(base), sets, "base", decoding, OUT, CHECKPOINTS / f"base-{key}", p.batch_size)
    sft = load_adapter(base, p.adapter)  # same process: the base weights are loaded once
    key = fingerprint([*weights, *sorted(Path(p.adapter).glob("*.safetensors"))], decoding)
    export_model(generator(sft), sets, "sft", decoding, OUT, CHECKPOINTS / f"sft-{key}", p.batch_size)
    read_exports(OUT, sets)  # schema of every row and base/SFT parity; a violation names file and row
    clear_checkpoints(CHECKPOINTS)


if __name__ == "__main__":
    main()

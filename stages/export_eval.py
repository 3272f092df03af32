"""Generate responses of the base model and of base + SFT adapter for every evaluation prompt set.

Reads  models/base/, models/sft/adapter/, the EQ-Bench source, the qualitative and red-team prompt files
Writes data/eval/{base,sft}_{eqbench,qualitative,redteam}.jsonl (validated: schema + base/SFT parity)
Params eval.export
"""
import shutil
from pathlib import Path

from affectlab.config import load_params, stage_main
from affectlab.evaluation.export import export_model
from affectlab.evaluation.prompt_sets import load_eqbench, load_prompt_file
from affectlab.evaluation.settings import EvalExportSettings
from affectlab.evaluation.validation import read_exports
from affectlab.generation import generate_chat
from affectlab.io import fingerprint
from affectlab.models import BASE_DIR, load_adapter, load_base

OUT = Path("data/eval")
CHECKPOINTS = Path("data/eval.checkpoints")  # outside the DVC out, which DVC deletes before a run


@stage_main
def main() -> None:
    p = load_params(EvalExportSettings)
    q = p.eqbench
    sets = {"eqbench": load_eqbench(q.source, q.split, q.revision, q.limit),
            "qualitative": load_prompt_file(p.qualitative), "redteam": load_prompt_file(p.redteam)}
    decoding = p.decoding.model_dump()
    base, tokenizer = load_base()

    def generator(model):
        return lambda prompts: generate_chat(model, tokenizer, prompts, p.decoding, batch_size=p.batch_size,
                                             seed=p.seed or 0)  # greedy: no random draw, the seed is unused

    base_key = fingerprint([decoding, p.seed], sorted(BASE_DIR.glob("*.safetensors")))
    export_model(generator(base), sets, "base", decoding, OUT, CHECKPOINTS / f"base-{base_key}", p.batch_size)
    sft = load_adapter(base, p.adapter)  # same process: the base weights are loaded once
    sft_key = fingerprint(base_key, sorted(Path(p.adapter).glob("*.safetensors")))  # base not hashed again
    export_model(generator(sft), sets, "sft", decoding, OUT, CHECKPOINTS / f"sft-{sft_key}", p.batch_size)
    read_exports(OUT, sets)  # schema of every row and base/SFT parity; a violation names file and row
    shutil.rmtree(CHECKPOINTS, ignore_errors=True)  # finished: every answer is in the outs now


if __name__ == "__main__":
    main()

"""Answer every evaluation prompt set with the base model (`base`), base + SFT adapter (`sft`) or the DPO
model (`dpo`: base + merged SFT adapter + DPO adapter).

    python stages/export_eval.py base|sft|dpo

Three DVC stages (export_eval_base, _sft, _dpo), so that an ablation that only changes an adapter keeps
the other answers. EQ-Bench is generated and parsed, or rated from log-probabilities
(eval.export.eqbench.scoring).

Reads  models/base/ (+ models/sft/adapter/ for sft, + models/dpo/adapter/ for dpo), the EQ-Bench source, the
       qualitative and red-team prompts, data/sft/validation.parquet (the held-out contexts)
Writes data/eval/{base,sft,dpo}/{eqbench,qualitative,redteam,contexts}.jsonl (schema validated; parity in report_eval)
Params eval.export
Runs unchanged under `torchrun --nproc_per_node N`: each process answers its share of the batches, the main
process writes (docs/sharing-and-scaling.md).
"""
import shutil
import sys
from pathlib import Path

from affectlab.config import load_params, stage_main
from affectlab.distributed import is_main_process
from affectlab.errors import InputError
from affectlab.evaluation.export import export_model, generated
from affectlab.evaluation.logprob import logprob_answer
from affectlab.evaluation.prompt_sets import load_contexts, load_eqbench, load_prompt_file
from affectlab.evaluation.settings import EvalExportSettings
from affectlab.generation import generate_chat
from affectlab.io import fingerprint
from affectlab.models import BASE_DIR, load_adapter, load_base
from affectlab.sft.merged import load_merged

OUT = Path("data/eval")
CHECKPOINTS = Path("data/eval.checkpoints")  # outside the DVC outs, which DVC deletes before a run
MODELS = ("base", "sft", "dpo")


@stage_main
def main() -> None:
    if sys.argv[1:] not in ([m] for m in MODELS):
        raise InputError(f"usage: python stages/export_eval.py {'|'.join(MODELS)}")
    which = sys.argv[1]
    p = load_params(EvalExportSettings)
    q = p.eqbench
    sets = {"eqbench": load_eqbench(q.source, q.split, q.revision, q.limit),
            "qualitative": load_prompt_file(p.qualitative), "redteam": load_prompt_file(p.redteam),
            "contexts": load_contexts(p.contexts.source, p.contexts.n, p.contexts.seed)}
    decoding = p.decoding.model_dump()
    adapters = {"base": [], "sft": [p.adapter], "dpo": [p.adapter, p.dpo_adapter]}[which]
    if which == "dpo":  # the DPO adapter was trained on the SFT weights merged into the base
        model, tokenizer = load_merged(p.adapter)
        model = load_adapter(model, p.dpo_adapter, stage="train_dpo")
    else:
        model, tokenizer = load_base()
        model = load_adapter(model, p.adapter) if which == "sft" else model
    weights = sorted(BASE_DIR.glob("*.safetensors")) + [f for a in adapters for f in sorted(Path(a).glob("*.safetensors"))]

    def generate(prompts):
        return generate_chat(model, tokenizer, prompts, p.decoding, batch_size=p.batch_size,
                             seed=p.seed or 0)  # greedy: no random draw, the seed is unused

    answer = {name: generated(generate, decoding) for name in sets}
    if q.scoring == "logprob":
        answer["eqbench"] = logprob_answer(model, tokenizer, p.batch_size)
    # a resume must not reuse replies to other contexts: their source table is an input of the key too
    key = fingerprint([decoding, p.seed, q.scoring, p.contexts.model_dump()], [*weights, Path(p.contexts.source)])
    export_model(answer, sets, which, OUT / which, CHECKPOINTS / f"{which}-{key}", p.batch_size)
    if not is_main_process():  # `torchrun`: the main process wrote the outs and clears the checkpoints
        return
    for done in CHECKPOINTS.glob(f"{which}-*"):  # finished: every answer is in the outs now
        shutil.rmtree(done, ignore_errors=True)
    if CHECKPOINTS.is_dir() and not any(CHECKPOINTS.iterdir()):
        CHECKPOINTS.rmdir()


if __name__ == "__main__":
    main()

"""Family C: the safety teacher's next-token distributions on the safe replies of the safety prompt set, computed
once for train_sft's `loss.safety_kl` term (the rule and the KL: affectlab.sft.safety).

Reads  sft.safety.prompts (prompt, safe reply), sft.safety.disjoint_from (evaluation sets: no prompt shared),
       models/base/ (the chat template and vocabulary; the default teacher), the teacher model
Writes data/safety/teacher.safetensors (token ids, per reply position the teacher's top-k ids and log-probs),
       metrics/safety_teacher.json; sft.safety.checkpoint while running (resumed after a kill, removed at the end)
Params sft.safety
"""
from collections import Counter
from pathlib import Path

import numpy as np

from affectlab.config import load_params, stage_main
from affectlab.evaluation.prompt_sets import load_prompt_file
from affectlab.io import write_safetensors_atomic
from affectlab.metrics import write_metrics
from affectlab.models import BASE_DIR, load_base, load_base_tokenizer, load_causal_lm
from affectlab.sft import safety
from affectlab.sft.settings import SftSafetySettings

OUT = Path("data/safety/teacher.safetensors")


@stage_main
def main() -> None:
    p = load_params(SftSafetySettings)
    rows = safety.read_safety_prompts(p.prompts, {path: load_prompt_file(path) for path in p.disjoint_from})
    tokenizer = load_base_tokenizer(BASE_DIR)
    counts: Counter = Counter()
    table = safety.encode_rows(rows, tokenizer, p.max_seq_len, p.heldout_every, counts, p.prompts)
    t = p.teacher
    teacher, teacher_tokenizer = (load_base(t.source) if Path(t.source, "config.json").is_file() else
                                  load_causal_lm(t.source, t.revision, dtype=t.dtype, trust_remote_code=t.trust_remote_code))
    safety.check_vocabulary(teacher_tokenizer, tokenizer, t.source)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    scored = safety.teacher_topk(teacher, table, p, pad_id, safety.fingerprint_of(p, rows, BASE_DIR))
    meta = {"teacher": t.source, "top_k": str(p.top_k)}
    write_safetensors_atomic(safety.teacher_file(table, scored, meta), OUT)
    kept = np.concatenate([np.exp(np.asarray(scored[pid][1])[:, :-1]).sum(-1) for pid in table["prompt_id"]])
    write_metrics({"prompts.train": int((table["split"] == "train").sum()),
                   "prompts.heldout": int((table["split"] == "heldout").sum()), "reply_tokens": int(len(kept)),
                   "teacher.topk_mass.mean": float(kept.mean()), "teacher.topk_mass.min": float(kept.min()),
                   **{k: counts[k] for k in sorted(counts)}}, "metrics/safety_teacher.json", "safety_teacher")
    Path(p.checkpoint).unlink(missing_ok=True)  # finished: everything is in the out now


if __name__ == "__main__":
    main()

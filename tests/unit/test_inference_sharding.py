"""Inference in two real processes (`torchrun`, gloo on CPU) equals one process, byte for byte: the export of
greedy replies (tiny LM through generate_chat and export_model, as export_eval runs them) and emotion scores
(the nade default and the hf backend, as score_emotions runs them)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from affectlab.distributed import share

TESTS = Path(__file__).resolve().parents[1]
LABELS = ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]
SCRIPT = """
import os, sys
sys.path[:0] = [{tests!r}]
from pathlib import Path
from repo_params import settings as repo_settings
from affectlab.distributed import is_main_process, process_index
from affectlab.emotion import EmotionSettings, make_scorer
from affectlab.evaluation.export import export_model, generated
from affectlab.generation import Decoding, generate_chat
from affectlab.tiny_models import tiny_causal_lm

out = Path(sys.argv[1])
lm, tok = tiny_causal_lm(hidden=64, seed=0)
decoding = Decoding(max_new_tokens=6, do_sample=False, temperature=1.0, top_p=1.0, repetition_penalty=1.0)
seen = []
def generate(prompts):
    seen.extend(prompts)
    return generate_chat(lm, tok, prompts, decoding, batch_size=2)
sets = {{"qual": [{{"prompt_id": f"q{{i}}", "prompt": f"tell me about day {{i}} " * (1 + i % 3), "meta": {{}}}}
                  for i in range(7)]}}
export_model({{"qual": generated(generate, decoding.model_dump())}}, sets, "base", out / "export", out / "ckpt", 2)
print(f"process {{process_index()}} generated {{len(seen)}}", flush=True)

texts = ["i am so happy today", "", "this is terrible and i am angry", "the meeting is at noon",
         "i miss her so much", "what a surprise!", "that smells disgusting", "i am scared of the dark", "fine"]
nade = make_scorer(repo_settings(EmotionSettings, backend="nade", neutral_threshold=0.5, batch_size=2)).score(texts)
folder = Path(sys.argv[2])
hf = make_scorer(repo_settings(EmotionSettings, backend="hf", model=str(folder), batch_size=2)).score(texts)
if is_main_process():
    nade.to_parquet(out / "nade.parquet")
    hf.to_parquet(out / "hf.parquet")
"""


def test_shares_are_contiguous_runs_of_whole_batches_covering_every_batch_once():
    assert [list(share(7, i, 2)) for i in range(2)] == [[0, 1, 2, 3], [4, 5, 6]]
    assert [list(share(2, i, 3)) for i in range(3)] == [[0], [1], []]
    assert sum((list(share(10, i, 4)) for i in range(4)), []) == list(range(10))


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory):
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    from affectlab.tiny_models import tiny_tokenizer

    tok = tiny_tokenizer()
    config = DistilBertConfig(vocab_size=len(tok), dim=32, n_layers=1, n_heads=2, hidden_dim=64,
                              max_position_embeddings=64, pad_token_id=tok.pad_token_id,
                              id2label=dict(enumerate(LABELS)), label2id={k: i for i, k in enumerate(LABELS)})
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("emotion-model")
    DistilBertForSequenceClassification(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def run(tmp_path: Path, name: str, *launcher: str, classifier: Path) -> tuple[Path, str]:
    script = tmp_path / "infer.py"
    script.write_text(SCRIPT.format(tests=str(TESTS)))
    out = tmp_path / name
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("WORLD_SIZE", None)
    proc = subprocess.run([*launcher, str(script), str(out), str(classifier)], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out, proc.stdout


def test_two_torchrun_processes_export_and_score_byte_identical_to_one(tmp_path, tiny_classifier):
    torchrun = Path(sys.executable).with_name("torchrun")
    one, one_log = run(tmp_path, "one", sys.executable, classifier=tiny_classifier)
    two, two_log = run(tmp_path, "two", str(torchrun), "--standalone", "--nproc_per_node", "2",
                       classifier=tiny_classifier)
    # 7 prompts in batches of 2: the first process answers batches 1-2 (4 prompts), the second 3-4 (3)
    assert "process 0 generated 7" in one_log
    assert "process 0 generated 4" in two_log and "process 1 generated 3" in two_log, two_log
    for name in ("export/qual.jsonl", "nade.parquet", "hf.parquet"):
        assert (two / name).read_bytes() == (one / name).read_bytes(), name
    assert len((one / "export/qual.jsonl").read_text().splitlines()) == 7
    # each process kept its own checkpoint of what it answered
    assert sorted(p.name for p in (two / "ckpt").iterdir()) == ["base_qual.1.jsonl", "base_qual.jsonl"]

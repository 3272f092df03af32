"""Inference in two real processes (`torchrun`, gloo on CPU) equals one process, byte for byte: the export of
greedy replies (tiny LM through generate_chat and export_model, as export_eval runs them) and emotion scores
(the nade default and the hf backend, as score_emotions runs them)."""
import json
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


SENTIMENT_SCRIPT = """
import json, sys
sys.path[:0] = [{tests!r}, {fakes!r}]
from pathlib import Path
from affectlab.distributed import is_main_process, process_index
from affectlab.sentiment.collection import checkpoint_path, generate_sentences
from sentiment_fakes import TOPICS, FakeBackend, make_settings

out = Path(sys.argv[1])
backend = FakeBackend()
p = make_settings()
checkpoint = checkpoint_path(p, TOPICS, backend.name, out / "ckpt")
rows, metrics = generate_sentences(p, TOPICS, backend, checkpoint)
print(f"process {{process_index()}} sampled with seeds {{backend.seeds}}", flush=True)
if is_main_process():
    (out / "rows.json").write_text(json.dumps(rows))
    (out / "metrics.json").write_text(json.dumps(metrics))
"""


def test_generate_sentiment_in_two_processes_samples_a_share_of_each_round_per_process(tmp_path, monkeypatch):
    """Two `torchrun` processes: process k samples its half of every round (seed: the round's, or derived from
    it for k = 1), both see the whole round, the main one writes: the rows equal one process calling the same
    backend on the two halves in order. One process keeps calling it once per round with the round's seed."""
    from affectlab.sentiment.collection import round_seed, generate_sentences
    monkeypatch.syspath_prepend(str(TESTS / "unit" / "sentiment"))  # undone after the test
    from sentiment_fakes import TOPICS, FakeBackend, make_settings

    class HalvesInOrder(FakeBackend):
        def __call__(self, prompts, seed):
            first = share(len(prompts), 0, 2)
            return (FakeBackend.__call__(self, prompts[:first.stop], seed)
                    + FakeBackend.__call__(self, prompts[first.stop:], round_seed(seed, 1)))

    expected, _ = generate_sentences(make_settings(), TOPICS, HalvesInOrder(), tmp_path / "expected.jsonl")
    script = tmp_path / "sentiment.py"
    script.write_text(SENTIMENT_SCRIPT.format(tests=str(TESTS), fakes=str(TESTS / "unit" / "sentiment")))
    out = tmp_path / "two"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("WORLD_SIZE", None)
    proc = subprocess.run([str(Path(sys.executable).with_name("torchrun")), "--standalone", "--nproc_per_node", "2",
                           str(script), str(out)], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    got = json.loads((out / "rows.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    # the same rows, except that each records the seed of the share it was drawn in
    assert [{**r, "seed": None} for r in got] == [{**r, "seed": None} for r in expected] and len(got) == 20
    assert metrics["processes"] == 2 and metrics["accepted"] == 20
    rounds = metrics["rounds"]
    seeds = [round_seed(3, r) for r in range(rounds)]
    assert f"process 0 sampled with seeds {seeds}" in proc.stdout
    assert f"process 1 sampled with seeds {[round_seed(s, 1) for s in seeds]}" in proc.stdout
    assert {r["seed"] for r in got} <= set(seeds) | {round_seed(s, 1) for s in seeds}
    assert any(r["seed"] not in seeds for r in got)  # some accepted rows come from process 1's shares
    # one checkpoint, written by the main process, under a key of its own (N = 2 draws otherwise than N = 1)
    written = list((out / "ckpt").iterdir())
    assert len(written) == 1 and len(written[0].read_text().splitlines()) == metrics["generated"]

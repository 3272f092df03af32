"""The training loop in two real processes (`torchrun`, gloo on CPU) equals one process with the same global
batch: each process trains on its half of it, and the loss is normalised over the whole of it."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, logging, os, sys
logging.basicConfig(level=logging.INFO)
sys.path[:0] = [{tests!r}, {here!r}]
import torch
from pathlib import Path
from test_train import ALL_LINEAR, settings, table
from repo_params import settings as repo_settings
from affectlab.sft.model import MultiTaskSFT, add_lora
from affectlab.sft.settings import LoraSettings, LossSettings
from affectlab.sft.train import fit
from affectlab.tiny_models import tiny_causal_lm

lm, tok = tiny_causal_lm(hidden=64, seed=0)
torch.manual_seed(0)
# no LoRA dropout: its masks are drawn per process, the one thing two processes cannot share with one
lora = LoraSettings(r=8, alpha=16, dropout=0.0, target_modules=ALL_LINEAR)
model = MultiTaskSFT(add_lora(lm, lora, quantized=False), {{"emotion": 28, "strategy": 2}}, repo_settings(LossSettings))
ts = settings(Path(sys.argv[2]), max_steps=3, batch_size=int(sys.argv[1]), grad_accum=1, eval_every=3)
result = fit(model, table(tok), table(tok), ts, alpha=0.5, pad_id=tok.pad_token_id, fingerprint="x")
if int(os.environ.get("RANK", "0")) == 0:
    print("RESULT " + json.dumps({{"history": result.history, "tokens": result.tokens}}))
"""


def run(tmp_path: Path, *launcher: str, batch_size: int) -> dict:
    script = tmp_path / "fit.py"
    script.write_text(SCRIPT.format(tests=str(TESTS), here=str(Path(__file__).parent)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([*launcher, str(script), str(batch_size), str(tmp_path / f"ckpt{batch_size}")],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return {**json.loads(line[7:]), "log": proc.stderr}


def test_two_torchrun_processes_at_batch_2_equal_one_process_at_batch_4(tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    two = run(tmp_path, str(torchrun), "--standalone", "--nproc_per_node", "2", batch_size=2)
    one = run(tmp_path, sys.executable, batch_size=4)
    assert "process 0 of 2: first batch rows" in two["log"] and "process 1 of 2: first batch rows" in two["log"]
    assert two["tokens"] == one["tokens"]  # together they processed exactly the one process's examples
    assert len(two["history"]) == len(one["history"]) == 3
    for a, b in zip(one["history"], two["history"]):
        assert set(a) == set(b)
        for key in a:  # the same numbers up to the order of float sums (gloo all-reduce vs one matmul)
            assert b[key] == pytest.approx(a[key], rel=1e-4, abs=1e-6), (a["step"], key, a[key], b[key])

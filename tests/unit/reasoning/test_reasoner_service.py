"""POST /analyze_text against a live uvicorn server on 127.0.0.1 (real HTTP client), and the CLI's bad input."""
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from affectlab.errors import InputError
from affectlab.generation import Decoding
from affectlab.reasoning.labels import EKMAN
from affectlab.reasoning.service import Analyzer, create_app
from affectlab.tiny_models import tiny_causal_lm

REPO = Path(__file__).resolve().parents[3]
GREEDY = Decoding(max_new_tokens=4, do_sample=False, temperature=1.0, top_p=1.0, repetition_penalty=1.0)
CALIBRATION = {"labels": list(EKMAN), "cot_mode": "rationale_first", "temperature": 2.0, "offsets": [0.0] * 7}


class CountingAnalyzer(Analyzer):
    calls = 0

    def __call__(self, texts):
        type(self).calls += 1
        return super().__call__(texts)


@pytest.fixture(scope="module")
def server():
    import uvicorn

    model, tok = tiny_causal_lm(layers=1, hidden=32, seed=0)
    app = create_app(CountingAnalyzer(model, tok, EKMAN, GREEDY, batch_size=4, seed=0, calibration=CALIBRATION))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def test_analyze_text_returns_emotion_reasoning_and_scores(server):
    r = httpx.post(f"{server}/analyze_text", json={"text": "I am so happy today ."}, timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"emotion", "reasoning", "scores"} and body["emotion"] in EKMAN
    assert set(body["scores"]) == set(EKMAN) and sum(body["scores"].values()) == pytest.approx(1, abs=1e-3)
    again = httpx.post(f"{server}/analyze_text", json={"text": "I am so happy today ."}, timeout=60).json()
    assert again == body  # greedy and seeded: the same answer, from the model loaded once


@pytest.mark.parametrize("payload, message", [({"text": "   "}, "text is empty"), ({}, "Field required"),
                                               ({"text": 3}, "valid string"), ({"text": "x", "y": 1}, "Extra inputs")])
def test_bad_requests_get_422_with_a_message(server, payload, message):
    before = CountingAnalyzer.calls
    r = httpx.post(f"{server}/analyze_text", json=payload, timeout=30)
    assert r.status_code == 422 and message in r.text
    assert CountingAnalyzer.calls == before  # the model never saw it


def test_analyzer_refuses_an_empty_text():
    model, tok = tiny_causal_lm(layers=1, hidden=32)
    with pytest.raises(InputError, match="text 2: empty"):
        Analyzer(model, tok, EKMAN, GREEDY, 4, 0, CALIBRATION)(["fine", " "])


def run_cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "affectlab.reasoning", *args], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}, timeout=120)


def test_cli_analyze_with_an_empty_text_exits_2_with_one_line():
    proc = run_cli("analyze", "")
    assert proc.returncode == 2 and proc.stderr.strip() == "error: text 1: empty; pass a non-empty text"


def test_cli_analyze_file_with_an_empty_line_names_the_line(tmp_path):
    f = tmp_path / "texts.txt"
    f.write_text("I am happy\n\nso sad\n")
    proc = run_cli("analyze", "--file", str(f))
    assert proc.returncode == 2 and f"{f}:2: empty line" in proc.stderr


def test_cli_without_a_trained_reasoner_says_how_to_make_one(tmp_path):
    proc = run_cli("--adapter", str(tmp_path / "none" / "adapter"), "analyze", "hello there")
    assert proc.returncode == 2 and "dvc repro train_reasoner" in proc.stderr

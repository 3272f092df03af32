"""The Streamlit page (`make app`, src/affectlab/app.py): AppTest drives its widgets on tiny exported models
and compares every answer with the library's own; one test runs the real server and opens the page in
headless Chromium."""
from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app_models import write_models

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "src" / "affectlab" / "app.py"
TEXT = "i am so happy and grateful today"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return write_models(tmp_path_factory.mktemp("app") / "models")


def expected(models: Path, text: str, ensemble: int = 2) -> dict:
    """What the CLIs' library code answers for `text` on these models (the page must show the same)."""
    from affectlab.affect.regression import AffectPredictor
    from affectlab.config import load_params
    from affectlab.probes.predict import Predictor
    from affectlab.reasoning.service import Analyzer
    from affectlab.reasoning.settings import ReasonerEvalSettings

    p = load_params(ReasonerEvalSettings, REPO / "params.yaml")
    probes = Predictor.load(models / "probes", models / "base")
    return {"reasoner": Analyzer.load(models / "base", models / "reasoner" / "adapter", p.decoding, p.batch_size,
                                      p.seed)([text])[0],
            "affect": AffectPredictor(models / "affect", models / "base").predict([text])[0],
            "best": probes.predict([text])[0], "ensemble": probes.predict([text], ensemble=ensemble)[0]}


def app_test(monkeypatch, models: Path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("AFFECTLAB_MODELS", str(models))
    monkeypatch.setenv("AFFECTLAB_PARAMS", str(REPO / "params.yaml"))
    return AppTest.from_file(str(APP), default_timeout=300)


def test_one_text_gets_all_three_families_answers(models, monkeypatch):
    at = app_test(monkeypatch, models).run()
    assert not at.exception and not at.markdown  # nothing analysed before the button
    at.text_area(key="text").input(TEXT)
    at.number_input(key="k").set_value(2)
    at.button(key="analyze").click().run()
    assert not at.exception and not at.error and not at.warning
    want = expected(models, TEXT)
    shown = [m.value for m in at.markdown]
    d = want["reasoner"]
    assert shown[0].startswith(f"**Emotion:** {d['emotion']}")
    assert shown[1] == f"**Reasoning:** {d['reasoning'] or '(none)'}"
    table = dict(line.strip("| ").split(" | ") for line in shown[2].splitlines()[2:])
    assert table == {k: f"{v:.3f}" for k, v in d["scores"].items()} and len(table) == 7
    assert sum(d["scores"].values()) == pytest.approx(1, abs=1e-3)
    valence, intimacy, tension = want["affect"]
    assert shown[3].startswith(f"**valence** {valence:+.3f} · **intimacy** {intimacy:+.3f} · **tension** {tension:+.3f}")
    best, ens = want["best"], want["ensemble"]
    assert len(ens.layers) == 2 and best.layers[0] == ens.layers[0]
    assert shown[4] == f"**best layer** (layer {best.layers[0]}): {best.label}, P(positive) {best.probability:.3f}"
    assert shown[5] == (f"**2-best ensemble** (layers {', '.join(map(str, ens.layers))}): {ens.label}, "
                        f"P(positive) {ens.probability:.3f}")
    assert [s.value for s in at.subheader] == ["D. Emotion and why", "E. Valence, intimacy, tension", "B. Sentiment"]


def test_models_load_once_per_server_not_per_request(models, monkeypatch):
    from affectlab.reasoning import service

    loads = []
    real = service.Analyzer.load.__func__
    monkeypatch.setattr(service.Analyzer, "load", classmethod(lambda cls, *a, **k: loads.append(a) or real(cls, *a, **k)))
    import streamlit as st
    st.cache_resource.clear()
    for text in (TEXT, "i feel sad and lonely now"):
        at = app_test(monkeypatch, models).run()   # a new session each time, as a new browser tab
        at.text_area(key="text").input(text)
        at.button(key="analyze").click().run()
        assert not at.exception and at.markdown[0].value.startswith("**Emotion:** ")
    assert len(loads) == 1


@pytest.mark.parametrize("text, line", [("   ", "error: text 1: empty; pass a non-empty text"),
                                        ("x" * 4001, "error: text 1: 4001 characters, at most 4000; pass a shorter text")])
def test_empty_or_too_long_text_gets_the_clis_line(models, monkeypatch, text, line):
    from affectlab.reasoning.service import check_texts
    from affectlab.errors import InputError

    with pytest.raises(InputError) as cli:   # the CLI's own check says the same
        check_texts([text])
    assert line == f"error: {cli.value}"
    at = app_test(monkeypatch, models).run()
    at.text_area(key="text").input(text)
    at.button(key="analyze").click().run()
    assert [e.value for e in at.error] == [line] and not at.markdown and not at.subheader


def test_a_part_without_its_model_names_the_stage_that_builds_it(models, monkeypatch, tmp_path):
    partial = tmp_path / "models"
    shutil.copytree(models / "base", partial / "base")
    shutil.copytree(models / "probes", partial / "probes")
    at = app_test(monkeypatch, partial).run()
    at.text_area(key="text").input(TEXT)
    at.button(key="analyze").click().run()
    assert not at.exception and not at.error
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 2
    assert "`dvc repro train_reasoner` builds it" in warnings[0] and "reasoner/adapter/adapter_config.json" in warnings[0]
    assert "`dvc repro train_affect` builds it" in warnings[1]
    assert at.markdown[0].value.startswith("**best layer** (layer ")   # B still answers
    shutil.rmtree(partial / "base")
    at = app_test(monkeypatch, partial).run()
    at.text_area(key="text").input(TEXT)
    at.button(key="analyze").click().run()
    warnings = [w.value for w in at.warning]   # B's probes are there, the base model under them is not
    assert len(warnings) == 3 and "`dvc repro prepare_model` builds it" in warnings[2]
    assert "base/config.json" in warnings[2] and "`dvc repro train_probes` builds everything" in warnings[2]


# ------------------------------------------------------------------ the real server in a browser -----------
def render(exe: str, url: str, wait_for: str, tmp: Path, timeout: float = 180) -> tuple[str, bytes]:
    """Open `url` in headless Chromium and return (the page's visible text, a PNG) once `wait_for` shows.
    Streamlit draws its answer over a websocket after the page loads, so this polls the live page through
    the DevTools protocol (real time) instead of --dump-dom's virtual time, which ends before the answer.
    The network is cut for the browser except 127.0.0.1 (the server): a dead proxy every other address goes
    through, and a resolver that resolves no name (tests/browser.py's network namespace would cut the server
    off too)."""
    from websockets.sync.client import connect

    port = free_port()
    proc = subprocess.Popen([exe, "--headless", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={port}",
                             f"--user-data-dir={tmp / 'chromium'}", "--proxy-server=127.0.0.1:9",
                             "--proxy-bypass-list=127.0.0.1", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                             "--window-size=1000,1400", "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while True:
            try:
                page = next(p for p in httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
                            if p["type"] == "page")
                break
            except (httpx.TransportError, StopIteration):
                assert time.time() < deadline, "chromium's DevTools endpoint did not come up"
                time.sleep(0.3)
        with connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
            ids = iter(range(1, 10**6))

            def call(method, **params):
                n = next(ids)
                ws.send(json.dumps({"id": n, "method": method, "params": params}))
                while (msg := json.loads(ws.recv(timeout=60))).get("id") != n:
                    pass
                return msg["result"]

            call("Emulation.setDeviceMetricsOverride", width=1000, height=1400, deviceScaleFactor=1, mobile=False)
            call("Page.navigate", url=url)
            deadline, text = time.time() + timeout, ""
            while wait_for not in text and time.time() < deadline:
                time.sleep(1)
                text = call("Runtime.evaluate", expression="document.body ? document.body.innerText : ''",
                            returnByValue=True)["result"].get("value", "")
            time.sleep(1)  # let the last frame paint
            png = base64.b64decode(call("Page.captureScreenshot", format="png")["data"])
        return text, png
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_server_renders_the_answer_in_headless_chromium(models, tmp_path):
    from browser import chromium

    exe = chromium()   # skips where Chromium is missing, fails in CI
    port = free_port()
    env = {**os.environ, "AFFECTLAB_MODELS": str(models), "AFFECTLAB_PARAMS": str(REPO / "params.yaml")}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", "127.0.0.1",
                               "--server.port", str(port), "--server.headless", "true",
                               "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            pytest.fail("streamlit did not start")
        want = expected(models, TEXT, ensemble=3)
        best, ens = want["best"], want["ensemble"]   # the page's K is 3; these tiny probes have 3 layers
        url = f"http://127.0.0.1:{port}/?text={TEXT.replace(' ', '+')}"
        ensemble = f"3-best ensemble (layers {', '.join(map(str, ens.layers))})"
        text, png = render(exe, url, ensemble, tmp_path)
        assert "D. Emotion and why" in text and "E. Valence, intimacy, tension" in text, text
        assert f"best layer (layer {best.layers[0]}): {best.label}, P(positive) {best.probability:.3f}" in text, text
        assert f"Emotion: {want['reasoner']['emotion']}" in text
        assert "valence {:+.3f} · intimacy {:+.3f} · tension {:+.3f}".format(*want["affect"]) in text
        shot = tmp_path / "app.png"
        shot.write_bytes(png)
        if os.environ.get("KEEP_SCREENSHOT"):
            Path(os.environ["KEEP_SCREENSHOT"]).write_bytes(png)
        from PIL import Image
        with Image.open(shot) as img:
            assert img.size == (1000, 1400)
            greys = len(set(img.convert("L").getdata()))
        assert shot.stat().st_size > 20_000 and greys > 16   # a rendered page, not a blank one
    finally:
        server.terminate()
        server.wait(timeout=20)

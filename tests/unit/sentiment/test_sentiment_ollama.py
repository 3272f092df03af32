"""The ollama backend against a fake ollama server on 127.0.0.1 (bounded: it shuts itself down)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from affectlab.errors import ModelError
from affectlab.sentiment import OllamaBackend, generate_sentences
from sentiment_fakes import TOPICS, make_settings, reply


class FakeOllama(BaseHTTPRequestHandler):
    requests: list = []

    def do_POST(self):  # noqa: N802 (http.server naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append((self.path, body))
        if body["model"] == "missing:latest":
            self._send(404, {"error": "model 'missing:latest' not found, try pulling it first"})
            return
        prompt = body["messages"][-1]["content"]
        seed = body["options"]["seed"]
        self._send(200, {"model": body["model"], "message": {"role": "assistant", "content": reply(prompt, seed, seed % 7)},
                         "done": True})

    def _send(self, code, payload):
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    FakeOllama.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeOllama)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    watchdog = threading.Timer(60, httpd.shutdown)  # never outlives a hung test
    watchdog.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    watchdog.cancel()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def test_ollama_backend_generates_the_data_set_through_the_chat_api(server, tmp_path):
    settings = make_settings(backend="ollama")
    backend = OllamaBackend(server, "llama3.2:3b", settings.decoding, timeout=5)
    rows, m = generate_sentences(settings, TOPICS, backend, tmp_path / "ck.jsonl")
    assert m["accepted.positive"] == m["accepted.negative"] == 10
    assert {r["model"] for r in rows} == {"ollama:llama3.2:3b"}
    path, body = FakeOllama.requests[0]
    assert path == "/api/chat" and body["stream"] is False and body["model"] == "llama3.2:3b"
    assert body["options"]["num_predict"] == 20 and body["options"]["temperature"] == settings.decoding.temperature == 0.8
    assert body["messages"][0]["content"].startswith("Say how ")
    assert len(FakeOllama.requests) == m["generated"]
    assert len({b["options"]["seed"] for _, b in FakeOllama.requests}) == m["generated"]  # one seed per request


def test_ollama_errors_say_what_to_do(server):
    settings = make_settings()
    with pytest.raises(ModelError, match="HTTP 404 for model 'missing:latest'.*not found"):
        OllamaBackend(server, "missing:latest", settings.decoding, timeout=5)(["hi"], seed=1)
    dead = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(ModelError, match=r"ollama http://127.0.0.1:9: cannot connect .*ollama serve"):
        OllamaBackend(dead, "llama3.2:3b", settings.decoding, timeout=2)(["hi"], seed=1)

"""Where replies come from: the local Hugging Face model, or an ollama server over HTTP.

A backend is a callable `(prompts, seed) -> replies` plus a `name` recorded in every generated row."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Protocol, Sequence

from affectlab.errors import ModelError
from affectlab.generation import Decoding, generate_chat


class Backend(Protocol):
    name: str

    def __call__(self, prompts: Sequence[str], seed: int) -> list[str]: ...


class TransformersBackend:
    def __init__(self, model, tokenizer, decoding: Decoding, batch_size: int, name: str) -> None:
        self.model, self.tokenizer, self.decoding, self.batch_size = model, tokenizer, decoding, batch_size
        self.name = name

    def __call__(self, prompts: Sequence[str], seed: int) -> list[str]:
        return generate_chat(self.model, self.tokenizer, prompts, self.decoding, batch_size=self.batch_size,
                             seed=seed)


class OllamaBackend:
    """POST /api/chat once per prompt (stream off); the seed and decoding go in `options`, so an ollama
    server reproduces its replies too."""

    def __init__(self, url: str, model: str, decoding: Decoding, timeout: float = 120.0) -> None:
        self.url, self.model, self.decoding, self.timeout = url.rstrip("/"), model, decoding, timeout
        self.name = f"ollama:{model}"

    def __call__(self, prompts: Sequence[str], seed: int) -> list[str]:
        return [self._chat(prompt, seed + i) for i, prompt in enumerate(prompts)]

    def _chat(self, prompt: str, seed: int) -> str:
        d = self.decoding
        options = {"seed": seed, "num_predict": d.max_new_tokens, "repeat_penalty": d.repetition_penalty,
                   "temperature": d.temperature if d.do_sample else 0.0, "top_p": d.top_p}
        body = {"model": self.model, "messages": [{"role": "user", "content": prompt}], "stream": False,
                "options": options}
        request = urllib.request.Request(f"{self.url}/api/chat", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.loads(response.read())
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")[:200]
            raise ModelError(f"ollama {self.url}/api/chat: HTTP {e.code} for model {self.model!r}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            reason = getattr(e, "reason", e)
            raise ModelError(f"ollama {self.url}: cannot connect ({reason}); start it with `ollama serve` "
                             f"and `ollama pull {self.model}`, or set sentiment.backend: transformers") from None
        except json.JSONDecodeError:
            raise ModelError(f"ollama {self.url}/api/chat: reply is not JSON") from None
        content = reply.get("message", {}).get("content") if isinstance(reply, dict) else None
        if not isinstance(content, str):
            raise ModelError(f"ollama {self.url}/api/chat: reply has no message.content: {str(reply)[:200]}")
        return content

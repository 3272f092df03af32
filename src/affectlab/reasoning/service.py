"""Using the trained reasoner: `Analyzer` (the model loaded once) and the FastAPI app behind
`python -m affectlab.reasoning serve` (POST /analyze_text {"text": ...} -> {"emotion", "reasoning", "scores"}).

A bad request gets 422 and ONE line, `{"detail": "text: what is wrong; what to send"}`, never FastAPI's list of
error objects, and never reaches the model."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from pydantic import BaseModel, ConfigDict, field_validator

from affectlab.errors import InputError, ModelError
from affectlab.generation import Decoding
from affectlab.io import read_json

ADAPTER_DIR = Path("models/reasoner/adapter")
# A chat message or a paragraph, not a document: the reasoner trains on texts of at most max_seq_len tokens,
# and a multi-megabyte body would hold a worker for minutes.
MAX_TEXT_CHARS = 4000
SEND = 'send {"text": "..."}'


def check_texts(texts: Sequence[str]) -> None:
    for i, text in enumerate(texts, start=1):
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"text {i}: empty; pass a non-empty text")
        if len(text) > MAX_TEXT_CHARS:
            raise InputError(f"text {i}: {len(text)} characters, at most {MAX_TEXT_CHARS}; pass a shorter text")


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str

    @field_validator("text")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty; send a non-empty text")
        if len(value) > MAX_TEXT_CHARS:
            raise ValueError(f"{len(value)} characters, at most {MAX_TEXT_CHARS}; send a shorter text")
        return value


class AnalyzeResponse(BaseModel):
    emotion: str
    reasoning: str
    scores: dict[str, float]


class Analyzer:
    """The reasoner (base + adapter) with its label set and decoding; call it with a list of texts."""

    def __init__(self, model, tokenizer, labels: Sequence[str], decoding: Decoding, batch_size: int, seed: int,
                 calibration: dict):
        self.model, self.tokenizer, self.labels = model, tokenizer, tuple(labels)
        self.decoding, self.batch_size, self.seed, self.calibration = decoding, batch_size, seed, calibration

    @classmethod
    def load(cls, base_dir: str | Path, adapter_dir: str | Path, decoding: Decoding, batch_size: int,
             seed: int) -> Analyzer:
        from affectlab.models import load_adapter, load_base

        labels_file = Path(adapter_dir).parent / "labels.json"
        if not labels_file.is_file():
            raise ModelError(f"{labels_file}: missing (it names the label set); run `dvc repro train_reasoner`")
        model, tokenizer = load_base(base_dir)
        model = load_adapter(model, adapter_dir, "train_reasoner").merge_and_unload()  # no LoRA overhead per decoding step
        labels = read_json(labels_file, "run `dvc repro train_reasoner`")
        if not isinstance(labels, dict) or not isinstance(labels.get("labels"), list):
            raise ModelError(f"{labels_file}: expected {{\"labels\": [...]}}; run `dvc repro train_reasoner`")
        return cls(model, tokenizer, labels["labels"], decoding, batch_size, seed,
                   read_calibration(calibration_file(adapter_dir), labels["labels"]))

    def __call__(self, texts: Sequence[str]) -> list[dict]:
        from affectlab.reasoning.inference import analyze

        check_texts(texts)
        return analyze(self.model, self.tokenizer, list(texts), self.labels, self.decoding, self.batch_size,
                       self.seed, self.calibration)


def calibration_file(adapter_dir: str | Path) -> Path:
    """models/reasoner/adapter -> models/reasoner_calibration.json (written by evaluate_reasoner)."""
    return Path(adapter_dir).parent.with_name("reasoner_calibration.json")


def read_calibration(path: Path, labels: Sequence[str]) -> dict:
    fix = "run `dvc repro evaluate_reasoner`"
    if not path.is_file():
        raise ModelError(f"{path}: missing (the label probabilities' calibration); {fix}")
    c = read_json(path, fix)
    if not isinstance(c, dict) or c.get("labels") != list(labels) or len(c.get("offsets", ())) != len(labels) \
            or not c.get("temperature", 0) > 0 or c.get("cot_mode") not in ("none", "rationale_first", "label_first"):
        raise ModelError(f"{path}: not the calibration of this adapter's labels {list(labels)}; {fix}")
    return c


def create_app(analyzer: Analyzer):
    """The HTTP app; `analyzer` is loaded once by the caller and shared by every request."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    app = FastAPI(title="affectlab emotion reasoner")

    @app.exception_handler(RequestValidationError)
    def one_line(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": request_error(exc.errors())})

    @app.post("/analyze_text", response_model=AnalyzeResponse)
    def analyze_text(request: AnalyzeRequest) -> AnalyzeResponse:
        result = analyzer([request.text])[0]
        return AnalyzeResponse(emotion=result["emotion"], reasoning=result["reasoning"], scores=result["scores"])

    return app


def request_error(errors: Sequence[dict]) -> str:
    """The first of FastAPI's validation errors as one line: `field: what is wrong; what to send`."""
    e = errors[0]
    loc = [str(p) for p in e.get("loc", ()) if p != "body"]
    if e.get("type") == "json_invalid":
        reason = (e.get("ctx") or {}).get("error", "JSON decode error")
        return f"body: not valid JSON ({reason} at character {loc[0] if loc else '?'}); {SEND}"
    msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
    field = ".".join(loc) or "body"
    if e.get("type") == "value_error":
        return f"{field}: {msg}"
    if e.get("type") in ("string_type", "model_attributes_type", "dict_type") and "input" in e:
        msg += f", got {type(e['input']).__name__} {e['input']!r}"[:80]
    return f"{field}: {msg}; {SEND}"

"""Using the trained reasoner: `Analyzer` (the model loaded once) and the FastAPI app behind
`python -m affectlab.reasoning serve` (POST /analyze_text {"text": ...} -> {"emotion", "reasoning", "scores"})."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from pydantic import BaseModel, ConfigDict, field_validator

from affectlab.errors import InputError, ModelError
from affectlab.generation import Decoding

ADAPTER_DIR = Path("models/reasoner/adapter")


def check_texts(texts: Sequence[str]) -> None:
    for i, text in enumerate(texts, start=1):
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"text {i}: empty; pass a non-empty text")


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str

    @field_validator("text")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty; send a non-empty text")
        return value


class AnalyzeResponse(BaseModel):
    emotion: str
    reasoning: str
    scores: dict[str, float]


class Analyzer:
    """The reasoner (base + adapter) with its label set and decoding; call it with a list of texts."""

    def __init__(self, model, tokenizer, labels: Sequence[str], decoding: Decoding, batch_size: int, seed: int):
        self.model, self.tokenizer, self.labels = model, tokenizer, tuple(labels)
        self.decoding, self.batch_size, self.seed = decoding, batch_size, seed

    @classmethod
    def load(cls, base_dir: str | Path, adapter_dir: str | Path, decoding: Decoding, batch_size: int,
             seed: int) -> Analyzer:
        from affectlab.models import load_adapter, load_base

        labels_file = Path(adapter_dir).parent / "labels.json"
        if not labels_file.is_file():
            raise ModelError(f"{labels_file}: missing (it names the label set); run `dvc repro train_reasoner`")
        model, tokenizer = load_base(base_dir)
        model = load_adapter(model, adapter_dir).merge_and_unload()  # no LoRA overhead per decoding step
        return cls(model, tokenizer, json.loads(labels_file.read_text())["labels"], decoding, batch_size, seed)

    def __call__(self, texts: Sequence[str]) -> list[dict]:
        from affectlab.reasoning.inference import analyze

        check_texts(texts)
        return analyze(self.model, self.tokenizer, list(texts), self.labels, self.decoding, self.batch_size,
                       self.seed)


def create_app(analyzer: Analyzer):
    """The HTTP app; `analyzer` is loaded once by the caller and shared by every request."""
    from fastapi import FastAPI

    app = FastAPI(title="affectlab emotion reasoner")

    @app.post("/analyze_text", response_model=AnalyzeResponse)
    def analyze_text(request: AnalyzeRequest) -> AnalyzeResponse:
        result = analyzer([request.text])[0]
        return AnalyzeResponse(emotion=result["emotion"], reasoning=result["reasoning"], scores=result["scores"])

    return app

"""Use the trained emotion reasoner.

    python -m affectlab.reasoning analyze "I can't believe they cancelled it" ["another text" ...] [--file F]
    python -m affectlab.reasoning serve [--host 127.0.0.1 --port 8000]

Decoding, batch size and seed come from `reasoner.eval` in params.yaml (the evaluation's settings).
`--file` reads one text per line. Errors print one line and exit 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from affectlab.cli import ArgumentParser
from affectlab.errors import AffectlabError, InputError
from affectlab.models import BASE_DIR
from affectlab.reasoning.service import ADAPTER_DIR


def _parser() -> argparse.ArgumentParser:
    ap = ArgumentParser(prog="python -m affectlab.reasoning", description=__doc__.splitlines()[1])
    ap.add_argument("--base", default=str(BASE_DIR), help="prepared base model folder")
    ap.add_argument("--adapter", default=str(ADAPTER_DIR), help="reasoner adapter folder")
    ap.add_argument("--params", default="params.yaml", help="params file (reasoner.eval: decoding)")
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analyze", help="print label, reasoning and label probabilities")
    a.add_argument("texts", nargs="*")
    a.add_argument("--file", help="one text per line")
    s = sub.add_parser("serve", help="HTTP server: POST /analyze_text")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    return ap


def _texts(args) -> list[str]:
    texts = list(args.texts)
    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise InputError(f"{path}: file not found")
        for lineno, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                raise InputError(f"{path}:{lineno}: empty line; one non-empty text per line")
            texts.append(line)
    if not texts:
        raise InputError("analyze: no text given; pass texts as arguments or --file")
    return texts


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        from affectlab.config import load_params
        from affectlab.reasoning.service import Analyzer, check_texts, create_app
        from affectlab.reasoning.settings import ReasonerEvalSettings

        texts = _texts(args) if args.command == "analyze" else None
        if texts is not None:
            check_texts(texts)  # before the model loads: a bad call fails in a second
        p = load_params(ReasonerEvalSettings, args.params)
        analyzer = Analyzer.load(args.base, args.adapter, p.decoding, p.batch_size, p.seed)
        if texts is not None:
            for text, r in zip(texts, analyzer(texts)):
                probs = "  ".join(f"{k} {v:.2f}" for k, v in sorted(r["scores"].items(), key=lambda kv: -kv[1]))
                print(f"{r['emotion']}\t{text}\n  reasoning: {r['reasoning']}\n  probabilities: {probs}")
        else:
            import uvicorn
            uvicorn.run(create_app(analyzer), host=args.host, port=args.port)
    except AffectlabError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

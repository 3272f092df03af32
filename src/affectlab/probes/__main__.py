"""python -m affectlab.probes predict "text" ... [--file F] [--ensemble K | --layers 15,17,22] [--vote] [--probes DIR] [--model DIR]

Prints one line per text: label <tab> P(positive) <tab> text."""
from __future__ import annotations

import sys
from pathlib import Path

from affectlab.cli import ArgumentParser
from affectlab.errors import AffectlabError, InputError


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m affectlab.probes")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="classify texts with the trained sentiment probes")
    p.add_argument("texts", nargs="*", help="texts to classify")
    p.add_argument("--file", type=Path, help="also read texts from this file, one per line")
    p.add_argument("--ensemble", type=int, metavar="K", help="the K best layers (by val AUC): mean probability")
    p.add_argument("--layers", metavar="L1,L2,...", help="these layers (0 = embeddings) instead of the best ones")
    p.add_argument("--vote", action="store_true",
                   help="majority of the layers' decisions at their calibrated thresholds instead of the mean")
    p.add_argument("--probes", default="models/probes", help="folder written by train_probes")
    p.add_argument("--model", default="models/base", help="model folder the probes were trained on")
    args = parser.parse_args(argv)
    try:
        texts, source = list(args.texts), "argument"
        if args.file is not None:
            if not args.file.is_file():
                raise InputError(f"{args.file}: file not found")
            lines = args.file.read_text().splitlines()
            for lineno, line in enumerate(lines, start=1):
                if not line.strip():
                    raise InputError(f"{args.file}:{lineno}: empty text; give one non-empty sentence per line")
            texts += lines
        if not texts:
            p.error("give texts as arguments or --file")
        layers = None
        if args.layers is not None:
            try:
                layers = [int(v) for v in args.layers.split(",")]
            except ValueError:
                raise InputError(f"--layers: give comma-separated layer numbers, e.g. 15,17,22; got {args.layers!r}")
        from affectlab.probes.predict import Predictor
        predictor = Predictor.load(args.probes, args.model)
        predictions = predictor.predict(texts, args.ensemble, source=source, layers=layers, vote=args.vote)
    except AffectlabError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    layers = ",".join(map(str, predictions[0].layers))
    rule = "vote of calibrated decisions" if args.vote else f"mean probability >= {predictions[0].threshold:.3f}"
    print(f"# layers {layers} ({rule})", file=sys.stderr)
    for pr in predictions:
        print(f"{pr.label}\t{pr.probability:.4f}\t{pr.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

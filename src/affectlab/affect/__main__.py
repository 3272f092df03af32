"""python -m affectlab.affect COMMAND

    label CANDIDATES --out LABELS.jsonl        terminal labeling session (resumes; s/u/q at any prompt)
    export-csv CANDIDATES --out SHEET.csv       a spreadsheet to label in
    import-csv SHEET.csv --out LABELS.jsonl     its labeled rows as validated records
    predict "text" ... [--model ridge|lora] [--model-dir DIR | --gguf FILE]
                                                valence, intimacy, tension from models/affect (default) or from
                                                an exported GGUF + its sidecar alone; --model defaults to the
                                                predictor train_affect chose on dev (manifest/sidecar `default`)
"""
from __future__ import annotations

import sys
from pathlib import Path

from affectlab.cli import ArgumentParser
from affectlab.errors import AffectlabError


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m affectlab.affect")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (("label", "label candidates in the terminal"),
                           ("export-csv", "write candidates as a CSV sheet to label")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("candidates", type=Path, help="candidates JSONL (data/affect/candidates.jsonl)")
        p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("import-csv", help="labeled CSV rows -> a JSONL label file")
    p.add_argument("sheet", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("predict", help="print valence, intimacy and tension of texts")
    p.add_argument("texts", nargs="+")
    p.add_argument("--model", choices=("ridge", "lora"), default=None,
                   help="predictor (default: the one train_affect chose on dev)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--model-dir", default="models/affect", help="folder written by train_affect")
    where.add_argument("--gguf", type=Path, default=None,
                       help="an exported GGUF (models/affect_gguf/affect.gguf); sidecar.json must lie beside it")
    p.add_argument("--base", default=None, help="base model folder (default: the one it was trained on)")
    args = parser.parse_args(argv)
    try:
        if args.command == "label":
            from affectlab.affect.labeling import Session, read_candidates
            Session(read_candidates(args.candidates), args.out).run()
        elif args.command == "export-csv":
            from affectlab.affect.labeling import export_csv, read_candidates
            print(f"{export_csv(read_candidates(args.candidates), args.out)} candidates -> {args.out}")
        elif args.command == "import-csv":
            from affectlab.affect.labeling import import_csv
            counts = import_csv(args.sheet, args.out)
            print(f"{counts['labeled']} labeled rows -> {args.out} ({counts['unlabeled']} rows without answers left out)")
        else:
            from affectlab.affect.records import AXES
            if args.gguf:
                from affectlab.affect.serving import GgufAffectPredictor
                predictor = GgufAffectPredictor(args.gguf, args.model)
            else:
                from affectlab.affect.regression import AffectPredictor
                predictor = AffectPredictor(args.model_dir, args.base, args.model)
            values = predictor.predict(args.texts)
            print(f"# predictor: {predictor.kind}", file=sys.stderr)
            print("\t".join([*AXES, "text"]))
            for text, row in zip(args.texts, values):
                print("\t".join([*(f"{v:+.3f}" for v in row), text]))
    except AffectlabError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

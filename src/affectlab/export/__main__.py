"""python -m affectlab.export gguf MODEL_DIR [--out DIR] [--types F32 Q8_0] [--base DIR] [--tokenizer-gguf FILE]

Merge MODEL_DIR/adapter into its base model and write a llama GGUF per type, the heads as a sidecar
(heads.safetensors + sidecar.json) and an ollama Modelfile into --out (default: MODEL_DIR + "_gguf"), then read
each GGUF back and print the round-trip figures. Works for models/affect (regression head + ridge; the figures
include the head against `affect predict`), models/sft and models/reasoner (LM merged, heads in the sidecar).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from affectlab.cli import ArgumentParser
from affectlab.errors import AffectlabError
from affectlab.export.gguf import TYPES

CHECK_PROMPTS = ("I feel like nobody at work listens to me.", "Thanks, that actually helped a lot!",
                 "Why is the sky blue?")


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m affectlab.export")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("gguf", help="a trained model folder as GGUF + head sidecar")
    p.add_argument("model_dir", type=Path, help="models/affect, models/sft or models/reasoner")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: MODEL_DIR_gguf)")
    p.add_argument("--types", nargs="+", choices=TYPES, default=list(TYPES), help="GGUF types to write")
    p.add_argument("--base", type=Path, default=None, help="base model folder (default: the manifest's base_dir)")
    p.add_argument("--tokenizer-gguf", type=Path, default=None,
                   help="GGUF to copy the tokenizer and chat template from (default: the base model's source GGUF)")
    args = parser.parse_args(argv)
    out = args.out or args.model_dir.with_name(args.model_dir.name + "_gguf")
    try:
        from affectlab.export import gguf as export
        from affectlab.io import read_json

        manifest_path = args.model_dir / "manifest.json"
        manifest = read_json(manifest_path) if manifest_path.is_file() else {}
        base = args.base or Path(manifest.get("base_dir", "models/base"))
        if "axes" in manifest and args.tokenizer_gguf is None:
            from affectlab.affect.serving import export_affect_gguf
            result = export_affect_gguf(args.model_dir, out, args.types, base)
            figures = result["checks"]
        else:
            source = args.tokenizer_gguf or export.source_gguf_of(base)
            result = export.export_model(args.model_dir, out, types=args.types, source_gguf=source, base_dir=base,
                                         name=args.model_dir.name, check_prompts=CHECK_PROMPTS)
            figures = result["roundtrip"]
        print(f"wrote {out}/: {', '.join(result['files'].values())}, sidecar.json, Modelfile")
        print(json.dumps(figures, indent=2, sort_keys=True))
    except AffectlabError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

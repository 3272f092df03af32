"""python -m affectlab.review --base REV [--head REV|workspace|EXP] [--out reports/review.md] [--all]"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from affectlab.cli import ArgumentParser
from affectlab.config import stage_main
from affectlab.io import write_text_atomic
from affectlab.review.compare import build_review
from affectlab.review.markdown import render

log = logging.getLogger("affectlab.review")


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = ArgumentParser(prog="python -m affectlab.review",
                                 description="One Markdown document of what a change did: params, metrics, "
                                             "stage outs and plots of --base vs --head.")
    ap.add_argument("--base", required=True, help="git revision or `dvc exp` name to compare against (e.g. origin/main)")
    ap.add_argument("--head", default="workspace", help="git revision, `dvc exp` name or 'workspace' (default)")
    ap.add_argument("--out", default="reports/review.md", type=Path,
                    help="Markdown file; its images go to the folder of the same name (default reports/review.md)")
    ap.add_argument("--all", action="store_true", dest="show_all",
                    help="also show unchanged metrics, stages and plots")
    return ap.parse_args(argv)


@stage_main
def main() -> None:
    args = parse_args(sys.argv[1:])
    out: Path = args.out
    assets = out.with_suffix("")
    review = build_review(Path.cwd(), args.base, args.head, assets, args.show_all)
    write_text_atomic(render(review, out.parent, args.show_all), out)
    log.info("%s: %d params, %d metrics changed, %d plots shown", out, len(review.params),
             sum(r.changed and not r.noise for r in review.metrics), sum(1 for p in review.plots if p.base_image or p.head_image))
    print(out)


if __name__ == "__main__":
    main()

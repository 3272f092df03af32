"""Wall time of a whole `dvc repro` per stage and per family (issue 20, item 4: <= 15 min on 2 cores, DESIGN.md's
guide per family). A stage's time runs from DVC's "Running stage" line to the next one (or the end), so it holds
what the stage costs a user: interpreter start, imports, model loads, the work, and DVC caching its outs.

    python bench/repro_times.py                      # runs `dvc repro` (a fresh clone: every stage)
    python bench/repro_times.py --log repro.log      # reads a log of `dvc repro` lines, each prefixed with a
                                                     # Unix timestamp (the run mode writes logs/repro_times.log)

Compare figures only within one machine and run: the same stages differ up to 2x between machines.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from stage_graph import FAMILIES  # noqa: E402  (the README's grouping of stages into families)

GUIDE_MIN = {"prepare_model": 0.5, "A": 0.5, "B": 3.5, "C": 5.5, "D": 3.0, "E": 2.0}  # DESIGN.md, 2 cores
RUNNING = re.compile(r"^(\d+(?:\.\d+)?) Running stage '([^']+)'")


def run_logged(log: Path) -> None:
    """`dvc repro`, every output line prefixed with its arrival time, copied to `log` and stdout."""
    with log.open("w") as out:
        proc = subprocess.Popen(["dvc", "repro"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            stamped = f"{time.time():.1f} {line}"
            out.write(stamped)
            out.flush()
            sys.stdout.write(stamped)
        out.write(f"{time.time():.1f} END rc={proc.wait()}\n")
    if proc.returncode:
        raise SystemExit(f"dvc repro failed (rc {proc.returncode}); see {log}")


def stage_seconds(lines: list[str]) -> dict[str, float]:
    starts = [(float(m[1]), m[2]) for m in map(RUNNING.match, lines) if m]
    if not starts:
        raise SystemExit("no \"Running stage\" lines: nothing ran (dvc repro found every stage up to date?)")
    stamps = [m[1] for m in map(re.compile(r"^(\d+(?:\.\d+)?) ").match, lines) if m]
    end = float(stamps[-1])  # the last line of the run
    return {name: (nxt[0] if nxt else end) - t for (t, name), nxt in zip(starts, [*starts[1:], None])}


def family_of(stage: str) -> str:
    return next((title[0] for title, names in FAMILIES.items() if stage in names.split()), stage)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", type=Path, help="timestamped log of an earlier run (default: run dvc repro now)")
    args = ap.parse_args()
    log = args.log or Path("logs/repro_times.log")  # logs/ is git-ignored
    log.parent.mkdir(exist_ok=True)
    if args.log is None:
        run_logged(log)
    seconds = stage_seconds(log.read_text().splitlines())
    families: dict[str, float] = {}
    for stage, s in seconds.items():
        families[family_of(stage)] = families.get(family_of(stage), 0.0) + s
    print("\n| stage | family | s |\n|---|---|---|")
    for stage, s in sorted(seconds.items(), key=lambda kv: -kv[1]):
        print(f"| {stage} | {family_of(stage)} | {s:.0f} |")
    print("\n| family | min | guide (DESIGN.md) |\n|---|---|---|")
    for family, s in families.items():
        guide = GUIDE_MIN.get(family)
        print(f"| {family} | {s / 60:.1f} | {guide if guide is not None else ''} |")
    print(f"\nall stages: {sum(seconds.values()) / 60:.1f} min (budget 15)")


if __name__ == "__main__":
    main()

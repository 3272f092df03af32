"""The review workflow cannot run here: check that what it relies on exists."""
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = ROOT / ".github/workflows/review.yml"


def steps() -> list[dict]:
    wf = yaml.safe_load(WORKFLOW.read_text())
    assert "pull_request" in wf[True]  # YAML 1.1 reads the key `on` as True
    return wf["jobs"]["review"]["steps"]


def test_every_make_target_the_workflow_runs_exists_and_resolves():
    runs = "\n".join(s.get("run", "") for s in steps())
    targets = set(re.findall(r"\bmake (\w[\w-]*)", runs))
    assert targets == {"setup", "repro", "review"}
    for target in targets:
        proc = subprocess.run(["make", "-n", target, "BASE=origin/main"], cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    dry = subprocess.run(["make", "-n", "review", "BASE=origin/main"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "python -m affectlab.review --base origin/main" in dry


def test_the_review_is_posted_from_the_file_it_writes_and_with_cml():
    by_name = {s.get("name", s.get("uses", "")): s for s in steps()}
    review = next(s["run"] for s in by_name.values() if "make review" in s.get("run", ""))
    out = re.search(r"--out (\S+?)\"?$", review.strip()).group(1)
    post = next(s for s in by_name.values() if "cml comment" in s.get("run", ""))
    assert post["run"].split()[-1] == out and "--publish" in post["run"]
    assert post["env"]["REPO_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert any(s.get("uses", "").startswith("iterative/setup-cml@") for s in steps())
    assert next(s for s in steps() if s.get("uses", "").startswith("actions/checkout@"))["with"]["fetch-depth"] == 0


def test_the_review_command_accepts_the_arguments_the_workflow_and_readme_use():
    from affectlab.review.__main__ import parse_args
    args = parse_args(["--base", "origin/main", "--out", "reports/review.md"])
    assert (args.base, args.head, str(args.out), args.show_all) == ("origin/main", "workspace", "reports/review.md", False)

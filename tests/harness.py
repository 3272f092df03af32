"""Pipeline-test harness: real `dvc repro` in a temporary copy of the working tree.

A template repo is built once per test session (copy of the tree, git init + commit, smoke params,
`dvc repro prepare_model`), so the ~20 s base-model preparation is paid once. Then the whole smoke pipeline
runs once in it (`dvc repro`, its lock and log kept as `smoke_lock` / `smoke_log`) and its outs are removed
again: the template is left as prepared, but its DVC cache holds every smoke out and DVC's run cache a
record of every stage. Each test gets its own copy of the template, with the DVC cache and model files
hard-linked rather than copied; a stage a test brings up to date with unchanged deps and params is restored
from that run cache in seconds instead of run again, and a changed param or a `--no-run-cache` / `-f` run
really runs. The run-cache restores count as brought up to date in `DvcRepo.repro` (the stage did run, once,
in this session, on these inputs); the reliability tests, which need real runs, force them.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
SMOKE_PARAMS = Path(__file__).with_name("smoke_params.yaml")
_RAN = re.compile(r"^Running stage '([^']+)'", re.M)
# A stage whose deps and params match an earlier run is restored from DVC's run cache instead of run.
_RAN_OR_RESTORED = re.compile(r"^(?:Running stage '([^']+)'|Stage '([^']+)' is cached - skipping run)", re.M)
# Not outs, but left by a run: checkpoints and run logs (a copy of the template starts without them).
_RUN_LEFTOVERS = (".cache", "checkpoints", "data/eval.checkpoints", "logs")
# Folders whose big files are hard-linked into each test repo instead of copied.
_LINKED = ("models", ".dvc/cache")


class DvcRepo:
    """A temporary git + DVC repository holding a copy of the project."""

    def __init__(self, root: Path):
        self.root = root

    # --- running -------------------------------------------------------------------------------
    def run(self, *cmd: str, check: bool = True, timeout: float = 1800) -> subprocess.CompletedProcess:
        env = {**os.environ,
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               "PYTHONPATH": str(self.root / "src"),  # the copy's code, not an installed one
               "HF_HUB_OFFLINE": "1", "DVC_NO_ANALYTICS": "1", "PYTHONUNBUFFERED": "1"}
        proc = subprocess.run(cmd, cwd=self.root, env=env, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}"
                                 f"\n--- stderr\n{proc.stderr[-6000:]}")
        return proc

    def repro(self, *targets: str, check: bool = True) -> list[str]:
        """Run `dvc repro [targets]` and return the stages brought up to date, in order: run, or restored
        from the run cache of the template's smoke run (same deps and params: the same outs)."""
        proc = self.run("dvc", "repro", *targets, check=check)
        self.last_output = proc.stdout + proc.stderr
        return stages_brought_up_to_date(self.last_output)

    def exp_run(self, *set_params: str, targets: Iterable[str] = ()) -> list[str]:
        """`dvc exp run [targets] -S k=v ...`; returns the stages brought up to date, in order: run, or
        restored from the run cache (two 4-step ablations can export byte-identical answers on one
        machine and not on another, and then the report after them is restored rather than run)."""
        args = [a for kv in set_params for a in ("-S", kv)]
        proc = self.run("dvc", "exp", "run", *targets, *args)
        self.last_output = proc.stdout + proc.stderr
        return stages_brought_up_to_date(self.last_output)

    def commit(self, message: str = "test") -> None:
        self.run("git", "add", "-A")
        self.run("git", "commit", "-q", "--allow-empty", "-m", message)

    # --- params and outs -----------------------------------------------------------------------
    def set_params(self, overrides: dict[str, Any]) -> None:
        """Set dotted keys (`{"loss.strategy": 0}`) in params.yaml."""
        path = self.root / "params.yaml"
        params = yaml.safe_load(path.read_text())
        apply_overrides(params, overrides)
        path.write_text(yaml.safe_dump(params, sort_keys=False))

    def params(self) -> dict[str, Any]:
        return yaml.safe_load((self.root / "params.yaml").read_text())

    def path(self, rel: str) -> Path:
        return self.root / rel

    def read_json(self, rel: str) -> Any:
        import json
        return json.loads((self.root / rel).read_text())

    # --- assertions used by every family -------------------------------------------------------
    def assert_up_to_date(self, *targets: str) -> None:
        """A second `dvc repro [targets]` runs no stage."""
        ran = self.repro(*targets)
        assert ran == [], f"expected no stage to run, ran {ran}\n{self.last_output[-3000:]}"

    def assert_reruns_exactly(self, overrides: dict[str, Any], expected: Iterable[str],
                              targets: Iterable[str] = ()) -> None:
        """Changing `overrides` re-runs exactly `expected` (the stages downstream of those params)."""
        self.set_params(overrides)
        ran = self.repro(*targets)
        assert sorted(ran) == sorted(expected), f"expected {sorted(expected)} to re-run, ran {sorted(ran)}"


def stages_brought_up_to_date(output: str) -> list[str]:
    return [ran or restored for ran, restored in _RAN_OR_RESTORED.findall(output)]


def stages_run(output: str) -> list[str]:
    """The stages `dvc repro` really ran (not restored from the run cache)."""
    return _RAN.findall(output)


def apply_overrides(params: dict[str, Any], overrides: dict[str, Any]) -> None:
    for dotted, value in overrides.items():
        node = params
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value


def smoke_overrides() -> dict[str, Any]:
    """Small, fast values for pipeline tests (tests/smoke_params.yaml, flat dotted keys)."""
    return yaml.safe_load(SMOKE_PARAMS.read_text()) or {}


def source_files(root: Path = REPO_ROOT) -> list[str]:
    """Tracked and untracked-but-not-ignored files: the working tree as the developer sees it."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root,
                         capture_output=True, text=True, check=True).stdout
    return [f for f in out.split("\0") if f and (root / f).is_file()]


def build_template(dest: Path, prepare: Iterable[str] = ("prepare_model",), smoke_run: bool = True) -> DvcRepo:
    """Copy the working tree to `dest`, make it a git repo with smoke params, and run `prepare`; with
    `smoke_run`, run the whole smoke pipeline once and reset the tree to the prepared state (see above)."""
    for rel in source_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / rel, target)
    repo = DvcRepo(dest)
    # The committed dvc.lock describes outs of the full run, which this copy's empty cache does not hold;
    # `dvc exp run` would fail collecting them. A test repo starts as if nothing had run yet.
    (dest / "dvc.lock").unlink(missing_ok=True)
    repo.set_params(smoke_overrides())
    repo.run("git", "init", "-q")
    repo.run("git", "config", "user.email", "test@affectlab.invalid")
    repo.run("git", "config", "user.name", "affectlab tests")
    # Outs are copies of cache files, never hard links: a test that rewrites an out in place (a bad-input
    # case) must not reach into the cache every copy of the template shares.
    repo.run("dvc", "config", "--local", "cache.type", "copy")
    repo.commit("template")
    if prepare:
        repo.repro(*prepare)
        repo.commit("template: prepared")
    if smoke_run:
        run_smoke_pipeline_once(repo, prepared=list(prepare))
    return repo


def run_smoke_pipeline_once(repo: DvcRepo, prepared: list[str]) -> None:
    """The whole smoke pipeline, once: its lock and log are kept on `repo`, its outs stay in the cache and
    the run cache, and the tree goes back to the prepared commit."""
    proc = repo.run("dvc", "repro")
    repo.smoke_log = proc.stdout + proc.stderr
    repo.smoke_lock = yaml.safe_load((repo.root / "dvc.lock").read_text())
    for stage, entry in repo.smoke_lock["stages"].items():
        if stage in prepared:
            continue
        for out in entry.get("outs", []):
            target = repo.root / out["path"]
            shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    for leftover in _RUN_LEFTOVERS:
        shutil.rmtree(repo.root / leftover, ignore_errors=True)
    repo.run("git", "checkout", "-q", "--", ".")  # dvc.lock as prepared; tracked metrics as committed
    repo.run("git", "clean", "-fdq")               # .gitignore files DVC created for the outs
    left = repo.run("git", "status", "--porcelain").stdout.strip()
    assert not left, f"the template is not back at its prepared commit after the smoke run:\n{left}"


def clone_template(template: DvcRepo, dest: Path) -> DvcRepo:
    """Copy a template repo; big files under models/ and the DVC cache are hard-linked."""
    def copy(src: str, dst: str) -> None:
        rel = Path(src).relative_to(template.root).as_posix()
        if rel.startswith(_LINKED):
            os.link(src, dst)
        else:
            shutil.copy2(src, dst)

    shutil.copytree(template.root, dest, copy_function=copy, symlinks=True)
    return DvcRepo(dest)

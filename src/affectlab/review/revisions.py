"""The two sides of a review: a git revision, a `dvc exp` name, or the workspace."""
from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

from affectlab.errors import InputError

WORKSPACE = "workspace"


@dataclasses.dataclass(frozen=True)
class Revision:
    name: str         # as the user typed it
    sha: str | None   # None: the workspace

    @property
    def dvc(self) -> str:
        """How DVC's commands name this side."""
        return self.sha or WORKSPACE

    @property
    def label(self) -> str:
        if self.sha is None:
            return WORKSPACE
        return self.sha[:7] if self.sha.startswith(self.name) else f"{self.name} ({self.sha[:7]})"


def resolve(scm, name: str) -> Revision:
    """`name` as a commit: a branch, tag or sha, or an experiment name (DVC's resolver knows both)."""
    from dvc.scm import RevError, resolve_rev

    if name == WORKSPACE:
        return Revision(name, None)
    try:
        return Revision(name, resolve_rev(scm, name))
    except (RevError, AssertionError):  # AssertionError: not a git repository (DVC's NoSCM)
        raise InputError(f"unknown revision '{name}': not a git revision or a `dvc exp` name "
                         "(see `git branch -a` and `dvc exp list --all-commits`)") from None


def read_at(root: Path, path: str, rev: Revision) -> str | None:
    """A git-tracked file's text at `rev` (the workspace's file for the workspace); None if absent."""
    if rev.sha is None:
        f = root / path
        return f.read_text() if f.is_file() else None
    proc = subprocess.run(["git", "show", f"{rev.sha}:{path}"], cwd=root, capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None

"""What each stage of dvc.yaml must declare, computed from its script: the affectlab modules it imports
(transitively) and the params sections it loads. tests/unit/test_dvc_stages.py compares both ways.

    python tests/stage_graph.py [STAGE ...]   # print the code deps and params each stage should declare
    python tests/stage_graph.py --write       # rewrite them in dvc.yaml (data deps, outs, plots kept)
    python tests/stage_graph.py --readme      # rewrite README's DAG and the "re-runs" column of the params
                                              # tables in docs/ (docs/parameters.md and the family pages)
"""
from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def stages() -> dict[str, dict]:
    return yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]


def script_of(stage: dict) -> Path:
    return REPO / stage["cmd"].split()[1]


def _module_file(name: str) -> Path | None:
    base = REPO / "src" / name.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path, seen: set[Path]) -> set[Path]:
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("affectlab"):
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("affectlab")]
        for name in names:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # a submodule import runs its packages' __init__ too
                found = _module_file(".".join(parts[:i]))
                if found and found not in seen:
                    seen.add(found)
                    _imports(found, seen)
    return seen


def imported_modules(script: Path) -> set[str]:
    """Repo-relative paths of the affectlab modules `script` imports, directly or not."""
    return {p.relative_to(REPO).as_posix() for p in _imports(script, set())}


def code_deps(deps: list[str]) -> set[str]:
    """The library .py files that dvc.yaml deps cover (a folder covers every module below it)."""
    out = set()
    for dep in (str(d).rstrip("/") for d in deps):
        path = REPO / dep
        if dep.startswith("src/affectlab") and path.is_dir():
            out |= {p.relative_to(REPO).as_posix() for p in path.rglob("*.py")}
        elif dep.startswith("src/affectlab"):
            out.add(dep)
    return out


def flags_of(stage: dict) -> list[str]:
    return stage["cmd"].split()[2:]


def loaded_sections(script: Path, flags: list[str] = ()) -> set[str]:
    """Sections of the `load_params(SettingsClass)` calls in `script` (classes resolved by importing it). A
    class chosen by a command-line flag, `load_params(A if args.second else B)`, is the one the stage's `flags`
    choose (A for a command with `--second`), so a variant declares only the params it reads."""
    spec = importlib.util.spec_from_file_location(f"stage_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # stage scripts only run main() under __main__

    def chosen(node):
        while isinstance(node, ast.IfExp) and isinstance(node.test, ast.Attribute):
            node = node.body if f"--{node.test.attr.replace('_', '-')}" in flags else node.orelse
        return node.id if isinstance(node, ast.Name) else None

    names = {chosen(node.args[0]) for node in ast.walk(ast.parse(script.read_text()))
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "load_params" and node.args}
    return {getattr(module, name).SECTION for name in names - {None}}


def suggested_deps(script: Path) -> list[str]:
    """Imported modules, a folder where the stage imports every module in it."""
    used = imported_modules(script)
    out = set(used)
    for package in {str(Path(u).parent) for u in used} - {"src/affectlab"}:
        members = {p.relative_to(REPO).as_posix() for p in (REPO / package).rglob("*.py")}
        if members <= used:
            out = (out - members) | {package}
    return sorted(out)


def write_dvc_yaml() -> None:
    class Dumper(yaml.SafeDumper):  # indented lists, as DVC writes them
        def increase_indent(self, flow=False, indentless=False):
            return super().increase_indent(flow, False)

    doc = yaml.safe_load((REPO / "dvc.yaml").read_text())
    for stage in doc["stages"].values():
        script = script_of(stage)
        data = [d for d in stage["deps"] if not str(d).startswith(("src/", "stages/"))]
        stage["deps"] = [str(script.relative_to(REPO)), *suggested_deps(script), *data]
        stage["params"] = sorted(loaded_sections(script, flags_of(stage)))
    (REPO / "dvc.yaml").write_text(yaml.dump(doc, Dumper=Dumper, sort_keys=False, width=120))


# --- the graph as README shows it ---------------------------------------------------------------------
FAMILIES = {"A. SFT-data audit": "sample_sft score_emotions report_emotions",
            "B. Sentiment probes": "generate_sentiment capture_activations train_probes "
                                   "capture_activations_sft train_probes_sft "
                                   "prepare_probe_model capture_activations_second train_probes_second",
            "C. Emotion-aware SFT": "prepare_sft_data safety_teacher train_sft export_eval_base export_eval_sft build_dpo_pairs "
                                    "train_dpo export_eval_dpo report_eval",
            "D. Emotion reasoning": "clean_goemotions build_cot train_reasoner evaluate_reasoner",
            "E. Affect dataset": "harvest_affect build_affect train_affect export_affect_gguf"}


def _paths(entries) -> list[str]:
    return [next(iter(e)) if isinstance(e, dict) else e for e in entries or []]


def edges() -> list[tuple[str, str]]:
    """(upstream, downstream) where a stage's dep is, holds or lies in another stage's out."""
    st = stages()
    outs = {n: _paths(s.get("outs")) + _paths(s.get("metrics")) + _paths(s.get("plots")) for n, s in st.items()}
    under = lambda a, b: a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")
    return [(a, b) for a in st for b in st if a != b
            and any(under(d, o) for d in _paths(st[b].get("deps")) for o in outs[a])]


def reruns(section: str) -> list[str]:
    """Stages a change of params `section` re-runs: those loading it (or a part of it, or all of it)
    and everything downstream of them, in dvc.yaml order."""
    st, down = stages(), edges()
    hit = {n for n, s in st.items() for p in s.get("params", [])
           if p == section or p.startswith(section + ".") or section.startswith(p + ".")}
    while True:
        more = {b for a, b in down if a in hit} - hit
        if not more:
            return [n for n in st if n in hit]
        hit |= more


def readme_dag() -> str:
    lines = ["```mermaid", "flowchart TD", "  prepare_model"]
    for title, names in FAMILIES.items():
        lines += [f'  subgraph {title[0]}["{title}"]', *(f"    {n}" for n in names.split() if n in stages()), "  end"]
    lines += [f"  {a} --> {b}" for a, b in edges()]
    return "\n".join(lines) + "\n```\n"


PARAMS_ROW = r"^\| `([a-z_.]+)` \| (.*) \| `.*` \|$"   # | `section` | controls | re-runs |


def params_docs() -> list[Path]:
    """The pages holding a params table with a re-runs column: docs/parameters.md and the family pages."""
    return sorted((REPO / "docs").glob("*.md"))


def write_readme() -> None:
    import re

    path = REPO / "README.md"
    path.write_text(re.sub(r"```mermaid\n.*?```\n", lambda m: readme_dag(), path.read_text(), count=1, flags=re.S))

    def row(m):
        return f"| `{m[1]}` | {m[2]} | {', '.join(f'`{n}`' for n in reruns(m[1]))} |"
    for page in params_docs():
        page.write_text(re.sub(PARAMS_ROW, row, page.read_text(), flags=re.M))


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "src"))
    if sys.argv[1:] == ["--write"]:
        sys.exit(write_dvc_yaml())
    if sys.argv[1:] == ["--readme"]:
        sys.exit(write_readme())
    for name in sys.argv[1:] or sorted(stages()):
        script = script_of(stages()[name])
        print(yaml.safe_dump({name: {"deps": [str(script.relative_to(REPO)), *suggested_deps(script)],
                                     "params": sorted(loaded_sections(script, flags_of(stages()[name])))}},
                             sort_keys=False))

"""dvc.yaml cannot drift from the code: each stage declares exactly the library modules its script imports
(transitively) and exactly the params sections it loads, so a code or param change re-runs exactly the
stages it can affect (DESIGN.md §2-3). `python tests/stage_graph.py STAGE` prints what to declare."""
import pytest

import stage_graph as graph

STAGES = graph.stages()


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_deps_are_exactly_the_library_modules_its_script_imports(name):
    stage = STAGES[name]
    script = graph.script_of(stage)
    assert str(script.relative_to(graph.REPO)) in stage["deps"], f"{name}: its script is not a dep"
    used, declared = graph.imported_modules(script), graph.code_deps(stage["deps"])
    assert used - declared == set(), f"dvc.yaml: {name} imports {sorted(used - declared)} but does not list them"
    assert declared - used == set(), f"dvc.yaml: {name} lists {sorted(declared - used)} but never imports them"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_params_are_exactly_the_sections_its_script_loads(name):
    stage = STAGES[name]
    loaded = graph.loaded_sections(graph.script_of(stage), graph.flags_of(stage))
    assert sorted(stage.get("params", [])) == sorted(loaded), f"dvc.yaml: {name} loads params {sorted(loaded)}"


def test_readme_dag_is_the_dvc_dag_with_every_stage_in_one_family():
    import re
    import subprocess
    import sys
    from pathlib import Path

    dvc = Path(sys.executable).with_name("dvc")
    dot = subprocess.run([str(dvc), "dag", "--dot"], cwd=graph.REPO, capture_output=True, text=True, check=True)
    assert sorted(graph.edges()) == sorted(re.findall(r'"(\w+)" -> "(\w+)"', dot.stdout))
    readme = (graph.REPO / "README.md").read_text()
    assert graph.readme_dag() in readme, "README's DAG: python tests/stage_graph.py --readme"
    assert sorted(re.findall(r"^    (\w+)$", graph.readme_dag(), re.M) + ["prepare_model"]) == sorted(STAGES)


def test_readme_params_table_names_the_stages_each_section_reruns():
    import re

    def rows(page):
        return re.findall(r"^\| `([a-z_.]+)` \| .* \| (`.*`) \|$", page.read_text(), re.M)

    # docs/parameters.md holds the whole table; the family pages repeat their own sections' rows
    assert len(rows(graph.REPO / "docs" / "parameters.md")) >= 20
    for page in graph.params_docs():
        for section, listed in rows(page):
            assert re.findall(r"`(\w+)`", listed) == graph.reruns(section), \
                f"{page.name} params table, {section}: python tests/stage_graph.py --readme"

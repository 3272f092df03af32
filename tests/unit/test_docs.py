"""The documentation: README.md is a landing page (<= 15 KB) and every relative link and anchor in README.md
and docs/ resolves (anchors as GitHub makes them from headings)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FAMILY_PAGES = ["family-a-audit.md", "family-b-probes.md", "family-c-sft.md", "family-d-reasoner.md",
                "family-e-affect.md"]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation removed, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip())   # a link keeps its text
    text = re.sub(r"[`*_]", lambda m: "" if m[0] != "_" else "_", text).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor, with GitHub's -1, -2 suffixes for repeats; fenced code is not a heading."""
    seen: dict[str, int] = {}
    out = set()
    text = re.sub(r"^(```|````).*?^\1\s*$", "", page.read_text(), flags=re.S | re.M)
    for m in re.finditer(r"^#{1,6} (.+)$", text, re.M):
        base = slug(m[1])
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(page: Path) -> list[str]:
    text = re.sub(r"^(```|````).*?^\1\s*$", "", page.read_text(), flags=re.S | re.M)
    text = re.sub(r"`[^`\n]*`", "", text)     # inline code is not a link
    return re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", text)


def test_slug_is_githubs():
    assert slug("What bad input gets") == "what-bad-input-gets"
    assert slug("Parameters, experiments and ablations") == "parameters-experiments-and-ablations"
    assert slug("`plots/sft_audit/think_vs_response.csv` (changed)") == "plotssft_auditthink_vs_responsecsv-changed"
    assert slug("A. SFT-data emotion audit") == "a-sft-data-emotion-audit"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_and_anchor_resolves(page):
    bad = []
    for target in links(page):
        if re.match(r"^[a-z]+:", target):          # http(s):, mailto: ... : not ours to check offline
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            bad.append(f"{target}: no file {dest.relative_to(REPO) if dest.is_relative_to(REPO) else dest}")
        elif anchor and (dest.suffix != ".md" or anchor not in anchors(dest)):
            bad.append(f"{target}: no heading #{anchor} in {dest.name}")
    assert not bad, bad


def test_checker_sees_a_broken_link(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("# Title\n\n## Two words\n\n[ok](#two-words) [bad](#three-words) [gone](missing.md)\n")
    assert anchors(page) == {"title", "two-words"}
    assert links(page) == ["#two-words", "#three-words", "missing.md"]


def test_readme_is_a_landing_page():
    readme = (REPO / "README.md").read_text()
    assert len(readme.encode()) <= 15_000, len(readme.encode())
    for command in ("make repro", "make test", "make app", "dvc exp run -S", "make review", "LOCK=cuda",
                    "make lock"):
        assert command in readme, command
    for name in FAMILY_PAGES:   # each family's answer links its page
        assert f"(docs/{name})" in readme, name


@pytest.mark.parametrize("name", FAMILY_PAGES)
def test_family_page_has_its_sections(name):
    headings = anchors(REPO / "docs" / name)
    for section in ("what-it-asks", "stages", "params", "outputs", "results", "what-the-results-do-not-show",
                    "seed-scale"):
        assert section in headings, (name, section)

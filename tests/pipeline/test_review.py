"""`affectlab.review`, the offline plots page and sharing results, on family A (seconds, no model)."""
import json
import re
from pathlib import Path

import pytest

from browser import dump_dom, plot_divs, rendered_chart

pytestmark = pytest.mark.pipeline

STAGES = ["sample_sft", "score_emotions", "report_emotions"]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def audited(dvc_repo):
    """The template copy with family A run and committed."""
    assert sorted(dvc_repo.repro(*STAGES)) == sorted(STAGES)
    dvc_repo.commit("family A")
    return dvc_repo


def review(repo, *args, check=True):
    return repo.run("python", "-m", "affectlab.review", *args, check=check)


def linked_images(markdown: str, folder: Path) -> list[Path]:
    return [folder / m for m in re.findall(r"!\[[a-z]+\]\(([^)]+)\)", markdown)]


def test_review_of_an_experiment_shows_the_param_moved_metrics_with_direction_and_valid_images(audited):
    ran = audited.exp_run("emotion.max_length=32", targets=STAGES)
    assert sorted(ran) == ["report_emotions", "score_emotions"]
    exp = re.search(r"Ran experiment\(s\): (\S+)", audited.last_output).group(1)
    before = audited.run("git", "show", "HEAD:metrics/sft_emotions.json").stdout
    old, new = json.loads(before), audited.read_json("metrics/sft_emotions.json")
    assert new["truncated.think"] > old["truncated.think"] and new["rows"] == old["rows"] == 120

    review(audited, "--base", "HEAD", "--head", exp, "--out", "reports/review.md")
    md = audited.path("reports/review.md").read_text()
    assert f"→ `{exp} (" in md.splitlines()[0]
    assert "| `emotion.max_length` | 512 | 32 |" in md
    delta = new["truncated.think"] - old["truncated.think"]
    assert (f"| `sft_emotions: truncated.think` | {old['truncated.think']} | {new['truncated.think']} | +{delta} "
            "| worse ▼ |") in md
    assert "`sft_emotions: rows`" not in md and "`sft_emotions: truncated.response`" not in md  # unchanged
    assert re.search(r"\d+ unchanged metrics hidden", md)
    # the per-source means carry the base's bootstrap CI and say whether head left it
    assert re.search(r"\| `source_means\.\w+\.think\.\w+` \|.*\[[0-9.]+, [0-9.]+\] (\*\*outside\*\*|inside) \|", md)
    assert "| `score_emotions` | outs changed | `data/sft_audit/emotions.parquet` |" in md
    identical = next(line for line in md.splitlines() if line.startswith("Outs identical (from dvc.lock):"))
    assert "`sample_sft`" in identical and "score_emotions" not in identical

    images = linked_images(md, audited.path("reports"))
    assert {p.name for p in images} >= {"plots_sft_audit_think_vs_response_csv.base.png",
                                        "plots_sft_audit_think_vs_response_csv.head.png",
                                        "plots_sft_audit_source_heatmap_png.head.png"}
    for p in images:
        assert p.read_bytes()[:8] == PNG and p.stat().st_size > 5000, p
    # base and head images of a changed plot differ
    base, head = (audited.path(f"reports/review/plots_sft_audit_think_vs_response_csv.{s}.png").read_bytes()
                  for s in ("base", "head"))
    assert base != head

    # the experiment's results are in the workspace: the default head is the workspace, --all shows the rest
    review(audited, "--base", "HEAD", "--out", "reports/all.md", "--all")
    md_all = audited.path("reports/all.md").read_text()
    assert "→ `workspace`" in md_all.splitlines()[0]
    assert "| `sft_emotions: rows` | 120 | 120 | +0 |" in md_all
    assert "| `sft_emotions: truncated.think` |" in md_all and "unchanged metrics hidden" not in md_all


def test_review_bad_input_is_one_line_and_plots_missing_on_one_side_are_shown_as_added_or_removed(audited):
    proc = review(audited, "--base", "no-such-rev", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error: unknown revision 'no-such-rev'")

    # HEAD~1 is the commit before family A ran: its plots have no data there
    review(audited, "--base", "HEAD~1", "--head", "HEAD", "--out", "reports/added.md")
    review(audited, "--base", "HEAD", "--head", "HEAD~1", "--out", "reports/removed.md")
    for name, cells in (("added", "| *(absent)* | ![head](added/plots_sft_audit_dominant_csv.head.png) |"),
                        ("removed", "| ![base](removed/plots_sft_audit_dominant_csv.base.png) | *(absent)* |")):
        md = audited.path(f"reports/{name}.md").read_text()
        block = md.split(f"### `plots/sft_audit/dominant.csv` ({name})")[1].split("###")[0]
        assert cells in block
        assert audited.path(f"reports/{name}/plots_sft_audit_dominant_csv.{'head' if name == 'added' else 'base'}.png"
                            ).read_bytes()[:8] == PNG
    assert "| `sample_sft` | added |" in audited.path("reports/added.md").read_text()

    audited.path("metrics/sft_emotions.json").write_text('{"rows": 120,')
    proc = review(audited, "--base", "HEAD", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "error: metrics/sft_emotions.json at workspace: not valid JSON (" in proc.stderr

    audited.path("dvc.lock").unlink()
    proc = review(audited, "--base", "HEAD", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "error: workspace: no dvc.lock: nothing has run there yet" in proc.stderr


def test_a_base_out_missing_from_the_cache_is_named_and_every_other_plot_still_diffs(audited):
    # the situation of a reviewer whose cache lacks the base's results (no remote, or another machine's floats)
    assert audited.repro("prepare_sft_data") == ["prepare_sft_data"]  # one more family's plot, outside plots/sft_audit
    audited.commit("family A and the SFT data")
    audited.exp_run("emotion.max_length=32", targets=STAGES)
    lock = __import__("yaml").safe_load(audited.run("git", "show", "HEAD:dvc.lock").stdout)["stages"]
    gone = next(o["md5"] for o in lock["report_emotions"]["outs"] if o["path"] == "plots/sft_audit")
    manifest = audited.path(f".dvc/cache/files/md5/{gone[:2]}/{gone[2:]}")
    manifest.unlink()  # a hard link of this copy only: the template's cache keeps its file
    # DVC also keeps folder listings in its site cache (an index outside the repo), which a reviewer on a new
    # machine or CI runner does not have: start from an empty one, or the deleted listing is still found there
    audited.run("dvc", "config", "--local", "core.site_cache_dir", str(audited.root.parent / "site_cache"))

    review(audited, "--base", "HEAD", "--out", "reports/missing.md", "--all")
    md = audited.path("reports/missing.md").read_text()
    lines = [line for line in md.splitlines() if line.startswith("- base `HEAD (")]
    assert len(lines) == 1 and "`plots/sft_audit` (stage `report_emotions`): not in the local DVC cache" in lines[0]
    # its plots show the head side, marked unavailable on the base, not "added"
    block = md.split("### `plots/sft_audit/dominant.csv` (base unavailable)")[1].split("###")[0]
    assert "| *(absent)* | ![head](missing/plots_sft_audit_dominant_csv.head.png) |" in block
    assert "(added)" not in md
    # a plot outside the missing out diffs as usual, both sides drawn
    block = md.split("### `sft_label_distribution` (unchanged)")[1].split("###")[0]
    assert "![base](missing/sft_label_distribution.base.png)" in block and "![head](" in block
    assert "| `sft_emotions: truncated.think` |" in md  # metrics are git-tracked: they still compare


def assert_renders_offline(page: Path, with_data: set[str]) -> None:
    """Every plot with data drew a chart, no script error was reported, every image is a PNG."""
    assert "cdn.jsdelivr" not in page.read_text()
    dom = dump_dom(page)
    assert re.search(r'<pre id="plot-errors" hidden=""></pre>', dom), "a script error was reported on the page"
    divs = plot_divs(dom)
    assert with_data <= set(divs)
    assert [d for d in sorted(with_data) if not rendered_chart(divs[d])] == []
    images = re.findall(r'<img src="([^"]+)"', dom.split("<body", 1)[1])
    assert len(images) >= 3
    for src in images:
        assert (page.parent / src).read_bytes()[:8] == PNG, src


def test_offline_plots_page_renders_every_plot_in_chromium_with_no_network(audited):
    audited.run("python", "-m", "affectlab.review.offline_template")  # what `make setup` runs
    audited.run("dvc", "plots", "show", "-o", "offline")  # plots.html_template from .dvc/config
    shown = json.loads(audited.run("dvc", "plots", "show", "--json").stdout)["data"]
    with_data = {re.sub(r"[^A-Za-z0-9]", "_", plot) for plot, entries in shown.items()
                 for e in entries if e["type"] == "vega" and e["content"]["data"]["values"]}
    assert {"plots_sft_audit_think_vs_response_csv", "plots_sft_audit_dominant_csv"} <= with_data

    assert_renders_offline(audited.path("offline/index.html"), with_data)
    # a diff page too: HEAD~1 (before family A) vs the workspace
    audited.run("dvc", "plots", "diff", "HEAD~1", "-o", "offline_diff")
    assert_renders_offline(audited.path("offline_diff/index.html"), with_data)

    # control: DVC's own page (vega from a CDN) renders none of them under the same browser
    (audited.path("default.html")).write_text(
        "<html><head>{scripts}</head><body>{plot_divs}</body></html>")
    audited.run("dvc", "plots", "show", "-o", "cdn", "--html-template", "default.html")
    cdn = plot_divs(dump_dom(audited.path("cdn/index.html")))
    assert [d for d in with_data if rendered_chart(cdn[d])] == []


def test_results_pushed_to_a_local_remote_are_pulled_into_a_fresh_clone_where_nothing_reruns(audited, tmp_path):
    remote = tmp_path / "remote"
    audited.run("dvc", "remote", "add", "-d", "shared", str(remote))
    audited.commit("shared remote")
    audited.run("dvc", "push", *STAGES)
    assert any(p.is_file() for p in remote.rglob("*"))

    from harness import DvcRepo
    other = DvcRepo(tmp_path / "other")
    audited.run("git", "clone", "-q", str(audited.root), str(other.root))
    assert not other.path("plots/sft_audit").exists() and not other.path(".dvc/cache").exists()
    # before any pull, a review reads the outs it needs from the remote (how CI sees the base branch)
    other.run("python", "-m", "affectlab.review", "--base", "HEAD~2", "--head", "HEAD", "--out", "review.md")
    md = other.path("review.md").read_text()
    assert "### `plots/sft_audit/source_heatmap.png` (added)" in md
    assert other.path("review/plots_sft_audit_source_heatmap_png.head.png").read_bytes()[:8] == PNG
    other.run("dvc", "pull", *STAGES)
    assert other.path("plots/sft_audit/source_means.csv").read_bytes() == \
        audited.path("plots/sft_audit/source_means.csv").read_bytes()
    assert json.loads(other.run("dvc", "status", "--json", *STAGES).stdout) == {}
    other.assert_up_to_date(*STAGES)

import re

from affectlab.review.offline_template import page_template, write_page_template


def test_template_inlines_vega_and_leaves_dvc_no_place_for_cdn_scripts(tmp_path):
    page = page_template()
    assert "{plot_divs}" in page and "{refresh_tag}" in page
    assert "{scripts}" not in page                  # where DVC would put its CDN <script src=...> tags
    assert not re.search(r"<script[^>]+src=", page)
    assert "vegaEmbed" in page and len(page) > 500_000
    path = write_page_template(tmp_path / "t.html")
    assert path.read_text() == page


def test_dvc_config_names_the_template_that_make_setup_writes():
    from pathlib import Path
    root = Path(__file__).resolve().parents[3]
    config = (root / ".dvc/config").read_text()
    assert re.search(r"\[plots\]\s+html_template = plots_offline.html", config)
    assert "/plots_offline.html" in (root / ".dvc/.gitignore").read_text().split()
    assert "$(PLOTS_TEMPLATE): $(STAMP)" in (root / "Makefile").read_text()

"""A page template for `dvc plots show` / `dvc plots diff` that renders with no network.

DVC's default page loads vega, vega-lite and vega-embed from a CDN, so offline it stays blank. This
template has no `{scripts}` placeholder (where DVC would put those CDN tags) and inlines the bundle of the
installed vl-convert-python instead. `.dvc/config` names it (`plots.html_template`, relative to `.dvc/`);
`make setup` writes it:

    python -m affectlab.review.offline_template [.dvc/plots_offline.html]

A script error or a failed chart is shown on the page (`#plot-errors`) rather than leaving it blank.
"""
from __future__ import annotations

import sys
from pathlib import Path

from affectlab.io import write_text_atomic
from affectlab.review.vega import javascript_bundle

DEFAULT_PATH = Path(".dvc/plots_offline.html")

_HEAD = """<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <meta charset="utf-8">
    <title>DVC Plot</title>
    <script>
    // Errors go on the page: a blank chart should say why.
    function plotError(message) {
        var el = document.getElementById("plot-errors");
        if (el) { el.textContent += message + "\\n"; el.hidden = false; }
    }
    window.addEventListener("error", function (e) { plotError("script error: " + e.message); });
    window.addEventListener("unhandledrejection", function (e) { plotError("chart failed: " + e.reason); });
    </script>
    <script>
"""
_TAIL = """
    </script>
    <style>
        table { border-spacing: 15px; }
        #plot-errors { color: #b00020; }
    </style>
</head>
<body>
    <pre id="plot-errors" hidden></pre>
    {plot_divs}
</body>
</html>
"""


def page_template() -> str:
    bundle = javascript_bundle()
    # DVC fills the template with str.replace on these names; the bundle must not contain them
    assert "{plot_divs}" not in bundle and "{refresh_tag}" not in bundle and "</script" not in bundle.lower()
    return _HEAD + bundle + _TAIL


def write_page_template(path: str | Path = DEFAULT_PATH) -> Path:
    write_text_atomic(page_template(), path)
    return Path(path)


def main(argv: list[str]) -> None:
    print(write_page_template(argv[0] if argv else DEFAULT_PATH))


if __name__ == "__main__":
    main(sys.argv[1:])

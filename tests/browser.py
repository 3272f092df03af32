"""Headless Chromium with the network blocked, for tests of pages that must render offline."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL = "apt-get install -y chromium"


def chromium() -> str:
    """The Chromium binary; skips the test where it is missing locally, fails it in CI."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe:
        return exe
    if os.environ.get("CI"):
        pytest.fail(f"Chromium is required in CI (.ci/run installs it: {INSTALL})")
    pytest.skip(f"Chromium not installed: {INSTALL}")


def _no_network_prefix() -> list[str]:
    """`unshare -n` (a network namespace with no interfaces) where we may create one (root)."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def dump_dom(page: Path, budget_ms: int = 15000) -> str:
    """The page's DOM after its scripts ran, with no network: no namespace network where possible, and in
    any case a dead proxy and a resolver that resolves nothing."""
    cmd = [*_no_network_prefix(), chromium(), "--headless", "--no-sandbox", "--disable-gpu",
           "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
           f"--virtual-time-budget={budget_ms}", "--dump-dom", page.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}"
    return proc.stdout


def plot_divs(dom: str) -> dict[str, str]:
    """id -> inner HTML of each top-level plot <div id=...> that DVC's page holds (in order)."""
    starts = [(m.start(), m.group(1)) for m in re.finditer(r'<div id="([^"]+)"', dom)]
    return {name: dom[a:(starts[i + 1][0] if i + 1 < len(starts) else len(dom))] for i, (a, name) in enumerate(starts)}


def rendered_chart(html: str) -> bool:
    """A vega chart drew something: an SVG of marks with a width, holding mark paths, or a canvas."""
    m = re.search(r'<svg[^>]*class="marks"[^>]*width="(\d+)"', html)
    return bool(re.search(r"<canvas[^>]*width=\"[1-9]", html)) or bool(m and int(m.group(1)) > 0 and "<path" in html)

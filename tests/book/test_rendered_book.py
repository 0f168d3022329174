"""The built book as a reader sees it: opened from disk in headless Chromium with no network.

`make test-book` builds the book from the committed outputs and then runs these tests; any
script that the pages would fetch from the internet fails to load here (every host name is
unresolvable), so a diagram or formula that depends on a CDN shows up as raw text and fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.book

HTML = Path(__file__).resolve().parents[2] / "_build" / "html"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> str:
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    message = ("no headless Chromium to open the built book "
               "(Debian: apt-get install chromium; .ci/run installs it)")
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(message)
    pytest.skip(message)


def _page(name: str) -> Path:
    page = HTML / name
    if not page.is_file():
        pytest.fail(f"{page} is missing: build the book first (make book-committed)")
    return page


def rendered_dom(page: Path) -> str:
    """The page's DOM after its scripts ran, offline."""
    result = subprocess.run(
        [_browser(), "--headless", "--no-sandbox", "--disable-gpu",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=20000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_mermaid_diagram_renders_offline():
    dom = rendered_dom(_page("notebooks/02_core_concepts.html"))
    diagrams = re.findall(r'<pre class="mermaid"[^>]*>(.*?)</pre>', dom, flags=re.S)
    assert diagrams, "chapter 2 should contain its mermaid map"
    for diagram in diagrams:
        assert diagram.lstrip().startswith("<svg"), f"not rendered: {diagram[:120]!r}"
        assert "预训练大模型" in diagram  # the node labels are drawn inside the picture


def test_formulas_render_offline():
    page = _page("notebooks/04_math.html")
    n_formulas = page.read_text(encoding="utf-8").count('class="math')
    dom = rendered_dom(page)
    rendered = re.findall(r"<mjx-container[^>]*>\s*<svg", dom)
    assert n_formulas > 0
    assert len(rendered) >= n_formulas, (len(rendered), n_formulas)


def test_no_page_loads_a_script_or_style_from_the_internet():
    pages = sorted(HTML.rglob("*.html"))
    assert pages, f"no HTML under {HTML}: build the book first (make book-committed)"
    remote = re.compile(r'<(?:script|link)\b[^>]*(?:src|href)="(?:https?:)?//[^"]*"')
    offenders = {str(p.relative_to(HTML)): remote.findall(p.read_text(encoding="utf-8"))
                 for p in pages}
    assert not {p: tags for p, tags in offenders.items() if tags}

"""Serve the book's diagram and formula scripts from the built book, not from a CDN.

sphinxcontrib-mermaid imports mermaid as an ES module from a CDN, and Sphinx loads MathJax from
one too. Offline (a classroom behind a firewall, a train) the diagrams then stay raw
``graph TB ...`` text and the formulas raw LaTeX; an ES module is not loaded from a
``file://`` page either. This extension keeps sphinxcontrib-mermaid's directive and HTML but
replaces its script by the classic ``mermaid.min.js`` build, and points MathJax at its
self-contained SVG build (``tex-svg-full.js``: no fonts or extensions to fetch), both copied
into ``_static/`` from the folder that ``make book`` fills from the npm registry.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError

MERMAID = "mermaid.min.js"
MATHJAX = "tex-svg-full.js"


def _use_local_copies(app: Sphinx, config: Config) -> None:
    folder = Path(app.confdir, config.offline_assets_dir)
    missing = [name for name in (MERMAID, MATHJAX) if not (folder / name).is_file()]
    if missing:
        raise ExtensionError(
            f"offline_assets: {', '.join(missing)} missing in {folder}; `make book` fetches "
            "them with npm (see the Makefile's VENDORED files)")
    config.html_static_path.append(str(folder))  # its files are copied into _static/
    config.mathjax_path = MATHJAX
    # Drop sphinxcontrib-mermaid's CDN module script; `_add_mermaid` adds the local one.
    import sphinxcontrib.mermaid

    for listener in list(app.events.listeners.get("html-page-context", [])):
        if listener.handler is sphinxcontrib.mermaid.install_js:
            app.disconnect(listener.id)


def _add_mermaid(app: Sphinx, pagename: str, templatename: str, context: dict,
                 doctree) -> None:
    import sphinxcontrib.mermaid

    if doctree is None or doctree.next_node(sphinxcontrib.mermaid.mermaid) is None:
        return
    app.add_js_file(MERMAID)
    app.add_js_file(None, body="mermaid.initialize({startOnLoad: true});")


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinxcontrib.mermaid")
    app.add_config_value("offline_assets_dir", ".vendor/js", "html")
    app.connect("config-inited", _use_local_copies)
    app.connect("html-page-context", _add_mermaid)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

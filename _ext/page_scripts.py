"""Sphinx extension: include each script once per page.

sphinx-thebe 0.3.1 adds its inline configuration script again on every read
of the environment, so pages can carry two copies of
``const THEBE_JS_URL = ...``; the browser then stops with "Identifier
'THEBE_JS_URL' has already been declared" (found by tests/browser). This
drops repeats (same file or same inline body, same attributes) from a
page's script list, keeping the first.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def _script_key(script: object) -> tuple:
    # An inline script is registered with filename None by one extension and
    # "" by another; both mean "no file".
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {}) or {}
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _dedupe(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Sphinx) -> dict:
    # After the themes and other extensions have added their scripts.
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

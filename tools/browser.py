"""Headless Chromium for the book's checks and its PDF, started one way.

The browser is Debian's ``chromium`` (``CHROMIUM``, default /usr/bin/chromium,
installed by ``make chromium``), driven by Playwright; nothing is downloaded.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Root in a container needs --no-sandbox; with no internet, the background
# calls home (updates, sync, QUIC probes) would only fail and add noise.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@contextmanager
def chromium():
    """Yield a running headless Chromium browser; close it on exit."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} not found: `make chromium` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_for_math(page) -> None:
    """Return once MathJax (if the page loads it) has typeset the page."""
    page.evaluate(
        "async () => { if (!window.MathJax) return;"
        " for (let i = 0; i < 100 && !(MathJax.startup && MathJax.startup.promise); i++)"
        "   await new Promise(r => setTimeout(r, 50));"
        " if (MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise; }"
    )

"""Headless Debian Chromium driven by Playwright, collecting console errors per page.

Chromium comes from Debian (`make browser`), never from `playwright install`. Launched with
the flags this closed network needs (no background networking, no component updates) and a
fresh profile folder.
"""

import os
import shutil
import tempfile

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
READY = 'main#view[aria-busy="false"][data-route="{route}"]'


def require_browser():
    """Skips the calling test with the reason when Chromium or Playwright is missing."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"{CHROMIUM} not installed: run `make browser` "
            "(apt-get install chromium chromium-driver)"
        )
    pytest.importorskip("playwright.sync_api", reason="playwright not installed: make install")


class Browser:
    """One Chromium with one page; `errors` holds console errors and uncaught exceptions.

    Args:
        width / height: the viewport.
    """

    def __init__(self, width: int = 1400, height: int = 900):
        from playwright.sync_api import sync_playwright

        self._profile = tempfile.mkdtemp(prefix="recsys-chromium-")
        self._playwright = sync_playwright().start()
        try:
            self.context = self._playwright.chromium.launch_persistent_context(
                self._profile,
                executable_path=CHROMIUM,
                headless=True,
                args=list(FLAGS),
                viewport={"width": width, "height": height},
                timeout=60_000,
            )
        except Exception:
            self._playwright.stop()
            raise
        self.page = self.context.new_page()
        self.errors = []
        self.page.on(
            "console",
            lambda m: (
                self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None
            ),
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def open(self, url: str, route: str, timeout_ms: int = 60_000):
        """Loads `url` fresh (not a same-document hash change) and waits until page `route`
        has rendered (the router clears `aria-busy` once its charts had a frame to draw)."""
        self.page.goto("about:blank")
        self.page.goto(url)
        self.page.wait_for_selector(READY.format(route=route), timeout=timeout_ms)
        return self.page

    def screenshot(self, path) -> str:
        os.makedirs(os.path.dirname(str(path)), exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)
        return str(path)

    def close(self):
        try:
            self.context.close()
        finally:
            self._playwright.stop()
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

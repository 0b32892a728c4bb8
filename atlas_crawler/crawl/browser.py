"""The browser that renders the world map (``-a entry=map`` only): its download
handlers, the one host it may resolve, whether it can start at all, what it may load
(the map needs its HTML and scripts, nothing heavy), and closing its page."""

from __future__ import annotations

import os
import subprocess
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import Settings

_HEAVY = frozenset({"image", "media", "font", "stylesheet"})
_PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


def abort_heavy_resources(request: Any) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST`` predicate: images, media, fonts and styles
    are not fetched, which keeps the browser light and the site unbothered."""
    return request.resource_type in _HEAVY


def with_browser(settings: Settings) -> None:
    """scrapy-playwright's download handlers, for a crawl that renders the world
    map (only requests marked ``playwright`` go through the browser). Other runs
    (``scrapy shell``, ``scrapy parse``, list crawls) keep Scrapy's own handlers
    and start no browser driver."""
    if not settings.frozen:
        handlers = {"http": _PLAYWRIGHT_HANDLER, "https": _PLAYWRIGHT_HANDLER}
        settings.set("DOWNLOAD_HANDLERS", {**settings.getdict("DOWNLOAD_HANDLERS"), **handlers}, priority="spider")
        _atlas_host_only(settings)


def _atlas_host_only(settings: Settings) -> None:
    """Chromium resolves no name but the atlas's host. Left alone, it asks
    update.googleapis.com and accounts.google.com (its component updater and
    sign-in), ``--disable-background-networking`` and ``--disable-component-update``
    notwithstanding; the map (one page, an inline script) needs no other host.
    Added to the launch options however they were given, at their own priority."""
    host = urlsplit(settings.get("ATLAS_BASE_URL")).hostname
    options = dict(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"))
    options["args"] = [*options.get("args", []), f"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE {host}"]
    settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", options, priority=settings.getpriority("PLAYWRIGHT_LAUNCH_OPTIONS") or 0)


def browser_problem(executable: str) -> str | None:
    """Why the browser cannot serve, or None: it must exist and answer ``--version``.
    Checked before the map is asked for, because scrapy-playwright 0.0.48 may retry
    the launch of a browser that dies at once without end (seen with /bin/false)."""
    if not os.access(executable, os.X_OK):
        return f"browser not found at {executable}"
    try:
        answer = subprocess.run([executable, "--version"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"browser at {executable} does not start ({type(error).__name__})"
    if answer.returncode != 0:
        return f"browser at {executable} does not start (exit status {answer.returncode})"
    return None


async def close_page(page: Any) -> None:
    if page is not None:
        await page.close()
        await page.context.close()

"""What the browser may load: the map needs its HTML and scripts, nothing heavy."""

from __future__ import annotations

from typing import Any

_HEAVY = frozenset({"image", "media", "font", "stylesheet"})


def abort_heavy_resources(request: Any) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST`` predicate: images, media, fonts and styles
    are not fetched, which keeps the browser light and the site unbothered."""
    return request.resource_type in _HEAVY

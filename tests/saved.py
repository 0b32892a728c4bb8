"""Saved pages (``tests/pages/<name>/``) as Scrapy responses built from their raw
bytes and headers, so that encoding detection runs as in a crawl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse, Request

PAGES = Path(__file__).parent / "pages"


def saved_response(name: str, url: str | None = None) -> HtmlResponse:
    folder = PAGES / name
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    body = (folder / meta.get("page", "page.html")).read_bytes()
    target = url or meta["url"]
    return HtmlResponse(url=target, body=body, headers=meta["headers"], request=Request(target))


def expected(name: str) -> dict[str, Any]:
    return json.loads((PAGES / name / "expected.json").read_text("utf-8"))


def saved_pages(prefix: str) -> list[str]:
    return sorted(p.name for p in PAGES.iterdir() if p.name.startswith(prefix) and (p / "expected.json").exists())


def html_response(
    body: str, url: str = "https://atlas.test/cncdext/dyn/public/atlas/detailProjet.html?criteres.prjId=1"
) -> HtmlResponse:
    """A response for a markup snippet written in a test."""
    return HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8")

"""Saved pages (``tests/pages/<name>/``) as Scrapy responses built from their raw
bytes and headers, so that encoding detection runs as in a crawl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from atlas_crawler import settings as project_settings
from atlas_crawler.spiders.atlas import AtlasSpider

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


def project_crawler(**overrides: Any):
    """A crawler with the project's own settings (plus ``overrides``), its spider made."""
    values = {k: getattr(project_settings, k) for k in dir(project_settings) if k.isupper()}
    crawler = get_crawler(AtlasSpider, {**values, **overrides})
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    return crawler

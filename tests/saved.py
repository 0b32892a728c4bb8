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
#: What the walk must make of a saved page that gives no record (a list, a menu, the
#: map), beside it; ``expected.json`` is a record's (tests/pages/capture_navigation.py).
WALK = "walk.json"


def saved_response(name: str, url: str | None = None) -> HtmlResponse:
    folder = PAGES / name
    meta = _meta(name)
    body = (folder / meta.get("page", "page.html")).read_bytes()
    target = url or meta["url"]
    return HtmlResponse(url=target, body=body, headers=meta["headers"], request=Request(target))


def _meta(name: str) -> dict[str, Any]:
    return json.loads((PAGES / name / "meta.json").read_text("utf-8"))


def expected(name: str) -> dict[str, Any]:
    """The page's expected record (``meta["expected"]`` may point at one kept
    elsewhere, such as the seed's, which the replica serves too), sans ``crawled_at``."""
    record = json.loads((PAGES / name / _meta(name).get("expected", "expected.json")).read_text("utf-8"))
    record.pop("crawled_at", None)
    return record


def saved_pages(prefix: str) -> list[str]:
    return sorted(
        p.name
        for p in PAGES.iterdir()
        if p.name.startswith(prefix) and (p / _meta(p.name).get("expected", "expected.json")).exists()
    )


def saved_pages_of(*prefixes: str) -> list[str]:
    """``saved_pages`` of several prefixes (``"project", "collectivity"``), in one sorted list."""
    return sorted({name for prefix in prefixes for name in saved_pages(prefix)})


def walked_pages(*prefixes: str) -> list[str]:
    """The saved pages without records (``"list", "menu", "map"``) that say what the walk makes of them."""
    return sorted(p.name for p in PAGES.iterdir() if p.name.startswith(prefixes) and (p / WALK).exists())


def walk(name: str) -> dict[str, Any]:
    """What the walk must make of the saved page ``name`` (its ``walk.json``)."""
    return json.loads((PAGES / name / WALK).read_text("utf-8"))


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

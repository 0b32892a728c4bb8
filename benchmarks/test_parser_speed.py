"""Parser micro-benchmark (``make bench``): project pages parsed by the item
loaders against a bare lxml parse of the same pages (the floor)."""

from __future__ import annotations

import pytest
from lxml import html
from scrapy.http import HtmlResponse

from atlas_crawler.pages.project import parse_project
from atlas_crawler.replica import templates
from atlas_crawler.replica.world import World

pytestmark = pytest.mark.bench
HEADERS = {"Content-Type": "text/html;charset=UTF-8"}


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, bytes]]:
    """200 project pages of the replica, every markup family, as served."""
    world = World(300, seed=1)
    projects = [p for p in sorted(world.projects.values(), key=lambda p: p.id) if not p.seed][:200]
    return [
        (
            f"http://127.0.0.1/cncdext/dyn/public/atlas/detailProjet.html?criteres.prjId={p.id}",
            templates.project(templates.Ctx(), world, p, 1, "UTF-8").encode(),
        )
        for p in projects
    ]


def test_bare_lxml_parse(benchmark, pages) -> None:
    benchmark.group = "project page"
    benchmark(lambda: [html.fromstring(body) for _, body in pages])


def test_item_loader_parse(benchmark, pages) -> None:
    benchmark.group = "project page"
    records = benchmark(
        lambda: [parse_project(HtmlResponse(url, body=body, headers=HEADERS)).item for url, body in pages]
    )
    assert all(r["title"] for r in records)

"""Golden tests through the page-type dispatch a crawl uses (``registry.parse``,
called by the spider's ``parse``): every saved page (``tests/pages/*``) is
recognised as its type and gives the record stored beside it; the pages that give
no record (a list, a menu, the world map) lead the walk where the replica's world
says they must."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from scrapy import Request

from atlas_crawler import signals, stats
from atlas_crawler.items import DOUBTS
from atlas_crawler.pages import registry
from atlas_crawler.pages.common import links
from atlas_crawler.spiders.atlas import AtlasSpider
from tests.saved import PAGES, WALK, expected, project_crawler, saved_pages_of, saved_response, walk, walked_pages

CRAWLED_AT = "2026-11-26T04:00:00Z"
RECORD_PAGES = saved_pages_of("project", "handwritten", "collectivity")
SINGLE_PAGE_RECORDS = [name for name in RECORD_PAGES if name != "project-multipage-themes"]
LISTS = walked_pages("list")
NAVIGATION_PAGES = walked_pages("list", "menu", "map")


# --- record pages ------------------------------------------------------------------------
@pytest.mark.parametrize("name", SINGLE_PAGE_RECORDS)
def test_a_record_page_is_recognised_and_gives_its_expected_record(name: str) -> None:
    want = expected(name)
    page_type, assembly = registry.parse(saved_response(name), crawled_at=CRAWLED_AT)
    assert page_type.name == want["type"]
    assert page_type.gives_records
    assert assembly.complete and assembly.next_page() is None
    record = dict(assembly.item)
    assert record.pop("crawled_at") == CRAWLED_AT
    assert record.pop(DOUBTS) == []
    assert record == want


def test_a_record_on_three_pages_is_assembled_through_the_dispatch() -> None:
    """Page 1 starts the record, asks for page 2 of its themes table, then page 3."""
    name = "project-multipage-themes"
    first = saved_response(name)
    page_type, assembly = registry.parse(first, crawled_at=CRAWLED_AT)
    assert page_type is registry.PROJECT
    assert not assembly.complete
    assert assembly.next_page() == ("other_themes", f"{first.url}&d-1342871-p=2")

    asked: list[str] = []

    def fetch(url: str):
        asked.append(url)
        n = url.rsplit("=", 1)[1]
        return saved_response(f"{name}/page{n}", url=url)

    [(item, missing)] = list(registry.records_from_responses(first, fetch, crawled_at=CRAWLED_AT))
    assert asked == [f"{first.url}&d-1342871-p=2", f"{first.url}&d-1342871-p=3"]
    assert missing == []
    record = dict(item)
    assert record.pop("crawled_at") == CRAWLED_AT
    assert record.pop(DOUBTS) == []
    assert record == expected(name)


def test_a_missing_table_page_is_named_and_the_record_kept() -> None:
    first = saved_response("project-multipage-themes")
    [(item, missing)] = list(registry.records_from_responses(first, lambda url: None, crawled_at=CRAWLED_AT))
    assert missing == [f"{first.url}&d-1342871-p=2"]
    assert len(item["other_themes"]) < len(expected("project-multipage-themes")["other_themes"])


@pytest.mark.parametrize("name", SINGLE_PAGE_RECORDS)
def test_the_spider_writes_the_record_the_dispatch_gives(name: str) -> None:
    """Through the spider's ``parse`` (what a crawl calls): the same record, and the
    page counted under its type."""
    crawler = project_crawler()
    output = list(crawler.spider.parse(saved_response(name)))
    items = [o for o in output if not isinstance(o, Request)]
    assert len(items) == 1
    record = dict(items[0])
    record.pop("crawled_at")
    assert record.pop(DOUBTS) == []
    assert record == expected(name)
    assert crawler.stats.get_value(stats.page_type(expected(name)["type"])) == 1


# --- pages without records -----------------------------------------------------------------
def _walk(name: str) -> tuple[registry.PageType, list[str], list[Any], list[dict[str, Any]], Any]:
    """A saved page through the spider's ``parse``: the page type the dispatch gave,
    the URLs of the requests the walk makes, the items, the lists it announced."""
    crawler = project_crawler()
    spider: AtlasSpider = crawler.spider
    announced: list[dict[str, Any]] = []

    def on_list(**kwargs: Any) -> None:  # receivers are weakly held: keep a name
        announced.append(kwargs)

    crawler.signals.connect(on_list, signal=signals.list_page_parsed)
    response = saved_response(name)
    page_type, assembly = registry.parse(response, crawled_at=CRAWLED_AT)
    assert assembly is None
    output = list(spider.parse(response))
    requests = [o for o in output if isinstance(o, Request)]
    assert all(r.callback == spider.parse for r in requests)
    assert crawler.stats.get_value(stats.page_type(page_type.name)) == 1
    return page_type, [r.url for r in requests], [o for o in output if not isinstance(o, Request)], announced, response


@pytest.mark.parametrize("name", NAVIGATION_PAGES)
def test_a_page_without_record_is_recognised_by_its_type(name: str) -> None:
    page_type, _, items, _, _ = _walk(name)
    assert page_type.name == walk(name)["page_type"]
    assert not page_type.gives_records
    assert items == []


@pytest.mark.parametrize("name", LISTS)
def test_a_list_announces_its_count_lists_its_ids_and_leads_to_its_next_page(name: str) -> None:
    want = walk(name)
    page_type, followed, _, announced, _ = _walk(name)
    assert page_type is registry.LIST
    [parsed] = announced
    assert parsed["list_url"] == want["list_url"]
    assert parsed["announced"] == want["announced"]
    assert parsed["kind"] == want["kind"]
    assert sorted(parsed["ids"], key=int) == sorted(want["ids"], key=int)
    pager = [u for u in followed if pager_page(u)]
    if want["next_page"] is None:
        assert pager == []
    else:
        assert want["next_page"] in followed
        assert min(pager, key=pager_page) == want["next_page"]
    # every row leads to its record page, under its canonical address
    record_pages = {u for u in followed if "?" in u and not pager_page(u) and u != want["list_url"]}
    assert len(record_pages) == len(want["ids"])


def pager_page(url: str) -> int:
    """The list page number a pager link asks for (0: not a pager link)."""
    match = re.search(r"[?&]d-\d+-p=(\d+)", url)
    return int(match.group(1)) if match else 0


def test_the_menu_leads_to_every_atlas_page_it_links_and_to_nothing_else() -> None:
    want = walk("menu-home")
    page_type, followed, _, announced, response = _walk("menu-home")
    assert page_type is registry.MENU
    assert announced == []
    assert set(followed) == set(want["links_followed"])
    assert not set(followed) & set(want["links_not_followed"])
    assert set(want["links_not_followed"]) <= set(links(response))  # on the page, not followed


def test_the_world_map_holds_its_countries_in_its_script_only() -> None:
    """The static page links to no country: the country links exist only once the
    map's script has run (the crawl renders it in a browser with ``entry=map``)."""
    want = walk("map-world")
    page_type, followed, _, _, response = _walk("map-world")
    assert page_type is registry.WORLD_MAP
    assert set(followed) == set(want["links_followed"])
    assert not [u for u in links(response) if "codePays" in u]
    script = " ".join(response.xpath("//script/text()").getall())
    countries = json.loads(re.search(r"var PAYS = (\[.*?\]);", script).group(1))
    assert [c["code"] for c in countries] == want["script_countries"]
    assert "listeProjetsPays.html" in script  # where the script sends each country


def test_every_saved_page_has_a_golden_test() -> None:
    """A page saved under ``tests/pages`` with what it must give (a record, or what the
    walk makes of it: ``walk.json``) is read above."""
    saved = {p.name for p in PAGES.iterdir() if (p / "meta.json").exists()}
    assert not [name for name in NAVIGATION_PAGES if (PAGES / name / "expected.json").exists()]
    assert all((PAGES / name / WALK).exists() for name in NAVIGATION_PAGES)
    assert saved == set(RECORD_PAGES) | set(NAVIGATION_PAGES)
    assert len(NAVIGATION_PAGES) >= 3 and LISTS

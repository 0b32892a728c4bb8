"""Pages nested deeper than Python's recursion limit are read right; pages
nested as deep as the HTML parser (libxml2) reads fail with a clear reason,
never as a partial record. Pages from the replica's templates, with
thousands of nested or unclosed elements around or inside their content."""

from __future__ import annotations

import json
from typing import Any

import pytest
from itemadapter import ItemAdapter
from scrapy.http import HtmlResponse

from atlas_crawler.extract.boxes import image_state
from atlas_crawler.extract.flow import Flow, TooDeepError, parser_depth_limit
from atlas_crawler.extract.text import node_text
from atlas_crawler.items import DOUBTS
from atlas_crawler.pages import registry
from atlas_crawler.replica import templates
from atlas_crawler.replica.world import World

BASE = "http://atlas.test/cncdext/dyn/public/atlas/"
WORLD = World(10, seed=2)
TRUTH = {(r["type"], r["id"]): r for r in WORLD.truth(BASE)["records"]}
#: A project whose record is whole on its page (no further table page) and that has a foreign partner.
PROJECT = next(
    p
    for p in sorted(WORLD.projects.values(), key=lambda p: p.id)
    if not p.seed and p.foreign and len(p.data["other_themes"]) <= templates.THEME_ROWS
)
FOREIGN = PROJECT.foreign[0]


def _in_table_cell(page: str, open_: str, close: str) -> str:
    """Around the content of the first cell of the page's first data table (a table
    is read apart from the page's flow)."""
    start = page.index("<td>", page.index('<table class="liste"')) + len("<td>")
    end = page.index("</td>", start)
    return page[:start] + open_ + page[start:end] + close + page[end:]


#: Where the extra elements go: around everything (after ``<body>``, closed before
#: ``</body>``), inside the content, opened after ``<body>`` and never closed, or in a table cell.
PLACES = {
    "around": lambda page, open_, close: page.replace("<body>", "<body>" + open_, 1).replace(
        "</body>", close + "</body>", 1
    ),
    "inside": lambda page, open_, close: page.replace('<div id="contenu">', '<div id="contenu">' + open_, 1).replace(
        '<div id="piedDePage">', close + '<div id="piedDePage">', 1
    ),
    "unclosed": lambda page, open_, _close: page.replace("<body>", "<body>" + open_, 1),
    "in a table cell": _in_table_cell,
}

TAGS = {"div": ("<div>", "</div>"), "span": ("<span>", "</span>"), "div+span": ("<div><span>", "</span></div>")}


def nested(page: str, place: str, tag: str, depth: int) -> str:
    open_, close = TAGS[tag]
    count = depth // open_.count("<")
    return PLACES[place](page, open_ * count, close * count)


def project_page() -> tuple[str, str]:
    return templates.project(templates.Ctx(), WORLD, PROJECT, 1, "UTF-8") or "", (
        f"{BASE}detailProjet.html?criteres.prjId={PROJECT.id}"
    )


def foreign_page() -> tuple[str, str]:
    return templates.collectivity(templates.Ctx(), WORLD, FOREIGN), (
        f"{BASE}detailCollectiviteEtrangere.html?idCollectivite={FOREIGN.id}"
    )


def record(html: str, url: str) -> dict[str, Any]:
    _page_type, assembly = registry.parse(HtmlResponse(url=url, body=html.encode(), encoding="utf-8"), crawled_at="t")
    assert assembly is not None
    item = ItemAdapter(assembly.item).asdict()
    item.pop("crawled_at")
    item.pop(DOUBTS)
    return item


def truth(type_: str, id_: int) -> dict[str, Any]:
    expected = json.loads(json.dumps(TRUTH[(type_, str(id_))]))
    expected.pop("crawled_at", None)
    return expected


def test_the_parser_depth_limit_is_measured() -> None:
    """libxml2 2.14 (lxml 6.1) builds 2,048 levels with parsel's options; deeper
    than Python's recursion limit, so no walk of the tree may recurse."""
    assert parser_depth_limit() == 2048


@pytest.mark.parametrize("tag", TAGS)
@pytest.mark.parametrize("place", PLACES)
def test_a_page_deeper_than_recursion_allows_is_read_right(place: str, tag: str) -> None:
    html, url = project_page()
    assert record(nested(html, place, tag, 1900), url) == truth("project", PROJECT.id)


@pytest.mark.parametrize("place", PLACES)
def test_a_collectivity_page_deeper_than_recursion_allows_is_read_right(place: str) -> None:
    html, url = foreign_page()
    assert record(nested(html, place, "div", 1900), url) == truth("collectivity", FOREIGN.id)


@pytest.mark.parametrize("tag", TAGS)
@pytest.mark.parametrize("place", PLACES)
def test_a_page_as_deep_as_the_parser_reads_fails_clearly(place: str, tag: str) -> None:
    """3,000 levels: libxml2 stops at 2,048 and drops the rest of the page; what
    is left (a title, some fields, or nothing) must not become a record."""
    html, url = project_page()
    with pytest.raises(TooDeepError, match=r"^page not read: its elements nest 2048 levels deep, as deep as the HTML"):
        record(nested(html, place, tag, 3000), url)


def test_a_collectivity_page_as_deep_as_the_parser_reads_fails_clearly() -> None:
    html, url = foreign_page()
    with pytest.raises(TooDeepError):
        record(nested(html, "inside", "div", 3000), url)


def test_text_and_flow_of_a_deep_element() -> None:
    """The two tree walks, beside the parse: same text as a shallow twin's."""
    deep = HtmlResponse(url=BASE, body=(b"<html><body>" + b"<div>" * 1900 + b"a<br>b</body></html>"), encoding="utf-8")
    flow = Flow(deep.selector.root)
    assert flow.text(range(len(flow))).strip() == "a\nb"
    assert node_text(deep.selector.root.find("body")).strip() == "a\nb"


def test_a_box_image_named_with_thousands_of_glued_words() -> None:
    """A box's name is cut into known words without recursion (``nonnon…cochee``)."""
    img = HtmlResponse(url=BASE, body=b'<img src="x.gif" alt="' + b"non" * 3000 + b'case">', encoding="utf-8")
    assert image_state(img.selector.root.find(".//img")) is False

"""Numbers as the atlas writes them: a dot between thousands, a comma before the
cents (``1.000``, ``12.500,50 €``), read wherever the crawl reads a number: the
value parser (``extract/values.py``), the loaders' amount fields
(``pages/loaders.py``), a whole project page through the dispatch, and the count a
list announces (``pages/common.announced_count``, sent with each list page)."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy.http import HtmlResponse

from atlas_crawler import signals
from atlas_crawler.extract.values import parse_number
from atlas_crawler.items import DOUBTS
from atlas_crawler.pages import registry
from atlas_crawler.pages.common import announced_count
from atlas_crawler.pages.loaders import ProjectLoader, amount
from tests.saved import expected, html_response, project_crawler, saved_response

DOTTED = [
    ("1.000", 1000),
    ("1.234.567", 1234567),
    ("12.500,50", 12500.5),
    ("12.500,50 €", 12500.5),
    ("12.500,50\u00a0€", 12500.5),
    ("1.000 €", 1000),
    ("1.000,00", 1000),
    ("1.000.000,00 EUR", 1000000),
    ("-1.000", -1000),
]


@pytest.mark.parametrize(("text", "number"), DOTTED)
def test_the_value_parser_reads_dotted_thousands(text: str, number: float) -> None:
    result = parse_number(text)
    assert result == number
    assert type(result) is type(number)  # whole amounts stay integers


@pytest.mark.parametrize(("text", "number"), DOTTED)
def test_the_amount_fields_read_dotted_thousands(text: str, number: float) -> None:
    assert amount(text) == number
    assert amount(f"  {text}\n") == number  # as a cell's text comes, spaces and all


def test_a_funding_row_with_dotted_amounts_loads_them() -> None:
    loader = ProjectLoader()
    loader.add_value(
        "funding",
        {
            "funder": "Région",
            "amount_eur": "12.500,50 €",
            "one_percent_amounts_eur": ["1.000", "1.234.567"],
            "year": "2012",
        },
    )
    item = loader.load_item()
    assert item["funding"] == [
        {"funder": "Région", "amount_eur": 12500.5, "one_percent_amounts_eur": [1000, 1234567], "year": 2012}
    ]
    assert "unreadable" not in item["extra"]


def test_a_project_page_with_dotted_amounts_gives_them_through_the_dispatch() -> None:
    """A saved project page whose funding row is written with dots and commas."""
    saved = saved_response("project-div-utf-8")
    row = "<td>Autre</td><td></td><td></td><td></td><td>781,00</td><td>1999</td>"
    assert row.encode() in saved.body
    dotted = "<td>Autre</td><td>12.500,50 €</td><td>1.000</td><td></td><td>1.234.567</td><td>1999</td>"
    response = saved.replace(body=saved.body.replace(row.encode(), dotted.encode()))
    page_type, assembly = registry.parse(response, crawled_at="2026-11-26T04:00:00Z")
    assert page_type is registry.PROJECT
    record = dict(assembly.item)
    assert record["funding"] == [
        {"funder": "Autre", "amount_eur": 12500.5, "one_percent_amounts_eur": [1000, None, 1234567], "year": 1999}
    ]
    assert record[DOUBTS] == []
    assert "unreadable" not in record["extra"]
    want = expected("project-div-utf-8")
    assert {k: v for k, v in record.items() if k not in ("funding", "crawled_at", DOUBTS)} == {
        k: v for k, v in want.items() if k != "funding"
    }


@pytest.mark.parametrize(
    ("banner", "count"),
    [
        ("1.000 projets trouvés", 1000),
        ("1.000 projet(s) trouvé(s)", 1000),
        ("1.234.567 projets trouvés", 1234567),
        ("12.500 collectivité(s) trouvée(s)", 12500),
        ("1.000 projets trouvés, affichage de 1 à 20.", 1000),
        ("Résultats 1 - 20 sur 1.000 projets trouvés", 1000),
    ],
)
def test_a_list_announces_a_dotted_count(banner: str, count: int) -> None:
    assert announced_count(html_response(f"<html><body><p>{banner}</p></body></html>")) == count


def _list_with_banner(banner: str) -> HtmlResponse:
    """The saved list of Senegal's projects (50 of them) announcing another count."""
    saved = saved_response("list-country-projects")
    original = "50 projet(s) trouvé(s)".encode()
    assert original in saved.body
    return saved.replace(body=saved.body.replace(original, banner.encode()))


@pytest.mark.parametrize(
    ("banner", "count"), [("1.000 projet(s) trouvé(s)", 1000), ("1.234.567 projets trouvés", 1234567)]
)
def test_a_list_page_sends_its_dotted_count_to_the_run(banner: str, count: int) -> None:
    """What the spider sends for the list checks (and the progress line's estimate)."""
    crawler = project_crawler()
    sent: list[dict[str, Any]] = []

    def on_list(**kwargs: Any) -> None:
        sent.append(kwargs)

    crawler.signals.connect(on_list, signal=signals.list_page_parsed)
    response = _list_with_banner(banner)
    assert registry.classify(response) is registry.LIST
    list(crawler.spider.parse(response))
    assert [s["announced"] for s in sent] == [count]
    assert len(sent[0]["ids"]) == 20


@pytest.mark.parametrize(
    ("markup", "count"),
    [
        ("<h2>Arrondissement 12</h2><p>3 projets trouvés</p>", 3),  # read as 123
        ("<p>Page 2</p><p>1.000 projets trouvés</p>", 1000),  # read as 21000
    ],
)
def test_a_number_before_the_banner_is_not_part_of_the_count(markup: str, count: int) -> None:
    assert announced_count(html_response(f"<html><body>{markup}</body></html>")) == count

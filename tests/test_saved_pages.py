"""Every saved page gives exactly its expected record (all but ``crawled_at``)."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from atlas_crawler.items import DOUBTS
from atlas_crawler.output.pipelines import load_schema
from atlas_crawler.pages.collectivity import parse_collectivity
from atlas_crawler.pages.project import parse_project
from tests.saved import expected, saved_pages, saved_response

SINGLE_PAGE_PROJECTS = [n for n in saved_pages("project") if n != "project-multipage-themes"]
HANDWRITTEN = saved_pages("handwritten")


def _record(item) -> dict:
    """The record a saved page gives, which must explain its whole page (no doubt)."""
    record = dict(item)
    assert record.pop("crawled_at").endswith("Z")
    assert record.pop(DOUBTS) == []
    return record


@pytest.mark.parametrize("name", SINGLE_PAGE_PROJECTS + HANDWRITTEN)
def test_project_page_gives_its_expected_record(name: str) -> None:
    page = parse_project(saved_response(name))
    assert _record(page.item) == expected(name)
    assert page.next_pages == {}


@pytest.mark.parametrize("name", saved_pages("collectivity"))
def test_collectivity_page_gives_its_expected_record(name: str) -> None:
    assert _record(parse_collectivity(saved_response(name))) == expected(name)


def test_seed_page_is_the_published_record() -> None:
    """The one real page we have: detailProjet.html?criteres.prjId=2431."""
    item = parse_project(saved_response("project-2431-seed")).item
    assert (
        item["url"]
        == "https://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/detailProjet.html?criteres.prjId=2431"
    )
    assert item["funding"][0]["one_percent_amounts_eur"] == [0, None, None]
    assert item["embassy"]["contacts"][0]["email"] == "sherazade.benalla@diplomatie.gouv.fr"


def test_windows_1252_pages_keep_their_characters() -> None:
    for name in ("project-table-cp1252-header", "project-dl-cp1252-meta", "project-mixed-cp1252-latin1"):
        response = saved_response(name)
        assert response.encoding == "cp1252", name
    item = parse_project(saved_response("handwritten-en-cours")).item
    assert item["title"] == "Jumelage Thiès – Ville-Œuvres : l’eau d’abord"
    assert item["sub_theme"] == "Accès à l'eau potable"


@pytest.mark.parametrize("name", SINGLE_PAGE_PROJECTS + HANDWRITTEN + saved_pages("collectivity"))
def test_saved_records_validate_against_the_schema(name: str) -> None:
    response = saved_response(name)
    item = parse_project(response).item if "detailProjet" in response.url else parse_collectivity(response)
    kind = "project" if "detailProjet" in response.url else "collectivity"
    record = {k: v for k, v in item.items() if k != DOUBTS}
    errors = [e.message for e in Draft202012Validator(load_schema(kind)).iter_errors(record)]
    assert errors == []

"""One record, one id, one spelling: a project linked as ``prjId=1005`` and as
``prjId=01005`` is one record, fetched once, its ``id`` and ``url`` the same
whichever link led to it; an id that is not ASCII digits (``١٠٠٥``, ``１００５``)
is no record's: its link is not followed (the trap limits stop it with the rule
``id_form``), never read as another record's number."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.utils.misc import build_from_crawler

from atlas_crawler.crawl.fingerprint import CanonicalRequestFingerprinter
from atlas_crawler.crawl.limits import Seen, TrapLimitsMiddleware
from atlas_crawler.pages import registry
from atlas_crawler.records import record_key
from tests.saved import html_response, project_crawler, saved_response

BASE = "https://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/"
PROJECT = BASE + "detailProjet.html?criteres.prjId="
FOREIGN = BASE + "detailCollectiviteEtrangere.html?idCollectivite="
FRENCH = BASE + "detailCollectiviteFrancaise.html?idCollectivite="
#: The same record spelled as links may spell it.
SPELLINGS = [
    (PROJECT, "2431", ["2431", "02431", "0002431"]),
    (FOREIGN, "31752", ["31752", "031752"]),
    (FRENCH, "912", ["912", "0912", "00912"]),
]
NOT_IDS = ["١٠٠٥", "۱۰۰۵", "１００５", "1005³", "-1005", "1005a"]


@pytest.mark.parametrize(("address", "spelled", "written"), SPELLINGS)
def test_every_reader_of_an_address_gives_the_one_id(address: str, spelled: str, written: list[str]) -> None:
    kind = registry.record_of_url(address + spelled)
    for raw in written:
        url = address + raw
        assert registry.record_of_url(url) == kind == (kind[0], spelled)
        page_type = registry.expected_type(url)
        assert page_type is not None and page_type.record_id(url) == spelled
        assert page_type.canonical_url(url) == address + spelled
    assert registry.type_of_url(PROJECT + "02431") is registry.PROJECT
    assert registry.type_of_url(PROJECT + "02431&d-1342871-p=2") is registry.PROJECT_TABLE_PAGE


@pytest.mark.parametrize(
    ("name", "address", "spelled", "written"),
    [
        ("project-2431-seed", *SPELLINGS[0]),
        ("collectivity-foreign", *SPELLINGS[1]),
        ("collectivity-french", *SPELLINGS[2]),
    ],
)
def test_a_record_read_at_any_spelling_of_its_address_is_the_same_record(
    name: str, address: str, spelled: str, written: list[str]
) -> None:
    """Its ``id`` and ``url`` come from the address (the page does not show its id),
    in their one spelling: one key, so one record whichever link was followed."""
    records = []
    for raw in written:
        _, assembly = registry.parse(saved_response(name, url=address + raw), crawled_at="t")
        records.append(dict(assembly.item))
    assert all(r == records[0] for r in records)
    assert records[0]["id"] == spelled and records[0]["url"] == address + spelled
    assert len({record_key(r) for r in records}) == 1


def test_the_spider_asks_for_a_record_once_whichever_spelling_a_link_has() -> None:
    crawler = project_crawler(ATLAS_BASE_URL=BASE)
    page = html_response(
        "".join(
            f'<a href="{href}">x</a>'
            for href in (
                "detailProjet.html?criteres.prjId=1005",
                "detailProjet.html?criteres.prjId=01005&origine=pays",
                "detailProjet.html;jsessionid=AB?criteres.prjId=001005",
                "detailCollectiviteFrancaise.html?idCollectivite=0912",
                "detailCollectiviteFrancaise.html?idCollectivite=912",
            )
        ),
        BASE + "accesAtlas.html",
    )
    requests = list(crawler.spider.parse(page))
    assert {r.url for r in requests} == {PROJECT + "1005", FRENCH + "912"}
    # and the duplicate filter's fingerprints, whatever spelling reaches it, are one
    fingerprint = build_from_crawler(CanonicalRequestFingerprinter, crawler).fingerprint
    assert len({fingerprint(Request(PROJECT + raw)) for raw in ("1005", "01005", "0001005")}) == 1


def test_a_collectivitys_projects_and_a_projects_partners_hold_ids_in_their_one_spelling() -> None:
    collectivity = html_response(
        "<dl><dt>Nom</dt><dd>Commune de Kayes</dd><dt>Pays</dt><dd>Mali</dd></dl>"
        "<table><caption>Projets de la collectivité</caption><tr><th>Titre du projet</th><th></th></tr>"
        "<tr><td>Eau</td><td><a href='detailProjet.html?criteres.prjId=0004'>voir</a></td></tr>"
        "<tr><td>Eau</td><td><a href='detailProjet.html?criteres.prjId=4'>voir</a></td></tr>"
        "<tr><td>Santé</td><td><a href='detailProjet.html?criteres.prjId=١٢'>voir</a></td></tr></table>",
        FOREIGN + "031752",
    )
    _, assembly = registry.parse(collectivity)
    assert assembly.item["id"] == "31752" and assembly.item["project_ids"] == ["4"]
    project = html_response(
        "<dl><dt>Titre</dt><dd>Eau potable</dd></dl>"
        "<table><caption>Partenaires étrangers</caption><tr><th>Nom</th><th>Pays</th></tr>"
        "<tr><td><a href='detailCollectiviteEtrangere.html?idCollectivite=031752'>Kayes</a></td><td>Mali</td></tr>"
        "</table>",
        PROJECT + "04",
    )
    _, assembly = registry.parse(project)
    assert assembly.item["id"] == "4"
    [partner] = assembly.item["foreign_partners"]
    assert (partner["id"], partner["url"]) == ("31752", FOREIGN + "31752")


@pytest.mark.parametrize("raw", NOT_IDS)
@pytest.mark.parametrize("address", [PROJECT, FOREIGN, FRENCH], ids=["project", "foreign", "french"])
def test_an_id_that_is_not_ascii_digits_is_no_record_and_its_link_is_stopped(address: str, raw: str) -> None:
    """No record type claims the address (it is not read as 1005), and the trap
    limits stop its request with a rule of their own: skipped, with the rule, not
    fetched to be read as whatever page the server makes of it."""
    url = address + raw
    assert registry.record_of_url(url) is None and registry.expected_type(url) is None
    crawler = project_crawler(ATLAS_BASE_URL=BASE)
    request = crawler.spider.request(url)
    stop = TrapLimitsMiddleware.from_crawler(crawler).check(request, Seen(None))
    assert stop is not None and stop.limit == "id_form"
    assert "not ASCII digits" in stop.message and raw in stop.message


def test_ids_in_range_whatever_their_zeros_are_followed_and_out_of_range_ones_stopped() -> None:
    crawler = project_crawler(ATLAS_BASE_URL=BASE)
    middleware = TrapLimitsMiddleware.from_crawler(crawler)
    assert middleware.check(Request(PROJECT + "0001005"), Seen(None)) is None
    assert middleware.check(Request(PROJECT + "0"), Seen(None)).limit == "id_range"
    assert middleware.check(Request(PROJECT + "000"), Seen(None)).limit == "id_range"
    assert middleware.check(Request(BASE + "listePays.html?criteres.prjId="), Seen(None)) is None

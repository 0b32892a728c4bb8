"""The walk: which link leads where, pagination windows, the in-page table merge,
failures reported by URL. Callbacks run on saved and built responses."""

from __future__ import annotations

import pytest
from scrapy import Request
from twisted.python.failure import Failure

from atlas_crawler import signals
from atlas_crawler.crawl.softerrors import SoftError
from atlas_crawler.items import DOUBTS, ProjectItem
from atlas_crawler.pages.common import announced_count
from atlas_crawler.replica.templates import Ctx, pagination
from atlas_crawler.spiders.atlas import AtlasSpider
from tests.saved import expected, html_response, project_crawler, saved_response

BASE = "https://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/"


@pytest.fixture
def spider() -> AtlasSpider:
    return project_crawler(ATLAS_BASE_URL=BASE).spider


def test_multi_page_other_themes_make_one_record(spider: AtlasSpider) -> None:
    """Pages 2 and 3 of 'Autres thématiques' join page 1's record; nothing is
    yielded before the last page, and the extra pages are not new projects."""
    first = list(spider.parse(saved_response("project-multipage-themes")))
    assert not [o for o in first if isinstance(o, ProjectItem)]
    table_requests = [r for r in first if isinstance(r, Request) and r.callback == spider.parse_table_page]
    assert [r.url for r in table_requests] == [BASE + "detailProjet.html?criteres.prjId=1016&d-1342871-p=2"]
    second = list(spider.parse_table_page(_reply(table_requests[0], "page2"), **table_requests[0].cb_kwargs))
    assert len(second) == 1
    assert second[0].url == BASE + "detailProjet.html?criteres.prjId=1016&d-1342871-p=3"
    third = list(spider.parse_table_page(_reply(second[0], "page3"), **second[0].cb_kwargs))
    record = dict(third[0])
    record.pop("crawled_at")
    assert record.pop(DOUBTS) == []
    assert record == expected("project-multipage-themes")
    assert len(record["other_themes"]) == 14


def _reply(request: Request, page: str):
    response = saved_response(f"project-multipage-themes/{page}", url=request.url)
    response.request.meta.update(request.meta)
    return response.replace(request=request)


def test_links_lead_to_one_canonical_request_each(spider: AtlasSpider) -> None:
    def follow(url: str) -> list[str]:
        return [r.url for r in spider.follow_all([url])]

    assert follow(BASE + "detailProjet.html;jsessionid=AB?origine=pays&criteres.prjId=9") == [
        BASE + "detailProjet.html?criteres.prjId=9"
    ]
    # a link to a further page of a project's table is a link to the project
    assert follow(BASE + "detailProjet.html?criteres.prjId=9&d-1342871-p=2") == [
        BASE + "detailProjet.html?criteres.prjId=9"
    ]
    assert follow(BASE + "detailCollectiviteEtrangere.html?idCollectivite=3&origine=x") == [
        BASE + "detailCollectiviteEtrangere.html?idCollectivite=3"
    ]
    assert follow(BASE + "listeProjetsPays.html?d-4012-p=3&codePays=ML") == [
        BASE + "listeProjetsPays.html?codePays=ML&d-4012-p=3"
    ]
    assert follow(BASE + "accesAtlas.html") == [BASE + "accesAtlas.html"]
    assert follow("https://elsewhere.example/detailProjet.html?criteres.prjId=9") == []
    assert follow(BASE + "style/atlas.css") == []
    assert {r.callback for r in spider.follow_all([BASE + "a.html", BASE + "b.html?x=1"])} == {spider.parse}


@pytest.mark.parametrize(("current", "total"), [(1, 1), (1, 9), (5, 9), (9, 9), (14, 30)])
def test_pagination_windows_lead_to_every_page(spider: AtlasSpider, current: int, total: int) -> None:
    """From any page, the window and its arrows lead on; following them reaches every page."""
    seen, todo = set(), [current]
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        seen.add(page)
        html = pagination(Ctx("SESSION"), "listeProjetsPays.html", [("codePays", "ML")], "d-4012-p", page, total)
        response = html_response(
            f"<html><body><p>263 projet(s) trouvé(s)</p>{html}</body></html>",
            BASE + f"listeProjetsPays.html?codePays=ML&d-4012-p={page}",
        )
        for request in spider.parse(response):
            todo.append(int(dict(p.split("=") for p in request.url.split("?")[1].split("&")).get("d-4012-p", 1)))
    assert seen == set(range(1, total + 1))


def test_announced_counts() -> None:
    assert announced_count(html_response("<p>263 projet(s) trouvé(s)</p>")) == 263
    assert announced_count(html_response("<p>1\u00a0204 projet(s) trouvé(s)</p>")) == 1204
    assert announced_count(html_response("<p>12 collectivité(s) trouvée(s)</p>")) == 12
    assert announced_count(html_response("<p>Aucun</p>")) is None


def test_a_failed_page_is_reported_by_url(spider: AtlasSpider) -> None:
    reported = []

    def on_failure(url: str, reason: str) -> None:  # signal receivers are weakly held: keep a name
        reported.append((url, reason))

    spider.crawler.signals.connect(on_failure, signal=signals.page_failed)
    request = Request(BASE + "detailProjet.html?criteres.prjId=7")
    failure = Failure(SoftError("soft error: Erreur technique"))
    failure.request = request
    spider.failed(failure)
    table_page = Request(
        BASE + "detailProjet.html?criteres.prjId=8&d-1342871-p=2",
        meta={"record_url": BASE + "detailProjet.html?criteres.prjId=8"},
    )
    failure = Failure(SoftError("soft error: Erreur technique"))
    failure.request = table_page
    spider.failed(failure)
    assert reported == [
        (BASE + "detailProjet.html?criteres.prjId=7", "soft error: Erreur technique"),
        (BASE + "detailProjet.html?criteres.prjId=8", f"soft error: Erreur technique (table page {table_page.url})"),
    ]


def test_entry_is_checked() -> None:
    with pytest.raises(ValueError, match="entry"):
        AtlasSpider(entry="sitemap")

"""Golden tests through the page-type dispatch a crawl uses (``registry.parse``,
called by the spider's ``parse``): every saved page (``tests/pages/*``) is
recognised as its type and gives the record stored beside it; the pages that give
no record (a list, a menu, the world map) lead the walk where the replica's world
says they must."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from atlas_crawler import signals, stats, urls
from atlas_crawler.items import DOUBTS
from atlas_crawler.pages import registry
from atlas_crawler.pages.common import links
from atlas_crawler.pages.saved import NotParsableError, parse_file
from atlas_crawler.replica import templates
from atlas_crawler.replica.world import Project, World
from atlas_crawler.run.accounting import PageAccounting
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


# --- answers that are not the record page ----------------------------------------------------
NOT_THE_PAGE = PAGES / "not-the-page"
#: Saved answers a record's address may get instead of its page, and what each calls itself.
NOT_RECORD_PAGES = {
    "login": "Connexion",
    "session-expired": "Session expirée",
    "erreur-technique": "Erreur technique",
    "maintenance": "Opération de maintenance en cours",
}
BASE = "https://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/"
RECORD_ADDRESSES = {
    "project": BASE + "detailProjet.html?criteres.prjId=2431",
    "foreign collectivity": BASE + "detailCollectiviteEtrangere.html?idCollectivite=31752",
    "french collectivity": BASE + "detailCollectiviteFrancaise.html?idCollectivite=912",
}


def expected_page(what: str) -> str:
    """The record page a message names: its record type (the address says the kind)."""
    return what.rsplit(" ", 1)[-1]


def not_the_page(name: str, url: str, request: Request | None = None) -> HtmlResponse:
    """A saved answer that is no record page (``tests/pages/not-the-page``), or a
    real menu or list page (``menu-home``, ``list-country-projects``), at ``url``."""
    if name in NOT_RECORD_PAGES:
        body = (NOT_THE_PAGE / f"{name}.html").read_bytes()
        return HtmlResponse(url, body=body, encoding="utf-8", request=request or Request(url))
    return saved_response(name, url=url)


@pytest.mark.parametrize("what", RECORD_ADDRESSES)
@pytest.mark.parametrize("name", [*NOT_RECORD_PAGES, "menu-home", "list-country-projects"])
def test_an_answer_that_is_not_the_record_page_is_refused(name: str, what: str) -> None:
    """Whatever words it holds (the session page names a project's fields, the
    login form has a ``Pays`` field, the menu and the list link to the atlas):
    judged by the record page's own structure, none is the page its address
    announces. Nothing is read from it, no record, no menu, no list."""
    with pytest.raises(registry.NotTheRecordPage) as refused:
        registry.parse(not_the_page(name, RECORD_ADDRESSES[what]), crawled_at=CRAWLED_AT)
    message = str(refused.value)
    assert message.startswith(f"not a {expected_page(what)} page: «")
    if name in NOT_RECORD_PAGES:
        assert message == f"not a {expected_page(what)} page: «{NOT_RECORD_PAGES[name]}»"
    assert isinstance(refused.value, registry.NotADataPageError)  # what the offline parser refuses


@pytest.mark.parametrize("what", RECORD_ADDRESSES)
@pytest.mark.parametrize("name", [*NOT_RECORD_PAGES, "menu-home"])
def test_the_spider_fails_the_page_and_follows_none_of_its_links(name: str, what: str) -> None:
    """The exception leaves the spider's callback before any request: the spider
    fails the page with its message, and the login's or menu's links are not walked."""
    spider = project_crawler().spider
    output = spider.parse(not_the_page(name, RECORD_ADDRESSES[what]))
    with pytest.raises(registry.NotTheRecordPage, match=f"^not a {expected_page(what)} page"):
        next(output)


@pytest.mark.parametrize("what", RECORD_ADDRESSES)
def test_a_record_address_redirected_to_a_login_page_is_still_the_records_address(what: str) -> None:
    """The address asked for decides (``redirect_urls``): the login page at its own
    address would be a menu, the answer to a record's address is not the record."""
    login = BASE + "login.html?service=atlas"
    asked = Request(login, meta={"redirect_urls": [RECORD_ADDRESSES[what]]})
    with pytest.raises(registry.NotTheRecordPage, match=f"^not a {expected_page(what)} page: «Connexion»$"):
        registry.parse(not_the_page("login", login, request=asked))
    assert registry.parse(not_the_page("login", login)) == (registry.MENU, None)


def test_the_same_answers_are_pages_of_their_own_where_no_record_is_announced() -> None:
    """At an address that announces no record, a login or session page is a menu
    (its links followed as before), an error page a soft error."""
    assert registry.parse(not_the_page("session-expired", BASE + "accesAtlas.html"))[0] is registry.MENU
    with pytest.raises(registry.NotADataPageError) as soft:
        registry.parse(not_the_page("erreur-technique", BASE + "listePays.html"))
    assert not isinstance(soft.value, registry.NotTheRecordPage)


@pytest.mark.parametrize("what", RECORD_ADDRESSES)
@pytest.mark.parametrize("name", NOT_RECORD_PAGES)
def test_the_offline_parser_refuses_it_with_the_same_message(name: str, what: str) -> None:
    with pytest.raises(NotParsableError, match=f"^not a {expected_page(what)} page: «{NOT_RECORD_PAGES[name]}»$"):
        parse_file(NOT_THE_PAGE / f"{name}.html", RECORD_ADDRESSES[what])


def test_an_archive_re_parse_refuses_it_at_page_1_and_at_a_table_page() -> None:
    """``records_from_responses`` (offline and archive re-parse) raises as the crawl's
    parse does; a table page that is no project page names itself."""
    page1 = not_the_page("login", RECORD_ADDRESSES["project"])
    with pytest.raises(registry.NotTheRecordPage, match=r"^not a project page: «Connexion»$"):
        list(registry.records_from_responses(page1, lambda url: None))
    first = saved_response("project-multipage-themes")
    table_page = f"{first.url}&d-1342871-p=2"
    with pytest.raises(registry.NotTheRecordPage) as refused:
        list(registry.records_from_responses(first, lambda url: not_the_page("session-expired", url)))
    assert str(refused.value) == f"not a project page: «Session expirée» (table page {table_page})"


# --- a table page from another version of the record page ----------------------------------------
VARIANTS = ("div", "dl", "table", "mixed")


def _project_of(variant: str) -> tuple[World, Project]:
    """A replica project whose themes table has three pages, in one of the markups."""
    world = World(projects=30, seed=1)
    project = next(
        p
        for p in world.projects.values()
        if p.data.get("variant") == variant and 2 * templates.THEME_ROWS < len(p.data["other_themes"]) <= 15
    )
    return world, project


def _newer(project: Project, *, title: str | None = None, more_themes: int = 0) -> Project:
    """The same project a version later: another title, more themes."""
    data = copy.deepcopy(project.data)
    data["title"] = title or data["title"]
    data["other_themes"] += [dict(data["other_themes"][0]) for _ in range(more_themes)]
    return replace(project, data=data)


def _page(world: World, project: Project, url: str, banner: bool = False) -> HtmlResponse:
    """The replica's page at ``url`` (page 1 or a themes page), with a results
    banner above its pager when ``banner`` (the replica writes none)."""
    n = urls.page_params(url).get(templates.THEMES_TABLE, 1)
    html = templates.project(templates.Ctx(), world, project, n, "UTF-8")
    assert html is not None
    if banner:
        count = len(project.data["other_themes"])
        first, last = (n - 1) * templates.THEME_ROWS + 1, min(count, n * templates.THEME_ROWS)
        text = f'<span class="pagebanner">{count} éléments trouvés, affichage de {first} à {last}.</span>'
        html = html.replace('<div class="pagination">', text + '<div class="pagination">', 1)
    return HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8", request=Request(url))


def _assemble(variant: str, newer: Project | None = None, banner: bool = False) -> tuple[Any, list[str], Project]:
    """Page 1 from the project as it is, its table pages from ``newer`` (if any)."""
    world, project = _project_of(variant)
    first = _page(world, project, f"{BASE}detailProjet.html?criteres.prjId={project.id}", banner)
    [(item, missing)] = list(
        registry.records_from_responses(first, lambda url: _page(world, newer or project, url, banner), "t")
    )
    return item, missing, project


@pytest.mark.parametrize("banner", [False, True], ids=["pager", "pager+banner"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_the_pages_of_one_version_make_one_record(variant: str, banner: bool) -> None:
    item, missing, project = _assemble(variant, banner=banner)
    assert missing == []
    assert len(item["other_themes"]) == len(project.data["other_themes"])
    assert item[DOUBTS] == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_table_page_with_another_title_is_refused(variant: str) -> None:
    _, project = _project_of(variant)
    with pytest.raises(registry.TableVersionChanged) as changed:
        _assemble(variant, _newer(project, title="Un autre titre"))
    message = str(changed.value)
    assert "«Un autre titre»" in message and f"«{project.data['title']}»" in message
    assert changed.value.url.startswith(f"{BASE}detailProjet.html?") and message.endswith(changed.value.url)
    assert f"{templates.THEMES_TABLE}=2" in changed.value.url


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_table_page_announcing_other_rows_is_refused(variant: str) -> None:
    """One more theme: the same three pages, but the banner says otherwise."""
    _, project = _project_of(variant)
    count = len(project.data["other_themes"])
    newer = _newer(project, more_themes=1)
    with pytest.raises(
        registry.TableVersionChanged, match=f"other_themes: {count + 1} rows announced where page 1 announces {count}"
    ):
        _assemble(variant, newer, banner=True)


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_table_page_whose_pager_shows_other_pages_is_refused(variant: str) -> None:
    """Five more themes: a fourth page, which the pager of page 2 shows (no banner needed)."""
    _, project = _project_of(variant)
    newer = _newer(project, more_themes=templates.THEME_ROWS)
    with pytest.raises(registry.TableVersionChanged, match="other_themes: 4 pages in its pager where page 1 shows 3"):
        _assemble(variant, newer)


def test_a_refused_table_page_leaves_the_record_as_it_was_and_says_how_to_start_again() -> None:
    """Nothing of the refused page joins the record; ``url`` is page 1, to fetch
    again (``ATTEMPT_META`` says which attempt), once."""
    world, project = _project_of("div")
    url = f"{BASE}detailProjet.html?criteres.prjId={project.id}"
    again = Request(url, meta={registry.ATTEMPT_META: 2})
    first = _page(world, project, url)
    _, assembly = registry.parse(first, "t")
    assert assembly.attempt == 1 and assembly.url == url
    field, table_url = assembly.next_page()
    rows, pending = list(assembly.item[field]), dict(assembly.pending)
    with pytest.raises(registry.TableVersionChanged):
        assembly.add_table_page(field, _page(world, _newer(project, title="Autre"), table_url))
    assert assembly.item[field] == rows and assembly.pending == pending and assembly.table_pages == []
    retried = HtmlResponse(url, body=first.body, encoding="utf-8", request=again)
    _, assembly = registry.parse(retried, "t")
    assert assembly.attempt == 2


@pytest.mark.parametrize("what", RECORD_ADDRESSES)
@pytest.mark.parametrize("name", NOT_RECORD_PAGES)
def test_the_whole_page_check_leaves_a_page_that_names_itself_to_the_parse(name: str, what: str) -> None:
    """Without any of the record page's labels but named otherwise (``Connexion``):
    a whole page, not one cut short (no retry as a broken page); the parse refuses
    it with its name. A page named nothing but the atlas and without labels was cut."""
    assert registry.incomplete_reason(not_the_page(name, RECORD_ADDRESSES[what])) is None
    cut = HtmlResponse(
        RECORD_ADDRESSES[what],
        body=b"<html><head><title>Atlas fran\xc3\xa7ais de la coop\xc3\xa9ration d\xc3\xa9centralis\xc3\xa9e "
        b"et des autres actions ext\xc3\xa9rieures</title></head><body><div id='menuHaut'></div></body></html>",
        encoding="utf-8",
    )
    assert registry.incomplete_reason(cut).startswith("cut short:")


def test_the_spider_fetches_a_changed_record_again_once_then_fails_it() -> None:
    """The spider's side of ``TableVersionChanged``: page 1 again (a new attempt, not
    filtered as seen), its table pages again; a second disagreement fails the record
    through the page accounting, with what disagreed."""
    crawler = project_crawler()
    spider, accounting = crawler.spider, PageAccounting.from_crawler(crawler)
    failed: list[tuple[str, str]] = []

    def on_failed(url: str, reason: str) -> None:
        failed.append((url, reason))

    crawler.signals.connect(on_failed, signal=signals.page_failed)
    world, project = _project_of("div")
    newer = _newer(project, title="Autre")
    url = f"{BASE}detailProjet.html?criteres.prjId={project.id}"

    def table_step(page: HtmlResponse) -> list[Any]:
        [table_request] = [r for r in spider.parse(page) if isinstance(r, Request) and r.cb_kwargs]
        answer = _page(world, newer, table_request.url)
        answer = HtmlResponse(answer.url, body=answer.body, encoding="utf-8", request=table_request)
        output = spider.parse_table_page(answer, **table_request.cb_kwargs)
        return [table_request, *accounting.process_spider_output(answer, output)]

    table_request, again = table_step(_page(world, project, url))
    assert not table_request.dont_filter
    assert again.url == url and again.dont_filter and again.meta[registry.ATTEMPT_META] == 2
    retried = HtmlResponse(url, body=_page(world, project, url).body, encoding="utf-8", request=again)
    table_request, *nothing = table_step(retried)
    assert table_request.dont_filter and nothing == []  # fetched again: the first attempt had it
    assert [u for u, _ in failed] == [url]
    assert failed[0][1].startswith("table page from another version of the record page (title «Autre»")

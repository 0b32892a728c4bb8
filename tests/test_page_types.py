"""Page types declared once: recognised by address or content, items and schemas
in step, unreadable values kept, the report's monitors whatever the order, the
exporter's field choice, and the standard Scrapy tools."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from scrapy.http import HtmlResponse

from atlas_crawler import stats
from atlas_crawler.items import DOUBTS, RECORD_TYPES, CollectivityItem, ProjectItem
from atlas_crawler.output.feeds import JsonLinesExporter
from atlas_crawler.output.pipelines import UnreadableValuesPipeline
from atlas_crawler.pages import registry
from atlas_crawler.pages.common import announced_count
from atlas_crawler.pages.project import parse_project
from atlas_crawler.replica import templates
from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl, replica
from atlas_crawler.replica.world import World
from atlas_crawler.run.report.build import build_report
from atlas_crawler.run.state import RunState
from atlas_crawler.schemas import fields, load_schema
from tests.markup_gen import RandomChooser, collectivity_page, project_page
from tests.saved import html_response, project_crawler, saved_pages, saved_response

BASE = "https://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/"


def test_items_and_schemas_cannot_drift_apart() -> None:
    for item_class, schema in ((ProjectItem, "project"), (CollectivityItem, "collectivity")):
        record_fields = tuple(name for name in item_class.fields if name != DOUBTS)  # the parse's, not the record's
        assert record_fields == fields(schema) or set(record_fields) == set(fields(schema))
        assert set(load_schema(schema)["required"]) == set(record_fields)
    assert {t.record_type for t in registry.PAGE_TYPES if t.gives_records} == set(RECORD_TYPES)
    assert {t.name: t.item_class for t in RECORD_TYPES} == {"project": ProjectItem, "collectivity": CollectivityItem}


@pytest.mark.parametrize("name", saved_pages("project") + saved_pages("handwritten") + saved_pages("collectivity"))
def test_saved_pages_are_recognised_by_their_type(name: str) -> None:
    response = saved_response(name)
    expected = registry.PROJECT if "detailProjet" in response.url else registry.COLLECTIVITY
    assert registry.classify(response) is expected
    assert registry.incomplete_reason(response) is None


def test_a_collectivity_under_another_name_is_recognised_by_its_words() -> None:
    response = saved_response("collectivity-foreign", url=BASE + "collectivite/etr.do?idCollectivite=31752")
    page_type, assembly = registry.parse(response)
    assert page_type is registry.COLLECTIVITY
    assert assembly.item["kind"] == "foreign"  # the page name no longer says it: the fields do
    french = saved_response("collectivity-french", url=BASE + "collectivite/fr.do?idCollectivite=912")
    assert registry.parse(french)[1].item["kind"] == "french"


def test_lists_maps_and_menus_are_recognised_by_content() -> None:
    listing = html_response(
        '<p>2 projet(s) trouvé(s)</p><table><tr><td><a href="detailProjet.html?criteres.prjId=4">x</a></td></tr></table>',
        BASE + "pays/projets.do?codePays=ML",
    )
    assert registry.classify(listing) is registry.LIST
    world_map = html_response(
        '<div id=\'carte\'></div><script>var PAYS = [{"code": "ML"}];</script>', BASE + "carte.do"
    )
    assert registry.classify(world_map) is registry.WORLD_MAP
    menu = html_response('<a href="pays/index.do">Pays</a>', BASE + "atlas.do")
    assert registry.classify(menu) is registry.MENU
    assert registry.parse(menu) == (registry.MENU, None)


def test_a_project_page_cut_short_is_not_whole() -> None:
    """Cut before any of its labels: not a project page yet (the whole-page check
    also wants ``</html>``); one label is enough, whichever the markup keeps."""
    cut = html_response("<html><body><h1>Atlas français de la coopération", BASE + "detailProjet.html?criteres.prjId=4")
    assert "cut short" in registry.incomplete_reason(cut)
    untitled = html_response("<html><body><p>Contexte : un contexte</p>", BASE + "detailProjet.html?criteres.prjId=4")
    assert registry.incomplete_reason(untitled) is None


def test_unreadable_values_are_counted_and_kept() -> None:
    page = html_response(
        "<html><body><dl><dt>Titre</dt><dd>Un projet</dd><dt>Date de fin du partenariat</dt><dd>31/02/2013</dd>"
        "<dt>Année de début du partenariat</dt><dd>vers 1850</dd></dl>"
        "<table><caption>Financement</caption><tr><th>Nom du financeur</th><th>Montant</th><th>Année</th></tr>"
        "<tr><td>Région</td><td>n.c.</td><td>2001</td></tr></table></body></html>"
    )
    item = parse_project(page).item
    assert item["end_date"] is None and item["start_year"] is None
    assert item["funding"] == [{"funder": "Région", "amount_eur": None, "one_percent_amounts_eur": [], "year": 2001}]
    assert item["extra"]["unreadable"] == {
        "end_date": "31/02/2013",
        "start_year": "vers 1850",
        "funding.amount_eur": "n.c.",
    }
    crawler = project_crawler()
    UnreadableValuesPipeline.from_crawler(crawler).process_item(item)
    assert crawler.stats.get_value(stats.unreadable("end_date")) == 1
    assert crawler.stats.get_value(stats.unreadable("funding.amount_eur")) == 1
    state = RunState(unreadable={"end_date": {"url": item["url"], "text": "31/02/2013"}})
    report = build_report(state, crawler.stats.get_stats(), "finished", {})
    assert report["unreadable"]["end_date"] == {"count": 1, "example": {"url": item["url"], "text": "31/02/2013"}}


def test_the_exporter_honours_feed_export_fields() -> None:
    buffer = io.BytesIO()
    exporter = JsonLinesExporter(buffer, fields_to_export=["title", "id", "missing"], export_empty_fields=True)
    exporter.start_exporting()
    exporter.export_item(parse_project(saved_response("project-2431-seed")).item)
    exporter.finish_exporting()
    record = json.loads(buffer.getvalue())
    assert list(record) == ["title", "id", "missing"]
    assert record["id"] == "2431" and record["missing"] is None


@pytest.mark.e2e  # a replica and a crawl in subprocesses: about 6 s each
@pytest.mark.parametrize("order", [490, 530])
def test_the_report_holds_the_monitors_whatever_the_extension_order(tmp_path, order: int) -> None:
    """The writer writes at engine_stopped, after Spidermon's close monitors."""
    output = tmp_path / "atlas.jsonl"
    extensions = {
        "spidermon.contrib.scrapy.extensions.Spidermon": 500,
        "atlas_crawler.run.collector.RunCollector": 510,
        "atlas_crawler.run.jobstate.JobState": 520,
        "atlas_crawler.run.report.writer.ReportWriter": order,
    }
    with replica(projects=10) as base:
        result = crawl(base, output, settings={"EXTENSIONS": json.dumps(extensions)})
    assert result.returncode == 0, result.stdout[-3000:]
    report = json.loads((tmp_path / "atlas.report.json").read_text("utf-8"))
    assert set(report["monitors"]) >= {"FailedPagesMonitor", "InvalidRecordsMonitor"}
    assert all(m["passed"] for m in report["monitors"].values())


def _scrapy(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.e2e
def test_the_standard_scrapy_tools_work_without_extra_flags(tmp_path) -> None:
    report = tmp_path / "atlas.report.json"
    report.write_text("{}", "utf-8")
    with replica(projects=10) as base, ThreadPoolExecutor(4) as pool:  # four processes, side by side
        project = base + "detailProjet.html?criteres.prjId=2431"
        listed = pool.submit(_scrapy, "list")
        parsed = pool.submit(
            _scrapy, "parse", project, "-s", f"ATLAS_BASE_URL={base}", "-s", f"ATLAS_REPORT_PATH={report}"
        )
        shell = pool.submit(_scrapy, "shell", base + "accesAtlas.html", "-c", "response.status")
        # A project whose themes table has three pages: printed whole, without -d.
        paged = pool.submit(
            _scrapy, "parse", base + "detailProjet.html?criteres.prjId=1024", "-s", f"ATLAS_BASE_URL={base}"
        )
        listed, parsed, shell, paged = listed.result(), parsed.result(), shell.result(), paged.result()
    assert listed.stdout.split() == ["atlas"]
    themes = World(projects=10, seed=1).projects[1024].data["other_themes"]
    assert len(themes) > 2 * templates.THEME_ROWS
    assert paged.returncode == 0 and paged.stdout.count("'priority':") == len(themes), paged.stdout[-3000:]
    assert parsed.returncode == 0, parsed.stderr[-3000:]
    assert "'id': '2431'" in parsed.stdout and "Renforcer la Commune de Kayes" in parsed.stdout
    assert "Spidermon" not in parsed.stderr
    assert report.read_text("utf-8") == "{}"  # a crawl's report is never overwritten by `scrapy parse`
    assert shell.returncode == 0, shell.stderr[-3000:]
    assert shell.stdout.strip().splitlines()[-1] == "200"


@pytest.mark.e2e
def test_a_site_under_other_page_names_is_crawled_completely(tmp_path) -> None:
    """Only detailProjet.html keeps its name: lists, menus and collectivities are
    recognised by what they hold, and every record is still written."""
    truth_path, output = tmp_path / "truth.json", tmp_path / "atlas.jsonl"
    with replica(projects=40, truth=truth_path, options=("--rename-pages",)) as base:
        result = crawl(base, output, settings={"ATLAS_HOME_PAGE": "atlas.do"})
    assert result.returncode == 0, result.stdout[-3000:]
    truth = json.loads(truth_path.read_text("utf-8"))
    records = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    expected = {(r["type"], r["id"]): r for r in truth["records"]}
    assert {(r["type"], r["id"]) for r in records} == set(expected)
    assert all({**r, "crawled_at": None} == {**expected[(r["type"], r["id"])], "crawled_at": None} for r in records)
    report = json.loads((tmp_path / "atlas.report.json").read_text("utf-8"))
    assert report["warnings"] == [] and report["redundant_fetches"] == 0
    assert report["lists"]["checked"] == len(truth["announced"]) == report["lists"]["complete"]
    assert "collectivite/fr.do" in next(r["url"] for r in records if r.get("kind") == "french")


# --- the type whose vocabulary explains the page best -----------------------------------------
COLLECTIVITY_URL = BASE + "detailCollectiviteEtrangere.html?idCollectivite=31752"
PROJECT_ROWS = (
    "<table><tr><th>Titre du projet</th><th></th></tr>"
    "<tr><td>Eau potable</td><td><a href='detailProjet.html?criteres.prjId=4'>voir</a></td></tr>"
    "<tr><td>Santé</td><td><a href='detailProjet.html?criteres.prjId=5'>voir</a></td></tr></table>"
)


def test_a_collectivity_whose_projects_table_counts_its_rows_is_a_collectivity() -> None:
    page = html_response(
        "<dl><dt>Nom</dt><dd>Région de Kayes</dd><dt>Type de collectivité</dt><dd>Région</dd>"
        f"<dt>Pays</dt><dd>Mali</dd></dl><h3>Projets</h3><span class='pagebanner'>2 projets trouvés</span>{PROJECT_ROWS}",
        COLLECTIVITY_URL,
    )
    recognition = registry.recognise(page)
    assert recognition.page_type is registry.COLLECTIVITY
    assert recognition.fits == {"collectivity": 4, "list": 2} and not recognition.ambiguous
    assert registry.parse(page)[1].item["project_ids"] == ["4", "5"]


def test_a_list_of_collectivities_naming_their_type_in_a_column_is_a_list() -> None:
    page = html_response(
        "<h2>Bretagne</h2><p>2 collectivité(s) trouvée(s)</p>"
        "<table><tr><th>Nom</th><th>Type de collectivité</th><th>Département</th></tr>"
        "<tr><td><a href='fr.do?idCollectivite=1'>Brest</a></td><td>Commune</td><td>Finistère</td></tr>"
        "<tr><td><a href='fr.do?idCollectivite=2'>Rennes</a></td><td>Commune</td><td>Ille-et-Vilaine</td></tr></table>",
        BASE + "regions/collectivites.do?codeRegion=53&idCollectivite=1",
    )
    recognition = registry.recognise(page)
    assert recognition.page_type is registry.LIST
    assert recognition.fits == {"list": 2}


def test_a_page_that_fits_two_types_equally_is_said_ambiguous() -> None:
    page = html_response(f"<p>Nom : Région de Kayes</p><p>2 projets trouvés</p>{PROJECT_ROWS}", COLLECTIVITY_URL)
    recognition = registry.recognise(page)
    assert recognition.fits == {"collectivity": 2, "list": 2}
    assert recognition.page_type is registry.COLLECTIVITY and recognition.ambiguous


def test_a_list_of_one_row_announces_its_count_in_words() -> None:
    page = html_response(
        "<span class='pagebanner'>Une ligne trouvée.</span><table><tr><th>Titre du projet</th></tr>"
        "<tr><td><a href='detailProjet.html?criteres.prjId=4'>Eau</a></td></tr></table>",
        BASE + "pays/projets.do?codePays=ML",
    )
    assert registry.classify(page) is registry.LIST
    assert announced_count(page) == 1
    assert announced_count(html_response("<p>Aucun élément trouvé.</p>")) == 0


def test_generated_collectivity_pages_are_collectivities() -> None:
    """Whatever their banners and pagers say (``3 projets trouvés``)."""
    for seed in range(60):
        page = collectivity_page(RandomChooser(seed))
        response = HtmlResponse(page.url, body=page.body, headers=page.headers)
        assert registry.classify(response) is registry.COLLECTIVITY, seed


def test_generated_record_pages_are_their_record_pages() -> None:
    """The check that an answer is the record page its address announces
    (``registry.NotTheRecordPage``) never refuses a record page, whatever its
    markup: generated project and collectivity pages give their record (but the
    rare collectivity page that shows nothing but its name: see below)."""
    for seed in range(150):
        for page in (project_page(RandomChooser(seed)), collectivity_page(RandomChooser(seed))):
            response = HtmlResponse(page.url, body=page.body, headers=page.headers)
            page_type, assembly = registry.parse(response, crawled_at="t")
            assert page_type.record_type.name == page.record["type"], seed
            assert assembly.item["id"] == page.record["id"], seed


def test_a_collectivity_page_names_its_collectivity_and_says_more() -> None:
    """Its labels are short words forms use too: a form's ``Nom`` followed by
    ``Mot de passe`` reads as one label, a form's ``Nom``/``Pays`` fields as labels
    without a name. Neither is the collectivity's page; the collectivity's page with
    every label the atlas shows (some empty) is. The price: a page that shows its
    name alone, no other label, no projects table (the atlas shows them all), is
    refused too, loudly, rather than a login form taken for a collectivity."""
    forms = (
        "<form><p>Nom : <input name='nom'/></p><p>Mot de passe : <input type='password'/></p></form>",
        "<form><table><tr><td>Nom :</td><td><input name='nom'/></td></tr>"
        "<tr><td>Pays :</td><td><select><option>France</option></select></td></tr></table></form>",
    )
    for form in forms:
        with pytest.raises(registry.NotTheRecordPage, match=r"^not a collectivity page: «Connexion»$"):
            registry.parse(html_response(f"<h1>Connexion</h1>{form}", COLLECTIVITY_URL))
    sparse = "<dl><dt>Nom</dt><dd>Région de Kayes</dd><dt>Type de collectivité</dt><dd></dd><dt>Pays</dt><dd></dd></dl>"
    assert registry.parse(html_response(sparse, COLLECTIVITY_URL))[1].item["name"] == "Région de Kayes"
    with pytest.raises(registry.NotTheRecordPage):
        registry.parse(html_response("<dl><dt>Nom</dt><dd>Région de Kayes</dd></dl>", COLLECTIVITY_URL))


def test_a_table_page_read_on_its_own_gives_no_record_and_is_not_refused() -> None:
    """A table page's address is checked as the page joins its record
    (``RecordAssembly.add_table_page``), not as a record address of its own."""
    first = saved_response("project-multipage-themes")
    page2 = saved_response("project-multipage-themes/page2", url=f"{first.url}&d-1342871-p=2")
    assert registry.parse(page2) == (registry.PROJECT_TABLE_PAGE, None)

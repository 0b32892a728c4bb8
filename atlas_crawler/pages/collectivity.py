"""Collectivity pages (``detailCollectiviteFrancaise`` / ``…Etrangere``) -> ``CollectivityItem``."""

from __future__ import annotations

from scrapy.http import TextResponse

from atlas_crawler.extract.reading import read_page
from atlas_crawler.extract.tables import TableSpec, first_link
from atlas_crawler.extract.vocabulary import Reading, Vocabulary
from atlas_crawler.items import DOUBTS, CollectivityItem
from atlas_crawler.pages.common import CHROME_TEXTS, add_unknown_tables, utc_now
from atlas_crawler.pages.loaders import CollectivityLoader
from atlas_crawler.urls import PROJECT_ID_PARAM, collectivity_id, collectivity_kind, collectivity_url, project_id

LABELS: dict[str, str] = {
    "nom": "name",
    "nom de la collectivite": "name",
    "type de collectivite": "collectivity_type",
    "pays": "country",
    "region": "region",
    "departement": "department",
    "site internet": "website",
    "site web": "website",
}

#: Each row is a project, kept by its link (its other cells are the project's own record).
PROJECTS = TableSpec(
    "project_ids", ("projets de la collectivite", "projets"), (("titre du projet", "title"),), whole_rows=True
)
#: A collectivity's type may be a label's word (``Région``, ``Département``).
VOCABULARY = Vocabulary(
    LABELS,
    tables=(PROJECTS,),
    value_words=frozenset({"collectivity_type"}),
    chrome=CHROME_TEXTS,
    one_line=frozenset(LABELS.values()),  # every field of a collectivity is one line
)


def fit(reading: Reading) -> int:
    """How much of a collectivity page a page holds: a point for each of its
    labels read as a label (``Nom``, ``Type de collectivité``, ``Pays``…: a list's
    column names are none) and one for its projects table."""
    return len(reading.values) + any(t.spec is PROJECTS for t in reading.tables)


def is_collectivity_page(reading: Reading) -> bool:
    """A collectivity page names its collectivity (``Nom`` read as a label, with a
    value) and holds more of itself (another of its labels, which the atlas shows
    even empty, or its projects table). Its labels are words forms use too: a
    login form's ``Nom : [ ] Mot de passe : [ ]`` reads as one label, never more."""
    return bool((reading.values.get("name") or "").strip()) and fit(reading) >= 2


def _kind_from_fields(loader: CollectivityLoader) -> str:
    """French or foreign, when the address does not say: a French collectivity
    has a région or a département, a foreign one a country other than France."""
    if loader.get_collected_values("region") or loader.get_collected_values("department"):
        return "french"
    countries = loader.get_collected_values("country")
    return "foreign" if countries and countries[0] != "France" else "french"


def parse_collectivity(
    response: TextResponse, crawled_at: str | None = None, reading: Reading | None = None
) -> CollectivityItem:
    """A collectivity page's record (``reading``: the page already read with
    ``VOCABULARY``, as recognising its type does)."""
    if reading is None:
        reading = read_page(response.selector.root, VOCABULARY)
    loader = CollectivityLoader(selector=response.selector)  # the page parsed once, not again
    cid = collectivity_id(response.url)
    kind = collectivity_kind(response.url)
    loader.add_value("type", "collectivity")
    loader.add_value("id", cid)
    loader.add_value("url", collectivity_url(response.url) if cid else None)
    loader.add_value("crawled_at", crawled_at or utc_now())
    for name, text in reading.values.items():
        loader.add_value(name, text)
    kind = kind or _kind_from_fields(loader)
    loader.add_value("kind", kind)
    if kind == "french" and not loader.get_collected_values("country"):
        loader.add_value("country", "France")

    extra: dict[str, object] = dict(reading.extra)
    for table in reading.tables:
        if table.spec is PROJECTS:
            for cells in table.rows:
                href = first_link(cells, response.url, PROJECT_ID_PARAM)
                loader.add_value("project_ids", project_id(href) if href else None)
    add_unknown_tables(extra, reading.tables)
    loader.add_value("extra", {k: v for k, v in extra.items() if v not in (None, "", [])})
    item = loader.load_item()
    item[DOUBTS] = [doubt.as_json() for doubt in reading.doubts]
    return item

"""Every page type of the atlas, declared once.

A declaration says how a page of that type is recognised (by its address where
the address is confirmed, else by what the page holds), how its address is
canonicalised, which parser reads it, which item it gives and which schema that
item must satisfy. The spider (what to fetch next), the offline parse and
re-parse commands, the pipelines and the run report all read these declarations;
adding a page type means adding one here, its parser, its schema and its test
pages.

Only ``detailProjet.html?criteres.prjId=N`` is confirmed on the live site (see
docs/SITE.md); every other page is recognised by its content, so a site that
serves the same pages under other names is still crawled completely.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from scrapy.http import TextResponse

from atlas_crawler import urls
from atlas_crawler.extract.text import fold
from atlas_crawler.items import DOUBTS, CollectivityItem, ProjectItem
from atlas_crawler.pages import collectivity as collectivity_page
from atlas_crawler.pages import project as project_page
from atlas_crawler.pages.collectivity import parse_collectivity
from atlas_crawler.pages.common import announced_count, links, soft_error, utc_now
from atlas_crawler.pages.project import parse_project, parse_project_table_page


@dataclass
class RecordAssembly:
    """A record being put together from its page and the further pages of its
    paginated in-page tables (``…&d-1342871-p=2``). The same code serves a live
    crawl (the spider fetches ``next_page()``) and a re-parse of saved responses."""

    item: Any
    pending: dict[str, str] = field(default_factory=dict)
    table_pages: list[str] = field(default_factory=list)

    def next_page(self) -> tuple[str, str] | None:
        """``(field, canonical url)`` of the next table page to add, or None when complete."""
        if not self.pending:
            return None
        name, url = next(iter(self.pending.items()))
        return name, urls.canonicalize(url)

    def add_table_page(self, name: str, response: TextResponse) -> None:
        """The rows of one further page of table ``name`` join the record."""
        page = parse_project_table_page(response, name)
        self.item[name] = list(self.item[name]) + list(page.item[name])
        self.item[DOUBTS] = [*self.item[DOUBTS], *page.item[DOUBTS]]
        self.pending.pop(name, None)
        if name in page.next_pages:
            self.pending[name] = page.next_pages[name]
        self.table_pages.append(urls.canonicalize(response.url))

    @property
    def complete(self) -> bool:
        return not self.pending


Parser = Callable[[TextResponse, str], RecordAssembly]


def _project(response: TextResponse, crawled_at: str) -> RecordAssembly:
    page = parse_project(response, crawled_at=crawled_at)
    return RecordAssembly(page.item, dict(page.next_pages))


def _collectivity(response: TextResponse, crawled_at: str) -> RecordAssembly:
    return RecordAssembly(parse_collectivity(response, crawled_at=crawled_at))


@dataclass(frozen=True)
class PageType:
    """One kind of atlas page."""

    name: str
    #: Recognised from its address alone (the confirmed project address).
    by_url: Callable[[str], bool] | None = None
    #: Recognised from what it holds (checked when no type claims the address).
    by_content: Callable[[PageContent], bool] | None = None
    #: The one spelling of its address (requests and records use it).
    canonical_url: Callable[[str], str] = urls.canonicalize
    #: Reads a response into a record (with its pending table pages).
    parse: Parser | None = None
    item_class: type | None = None
    #: ``schemas/<schema>.schema.json`` (the record's ``type``).
    schema: str | None = None
    #: Words a whole page of this type holds at least one of (its labels); a page
    #: with none of them was cut short or is not what its address announced.
    required_words: tuple[str, ...] = ()

    @property
    def gives_records(self) -> bool:
        return self.parse is not None


class PageContent:
    """What a page holds, read once and shared by the content recognisers."""

    def __init__(self, response: TextResponse) -> None:
        self.response = response
        self._text: str | None = None

    @property
    def root(self) -> etree._Element:
        return self.response.selector.root

    @property
    def text_key(self) -> str:
        """The page's visible text, folded as labels are (accents, case, spaces)."""
        if self._text is None:
            body = self.root.find("body")
            self._text = fold(" ".join((body if body is not None else self.root).itertext()))
        return self._text

    @property
    def links(self) -> list[str]:
        return links(self.response)

    def says_any(self, words: tuple[str, ...]) -> bool:
        """True when the page's text holds one of ``words`` (folded as labels are).
        Words without accents are first looked for in the lower-cased text, which
        usually settles it: folding a whole page costs milliseconds, and every
        record page is checked."""
        if self._text is None:
            plain = self.response.text.lower()
            if any(word.isascii() and word in plain for word in words):
                return True
        return any(word in self.text_key for word in words)


#: What only a collectivity page says (its type label, its table of projects).
_COLLECTIVITY_WORDS = ("type de collectivite", "projets de la collectivite")
_SCRIPT_LINKS = re.compile(r"codePays|\[\s*\{", re.IGNORECASE)


def _is_list(page: PageContent) -> bool:
    """A list: it announces how many rows it holds and links to detail pages."""
    if announced_count(page.response) is None:
        return False
    return any(urls.project_id(u) or urls.collectivity_id(u) for u in page.links)


def _is_map(page: PageContent) -> bool:
    """The world map: a script holds the countries, the page holds no list link."""
    scripts = " ".join(s.text or "" for s in page.root.iter("script"))
    return bool(_SCRIPT_LINKS.search(scripts)) and not any("?" in u for u in page.links)


def _is_table_page(url: str) -> bool:
    return bool(urls.project_id(url) and urls.page_params(url))


PROJECT_TABLE_PAGE = PageType(
    "project_table_page",
    by_url=_is_table_page,
    canonical_url=urls.canonicalize,
)
PROJECT = PageType(
    "project",
    by_url=lambda url: urls.project_id(url) is not None,
    canonical_url=urls.project_url,
    parse=_project,
    item_class=ProjectItem,
    schema="project",
    required_words=tuple(project_page.LABELS) + tuple(project_page.CHECKBOXES),
)
#: French and foreign collectivity pages: one page type, the record's ``kind``
#: tells them apart (from the page name where known, else from its fields).
COLLECTIVITY = PageType(
    "collectivity",
    by_content=lambda page: bool(urls.collectivity_id(page.response.url)) and page.says_any(_COLLECTIVITY_WORDS),
    canonical_url=urls.collectivity_url,
    parse=_collectivity,
    item_class=CollectivityItem,
    schema="collectivity",
    required_words=tuple(collectivity_page.LABELS) + _COLLECTIVITY_WORDS,
)
LIST = PageType("list", by_content=_is_list)
WORLD_MAP = PageType("world_map", by_content=_is_map)
COUNTRY_LIST = PageType("country_list", by_url=lambda url: urls.page_name(url) == urls.COUNTRIES_PAGE)
REGION_LIST = PageType("region_list", by_url=lambda url: urls.page_name(url) == urls.REGIONS_PAGE)
#: Any other atlas page with links (the home page, menus): its links are followed.
MENU = PageType("menu", by_content=lambda page: True)

#: In the order they are tried: addresses first, then contents, most specific first.
PAGE_TYPES: tuple[PageType, ...] = (
    PROJECT_TABLE_PAGE,
    PROJECT,
    LIST,  # before collectivities: a list of collectivities names their type in its header
    COLLECTIVITY,
    WORLD_MAP,
    COUNTRY_LIST,
    REGION_LIST,
    MENU,
)
RECORD_PAGE_TYPES = tuple(t for t in PAGE_TYPES if t.gives_records)
#: Record type (``schemas/<name>``) -> item class, for the pipelines and the report.
ITEM_CLASSES: dict[str, type] = {t.schema: t.item_class for t in RECORD_PAGE_TYPES if t.schema and t.item_class}


def type_of_url(url: str) -> PageType | None:
    """The page type an address alone proves, or None (the content will tell)."""
    return next((t for t in PAGE_TYPES if t.by_url is not None and t.by_url(url)), None)


def classify(response: TextResponse) -> PageType:
    """The type of a fetched page: by its address where confirmed, else by its content."""
    by_url = type_of_url(response.url)
    if by_url is not None and by_url.by_content is None:
        return by_url
    content = PageContent(response)
    for page_type in PAGE_TYPES:
        if page_type.by_content is not None and page_type.by_content(content):
            return page_type
    return MENU


def parse(response: TextResponse, crawled_at: str | None = None) -> tuple[PageType, RecordAssembly | None]:
    """Recognise and read a page: its type, and the record it starts (None for
    pages without records). Raises ``NotADataPageError`` for a soft error page."""
    reason = soft_error(response)
    if reason:
        raise NotADataPageError(f"{response.url} is not a data page ({reason})")
    page_type = classify(response)
    if page_type.parse is None:
        return page_type, None
    return page_type, page_type.parse(response, crawled_at or utc_now())


def records_from_responses(
    first: TextResponse, fetch: Callable[[str], TextResponse | None], crawled_at: str | None = None
) -> Iterator[tuple[Any, list[str]]]:
    """The record a page gives, its table pages added through ``fetch(url)`` (a
    saved-response lookup), as ``(item, missing table page urls)``: one code path
    for offline parsing and re-parsing an archive."""
    _, assembly = parse(first, crawled_at)
    if assembly is None:
        return
    missing: list[str] = []
    while (step := assembly.next_page()) is not None:
        name, url = step
        response = fetch(url)
        if response is None:
            missing.append(url)
            assembly.pending.pop(name)
            continue
        assembly.add_table_page(name, response)
    yield assembly.item, missing


def expected_type(url: str) -> PageType | None:
    """The record page type an address announces (the project address is
    confirmed; a collectivity address is one with a collectivity id)."""
    if (page_type := type_of_url(url)) is not None:
        return page_type
    return COLLECTIVITY if urls.collectivity_id(url) else None


def incomplete_reason(response: TextResponse) -> str | None:
    """Why a record page is not whole (cut short: it lacks the words every page of
    its type holds), or None. Called by the whole-page check before parsing."""
    page_type = expected_type(response.url)
    if page_type is None or not page_type.required_words or not isinstance(response, TextResponse):
        return None
    if PageContent(response).says_any(page_type.required_words) or soft_error(response):
        return None
    return f"cut short: a {page_type.name} page without any of its labels"


class NotADataPageError(ValueError):
    """A page that holds no record: a soft error page, a list given as a project."""

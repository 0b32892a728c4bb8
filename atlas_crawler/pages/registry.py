"""Every page type of the atlas, declared once.

A declaration says how a page of that type is recognised (by its address where
the address is confirmed, else by how well what the page holds fits it: the type
whose vocabulary explains the page best wins), how its address is
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
from functools import cached_property
from typing import Any

from lxml import etree
from scrapy.http import TextResponse

from atlas_crawler import items, urls
from atlas_crawler.extract.doubts import AMBIGUOUS, Doubt
from atlas_crawler.extract.flow import check_depth
from atlas_crawler.extract.reading import read_page
from atlas_crawler.extract.text import fold
from atlas_crawler.extract.vocabulary import Reading
from atlas_crawler.items import DOUBTS, RecordType
from atlas_crawler.pages import collectivity as collectivity_page
from atlas_crawler.pages import project as project_page
from atlas_crawler.pages.collectivity import parse_collectivity
from atlas_crawler.pages.common import announced_count, links, own_name, page_heading, soft_error, utc_now
from atlas_crawler.pages.project import TableShape, parse_project, parse_project_table_page

#: ``Request.meta`` key: which fetch of a record's page 1 an answer is (1, or 2 when
#: page 1 is fetched again after ``TableVersionChanged``); ``parse`` copies it to
#: ``RecordAssembly.attempt``.
ATTEMPT_META = "atlas_record_attempt"


@dataclass
class RecordAssembly:
    """A record being put together from its page and the further pages of its
    paginated in-page tables (``…&d-1342871-p=2``). The same code serves a live
    crawl (the spider fetches ``next_page()``) and a re-parse of saved responses.

    Every table page must come from the same version of the record page as page
    1: the same title, and for its table the same announced row count and page
    count (``shapes``, page 1's). One that does not raises ``TableVersionChanged``
    (a table page that is no project page at all, ``NotTheRecordPage``). The
    record is then put together again from scratch, once: the spider fetches
    ``url`` (page 1) again with ``dont_filter=True`` and ``meta={ATTEMPT_META:
    attempt + 1}``, and the table pages of that new assembly with
    ``dont_filter=True`` too (they were fetched in the first attempt); a second
    ``TableVersionChanged`` (``attempt`` > 1) fails the page."""

    item: Any
    pending: dict[str, str] = field(default_factory=dict)
    table_pages: list[str] = field(default_factory=list)
    #: What page 1 says of each of its paginated tables (field -> shape).
    shapes: dict[str, TableShape] = field(default_factory=dict)
    #: Which fetch of page 1 this record comes from (``ATTEMPT_META``).
    attempt: int = 1

    @property
    def url(self) -> str:
        """Page 1's address (the record's canonical URL): what to fetch to start again."""
        return str(self.item["url"])

    def next_page(self) -> tuple[str, str] | None:
        """``(field, canonical url)`` of the next table page to add, or None when complete."""
        if not self.pending:
            return None
        name, url = next(iter(self.pending.items()))
        return name, urls.canonicalize(url)

    def add_table_page(self, name: str, response: TextResponse) -> None:
        """The rows of one further page of table ``name`` join the record, once the
        page is known to be a page of the same version of the record page (else
        ``NotTheRecordPage`` or ``TableVersionChanged``, and nothing joins)."""
        page = parse_project_table_page(response, name)
        if not page.is_project_page:
            raise NotTheRecordPage("project", page_heading(response), table_page=requested_url(response))
        if changed := self._disagreements(name, page.item.get("title"), page.shapes.get(name)):
            raise TableVersionChanged(requested_url(response), changed)
        self.item[name] = list(self.item[name]) + list(page.item[name])
        self.item[DOUBTS] = [*self.item[DOUBTS], *page.item[DOUBTS]]
        self.pending.pop(name, None)
        if name in page.next_pages:
            self.pending[name] = page.next_pages[name]
        self.table_pages.append(urls.canonicalize(response.url))

    def _disagreements(self, name: str, title: str | None, shape: TableShape | None) -> list[str]:
        """What a page of table ``name`` says otherwise than page 1 (each said
        both times: a page that does not say a thing disagrees with nothing, but
        a record page always shows its title)."""
        out = []
        if self.item.get("title") and title != self.item["title"]:
            out.append(f"title {_quoted(title)} where page 1 has {_quoted(self.item['title'])}")
        first = self.shapes.get(name)
        if first is not None and shape is not None:
            if None not in (first.announced, shape.announced) and first.announced != shape.announced:
                out.append(f"{name}: {shape.announced} rows announced where page 1 announces {first.announced}")
            if None not in (first.pages, shape.pages) and first.pages != shape.pages:
                out.append(f"{name}: {shape.pages} pages in its pager where page 1 shows {first.pages}")
        return out

    def table_complete(self, name: str) -> tuple[str, str] | None:
        """Table ``name`` has no further page to add (its next page is not to be
        fetched, or is not to be had): the record goes on with the rows it has.
        Returns ``next_page()``: the next table page still to add, or None when the
        record is complete (``item``)."""
        self.pending.pop(name, None)
        return self.next_page()

    @property
    def complete(self) -> bool:
        return not self.pending


def _quoted(text: object) -> str:
    return f"«{text}»" if text else "none"


@dataclass(frozen=True)
class PageType:
    """One kind of atlas page."""

    name: str
    #: Recognised from its address alone (the confirmed project address).
    by_url: Callable[[str], bool] | None = None
    #: How well what a page holds fits this type (0: not at all); the types that
    #: have one are compared when no type claims the address.
    fit: Callable[[PageContent], int] | None = None
    #: The one spelling of its address (requests and records use it).
    canonical_url: Callable[[str], str] = urls.canonicalize
    #: Reads a response into a record (with its pending table pages).
    parse: Parser | None = None
    #: The record it gives (``atlas_crawler.items``: item class, schema, tables),
    #: and the id of that record in an address of this type.
    record_type: RecordType | None = None
    record_id: Callable[[str], str | None] | None = None
    #: Words a whole page of this type holds at least one of (its labels); a page
    #: with none of them was cut short or is not what its address announced.
    required_words: tuple[str, ...] = ()
    #: True when a page has this record page's own structure (its labels read as
    #: labels, its tables): an answer at its address without it is not the record
    #: page (a login, an error, a menu), whatever words it holds.
    is_record_page: Callable[[PageContent], bool] | None = None

    @property
    def gives_records(self) -> bool:
        return self.parse is not None


class PageContent:
    """What a page holds, read once and shared by the content recognisers and
    the parser."""

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

    @cached_property
    def collectivity_reading(self) -> Reading:
        """The page read with a collectivity page's vocabulary (once: recognising
        the page and parsing it both need it)."""
        return read_page(self.root, collectivity_page.VOCABULARY)

    @cached_property
    def project_reading(self) -> Reading:
        """The page read with a project page's vocabulary (once: checking that it
        is a project page and parsing it both need it)."""
        return read_page(self.root, project_page.VOCABULARY)


Parser = Callable[[PageContent, str], RecordAssembly]


def _project(page: PageContent, crawled_at: str) -> RecordAssembly:
    parsed = parse_project(page.response, crawled_at=crawled_at, reading=page.project_reading)
    return RecordAssembly(parsed.item, dict(parsed.next_pages), shapes=dict(parsed.shapes))


def _collectivity(page: PageContent, crawled_at: str) -> RecordAssembly:
    return RecordAssembly(parse_collectivity(page.response, crawled_at, page.collectivity_reading))


#: What only a collectivity page says (its type label, its table of projects).
_COLLECTIVITY_WORDS = ("type de collectivite", "projets de la collectivite")
_SCRIPT_LINKS = re.compile(r"codePays|\[\s*\{", re.IGNORECASE)


def _list_fit(page: PageContent) -> int:
    """A list announces how many rows it holds and links to detail pages: a
    point for each, none unless both."""
    if announced_count(page.response) is None:
        return 0
    return 2 if any(urls.project_id(u) or urls.collectivity_id(u) for u in page.links) else 0


def _collectivity_fit(page: PageContent) -> int:
    """A collectivity page (an address with a collectivity id) holds its labels
    (``Nom``, ``Type de collectivité``, ``Pays``…, read as labels: a list's
    column names are none) and its projects table: a point for each."""
    if not urls.collectivity_id(page.response.url):
        return 0
    return collectivity_page.fit(page.collectivity_reading)


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
    record_type=items.PROJECT,
    record_id=urls.project_id,
    required_words=tuple(project_page.LABELS) + tuple(project_page.CHECKBOXES),
    is_record_page=lambda page: project_page.is_project_page(page.project_reading),
)
#: French and foreign collectivity pages: one page type, the record's ``kind``
#: tells them apart (from the page name where known, else from its fields).
COLLECTIVITY = PageType(
    "collectivity",
    fit=_collectivity_fit,
    canonical_url=urls.collectivity_url,
    parse=_collectivity,
    record_type=items.COLLECTIVITY,
    record_id=urls.collectivity_id,
    required_words=tuple(collectivity_page.LABELS) + _COLLECTIVITY_WORDS,
    is_record_page=lambda page: collectivity_page.is_collectivity_page(page.collectivity_reading),
)
LIST = PageType("list", fit=_list_fit)
WORLD_MAP = PageType("world_map", fit=lambda page: int(_is_map(page)))
COUNTRY_LIST = PageType("country_list", by_url=lambda url: urls.page_name(url) == urls.COUNTRIES_PAGE)
REGION_LIST = PageType("region_list", by_url=lambda url: urls.page_name(url) == urls.REGIONS_PAGE)
#: Any other atlas page with links (the home page, menus): its links are followed.
MENU = PageType("menu")

#: Addresses are tried in this order; of the types that fit a page equally well,
#: the first wins (a record page before a list); a page that fits none is a menu.
PAGE_TYPES: tuple[PageType, ...] = (
    PROJECT_TABLE_PAGE,
    PROJECT,
    COLLECTIVITY,
    LIST,
    WORLD_MAP,
    COUNTRY_LIST,
    REGION_LIST,
    MENU,
)


def type_of_url(url: str) -> PageType | None:
    """The page type an address alone proves, or None (the content will tell)."""
    return next((t for t in PAGE_TYPES if t.by_url is not None and t.by_url(url)), None)


@dataclass(frozen=True)
class Recognition:
    """What a page was recognised as, and, when its content decided, how well it
    fitted each type it could be (type name -> fit, above 0)."""

    page_type: PageType
    content: PageContent
    fits: dict[str, int] = field(default_factory=dict)

    @property
    def ambiguous(self) -> bool:
        """The page fits two types equally well (the first declared was taken):
        its record may be doubted."""
        best = sorted(self.fits.values(), reverse=True)[:2]
        return len(best) == 2 and best[0] == best[1]


def recognise(response: TextResponse) -> Recognition:
    """What a fetched page is: by its address where confirmed, else the type
    whose vocabulary explains the page best (a tie to the first declared), else
    a menu. Any page the HTML parser could not read whole (nested past its depth
    limit: it dropped the rest) raises ``TooDeepError``: a list or menu cut there
    would lose rows or links without a word."""
    content = PageContent(response)
    check_depth(content.root)
    by_url = type_of_url(response.url)
    if by_url is not None and by_url.fit is None:
        return Recognition(by_url, content)
    fits = {t.name: (t, fit) for t in PAGE_TYPES if t.fit is not None and (fit := t.fit(content)) > 0}
    best = max(fits.values(), key=lambda pair: pair[1], default=(MENU, 0))[0]
    return Recognition(best, content, {name: fit for name, (_, fit) in fits.items()})


def classify(response: TextResponse) -> PageType:
    """The type of a fetched page (see ``recognise``)."""
    return recognise(response).page_type


def parse(response: TextResponse, crawled_at: str | None = None) -> tuple[PageType, RecordAssembly | None]:
    """Recognise and read a page: its type, and the record it starts (None for
    pages without records). An answer to a record's address (``requested_url``:
    before any redirect) must be that record's page, judged by the record page's
    own structure (``PageType.is_record_page``), else ``NotTheRecordPage``: no
    menu, list or record of another type is read from it. Raises
    ``NotADataPageError`` for a soft error page at any other address."""
    address = requested_url(response)
    expected = record_page_type(address)
    reason = soft_error(response)
    if reason:
        if expected is not None:
            raise NotTheRecordPage(expected.name, page_heading(response))
        raise NotADataPageError(f"{response.url} is not a data page ({reason})")
    recognition = recognise(response)
    page_type = recognition.page_type
    if expected is not None and not _is_record_page(expected, recognition):
        raise NotTheRecordPage(expected.name, page_heading(response))
    if page_type.parse is None:
        return page_type, None
    assembly = page_type.parse(recognition.content, crawled_at or utc_now())
    assembly.attempt = int(_meta(response).get(ATTEMPT_META, 1))
    if recognition.ambiguous:
        fits = ", ".join(f"{name} {fit}" for name, fit in recognition.fits.items())
        assembly.item[DOUBTS] = [*assembly.item[DOUBTS], Doubt(AMBIGUOUS, f"fits two page types: {fits}").as_json()]
    return page_type, assembly


def requested_url(response: TextResponse) -> str:
    """The address a page was asked for: before any redirect (a record's address
    redirected to a login page is still the record's address)."""
    redirects = _meta(response).get("redirect_urls")
    return str(redirects[0]) if redirects else response.url


def _meta(response: TextResponse) -> dict[str, Any]:
    """The request's meta; none for a response made without a request (offline)."""
    request = response.request
    return request.meta if request is not None else {}


def record_page_type(url: str) -> PageType | None:
    """The record page type an address announces, or None for an address that
    announces no record page (a table page's is checked as it joins its record:
    ``RecordAssembly.add_table_page``)."""
    page_type = expected_type(url)
    return page_type if page_type is not None and page_type.gives_records else None


def _is_record_page(expected: PageType, recognition: Recognition) -> bool:
    check = expected.is_record_page
    return recognition.page_type is expected and (check is None or check(recognition.content))


def records_from_responses(
    first: TextResponse, fetch: Callable[[str], TextResponse | None], crawled_at: str | None = None
) -> Iterator[tuple[Any, list[str]]]:
    """The record a page gives, its table pages added through ``fetch(url)`` (a
    saved-response lookup), as ``(item, missing table page urls)``: one code path
    for offline parsing and re-parsing an archive. Raises as a crawl's parse does:
    ``NotTheRecordPage`` (page 1 or a table page is not the record page),
    ``TableVersionChanged`` (a table page of another version: no fetching again
    offline)."""
    _, assembly = parse(first, crawled_at)
    if assembly is None:
        return
    missing: list[str] = []
    while (step := assembly.next_page()) is not None:
        name, url = step
        response = fetch(url)
        if response is None:
            missing.append(url)
            assembly.table_complete(name)
            continue
        assembly.add_table_page(name, response)
    yield assembly.item, missing


def expected_type(url: str) -> PageType | None:
    """The page type an address announces: the one its address proves (the
    project's), else the record page type whose record id it holds (a
    collectivity address is one with a collectivity id)."""
    if (page_type := type_of_url(url)) is not None:
        return page_type
    return next((t for t in PAGE_TYPES if t.record_id is not None and t.record_id(url)), None)


def record_of_url(url: str) -> tuple[str, str] | None:
    """``(record type, id)`` of the record an address announces (a list's rows, a
    failed page), or None for an address that gives no record."""
    page_type = expected_type(url)
    if page_type is None or page_type.record_type is None or page_type.record_id is None:
        return None
    record_id = page_type.record_id(url)
    return (page_type.record_type.name, record_id) if record_id else None


def incomplete_reason(response: TextResponse) -> str | None:
    """Why a record page is not whole (cut short: it lacks the words every page of
    its type holds, and names itself nothing but the atlas), or None. Called by
    the whole-page check before parsing. A page that names itself otherwise
    (``Connexion``, ``Erreur 404``: ``common.own_name``) is whole, only not the
    record page: the parse refuses it with its name (``NotTheRecordPage``)."""
    page_type = expected_type(response.url)
    if page_type is None or not page_type.required_words or not isinstance(response, TextResponse):
        return None
    if PageContent(response).says_any(page_type.required_words) or soft_error(response) or own_name(response):
        return None
    return f"cut short: a {page_type.name} page without any of its labels"


class NotADataPageError(ValueError):
    """A page that holds no record: a soft error page, a list given as a project."""


class NotTheRecordPage(NotADataPageError):  # noqa: N818 (named for what the page is, as Dropped and BrokenPage)
    """The answer to a record's address is not that record's page: a login,
    session-expired, error or maintenance page, a menu, a list, another record
    type's page. The message names the page expected and what the page calls
    itself: ``not a project page: «Connexion»``."""

    def __init__(self, expected: str, heading: str, table_page: str | None = None) -> None:
        self.expected, self.heading, self.table_page = expected, heading, table_page
        where = f" (table page {table_page})" if table_page else ""
        super().__init__(f"not a {expected} page: «{heading}»{where}")


class TableVersionChanged(ValueError):  # noqa: N818 (named for what happened, as Dropped and BrokenPage)
    """A further page of a record's table comes from another version of the
    record page than page 1 (its title, the table's announced rows or its page
    count differ): its rows are not merged into page 1's record."""

    def __init__(self, url: str, disagreements: list[str]) -> None:
        self.url, self.disagreements = url, disagreements
        super().__init__(f"table page from another version of the record page ({'; '.join(disagreements)}): {url}")

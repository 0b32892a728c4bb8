"""Limits on crawler traps: endless pagination, self-linking pages, ids out of
range, very long URLs and deep paths.

Every limit is taken from what the site itself says where it can be: a list has
``ceil(announced / rows on a page)`` pages, an in-page table has the pages its
own pager's last link (``>>``) shows, and what a first page says is carried in
the request's ``meta`` to the following pages, so a pager that grows as it is
followed cannot raise it. Settings (``ATLAS_MAX_*``) only stand in where the site
says nothing. Each limit sends one ``crawl_warning`` per limit and list (or page
name), never one per request, and counts what it stopped in ``atlas/limits/<name>``.
The state kept across responses is bounded by the limits themselves, so memory
stays flat on a trap.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from atlas_crawler import signals as atlas_signals
from atlas_crawler import stats
from atlas_crawler.pages.common import announced_count
from atlas_crawler.pages.registry import RecordAssembly, record_of_url
from atlas_crawler.urls import (
    ID_PARAMS,
    PAGE_PARAM,
    canonicalize,
    collectivity_id,
    malformed_id,
    page_name,
    page_params,
    project_id,
    record_id,
    without_page_params,
)

#: ``meta`` keys carried from a page to the requests it yields.
META_PAGES = "atlas_pages_allowed"  # {page parameter: last page allowed}, from the first page seen
META_PAGE_SIZE = "atlas_list_page_size"  # rows a full page of this list holds
META_HOPS = "atlas_sibling_hops"  # links followed in a row from a page to another variant of itself

#: Texts of a pager's "last page" link (displaytag: ``>>``; French and English labels).
_LAST_LINK_TEXTS = {">>", "»", "dernier", "dernière", "derniere", "last", "fin"}


@dataclass(frozen=True)
class Limits:
    """The limits, read once from the settings (see settings.py for each one's reason)."""

    max_url_length: int
    max_path_depth: int
    max_id: int
    list_page_size: int
    max_pages_per_list: int
    max_table_pages: int
    max_sibling_hops: int
    max_query_variants: int
    max_page_names: int
    max_warnings_per_limit: int

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Limits:
        """Each field from its ``ATLAS_*`` setting (declared with its reason in settings.py)."""
        values = {}
        for name in cls.__dataclass_fields__:
            key = f"ATLAS_{name.upper()}"
            if settings.get(key) is None:
                raise ValueError(f"setting {key} is missing (atlas_crawler/settings.py declares it)")
            values[name] = settings.getint(key)
        return cls(**values)


@dataclass(frozen=True)
class Stop:
    """Why a request is not followed: the limit, what the warning is about, the warning."""

    limit: str
    key: str
    message: str


class Address:
    """A URL read once, lazily: a request's checks share its parsing."""

    def __init__(self, url: str) -> None:
        self.url = url

    @cached_property
    def parts(self) -> SplitResult:
        return urlsplit(self.url)

    @property
    def path(self) -> str:
        return self.parts.path

    @cached_property
    def name(self) -> str:
        return page_name(self.url)

    @cached_property
    def params(self) -> list[tuple[str, str]]:
        return parse_qsl(self.parts.query, keep_blank_values=True)

    @cached_property
    def pages(self) -> dict[str, int]:
        """displaytag page numbers: ``{"d-4012-p": 2}``."""
        return {k: int(v) for k, v in self.params if PAGE_PARAM.match(k) and v.isdigit()}

    @cached_property
    def variant(self) -> str:
        """What makes this page another page than its siblings of the same name: its
        parameters without page numbers and record ids (``codePays=ML``, ``date=…``)."""
        return "&".join(f"{k}={v}" for k, v in sorted(self.params) if not PAGE_PARAM.match(k) and k not in ID_PARAMS)

    @cached_property
    def table(self) -> str:
        """The address of the list or table this page is a page of (its page 1)."""
        return without_page_params(canonicalize(self.url))


@lru_cache(maxsize=4096)
def address(url: str) -> Address:
    """The ``Address`` of a URL, shared while it is recent: the chrome, partners and
    collectivities are linked from thousands of pages (bounded, so flat on a trap)."""
    return Address(url)


def short(url: str, length: int = 100) -> str:
    """A URL as a warning shows it (a trap's URL may be megabytes long)."""
    return url if len(url) <= length else f"{url[:length]}… ({len(url)} characters)"


class Seen:
    """What a response says, read lazily and at most once: most responses yield
    no pagination, and those pay nothing."""

    def __init__(self, response: Response | None) -> None:
        self.response = response

    @cached_property
    def meta(self) -> dict[str, Any]:
        request = getattr(self.response, "request", None)
        return request.meta if request is not None else {}

    @cached_property
    def address(self) -> Address:
        return Address(canonicalize(self.response.url) if self.response is not None else "")

    @property
    def url(self) -> str:
        return self.address.url

    @cached_property
    def anchors(self) -> list[tuple[str, str]]:
        """``(canonical href, text)`` of every link of the page."""
        if not isinstance(self.response, TextResponse):
            return []
        out = []
        for a in self.response.selector.root.iter("a"):
            href = a.get("href")
            if href and not href.startswith(("javascript:", "mailto:", "#")):
                out.append((canonicalize(href, self.response.url), " ".join(a.text_content().split()).lower()))
        return out

    @cached_property
    def announced(self) -> int | None:
        return announced_count(self.response) if isinstance(self.response, TextResponse) else None

    @cached_property
    def rows(self) -> int:
        """Rows of the list on this page: its distinct project or collectivity links."""
        projects = {pid for href, _ in self.anchors if (pid := project_id(href))}
        collectivities = {cid for href, _ in self.anchors if (cid := collectivity_id(href))}
        return max(len(projects), len(collectivities))

    @cached_property
    def last_pages(self) -> dict[tuple[str, str], int]:
        """``(table address, page parameter) -> n`` for every pager whose last-page link shows page n."""
        out: dict[tuple[str, str], int] = {}
        for href, text in self.anchors:
            if text in _LAST_LINK_TEXTS:
                for param, n in page_params(href).items():
                    key = (without_page_params(href), param)
                    out[key] = max(out.get(key, 0), n)
        return out


class TrapLimitsMiddleware(BaseSpiderMiddleware):
    """Drops the requests a trap makes the spider yield (see the module's docstring).
    A dropped page of an in-page table does not lose its record: the record is
    finished with what it has (a page beyond the table's own pager holds nothing
    real), without calling into the spider."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.limits = Limits.from_settings(crawler.settings)
        self.base_path = urlsplit(canonicalize(crawler.settings.get("ATLAS_BASE_URL") or "/")).path
        self.variants: dict[str, set[int]] = {}  # page name -> hashes of its variants; bounded by the limits
        self.warned: dict[str, set[str]] = {}  # limit -> keys warned about; bounded by max_warnings_per_limit

    # --- Scrapy's two entry points (synchronous and asynchronous spider output) ---
    def process_spider_output(self, response: Response | None, result: Iterable[Any]) -> Iterable[Any]:
        seen = Seen(response)
        for o in result:
            yield from self.filter(o, seen)

    async def process_spider_output_async(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        seen = Seen(response)
        async for o in result:
            for kept in self.filter(o, seen):
                yield kept

    # --- the filter ------------------------------------------------------------
    def filter(self, o: Any, seen: Seen) -> Iterator[Any]:
        if not isinstance(o, Request):
            yield o
            return
        stop = self.check(o, seen)
        if stop is None:
            yield o
            return
        self.stopped(stop)
        if "record_url" not in o.meta and (record_of_url(o.url) or malformed_id(o.url)):
            self.crawler.signals.send_catch_log(atlas_signals.page_skipped, url=o.url, rule=f"limit {stop.limit}")
        for following in self.record_continuation(o):
            yield from self.filter(following, seen)

    def check(self, request: Request, seen: Seen) -> Stop | None:
        target = address(request.url)
        return (
            self.check_url_length(target, seen)
            or self.check_path_depth(target)
            or self.check_ids(target)
            or self.check_pagination(request, target, seen)
            or self.check_sibling_hops(request, target, seen)
            or self.check_page_names(target)
            or self.check_query_variants(target)
        )

    def check_url_length(self, target: Address, seen: Seen) -> Stop | None:
        if len(target.url) <= self.limits.max_url_length:
            return None
        return Stop(
            "url_length",
            target.name,
            f"URLs longer than {self.limits.max_url_length} characters not followed ({target.name}, "
            f"{len(target.url)} characters: {short(target.url)}, linked from {short(seen.url)})",
        )

    def check_path_depth(self, target: Address) -> Stop | None:
        if not target.path.startswith(self.base_path):
            return None  # not under the atlas: the scope rule's business, not a depth
        depth = len([s for s in target.path[len(self.base_path) :].split("/") if s])
        if depth <= self.limits.max_path_depth:
            return None
        return Stop(
            "path_depth",
            target.name,
            f"paths deeper than {self.limits.max_path_depth} segments below the atlas not followed "
            f"({target.name}, {depth} segments: {short(target.url)})",
        )

    def check_ids(self, target: Address) -> Stop | None:
        """Ids out of range, and id parameters holding no id (``urls.record_id``:
        ASCII digits only; ``prjId=١٠٠٥`` is no record address, and what the server
        would answer to it is no record of ours)."""
        if (malformed := malformed_id(target.url)) is not None:
            param, value = malformed
            return Stop(
                "id_form",
                target.name,
                f"ids that are not ASCII digits not followed ({target.name}, {param}={short(value, 40)})",
            )
        for param, value in target.params:
            if param in ID_PARAMS and (rid := record_id(value)) is not None and not 1 <= int(rid) <= self.limits.max_id:
                return Stop(
                    "id_range",
                    target.name,
                    f"ids outside 1..{self.limits.max_id} not followed ({target.name}, {param}={short(value, 40)})",
                )
        return None

    def check_pagination(self, request: Request, target: Address, seen: Seen) -> Stop | None:
        """A further page of the list or in-page table the response shows: no
        further than the site says it has pages."""
        if seen.response is None or target.name != seen.address.name or not target.pages:
            return None
        table = target.table
        if table != seen.address.table:
            return None  # another list's page: its own pages will say how many they have
        is_table = "record_url" in request.meta
        carried: dict[str, int] = dict(seen.meta.get(META_PAGES) or {})
        allowed_by_param: dict[str, int] = {}
        for param, n in target.pages.items():
            allowed, why, said = self.pages_allowed(request, seen, table, param, carried.get(param), is_table)
            if n > allowed:
                return self.pagination_stop(request, seen, table, param, n, allowed, why, is_table)
            if said:  # only what the site said is carried; a setting is applied afresh on every page
                allowed_by_param[param] = allowed
        if allowed_by_param or carried:
            request.meta[META_PAGES] = {**carried, **allowed_by_param}
        return None

    def pages_allowed(
        self, request: Request, seen: Seen, table: str, param: str, carried: int | None, is_table: bool
    ) -> tuple[int, str, bool]:
        """The last page of ``table`` the site vouches for, what says so, and whether
        the site said it (else a setting stands in): for a
        list, its announced count over the rows a page holds; for an in-page table
        (or a list that announces nothing), its pager's last-page link. What an
        earlier page of the same table said (``carried``) is never exceeded."""
        derived: tuple[int, str] | None = None
        if not is_table and seen.announced is not None:
            size = max(seen.rows, seen.meta.get(META_PAGE_SIZE) or 0) or self.limits.list_page_size
            request.meta[META_PAGE_SIZE] = size
            derived = (max(1, math.ceil(seen.announced / size)), f"{seen.announced} announced, {size} a page")
        elif last := seen.last_pages.get((table, param)):
            derived = (last, "its pager's last page")
        candidates = [c for c in (derived, (carried, "said by its first pages") if carried else None) if c]
        if candidates:
            return (*min(candidates), True)
        if is_table:
            return self.limits.max_table_pages, "its pager shows no last page: ATLAS_MAX_TABLE_PAGES", False
        return self.limits.max_pages_per_list, "no count announced: ATLAS_MAX_PAGES_PER_LIST", False

    def pagination_stop(
        self, request: Request, seen: Seen, table: str, param: str, n: int, allowed: int, why: str, is_table: bool
    ) -> Stop:
        if is_table:
            name = page_name(table)
            return Stop(
                "table_pages",
                f"{name} {param}",
                f"in-page table pages beyond the last one their pager shows not fetched ({name}, table {param}): "
                f"page {n} linked, {allowed} pages ({why}), first on {short(request.meta['record_url'])}",
            )
        return Stop(
            "list_pages",
            table,
            f"list pages beyond what the list announces not fetched: {short(table)} has {allowed} pages ({why}), "
            f"page {n} linked from {short(seen.url)}",
        )

    def check_sibling_hops(self, request: Request, target: Address, seen: Seen) -> Stop | None:
        """A page linking to another variant of itself (a calendar's next day): no
        atlas page does that, so only a few such links in a row are followed."""
        if seen.response is None or target.name != seen.address.name or target.variant == seen.address.variant:
            return None
        hops = (seen.meta.get(META_HOPS) or 0) + 1
        if hops > self.limits.max_sibling_hops:
            return Stop(
                "sibling_hops",
                target.name,
                f"pages linking to ever-new variants of themselves not followed after "
                f"{self.limits.max_sibling_hops} links in a row ({target.name}: {short(target.url)})",
            )
        request.meta[META_HOPS] = hops
        return None

    def check_page_names(self, target: Address) -> Stop | None:
        if target.name in self.variants or len(self.variants) < self.limits.max_page_names:
            self.variants.setdefault(target.name, set())
            return None
        return Stop(
            "page_names",
            target.name,
            f"more than {self.limits.max_page_names} distinct page names under the atlas: "
            f"{short(target.name, 80)} not followed",
        )

    def check_query_variants(self, target: Address) -> Stop | None:
        known = self.variants[target.name]
        key = hash(target.variant)
        if key in known:
            return None
        if len(known) < self.limits.max_query_variants:
            known.add(key)
            return None
        return Stop(
            "query_variants",
            target.name,
            f"more than {self.limits.max_query_variants} parameter variants of {target.name}: further ones not "
            f"followed (first: {short(target.url)})",
        )

    # --- what a stop does --------------------------------------------------------
    def stopped(self, stop: Stop) -> None:
        """Count every stopped request; warn once per limit and key, and at most
        ``max_warnings_per_limit`` times per limit (a trap must not fill the report)."""
        self.crawler.stats.inc_value(stats.limit(stop.limit))
        warned = self.warned.setdefault(stop.limit, set())
        if stop.key in warned or len(warned) > self.limits.max_warnings_per_limit:
            return
        warned.add(stop.key)
        message = stop.message
        if len(warned) > self.limits.max_warnings_per_limit:
            message = (
                f"limit {stop.limit} stopped more than {self.limits.max_warnings_per_limit} lists or pages: "
                f"no further warnings; stat atlas/limits/{stop.limit} counts every request it stopped"
            )
        self.crawler.signals.send_catch_log(atlas_signals.crawl_warning, message=message)

    def record_continuation(self, request: Request) -> Iterable[Any]:
        """When a record's next table page is not fetched, that table is complete
        (its assembly says so, ``RecordAssembly.table_complete``): the record goes
        on to its next pending table page, asked for as the stopped page was, or is
        yielded."""
        assembly = request.cb_kwargs.get("assembly")
        if not isinstance(assembly, RecordAssembly):
            return ()
        step = assembly.table_complete(request.cb_kwargs.get("field"))
        if step is None:
            return (assembly.item,)
        field, url = step
        return (request.replace(url=url, cb_kwargs={"assembly": assembly, "field": field}),)

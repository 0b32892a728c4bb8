"""Never off the atlas: every request and every redirect hop must satisfy
``urls.in_scope`` (host + path prefix of ``ATLAS_BASE_URL``); the only other
address ever fetched is the atlas host's ``/robots.txt``.

The spider only follows links under the base already, but a link spelled with
``%2e%2e`` passes a prefix test, and a redirect is made by the downloader, not by
the spider: these components are the last word, below every other source of
requests."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest

from atlas_crawler import signals, stats
from atlas_crawler.pages.registry import record_of_url
from atlas_crawler.urls import in_scope

logger = logging.getLogger(__name__)

#: Warnings written to the report per run; the stat ``atlas/offsite_dropped`` counts them all.
MAX_WARNINGS = 50


class OffAtlas(IgnoreRequest):
    """A request or redirect hop that would leave the atlas: not sent."""


class Scope:
    """The rule for one crawl: ``in_scope`` of ``ATLAS_BASE_URL``, plus the atlas
    host's robots.txt; reports each refusal (stat, crawl warning)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.base: str = crawler.settings.get("ATLAS_BASE_URL")
        self.warned = 0

    def allows(self, url: str) -> bool:
        """In scope, or not an atlas crawl at all: ``scrapy shell URL`` fetches what
        its user typed (its spider is Scrapy's default one, not the atlas walk). A
        spider is held to the scope when it says it walks the atlas: its attribute
        ``stays_on_atlas`` is true (``AtlasSpider``'s is), read as Scrapy's offsite
        check reads ``allowed_domains``, so this module needs no spider class."""
        if not getattr(self.crawler.spider, "stays_on_atlas", False):
            return True
        return in_scope(url, self.base) or self.is_robots_txt(url)

    def is_robots_txt(self, url: str) -> bool:
        """``/robots.txt`` (no query) of the atlas origin, whatever the spelling of
        its host (Scrapy builds the address from the page request's netloc)."""
        parts = urlsplit(url)
        if parts.path != "/robots.txt" or parts.query or parts.fragment:
            return False
        return in_scope(urlunsplit((parts.scheme, parts.netloc, urlsplit(self.base).path, "", "")), self.base)

    def refuse(self, message: str) -> OffAtlas:
        """Count and report a refusal; returns the exception to raise."""
        self.crawler.stats.inc_value(stats.OFFSITE_DROPPED)
        if self.warned < MAX_WARNINGS:
            self.warned += 1
            self.crawler.signals.send_catch_log(signals.crawl_warning, message=message)
        elif self.warned == MAX_WARNINGS:
            self.warned += 1
            self.crawler.signals.send_catch_log(
                signals.crawl_warning,
                message=f"more than {MAX_WARNINGS} requests off the atlas dropped; see atlas/offsite_dropped",
            )
        return OffAtlas(message)


class ScopeMiddleware:
    """Downloader middleware: an out-of-scope request is dropped before anything
    else sees it (``IgnoreRequest``, so its errback reports the page). It must run
    before ``RobotsTxtMiddleware`` (100), which would otherwise fetch the
    robots.txt of whatever host a request names."""

    def __init__(self, crawler: Crawler) -> None:
        self.scope = Scope(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not self.scope.allows(request.url):
            raise self.scope.refuse(f"request off the atlas dropped: {request.url}")


class _ScopedHops:
    """Checks each hop a redirect middleware is about to follow: a hop off the
    atlas fails the *original* request (so the page is reported by its own URL),
    a hop to another spelling of the same page (e.g. an added ``;jsessionid``) is
    not filtered as a duplicate of itself, nor is any hop from a record's address
    (it must end written, failed or skipped, not vanish in the duplicate filter).

    It overrides ``BaseRedirectMiddleware._redirect`` (Scrapy 2.19, pinned), the one
    place both redirect middlewares pass every hop through, before Scrapy logs
    "Redirecting to" and before the new request is scheduled; tests/test_scope.py
    fails if a Scrapy upgrade moves it."""

    crawler: Crawler
    scope: Scope

    def _redirect(self, redirected: Request, request: Request, reason: object) -> Request:
        if not self.scope.allows(redirected.url):
            raise self.scope.refuse(f"redirect off the atlas not followed: {request.url} -> {redirected.url}")
        followed = super()._redirect(redirected, request, reason)  # type: ignore[misc]
        fingerprint = self.crawler.request_fingerprinter.fingerprint
        first = (followed.meta.get("redirect_urls") or [request.url])[0]
        if fingerprint(followed) == fingerprint(request) or record_of_url(first):
            # A record's address must end in an answer of its own: its hop to a page
            # already fetched (a merged project, a login page) is not filtered as seen.
            followed.dont_filter = True
        return followed

    @classmethod
    def from_crawler(cls, crawler: Crawler):  # type: ignore[no-untyped-def]
        middleware = super().from_crawler(crawler)  # type: ignore[misc]
        middleware.scope = Scope(crawler)
        return middleware


class ScopedRedirectMiddleware(_ScopedHops, RedirectMiddleware):
    """Scrapy's 3xx redirects, each hop checked against the scope."""


class ScopedMetaRefreshMiddleware(_ScopedHops, MetaRefreshMiddleware):
    """Scrapy's ``<meta http-equiv=refresh>`` redirects, each hop checked against the scope."""

"""robots.txt as RFC 9309 reads it, not as "anything goes when it fails".

Scrapy's ``RobotsTxtMiddleware`` parses whatever body comes back (a 503 page
included) and allows everything when the download fails. Here:

- 2xx: the rules are obeyed, for the address as sent and for its resolved
  spelling (``a/../rechercheAtlas.html`` is checked as ``rechercheAtlas.html``);
  a page they forbid is dropped with ``Dropped`` naming the rule
  (``forbidden by robots.txt (User-agent: *, Disallow: /x)``): the page is
  *skipped*, not failed, and the run report lists it. Its ``Crawl-delay`` is
  honoured by ``politeness.DelayFloor``;
- 4xx (but 429) and redirects beyond ``REDIRECT_MAX_TIMES``: no rules, every page
  allowed (RFC 9309 section 2.3.1.3);
- no connection at all (refused, no such host): the site is down; the crawl stops
  before any page with finish reason ``site_unreachable`` (its own exit status);
- 5xx, 429, a timeout or a redirect off the atlas: the crawl
  stops before any page is fetched, with finish reason ``robots_unavailable``
  (RFC 9309 section 2.3.1.4 says to assume a full disallow; a crawl that may fetch
  nothing has nothing to do). robots.txt is first retried like any page, but only
  ``ATLAS_ROBOTS_RETRY_TIMES`` times (default 2), each 503/429 after its
  ``Retry-After`` (``ATLAS_RETRY_AFTER_MAX``).
"""

from __future__ import annotations

import functools
import logging
from urllib.parse import urlsplit, urlunsplit

from protego import Protego
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectError

from atlas_crawler import signals, stats
from atlas_crawler.crawl.drops import Dropped
from atlas_crawler.outcome import REASON_ROBOTS_UNAVAILABLE, REASON_SITE_UNREACHABLE
from atlas_crawler.urls import _resolved_path

logger = logging.getLogger(__name__)


class RobotsUnavailable(IgnoreRequest):
    """robots.txt could not be read: no page may be fetched."""


class AtlasRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Replaces Scrapy's ``RobotsTxtMiddleware`` (same place, 100)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.retry_times = crawler.settings.getint("ATLAS_ROBOTS_RETRY_TIMES")
        self.unavailable: dict[str, str] = {}  # netloc -> why
        self.texts: dict[str, str] = {}  # netloc -> robots.txt as obeyed, to name the rule that forbids a page
        self.closing: Deferred[None] | None = None

    async def process_request(self, request: Request) -> None:  # type: ignore[override]
        if request.meta.get("dont_obey_robotstxt") and urlparse_cached(request).path == "/robots.txt":
            request.meta.setdefault("max_retry_times", self.retry_times)
        await super().process_request(request)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        why = self.unavailable.get(urlparse_cached(request).netloc)
        if why is not None:
            raise RobotsUnavailable(why)
        resolved = _resolved_spelling(request.url)
        for url in dict.fromkeys((request.url, resolved)):
            try:
                super().process_request_2(rp, request if url == request.url else request.replace(url=url))
            except IgnoreRequest:  # Scrapy's bare "Forbidden by robots.txt", stat robotstxt/forbidden counted
                netloc = urlparse_cached(request).netloc
                raise Dropped(forbidding_rule(self.texts.get(netloc, ""), url, self._agent(request))) from None

    def _agent(self, request: Request) -> str:
        """The User-Agent Scrapy's check matched the rules against."""
        agent = self._robotstxt_useragent or request.headers.get(b"User-Agent", self._default_useragent)
        return agent.decode("latin-1") if isinstance(agent, bytes) else str(agent)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        status = response.status
        if status >= 500 or status == 429:
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{status}")
            wait = "the atlas asks crawlers to wait" if status in (429, 503) else "the atlas is failing"
            self._robots_error(RobotsUnavailable(f"robots.txt answered {status}: {wait}; try again later"), netloc)
            return
        if status >= 300:  # 4xx, or a redirect not followed (too many hops): no rules (RFC 9309)
            logger.info("robots.txt answered %s: no rules, every page of the atlas may be fetched", status)
            response = response.replace(body=b"")
        self.texts[netloc] = response.body.decode("utf-8-sig", errors="ignore")  # as Scrapy's parsers read it
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        engine = self.crawler.engine
        if engine is not None and not engine.running:  # cancelled by a stop (SIGTERM): nothing to report
            super()._robots_error(exc, netloc)
            return
        why = str(exc) if isinstance(exc, RobotsUnavailable) else _failure_message(exc)
        self.unavailable[netloc] = why
        logger.error(why)
        self._stats.inc_value(stats.ROBOTS_UNAVAILABLE)
        self.crawler.signals.send_catch_log(signals.crawl_warning, message=why)
        if self.closing is None and engine is not None:
            # Not awaited: the close waits for the page requests that wait for this parser.
            down = isinstance(exc, ConnectError)  # nothing answered: the site, not its robots.txt, is down
            reason = REASON_SITE_UNREACHABLE if down else REASON_ROBOTS_UNAVAILABLE
            self.closing = deferred_from_coro(engine.close_spider_async(reason=reason))
        super()._robots_error(exc, netloc)


#: How the rule of a page robots.txt forbids begins (the run state counts those pages).
FORBIDDEN = "forbidden by robots.txt"


def forbidding_rule(text: str, url: str, agent: str) -> str:
    """Why robots.txt forbids ``url``, in words: the most specific ``Disallow`` that
    matches it, in the group that applies to ``agent`` (its own, else ``*``), as
    RFC 9309 section 2.2.2 picks it. Protego says only yes or no; the groups are
    read here (a few lines) and each rule's matching (``*``, ``$``,
    percent-encoding) is still Protego's."""
    group, rules = _group_for(_groups(text), agent)
    matching = [value for field, value in rules if field == "disallow" and _matches(value, url)]
    if group is None or not matching:
        return FORBIDDEN
    return f"{FORBIDDEN} (User-agent: {group}, Disallow: {max(matching, key=len)})"


def _groups(text: str) -> dict[str, list[tuple[str, str]]]:
    """robots.txt's rules by user agent (lower case), the groups of one agent merged."""
    groups: dict[str, list[tuple[str, str]]] = {}
    agents: list[str] = []
    after_rule = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        field, colon, value = line.partition(":")
        field, value = field.strip().lower().replace("_", "-"), value.strip()
        if not colon:
            continue
        if field == "user-agent":
            if after_rule:
                agents, after_rule = [], False
            if value:
                agents.append(value.lower())
                groups.setdefault(value.lower(), [])
        elif field not in ("sitemap", "host"):  # site-wide lines end no group
            after_rule = True
            if field in ("allow", "disallow") and value:
                for agent in agents:
                    groups[agent].append((field, value))
    return groups


def _group_for(groups: dict[str, list[tuple[str, str]]], agent: str) -> tuple[str | None, list[tuple[str, str]]]:
    """The group that applies: the longest agent name found as a token of ``agent``
    (``atlas-crawler`` in ``atlas-crawler/1.0 (...)``), else ``*``."""
    name = agent.strip().lower()
    found = [group for group in groups if group != "*" and _is_token_of(group, name)]
    if found:
        best = max(found, key=len)
        return best, groups[best]
    return ("*", groups["*"]) if "*" in groups else (None, [])


def _is_token_of(group: str, name: str) -> bool:
    """``group`` starts a token of ``name`` (not ``bot`` in ``mybot``), as Protego matches it."""
    start = name.find(group)
    while start != -1:
        if start == 0 or not (name[start - 1].isalnum() or name[start - 1] in "-_"):
            return True
        start = name.find(group, start + 1)
    return False


@functools.lru_cache(maxsize=256)
def _rule(value: str) -> Protego:
    return Protego.parse(f"User-agent: *\nDisallow: {value}\n")


def _matches(value: str, url: str) -> bool:
    return not _rule(value).can_fetch(url, "*")


def _failure_message(exc: Exception) -> str:
    detail = str(exc).splitlines()[0][:200] if str(exc) else ""
    name = type(exc).__name__
    return f"robots.txt could not be fetched ({name}{': ' + detail if detail else ''}): try again later"


def _resolved_spelling(url: str) -> str:
    """``url`` with its path as a server resolves it (see ``urls.in_scope``)."""
    parts = urlsplit(url)
    path = _resolved_path(parts.path)
    return url if path is None else urlunsplit(parts._replace(path=path))

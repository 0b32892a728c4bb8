"""A page is a page only when it is whole.

An answer that is cut short is retried like a 5xx and, if it stays broken, fails
with ``BrokenPage`` so the spider's errback reports it by URL; it never reaches a
parser, so it never becomes a wrong record. What Scrapy already does:

- a body shorter than its ``Content-Length`` when the connection closes: the
  HTTP/1.1 handler raises ``ResponseDataLossError`` (``DOWNLOAD_FAIL_ON_DATALOSS``
  is on by default), which is in ``RETRY_EXCEPTIONS``: retried, then failed.
  This middleware still checks the length, for runs with that setting off (the
  response then carries the ``dataloss`` flag) and counts the exception.
- a body cut short *without* ``Content-Length`` (the connection just closes):
  Twisted cannot tell it from a whole answer, Scrapy accepts it. Only the page
  itself can tell: an HTML document that opened ``<html`` must close it.

Checked here: an empty 200, a body shorter than its ``Content-Length``, an HTML
document without its closing ``</html>`` (case, whitespace and trailing
comments tolerated), and whatever the page types say is missing
(``atlas_crawler.pages.registry.incomplete_reason(response)``).
robots.txt is not a page: exempt.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest, ResponseDataLossError
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from atlas_crawler import stats as names
from atlas_crawler.pages.registry import incomplete_reason

#: The end of a whole HTML document: ``</html>``, then only whitespace and comments.
_HTML_END = re.compile(rb"</html\s*>(?:\s|<!--.*?-->)*\Z", re.IGNORECASE | re.DOTALL)
_HTML_START = re.compile(rb"<html[\s>]", re.IGNORECASE)
#: How far from the end ``</html>`` may sit (trailing comments, whitespace).
_TAIL = 4096


class BrokenPage(IgnoreRequest):
    """A page that stayed broken (empty, short, cut off, incomplete) after its retries."""


class WholePageMiddleware:
    """Downloader middleware: broken answers are retried, then failed."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.page_check: Callable[[Response], str | None] = incomplete_reason

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WholePageMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status != 200 or _is_robots_txt(request):
            return response
        reason = broken_reason(response) or self.page_check(response)
        if reason is None:
            return response
        stats = self.crawler.stats
        stats.inc_value(names.BROKEN_ANSWERS)
        stats.inc_value(names.broken_answers(reason.split(" (", 1)[0]))
        retry = get_retry_request(request, spider=self.crawler.spider, reason=f"broken page: {reason}")
        if retry is not None:
            return retry
        stats.inc_value(names.BROKEN_PAGES)
        raise BrokenPage(f"broken page: {reason}")

    def process_exception(self, request: Request, exception: Exception) -> None:
        """Counts the short bodies Scrapy's HTTP handler caught; the retry
        middleware (below) retries them."""
        if isinstance(exception, ResponseDataLossError):
            self.crawler.stats.inc_value(names.BROKEN_ANSWERS)
            self.crawler.stats.inc_value(names.broken_answers("data loss"))


def broken_reason(response: Response) -> str | None:
    """Why a 200 answer is not a whole page, or None."""
    body = response.body
    if not body.strip():
        return "empty body"
    if "dataloss" in response.flags:
        return "body shorter than its Content-Length"
    declared = response.headers.get(b"Content-Length")
    # After HttpCompressionMiddleware the body is the decompressed one, longer than
    # the compressed Content-Length for any HTML page: a shorter body is always a cut.
    if declared and declared.isdigit() and len(body) < int(declared):
        return f"body shorter than its Content-Length ({len(body)} < {int(declared)} bytes)"
    if _is_html(response) and _HTML_START.search(body) and not _HTML_END.search(body[-_TAIL:]):
        return "cut off (no closing </html>)"
    return None


def _is_html(response: Response) -> bool:
    content_type = (response.headers.get(b"Content-Type") or b"").lower()
    return b"html" in content_type or (not content_type and _body_looks_like_html(response.body))


def _body_looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _is_robots_txt(request: Request) -> bool:
    return urlparse_cached(request).path == "/robots.txt"

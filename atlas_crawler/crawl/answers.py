"""Answers the crawler can take whole, or a failure that says why not.

Scrapy bounds every body by ``DOWNLOAD_MAXSIZE``: the download handler as the bytes
arrive (a ``Content-Length`` over it is not even read), ``HttpCompressionMiddleware``
as it decodes gzip, deflate, br and zstd, 64 KiB at a time, so a decompression bomb
costs at most that much memory. What it does not do, and this middleware (which takes
its place) adds:

- names the limit in the failure: Scrapy fails a decoded body with a bare
  ``IgnoreRequest`` ("Ignored response …") and a body cancelled mid-stream with an
  empty ``DownloadCancelledError``; both become ``AnswerTooLarge``;
- fails an answer whose ``Content-Encoding`` it could not undo (an unknown coding,
  or a body that is not what its coding says): Scrapy warns and hands the still
  encoded bytes on, to be parsed as garbage. ``UndecodableAnswer`` instead.

Both are ``IgnoreRequest``s that are not ``Dropped``: the spider's errback fails the
page by URL with the message as its reason."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response

_MIB = 1024 * 1024
#: ``Content-Encoding: identity`` (RFC 9110 reserves it, some servers send it) means none.
_NONE = b"identity"


class AnswerTooLarge(IgnoreRequest):
    """An answer over ``DOWNLOAD_MAXSIZE`` as sent or once decoded: failed, never read in part."""


class UndecodableAnswer(IgnoreRequest):
    """An answer in a ``Content-Encoding`` the crawler does not (or cannot) undo: failed, never parsed."""


class AnswerLimitsMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression, with failures that name the limit or the encoding
    (DOWNLOADER_MIDDLEWARES 590, in place of Scrapy's own)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler=crawler)
        #: With COMPRESSION_ENABLED off nothing is asked for or decoded, but an encoded answer still fails.
        self.decode = crawler.settings.getbool("COMPRESSION_ENABLED")
        #: What the download handler saw of an answer still in flight: its declared
        #: length and the bytes received, to tell its size cancel from any other.
        self.declared: WeakKeyDictionary[Request, int] = WeakKeyDictionary()
        self.received: WeakKeyDictionary[Request, int] = WeakKeyDictionary()
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AnswerLimitsMiddleware:
        return cls(crawler)  # never NotConfigured, unlike Scrapy's (see ``decode``)

    def headers_received(self, headers: Any, body_length: int, request: Request, **_: Any) -> None:
        if isinstance(body_length, int) and body_length > 0:
            self.declared[request] = body_length

    def bytes_received(self, data: bytes, request: Request, **_: Any) -> None:
        self.received[request] = self.received.get(request, 0) + len(data)

    def process_request(self, request: Request) -> None:  # type: ignore[override]
        if self.decode:
            super().process_request(request)  # Accept-Encoding: what Scrapy decodes

    def process_response(self, request: Request, response: Response) -> Response:  # type: ignore[override]
        self.declared.pop(request, None)
        self.received.pop(request, None)
        if request.method == "HEAD" or not response.headers.getlist("Content-Encoding"):
            return response
        sent = [e for e in _encodings(response) if e != _NONE]
        if not sent:  # only ``identity``: the body as it is
            del response.headers["Content-Encoding"]
            return response
        if self.decode:
            try:
                response = super().process_response(request, response)  # type: ignore[assignment]
            except IgnoreRequest as error:  # Scrapy's only one: over DOWNLOAD_MAXSIZE once decoded
                raise AnswerTooLarge(
                    f"answer too large: more than DOWNLOAD_MAXSIZE ({_size(self._limit(request))}) "
                    f"once decoded from {_names(sent)} ({len(response.body):,} bytes as sent); not read"
                ) from error
            except Exception as error:  # zlib, gzip, brotli or zstd could not decode it
                raise UndecodableAnswer(
                    f"answer encoded as {_names(sent)} does not decode ({type(error).__name__}: {error}); not read"
                ) from error
        left = [e for e in _encodings(response) if e != _NONE]
        if left:
            raise UndecodableAnswer(f"answer encoded as {_names(left)}, which this crawler does not decode")
        if response.headers.getlist("Content-Encoding"):  # ``identity`` beside what was decoded
            del response.headers["Content-Encoding"]
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        """The download handler's cancel of an answer over ``DOWNLOAD_MAXSIZE``, named."""
        declared, received = self.declared.pop(request, 0), self.received.pop(request, 0)
        if not isinstance(exception, DownloadCancelledError):
            return None
        limit = self._limit(request)
        if limit and declared > limit:
            raise AnswerTooLarge(
                f"answer too large: its Content-Length ({declared:,} bytes) is more than "
                f"DOWNLOAD_MAXSIZE ({_size(limit)}); not downloaded"
            ) from exception
        if limit and received > limit:
            raise AnswerTooLarge(
                f"answer too large: more than DOWNLOAD_MAXSIZE ({_size(limit)}) received "
                f"({received:,} bytes); download cancelled"
            ) from exception
        return None

    def _limit(self, request: Request) -> int:
        return int(request.meta.get("download_maxsize", self._max_size))


def _encodings(response: Response) -> list[bytes]:
    """The codings of a body, in the order they were applied (``Content-Encoding: gzip, br``)."""
    return [
        token.strip().lower()
        for value in response.headers.getlist("Content-Encoding")
        for token in value.split(b",")
        if token.strip()
    ]


def _names(encodings: list[bytes]) -> str:
    return " then ".join(e.decode("latin-1") for e in encodings)


def _size(n: int) -> str:
    return f"{n // _MIB} MiB" if n and n % _MIB == 0 else f"{n:,} bytes"

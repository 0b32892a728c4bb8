"""HTTP messages as they crossed the wire, rebuilt from Scrapy's Request and
Response (which keep the status, the headers and the raw body, but neither the
status line nor the request line)."""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus

from scrapy import Request
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

#: Twisted has removed the chunked framing from the body Scrapy hands us, so this
#: header would make readers de-chunk a body that is not chunked: kept under another name.
_RENAMED = {b"transfer-encoding": b"X-Archive-Orig-Transfer-Encoding"}


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def header_lines(headers: object, drop: Iterable[bytes] = ()) -> list[bytes]:
    """Scrapy ``Headers`` (bytes, several values per name) as ``Name: value`` lines."""
    dropped = {name.lower() for name in drop}
    lines: list[bytes] = []
    for name, values in headers.items():  # type: ignore[attr-defined]
        key = name.lower()
        if key in dropped:
            continue
        shown = _RENAMED.get(key, name)
        lines.extend(b"%s: %s\r\n" % (shown, value) for value in values)
    return lines


def request_head(request: Request) -> bytes:
    """``GET /path?query HTTP/1.1`` and the headers Scrapy handed to its download
    handler (cookies, User-Agent, Accept-Encoding included), with ``Host`` as Twisted adds it."""
    parts = urlparse_cached(request)  # parsed once per request, shared with Scrapy's middlewares
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = header_lines(request.headers)
    if b"Host" not in request.headers:
        lines.insert(0, b"Host: %s\r\n" % parts.netloc.encode("idna"))
    return b"".join([f"{request.method} {target} HTTP/1.1\r\n".encode("latin-1"), *lines, b"\r\n"])


def status_line(status: int, protocol: str | None) -> bytes:
    """``HTTP/1.1 200 OK``: the version Scrapy saw when it kept one (HTTP/1.x for
    anything else, e.g. ``h2``, which WARC readers do not parse as a status line)."""
    version = protocol if protocol and protocol.upper().startswith("HTTP/1") else "HTTP/1.1"
    return f"{version} {status} {reason(status)}".rstrip().encode("latin-1") + b"\r\n"


def response_head(response: Response, drop: Iterable[bytes] = ()) -> bytes:
    """The status line and the headers as received."""
    return b"".join([status_line(response.status, response.protocol), *header_lines(response.headers, drop), b"\r\n"])

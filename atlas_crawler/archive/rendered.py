"""Pages fetched by Chromium through scrapy-playwright (the world map): Scrapy
only gets the rendered DOM, so the browser's own exchange is caught from the
page's ``response`` event and written as far as the browser tells it.

What is written for such a page:

- ``request``: the navigation request, with the headers the browser sent;
- ``response``: the status line and headers the browser received, and the body as
  the browser hands it out, i.e. already decoded: ``Content-Encoding`` and
  ``Transfer-Encoding`` are dropped and ``Content-Length`` is the decoded length;
- ``metadata`` (``WARC-Concurrent-To`` the response) saying so;
- ``conversion``: the rendered DOM Scrapy parsed, ``WARC-Refers-To`` the response.

When the browser's answer could not be caught (closed page, no navigation event),
only the ``conversion`` record and a ``metadata`` record saying why are written."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from atlas_crawler.archive.http import status_line
from atlas_crawler.archive.warcfiles import Record, warc_date, warc_fields
from atlas_crawler.archive.writer import ArchiveWriter

logger = logging.getLogger(__name__)
#: request.meta key: the navigation responses the page's "response" event saw.
SEEN = "atlas_warc_browser_responses"
_REWRITTEN = {"content-encoding", "content-length", "transfer-encoding"}
NOTE = (
    "fetched and rendered by headless Chromium (scrapy-playwright): the response body is the one the "
    "browser decoded (Content-Encoding, Transfer-Encoding removed, Content-Length recomputed); "
    "the conversion record holds the rendered DOM the crawler parsed"
)


def watch(request: Request) -> None:
    """Listens to the page's responses (scrapy-playwright attaches the handler before navigating)."""
    seen: list[Any] = []
    handlers = dict(request.meta.get("playwright_page_event_handlers") or {})
    own = handlers.get("response")
    if own is not None and not callable(own):
        logger.warning("%s has its own response handler (%r): its raw answer is not archived", request.url, own)
        return

    def on_response(pw_response: Any) -> Any:
        if pw_response.request.is_navigation_request():
            seen.append(pw_response)
        return own(pw_response) if own is not None else None

    handlers["response"] = on_response
    request.meta["playwright_page_event_handlers"] = handlers
    request.meta[SEEN] = seen


def forget(request: Request) -> None:
    request.meta.pop(SEEN, None)


async def record(writer: ArchiveWriter, request: Request, response: Response, sent: str) -> tuple[str, str]:
    """Writes the browser's exchange (when caught) and the rendered DOM; returns the
    record that stands for the page (the response, else the conversion) and its date."""
    seen = request.meta.pop(SEEN, None) or []
    pw = next((r for r in reversed(seen) if r.url == response.url), seen[-1] if seen else None)
    date = warc_date()
    raw: Record | None = None
    why = "the browser's answer was not seen"
    if pw is not None:
        try:
            raw, req = await _exchange(pw, sent, date)
        except Exception as error:  # Playwright errors: a closed page, a body no longer available
            why = f"the browser's answer could not be read: {type(error).__name__}: {error}"
        else:
            writer.record(raw)
            writer.record(req)
    note_fields = (("WARC-Concurrent-To", raw.record_id),) if raw else ()
    note = NOTE if raw else f"rendered by headless Chromium (scrapy-playwright); {why}"
    writer.record(Record("metadata", response.url, date, warc_fields({"note": note}), fields=note_fields))
    charset = getattr(response, "encoding", None) or "utf-8"
    conversion = Record(
        "conversion",
        response.url,
        date,
        response.body,
        content_type=f"text/html; charset={charset}",
        fields=(("WARC-Refers-To", raw.record_id),) if raw else (),
    )
    writer.record(conversion)
    return (raw or conversion).record_id, date


async def _exchange(pw: Any, sent: str, date: str) -> tuple[Record, Record]:
    body = await pw.body()
    headers = await pw.all_headers()
    sent_headers = await pw.request.all_headers()
    lines = [
        f"{name}: {value}\r\n".encode("latin-1", "replace")
        for name, values in headers.items()
        if name.lower() not in _REWRITTEN
        for value in values.split("\n")  # Playwright joins repeated headers (Set-Cookie) with newlines
    ]
    head = b"".join([status_line(pw.status, "HTTP/1.1"), *lines, b"Content-Length: %d\r\n\r\n" % len(body)])
    raw = Record("response", pw.url, date, body, head=head)
    parts = urlsplit(pw.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request_lines = [
        f"{name}: {value}\r\n".encode("latin-1", "replace")
        for name, value in sent_headers.items()
        if not name.startswith(":")
    ]
    if "host" not in sent_headers:
        request_lines.insert(0, f"host: {parts.netloc}\r\n".encode("latin-1"))
    method = pw.request.method
    req_head = b"".join([f"{method} {target} HTTP/1.1\r\n".encode("latin-1"), *request_lines, b"\r\n"])
    req = Record("request", pw.url, sent, b"", head=req_head, fields=(("WARC-Concurrent-To", raw.record_id),))
    return raw, req

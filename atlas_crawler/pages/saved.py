"""``python -m atlas_crawler.parse FILE --url URL``: parse one saved page offline
and print its record, for debugging a page the crawler got wrong.

The page goes through the same page types as in a crawl
(``atlas_crawler.pages.registry``): the URL and the content say which page it is,
and the bytes are decoded as in a crawl (``--content-type`` plays the HTTP header,
the page's ``<meta>`` counts too). A page that holds no record (an error page, a
list, an empty or binary file), or that is not the record page its ``--url``
announces (a login page saved from a project's address: ``not a project page:
«Connexion»``, as a crawl says), is refused with exit status 2; a page whose
declared encoding is wrong is read in the right one, with a warning."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.http import HtmlResponse

from atlas_crawler import helptext
from atlas_crawler.extract.flow import TooDeepError
from atlas_crawler.items import DOUBTS
from atlas_crawler.pages import registry


class NotParsableError(ValueError):
    """The file cannot give a record; the message says why."""


def response_from_file(path: Path, url: str, content_type: str | None = None) -> tuple[HtmlResponse, list[str]]:
    """The saved bytes as a response, and warnings about them (a wrong declared
    encoding is corrected: windows-1252 bytes declared UTF-8 read as windows-1252)."""
    body = path.read_bytes()
    if not body.strip():
        raise NotParsableError(f"{path} is empty")
    if b"\x00" in body[:4096] or b"<" not in body[:4096]:
        raise NotParsableError(f"{path} is not an HTML page (binary or plain text)")
    headers = {"Content-Type": content_type} if content_type else {}
    response = HtmlResponse(url=url, body=body, headers=headers)
    warnings: list[str] = []
    if "\ufffd" in response.text and response.encoding.replace("-", "").lower() in ("utf8", "ascii"):
        try:
            body.decode("cp1252")
        except UnicodeDecodeError:
            pass
        else:
            warnings.append(f"{path} is declared {response.encoding} but is not: read as windows-1252")
            response = HtmlResponse(url=url, body=body, encoding="cp1252")
    return response, warnings


def parse_file(path: Path, url: str, content_type: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """The record of a saved project or collectivity page, and warnings (the
    parse's doubts among them: what the page holds that it could not explain)."""
    response, warnings = response_from_file(path, url, content_type)
    try:
        page_type, assembly = registry.parse(response)
    except (registry.NotADataPageError, TooDeepError) as error:  # NotTheRecordPage among them
        raise NotParsableError(str(error)) from None
    if assembly is None:
        raise NotParsableError(f"{path} is a {page_type.name} page, not a project or collectivity page")
    record = ItemAdapter(assembly.item).asdict()
    warnings += [f"doubt: {d['rule']} ({d['field'] or 'page'}): {d['text']}" for d in record.pop(DOUBTS)]
    if not any(record.get(f) for f in ("title", "name")):
        raise NotParsableError(f"{path} holds no {record['type']} (no title, no name): not a {page_type.name} page")
    if assembly.pending:
        warnings.append(f"the other pages of its tables are not read offline: {', '.join(assembly.pending)}")
    return record, warnings


def main(argv: list[str] | None = None) -> int:
    parser = helptext.parser("python -m atlas_crawler.parse", __doc__)
    parser.add_argument("file", type=Path, help="the saved page (raw bytes as downloaded)")
    parser.add_argument("--url", required=True, help="the page's address, e.g. …/detailProjet.html?criteres.prjId=2431")
    parser.add_argument(
        "--content-type", help="the HTTP Content-Type it came with, e.g. 'text/html;charset=windows-1252'"
    )
    args = parser.parse_args(argv)
    try:
        record, warnings = parse_file(args.file, args.url, args.content_type)
    except (OSError, NotParsableError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(json.dumps(record, ensure_ascii=False, indent=2))
    empty = [k for k, v in record.items() if v in (None, [], {})]
    print(f"not found on this page: {', '.join(empty) or 'nothing'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m atlas_crawler.parse FILE --url URL``: parse one saved page offline
and print its record, for debugging a page the crawler got wrong.

The URL says which page it is (``detailProjet.html?criteres.prjId=…`` or a
``detailCollectivite…`` page) and resolves its links; the bytes are decoded as
in a crawl (``--content-type`` plays the HTTP header, the page's ``<meta>``
counts too)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.http import HtmlResponse

from atlas_crawler import urls
from atlas_crawler.pages.collectivity import parse_collectivity
from atlas_crawler.pages.common import soft_error
from atlas_crawler.pages.project import parse_project


def parse_file(path: Path, url: str, content_type: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": content_type} if content_type else {}
    response = HtmlResponse(url=url, body=path.read_bytes(), headers=headers)
    reason = soft_error(response)
    if reason:
        raise ValueError(f"{path} is not a data page ({reason})")
    if urls.project_id(url):
        return ItemAdapter(parse_project(response).item).asdict()
    if urls.collectivity_id(url) and urls.collectivity_kind(url):
        return ItemAdapter(parse_collectivity(response)).asdict()
    raise ValueError(f"{url} is neither a project nor a collectivity address")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m atlas_crawler.parse", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file", type=Path, help="the saved page (raw bytes as downloaded)")
    parser.add_argument("--url", required=True, help="the page's address, e.g. …/detailProjet.html?criteres.prjId=2431")
    parser.add_argument(
        "--content-type", help="the HTTP Content-Type it came with, e.g. 'text/html;charset=windows-1252'"
    )
    args = parser.parse_args(argv)
    try:
        record = parse_file(args.file, args.url, args.content_type)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(record, ensure_ascii=False, indent=2))
    empty = [k for k, v in record.items() if v in (None, [], {})]
    print(f"not found on this page: {', '.join(empty) or 'nothing'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Records rebuilt from WARC files alone, through the same page types, parsers,
table-page merge (``registry.records_from_responses``) and item pipelines as a
live crawl. The re-parse of a dump gives the records of the crawl that wrote it.

1. index: every response record of every file (in a process per file);
2. choice: per canonical address, its answers in the order they were received;
   the page is the last whole, successful one (200, not cut short, not a soft
   error page), as the crawl's retries and whole-page checks made it;
3. parse: chunks of pages in a process pool (every core), each page through
   ``registry.records_from_responses``, its table pages looked up in the index;
4. pipelines and output, in this process, in the order the pages were received;
   ``crawled_at`` is the ``WARC-Date`` of the page's response."""

from __future__ import annotations

import io
import os
from collections import Counter, defaultdict, deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from scrapy.http import Headers, Response, TextResponse
from scrapy.responsetypes import responsetypes
from warcio.archiveiterator import ArchiveIterator

from atlas_crawler import urls
from atlas_crawler.archive.scan import TruncatedError, http_status, iter_members, read_head, read_member
from atlas_crawler.crawl.wholepage import broken_reason
from atlas_crawler.pages import registry
from atlas_crawler.pages.common import soft_error, to_second
from atlas_crawler.run.accounting import failure_reason
from atlas_crawler.settings import DOWNLOAD_MAXSIZE

#: Pages per task sent to a worker: large enough that pickling is cheap, small
#: enough that the cores stay busy to the end and progress moves.
CHUNK = 250


@dataclass(frozen=True)
class Answer:
    """A response record: where it is, when it was received, what it says in its headers."""

    file: int
    offset: int
    length: int
    date: str
    status: int
    whole: bool  # no WARC-Truncated, body as long as its Content-Length says


@dataclass
class FileIndex:
    """What indexing one WARC file found."""

    path: str
    answers: list[tuple[str, Answer]] = field(default_factory=list)  # (URI, answer), in file order
    requested: set[str] = field(default_factory=set)  # canonical URLs of every request record
    records: int = 0
    truncated: str | None = None


def index_file(number: int, path: str) -> FileIndex:
    """Every response record of one file (its URI, status, date, place)."""
    found = FileIndex(path)
    with open(path, "rb") as fh:
        try:
            for member in iter_members(fh):
                fields, block = read_head(member)
                found.records += 1
                kind = fields.get("warc-type")
                uri = fields.get("warc-target-uri", "")
                if kind == "request":
                    found.requested.add(urls.canonicalize(uri))
                if kind != "response":
                    continue
                whole = "warc-truncated" not in fields
                status = http_status(member, block)
                answer = Answer(number, member.offset, member.length, fields.get("warc-date", ""), status, whole)
                found.answers.append((uri, answer))
        except TruncatedError as error:  # a killed crawl: everything before the cut is read
            found.truncated = str(error)
    return found


def crawled_at(warc_date: str) -> str:
    """``crawled_at`` from a ``WARC-Date``: what the crawl's spider gave the same response."""
    return to_second(warc_date)


# --- the workers ------------------------------------------------------------------------------
_files: list[str] = []
_answers: dict[str, list[Answer]] = {}
_requested: set[str] = set()
_handles: dict[int, IO[bytes]] = {}


def _init_worker(files: list[str], answers: dict[str, list[Answer]], requested: set[str]) -> None:
    global _files, _answers, _requested  # one copy per worker process, set once
    _files, _answers, _requested = files, answers, requested


def response_of(answer: Answer, files: list[str], handles: dict[int, IO[bytes]]) -> Response | None:
    """The Scrapy response the downloader made of this record (``read_response``)."""
    if answer.file not in handles:
        handles[answer.file] = open(files[answer.file], "rb")  # noqa: SIM115 (kept open for the worker's life)
    return read_response(handles[answer.file], answer.offset, answer.length, answer.status)


def read_response(fh: IO[bytes], offset: int, length: int | None = None, status: int | None = None) -> Response | None:
    """The Scrapy response the downloader made of the response record at ``offset``: the
    body decoded from its Content-Encoding (as the crawl's decompression does), the same
    class; None for a body over ``DOWNLOAD_MAXSIZE`` once decoded (the crawl failed it,
    and a decompression bomb in a dump must not fill a worker's memory)."""
    member = read_member(fh, offset, length)
    record = next(iter(ArchiveIterator(io.BytesIO(member.data))))
    url = record.rec_headers.get_header("WARC-Target-URI")
    body = record.content_stream().read(DOWNLOAD_MAXSIZE + 1)  # warcio undoes chunking and gzip/deflate/br
    if len(body) > DOWNLOAD_MAXSIZE:
        return None
    headers = Headers()
    for name, value in record.http_headers.headers:
        if name.lower() not in ("content-encoding", "x-archive-orig-transfer-encoding"):
            headers.appendlist(name, value.encode("latin-1"))
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    code = status if status is not None else int(record.http_headers.get_statuscode() or 0)
    return cls(url=url, status=code, headers=headers, body=body)


def last_good(url: str) -> tuple[Response, Answer] | None:
    """The last whole, successful answer for ``url``: what the crawl parsed."""
    for answer in reversed(_answers.get(url, ())):
        if answer.status != 200 or not answer.whole:
            continue
        response = response_of(answer, _files, _handles)
        if (
            response is None or broken_reason(response) or registry.incomplete_reason(response)
        ):  # the crawl's whole-page check
            continue
        if isinstance(response, TextResponse) and soft_error(response):  # the crawl's soft-error check
            continue
        return response, answer
    return None


def _fetch(url: str) -> TextResponse | None:
    found = last_good(url)
    return found[0] if found is not None and isinstance(found[0], TextResponse) else None  # type: ignore[return-value]


@dataclass
class ChunkResult:
    pages: int = 0
    items: list[tuple[Any, str]] = field(default_factory=list)  # (item, page URL)
    counts: Counter[str] = field(default_factory=Counter)
    failed: list[dict[str, Any]] = field(default_factory=list)


def parse_chunk(pages: list[str]) -> ChunkResult:
    """The records of these pages (canonical URLs), each with its table pages."""
    result = ChunkResult(pages=len(pages))
    for url in pages:
        found = last_good(url)
        if found is None:
            result.counts["pages without a whole successful answer"] += 1
            result.failed.append({"url": url, "reason": "no whole successful answer (status, soft error, cut short)"})
            continue
        response, answer = found
        result.counts["pages parsed"] += 1
        if not isinstance(response, TextResponse):
            continue
        try:
            records = list(registry.records_from_responses(response, _fetch, crawled_at=crawled_at(answer.date)))
        except Exception as error:  # as in the crawl: a page the parser refuses fails by URL
            result.counts["pages the parser refused"] += 1
            result.failed.append({"url": url, "reason": failure_reason(error)})
            continue
        for item, missing in records:
            if missing:  # as in the crawl, a record lacking a table page is not written
                failed = [u for u in missing if u in _requested]
                absent = [u for u in missing if u not in _requested]
                reasons = [f"table pages failed: {', '.join(failed)}"] if failed else []
                reasons += [f"table pages not in the dump: {', '.join(absent)}"] if absent else []
                result.counts["records lacking a table page"] += 1
                result.failed.append({"url": url, "reason": "; ".join(reasons)})
                continue
            result.items.append((item, url))
    return result


# --- the run -------------------------------------------------------------------------------
@dataclass
class Index:
    files: list[str]
    answers: dict[str, list[Answer]]
    requested: set[str]
    order: list[str]  # canonical URLs of pages that may give records, in the order first received
    records: int
    truncated: dict[str, str]


def build_index(files: list[Path], pool: ProcessPoolExecutor) -> Index:
    names = [str(p) for p in files]
    indexes = list(pool.map(index_file, range(len(names)), names))
    answers: dict[str, list[Answer]] = defaultdict(list)
    order: list[str] = []
    requested: set[str] = set()
    for found in indexes:
        requested |= found.requested
        for uri, answer in found.answers:
            url = urls.canonicalize(uri)
            if url not in answers and is_page(url):
                order.append(url)
            answers[url].append(answer)
    truncated = {Path(f.path).name: f.truncated for f in indexes if f.truncated}
    return Index(names, dict(answers), requested, order, sum(f.records for f in indexes), truncated)


def is_page(url: str) -> bool:
    """A page the spider parses: not robots.txt, not a further page of a table
    (those join the record of their project page)."""
    if urls.is_robots_txt(url):
        return False
    return registry.type_of_url(url) is not registry.PROJECT_TABLE_PAGE


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def reparse(files: list[Path], processes: int | None = None) -> Iterator[tuple[str, Any]]:
    """Yields ``("index", Index)`` once, then ``("chunk", ChunkResult)`` in page order."""
    processes = processes or workers()
    with ProcessPoolExecutor(max_workers=processes) as pool:
        index = build_index(files, pool)
    yield "index", index
    with ProcessPoolExecutor(
        max_workers=processes, initializer=_init_worker, initargs=(index.files, index.answers, index.requested)
    ) as pool:
        pending: deque[Future[ChunkResult]] = deque()
        for chunk in chunks(index.order, CHUNK):
            pending.append(pool.submit(parse_chunk, chunk))
            if len(pending) >= 3 * processes:  # a few chunks ahead: the cores stay busy, memory stays flat
                yield "chunk", pending.popleft().result()
        while pending:
            yield "chunk", pending.popleft().result()

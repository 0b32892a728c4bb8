"""Archival dumps: the WARC writer in a real crawl of a faulty replica (every
exchange, failed ones included, counted against the replica's own log), standard
tools on the files (warcio, the WACZ validator), the manifest and ``verify``
(a flipped byte, a missing file, an added file, a killed crawl), and the
middleware alone on what the replica never sends (compressed bodies, no answer)."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from scrapy import Request
from scrapy.exceptions import UsageError
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from atlas_crawler.archive.layout import CAPTURES, CDXJ, MANIFEST, PAGES, WACZ, WARC_DIR, warc_files
from atlas_crawler.archive.middleware import ArchiveMiddleware
from atlas_crawler.archive.scan import TruncatedError, iter_members, iter_records, read_member
from atlas_crawler.archive.verify import check_provenance
from atlas_crawler.archive.workers import crawled_at as reparse_crawled_at
from atlas_crawler.files import RECORDS, REPORT
from atlas_crawler.pages.common import FETCHED_AT, fetched_at
from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl, crawl_command, free_port
from atlas_crawler.replica.server import Replica
from atlas_crawler.replica.templates import ATLAS_PATH
from atlas_crawler.replica.world import World
from atlas_crawler.urls import canonicalize

PROJECTS = 60
WARC_MAX = 300_000  # small files, so that the crawl rolls over several times


# --- a replica that logs every request it answers --------------------------------------
@dataclass
class LoggedReplica:
    base: str
    log: list[tuple[str, str, int]]  # (method, path?query as requested, status)
    truth: dict[str, Any]


@pytest.fixture(scope="module")
def logged_replica() -> Iterator[LoggedReplica]:
    """The replica's own server (``Replica``), in a thread of the test process, with a
    middleware that logs every request and the status it was answered with."""
    world = World(PROJECTS, seed=1, faults=True)
    log: list[tuple[str, str, int]] = []

    @web.middleware
    async def log_requests(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as error:
            log.append((request.method, request.raw_path, error.status))
            raise
        log.append((request.method, request.raw_path, response.status))
        return response

    port = free_port()
    app = Replica(world).app()
    app.middlewares.append(log_requests)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}{ATLAS_PATH}"
    try:
        yield LoggedReplica(base, log, world.truth(base))
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)


@dataclass
class Dump:
    directory: Path
    records: list[dict[str, Any]]
    log: list[tuple[str, str, int]]
    output: str
    truth: dict[str, Any]


def archive_settings(directory: Path, **more: str) -> dict[str, str]:
    return {"ATLAS_ARCHIVE": "True", "ATLAS_ARCHIVE_DIR": str(directory), **more}


@pytest.fixture(scope="module")
def dump(logged_replica: LoggedReplica, tmp_path_factory: pytest.TempPathFactory) -> Dump:
    tmp = tmp_path_factory.mktemp("archive")
    logged_replica.log.clear()
    settings = archive_settings(
        tmp / "dump", ATLAS_WARC_MAX_SIZE=str(WARC_MAX), LOG_FILE=str(tmp / "crawl.log"), ATLAS_EXPORT="csv"
    )
    result = crawl(logged_replica.base, tmp / "atlas.jsonl", settings=settings)
    assert (tmp / "dump" / MANIFEST).exists(), result.stdout[-5000:]
    records = [json.loads(line) for line in (tmp / "atlas.jsonl").read_text("utf-8").splitlines()]
    return Dump(tmp / "dump", records, list(logged_replica.log), result.stdout, logged_replica.truth)


def all_records(directory: Path) -> list[tuple[str, int, Any]]:
    return [
        (path.name, member.offset, record) for path in warc_files(directory) for member, record in iter_records(path)
    ]


def http_records(directory: Path, warc_type: str) -> list[Any]:
    return [record for _, _, record in all_records(directory) if record.rec_type == warc_type]


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


e2e = pytest.mark.e2e


# --- every exchange ------------------------------------------------------------------------
@e2e
def test_every_exchange_the_replica_answered_is_in_the_dump(dump: Dump) -> None:
    """One response record per answer the replica logged, with its status, and one
    request record per request: robots.txt, pages, retries, 500s, 503s, soft errors."""
    answered = Counter((path, status) for _, path, status in dump.log)
    responses = http_records(dump.directory, "response")
    recorded = Counter(
        (path_and_query(r.rec_headers.get_header("WARC-Target-URI")), r.http_headers.get_statuscode())
        for r in responses
    )
    assert recorded == Counter({(p, str(s)): n for (p, s), n in answered.items()})
    assert len(http_records(dump.directory, "request")) == len(dump.log)
    statuses = Counter(status for _, _, status in dump.log)
    assert statuses[500] and statuses[503], "the replica must have failed some answers"
    assert any(path == "/robots.txt" for _, path, _ in dump.log)


@e2e
def test_soft_error_pages_and_their_retries_are_recorded(dump: Dump) -> None:
    soft = [r for r in http_records(dump.directory, "response") if b"Erreur technique" in r.content_stream().read()]
    failed = set(dump.truth["failed_urls"])
    assert failed
    soft_urls = Counter(canonicalize(r.rec_headers.get_header("WARC-Target-URI")) for r in soft)
    for url in failed:  # always failing: the first attempt and its three retries
        assert soft_urls[url] == 4, url


@e2e
def test_requests_and_responses_are_linked_and_carry_both_digests(dump: Dump) -> None:
    records = [r for _, _, r in all_records(dump.directory)]
    responses = {r.rec_headers.get_header("WARC-Record-ID"): r for r in records if r.rec_type == "response"}
    requests = [r for r in records if r.rec_type == "request"]
    assert {r.rec_headers.get_header("WARC-Concurrent-To") for r in requests} == set(responses)
    for record in [*responses.values(), *requests]:
        assert record.rec_headers.get_header("WARC-Block-Digest").startswith("sha1:")
        assert record.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
        assert record.rec_headers.protocol == "WARC/1.1"
    request = requests[-1]
    assert request.http_headers.protocol == "GET"
    assert request.http_headers.get_header("User-Agent").startswith("atlas-crawler/")
    assert request.http_headers.get_header("Host")


@e2e
def test_files_roll_over_and_each_starts_with_its_warcinfo(dump: Dump) -> None:
    files = warc_files(dump.directory)
    assert len(files) > 2
    for path in files:
        first = next(iter_records(path))[1]
        assert first.rec_type == "warcinfo"
        assert first.rec_headers.get_header("WARC-Filename") == path.name
        assert path.stat().st_size < WARC_MAX + 100_000
    info = dict(
        line.split(": ", 1) for line in next(iter_records(files[0]))[1].content_stream().read().decode().splitlines()
    )
    assert info["software"].startswith("atlas-crawler/0.") and "Scrapy 2." in info["software"]
    assert info["robots"] == "obey"
    assert info["operator"]
    assert json.loads(info["scrapy-settings"])["ATLAS_WARC_MAX_SIZE"] == str(WARC_MAX)


# --- standard tools -------------------------------------------------------------------------
@e2e
def test_warcio_check_and_index_accept_every_file(dump: Dump) -> None:
    files = [str(p) for p in warc_files(dump.directory)]
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", *files], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout[-3000:]
    assert "digest pass" in check.stdout and "fail" not in check.stdout.lower()
    index = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "index", *files], capture_output=True, text=True, check=False
    )
    assert index.returncode == 0, index.stderr[-3000:]
    assert len(index.stdout.splitlines()) == len(all_records(dump.directory))


@e2e
def test_the_wacz_validates_offline_and_indexes_every_record_page(dump: Dump) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(dump.directory / WACZ)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0 and "Validation succeeded" in run.stdout, run.stdout[-3000:]
    with zipfile.ZipFile(dump.directory / WACZ) as wacz:
        names = set(wacz.namelist())
        index = gzip.decompress(wacz.read("indexes/index.cdx.gz")).decode()
    assert {f"archive/{p.name}" for p in warc_files(dump.directory)} <= names
    assert "pages/pages.jsonl" in names
    for record in dump.records:
        assert json.dumps(record["url"])[1:-1] in index, record["url"]


@e2e
def test_the_wacz_carries_the_dumps_provenance(dump: Dump) -> None:
    """Kept alone, the WACZ still holds the manifest (less its own line), the captures
    map, the records, the report, the crawl log and the data package, each hashed in its
    datapackage.json."""
    manifest = json.loads((dump.directory / MANIFEST).read_text("utf-8"))
    with zipfile.ZipFile(dump.directory / WACZ) as wacz:
        package = json.loads(wacz.read("datapackage.json"))
        inner = json.loads(gzip.decompress(wacz.read(f"logs/{MANIFEST}.gz")))
        copies = {name: wacz.read(f"logs/{name}") for name in (CAPTURES, RECORDS)}
        copies[REPORT] = gzip.decompress(wacz.read(f"logs/{REPORT}.gz"))
        log = wacz.read("logs/crawl.log").decode("utf-8")
        tables = json.loads(gzip.decompress(wacz.read("logs/tables-csv.datapackage.json.gz")))
    listed = {r["path"] for r in package["resources"] if r["hash"].startswith("sha256:") and r["bytes"]}
    names = (f"{MANIFEST}.gz", CAPTURES, RECORDS, f"{REPORT}.gz", "crawl.log", "tables-csv.datapackage.json.gz")
    assert {f"logs/{n}" for n in names} <= listed
    assert inner == {**manifest, "files": {k: v for k, v in manifest["files"].items() if k != WACZ}}
    assert WACZ in manifest["files"] and WACZ not in inner["files"]
    for name, data in copies.items():
        assert data == (dump.directory / name).read_bytes(), name
    assert log and (dump.directory.parent / "crawl.log").read_text("utf-8").startswith(log)  # as written by then
    assert {r["name"] for r in tables["resources"]} >= {"projects", "collectivities"}


@e2e
def test_the_page_list_gives_each_record_its_title_and_visible_text(dump: Dump) -> None:
    with zipfile.ZipFile(dump.directory / WACZ) as wacz:
        lines = [json.loads(line) for line in wacz.read("pages/pages.jsonl").decode("utf-8").splitlines()]
    assert lines[0]["format"] == "json-pages-1.0"
    pages = {page["url"]: page for page in lines[1:]}
    assert len(pages) == len(dump.records) + 1  # every record's page and the home page
    for record in dump.records:
        page = pages[canonicalize(record["url"])]
        title = record.get("title") or record["name"]
        assert page["title"] == title
        assert " ".join(title.split()) in page["text"]
        assert "<" not in page["text"][:200]  # text, not markup
    project = next(r for r in dump.records if r["type"] == "project" and r.get("description"))
    words = " ".join(project["description"].split())[:40]
    assert words in pages[canonicalize(project["url"])]["text"]  # the long texts are searchable too


@e2e
def test_the_cdxj_index_lists_every_response(dump: Dump) -> None:
    lines = (dump.directory / CDXJ).read_text("utf-8").splitlines()
    entries = [json.loads(line.split(" ", 2)[2]) for line in lines]
    assert len([e for e in entries if "status" in e]) == len(http_records(dump.directory, "response"))
    assert lines == sorted(lines)
    assert all(e["filename"].startswith(f"{WARC_DIR}/") for e in entries)


# --- records -> captures ------------------------------------------------------------------------
@e2e
def test_every_record_points_to_the_response_it_was_parsed_from(dump: Dump) -> None:
    captures = [json.loads(line) for line in (dump.directory / CAPTURES).read_text("utf-8").splitlines()]
    keys = Counter((c["type"], c.get("kind"), c["id"]) for c in captures)
    assert keys == Counter((r["type"], r.get("kind"), r["id"]) for r in dump.records)
    merged = 0
    for capture in captures:
        refs = [capture, *capture.get("table_pages", [])]
        merged += bool(capture.get("table_pages"))
        for ref in refs:
            with (dump.directory / WARC_DIR / ref["warc_filename"]).open("rb") as fh:
                member = read_member(fh, ref["warc_offset"])
            record = next(iter_records_of(member.data))
            assert record.rec_headers.get_header("WARC-Record-ID") == ref["warc_record_id"]
            assert record.rec_type == "response" and record.http_headers.get_statuscode() == "200"
            assert canonicalize(record.rec_headers.get_header("WARC-Target-URI")) == ref["url"]
        assert capture["url"] == canonicalize(capture["url"])
    assert merged, "some projects must have been assembled from several table pages"


def iter_records_of(data: bytes) -> Iterator[Any]:
    yield from ArchiveIterator(io.BytesIO(data))


# --- manifest and verify ----------------------------------------------------------------------------
def verify(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "atlas_crawler.verify", str(directory)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@e2e
def test_the_manifest_describes_the_dump(dump: Dump) -> None:
    manifest = json.loads((dump.directory / MANIFEST).read_text("utf-8"))
    on_disk = {p.relative_to(dump.directory).as_posix() for p in dump.directory.rglob("*") if p.is_file()} - {MANIFEST}
    assert set(manifest["files"]) == on_disk
    assert {CAPTURES, CDXJ, WACZ, PAGES, RECORDS} <= on_disk
    assert (dump.directory / RECORDS).read_bytes() == (dump.directory.parent / "atlas.jsonl").read_bytes()
    types = Counter(r.rec_type for _, _, r in all_records(dump.directory))
    assert manifest["warc_records"]["total"] == dict(sorted(types.items()))
    assert manifest["finish_reason"] == "finished"
    assert manifest["started_at"] <= manifest["finished_at"]
    assert manifest["crawler"]["version"]
    assert "warcio" in manifest["dependencies"] and "scrapy" in manifest["dependencies"]
    assert set(manifest["schemas"]) == {"project.schema.json", "collectivity.schema.json"}


@e2e
def test_verify_passes_on_the_dump_as_written(dump: Dump) -> None:
    run = verify(dump.directory)
    assert run.returncode == 0, run.stdout
    assert run.stdout.startswith("verified")


@pytest.mark.parametrize("target", ["warc", RECORDS, CAPTURES, WACZ])
@e2e
def test_verify_fails_on_one_flipped_byte_naming_the_file(dump: Dump, tmp_path: Path, target: str) -> None:
    copy = shutil.copytree(dump.directory, tmp_path / "dump")
    path = warc_files(copy)[1] if target == "warc" else copy / target
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    run = verify(copy)
    assert run.returncode == 1, run.stdout
    name = path.relative_to(copy).as_posix()
    assert f"{name}: SHA-256 differs" in run.stdout


@e2e
def test_verify_fails_on_a_missing_or_an_added_file(dump: Dump, tmp_path: Path) -> None:
    copy = shutil.copytree(dump.directory, tmp_path / "dump")
    gone = warc_files(copy)[0]
    gone.unlink()
    (copy / "notes.txt").write_text("added later")
    run = verify(copy)
    assert run.returncode == 1, run.stdout
    assert f"{WARC_DIR}/{gone.name}: missing" in run.stdout
    assert "notes.txt: not listed" in run.stdout


@e2e
def test_verify_says_incomplete_for_a_cut_dump_and_names_its_last_complete_record(dump: Dump, tmp_path: Path) -> None:
    copy = shutil.copytree(dump.directory, tmp_path / "dump")
    (copy / MANIFEST).unlink()
    last = warc_files(copy)[-1]
    with last.open("rb") as fh:
        members = list(iter_members(fh))
    cut = members[-3].offset + members[-3].length // 2  # in the middle of the third-last record
    os.truncate(last, cut)
    whole = members[-4]
    expected_id = next(iter_records_of(whole.data)).rec_headers.get_header("WARC-Record-ID")
    run = verify(copy)
    assert run.returncode == 3, run.stdout
    assert run.stdout.startswith("incomplete")
    assert "last complete record: " in run.stdout and expected_id in run.stdout
    assert f"truncated record at offset {members[-3].offset}" in run.stdout


@e2e
def test_a_crawl_killed_with_kill_9_leaves_a_dump_readable_to_its_last_record(
    logged_replica: LoggedReplica, tmp_path: Path
) -> None:
    directory = tmp_path / "dump"
    command = crawl_command(logged_replica.base, tmp_path / "atlas.jsonl", settings=archive_settings(directory))
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            files = warc_files(directory) if (directory / WARC_DIR).exists() else []
            if files and files[-1].stat().st_size > 100_000:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the crawl ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert not (directory / MANIFEST).exists()
    run = verify(directory)
    assert run.returncode == 3, run.stdout
    assert "incomplete" in run.stdout and "last complete record: " in run.stdout
    read = [record for path in warc_files(directory) for _, record in _complete_records(path)]
    assert len(read) > 20
    assert all(r.rec_type in ("warcinfo", "request", "response") for r in read)


def _complete_records(path: Path) -> Iterator[tuple[Any, Any]]:
    try:
        yield from iter_records(path)
    except TruncatedError:
        return


# --- the middleware alone --------------------------------------------------------------------
@pytest.fixture
def middleware(tmp_path: Path) -> Iterator[ArchiveMiddleware]:
    crawler = get_crawler(
        settings_dict={"ATLAS_ARCHIVE": True, "ATLAS_ARCHIVE_DIR": str(tmp_path / "dump"), "ATLAS_WARC_MAX_SIZE": 10**9}
    )
    mw = ArchiveMiddleware.from_crawler(crawler)
    yield mw
    mw.writer.close()


def test_a_compressed_body_is_recorded_as_sent_and_decoded_by_readers(middleware: ArchiveMiddleware) -> None:
    page = "<html><body><h1>Projet</h1>é</body></html>".encode()
    request = Request(
        "http://example.org/detailProjet.html?criteres.prjId=1",
        headers={"Accept-Encoding": "gzip", "Cookie": "JSESSIONID=1"},
    )
    middleware.process_request(request)
    body = gzip.compress(page)
    response = HtmlResponse(
        request.url,
        status=200,
        body=body,
        request=request,
        headers={"Content-Encoding": "gzip", "Content-Type": "text/html;charset=UTF-8", "Transfer-Encoding": "chunked"},
    )
    asyncio.run(middleware.process_response(request, response))
    middleware.writer.close()
    records = [r for _, _, r in all_records(middleware.directory)]
    [resp] = [r for r in records if r.rec_type == "response"]
    [req] = [r for r in records if r.rec_type == "request"]
    assert resp.http_headers.get_header("Content-Encoding") == "gzip"
    assert resp.http_headers.get_header("Transfer-Encoding") is None
    assert resp.http_headers.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert resp.http_headers.statusline == "200 OK"
    assert req.http_headers.get_header("Cookie") == "JSESSIONID=1"
    assert req.http_headers.get_header("Host") == "example.org"
    assert req.rec_headers.get_header("WARC-Concurrent-To") == resp.rec_headers.get_header("WARC-Record-ID")


def test_a_response_is_stamped_with_its_warc_date_which_becomes_its_records_crawled_at(
    middleware: ArchiveMiddleware,
) -> None:
    """The spider's ``crawled_at`` is the instant the archive gives the response's
    WARC-Date (to the second), not the time of parsing: a re-parse finds the same."""
    request = Request("http://example.org/detailProjet.html?criteres.prjId=2")
    middleware.process_request(request)
    response = HtmlResponse(request.url, body=b"<html><body>projet</body></html>", request=request)
    assert FETCHED_AT not in response.meta  # not received by the archive yet: fetched_at would give parse time
    asyncio.run(middleware.process_response(request, response))
    middleware.writer.close()
    [resp] = [r for _, _, r in all_records(middleware.directory) if r.rec_type == "response"]
    warc_date = resp.rec_headers.get_header("WARC-Date")
    assert response.meta[FETCHED_AT] == warc_date
    assert fetched_at(response) == warc_date[:19] + "Z" == reparse_crawled_at(warc_date)


def test_the_raw_bytes_are_the_gzip_body_and_readers_decode_them(middleware: ArchiveMiddleware) -> None:
    page = b"<html><body>bonjour</body></html>"
    request = Request("http://example.org/a")
    middleware.process_request(request)
    response = HtmlResponse(
        request.url, body=gzip.compress(page), request=request, headers={"Content-Encoding": "gzip"}
    )
    asyncio.run(middleware.process_response(request, response))
    middleware.writer.close()
    [resp] = [r for _, _, r in all_records(middleware.directory) if r.rec_type == "response"]
    assert gzip.decompress(resp.raw_stream.read()) == page


def test_an_attempt_without_answer_is_a_request_and_an_error(middleware: ArchiveMiddleware) -> None:
    request = Request("http://example.org/slow")
    middleware.process_request(request)
    middleware.process_exception(request, TimeoutError("took too long"))
    middleware.writer.close()
    records = [r for _, _, r in all_records(middleware.directory)]
    assert [r.rec_type for r in records] == ["warcinfo", "request", "metadata"]
    assert b"TimeoutError: took too long" in records[2].content_stream().read()
    assert records[2].rec_headers.get_header("WARC-Concurrent-To") == records[1].rec_headers.get_header(
        "WARC-Record-ID"
    )


def test_a_request_that_never_left_is_not_recorded(middleware: ArchiveMiddleware) -> None:
    """Refused before this middleware (robots.txt, scope): no exchange happened."""
    middleware.process_exception(Request("http://example.org/private"), ValueError("refused"))
    middleware.writer.close()
    assert not warc_files(middleware.directory)


def test_an_existing_dump_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "dump" / WARC_DIR).mkdir(parents=True)
    (tmp_path / "dump" / WARC_DIR / "atlas-1-00000.warc.gz").write_bytes(b"")
    crawler = get_crawler(settings_dict={"ATLAS_ARCHIVE": True, "ATLAS_ARCHIVE_DIR": str(tmp_path / "dump")})
    with pytest.raises(UsageError, match="already holds a dump"):
        ArchiveMiddleware.from_crawler(crawler)


# --- the world map, fetched by the browser -------------------------------------------------------
@pytest.mark.browser
@e2e
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (make install does it)")
def test_the_rendered_map_is_a_conversion_record_referring_to_the_browsers_response(
    logged_replica: LoggedReplica, tmp_path: Path
) -> None:
    directory = tmp_path / "dump"
    result = crawl(logged_replica.base, tmp_path / "atlas.jsonl", settings=archive_settings(directory), entry="map")
    assert (directory / MANIFEST).exists(), result.stdout[-5000:]
    records = [r for _, _, r in all_records(directory)]
    [conversion] = [r for r in records if r.rec_type == "conversion"]
    uri = conversion.rec_headers.get_header("WARC-Target-URI")
    assert "carteMonde.html" in uri
    rendered = conversion.content_stream().read()
    assert b"codePays" in rendered  # the links the map's script wrote
    refers = conversion.rec_headers.get_header("WARC-Refers-To")
    [raw] = [r for r in records if r.rec_headers.get_header("WARC-Record-ID") == refers]
    assert raw.rec_type == "response" and raw.rec_headers.get_header("WARC-Target-URI") == uri
    assert raw.http_headers.get_statuscode() == "200" and raw.http_headers.get_header("Content-Encoding") is None
    assert raw.content_stream().read() != rendered  # the page as served, before its script ran
    [request] = [
        r for r in records if r.rec_type == "request" and r.rec_headers.get_header("WARC-Concurrent-To") == refers
    ]
    assert request.http_headers.get_header("user-agent", "").startswith("atlas-crawler/")
    notes = [
        r for r in records if r.rec_type == "metadata" and r.rec_headers.get_header("WARC-Concurrent-To") == refers
    ]
    assert notes and b"Chromium" in notes[0].content_stream().read()
    run = verify(directory)
    assert run.returncode == 0, run.stdout


@e2e
def test_a_job_paused_and_resumed_makes_one_dump_of_both_runs(logged_replica: LoggedReplica, tmp_path: Path) -> None:
    directory, output = tmp_path / "dump", tmp_path / "atlas.jsonl"
    job = {"JOBDIR": str(tmp_path / "job"), **archive_settings(directory)}
    logged_replica.log.clear()
    crawl(logged_replica.base, output, settings={**job, "CLOSESPIDER_PAGECOUNT": "120"})
    first_files = warc_files(directory)
    resumed = crawl(logged_replica.base, output, settings=job, append=True)
    assert (directory / MANIFEST).exists(), resumed.stdout[-5000:]
    assert len(warc_files(directory)) > len(first_files) >= 1
    records = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    captures = [json.loads(line) for line in (directory / CAPTURES).read_text("utf-8").splitlines()]
    assert sorted((c["type"], c["id"]) for c in captures) == sorted((r["type"], r["id"]) for r in records)
    assert all(c["warc_filename"] and all(p["warc_filename"] for p in c.get("table_pages", [])) for c in captures)
    assert len(http_records(directory, "response")) == len(logged_replica.log)
    run = verify(directory)
    assert run.returncode == 0, run.stdout


def test_verify_tells_a_wacz_whose_provenance_is_not_the_dumps(tmp_path: Path) -> None:
    """The WACZ's manifest must be the dump's less the WACZ's line, its gzipped copies the dump's files."""
    report = b'{"records": 1}\n'
    manifest = {
        "format": "atlas-crawler dump/2",
        "files": {
            REPORT: {"size": len(report), "sha256": hashlib.sha256(report).hexdigest()},
            WACZ: {"size": 1, "sha256": "0" * 64},
        },
    }
    inner = {**manifest, "files": {REPORT: manifest["files"][REPORT]}}

    def problems(inner_manifest: dict[str, Any], report_copy: bytes) -> list[str]:
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.wacz"
        with zipfile.ZipFile(path, "w") as out:
            out.writestr(f"logs/{MANIFEST}.gz", gzip.compress(json.dumps(inner_manifest).encode()))
            out.writestr(f"logs/{REPORT}.gz", gzip.compress(report_copy))
        with zipfile.ZipFile(path) as wacz:
            return check_provenance(wacz, manifest)

    assert problems(inner, report) == []
    assert problems(manifest, report) == [f"{WACZ}: logs/{MANIFEST}.gz differs from {MANIFEST} (less the WACZ's line)"]
    assert problems(inner, b"{}\n") == [f"{WACZ}: logs/{REPORT}.gz is not the dump's {REPORT}"]
    with zipfile.ZipFile(tmp_path / "bare.wacz", "w") as bare:
        bare.writestr("pages/pages.jsonl", "")
    with zipfile.ZipFile(tmp_path / "bare.wacz") as bare:
        assert check_provenance(bare, manifest) == [f"{WACZ}: holds no logs/{MANIFEST}.gz (the dump's provenance)"]
        assert check_provenance(bare, {**manifest, "format": "atlas-crawler dump/1"}) == []  # an older dump

"""Answers too big to take: decompression bombs (gzip, deflate, br, zstd), bodies
over DOWNLOAD_MAXSIZE, codings the crawler cannot undo. Each fails its page by
URL with a reason that names the limit or the coding, in bounded memory; the
end-to-end crawl puts bombs and a page nested too deep for the parser on the
same run (tests/hostile.py)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import tracemalloc
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import brotli
import pytest
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from atlas_crawler import settings as project_settings
from atlas_crawler.crawl.answers import AnswerLimitsMiddleware, AnswerTooLarge, UndecodableAnswer
from atlas_crawler.crawl.drops import Dropped
from atlas_crawler.outcome import EXIT_INCOMPLETE
from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl_command, replica
from atlas_crawler.spiders.atlas import AtlasSpider
from tests.hostile import BOMBS, Faults, hostile, zstd

MIB = 1024 * 1024
SETTINGS = {k: getattr(project_settings, k) for k in dir(project_settings) if k.isupper()}
LIMIT = SETTINGS["DOWNLOAD_MAXSIZE"]
URL = "http://atlas.test/detailProjet.html?criteres.prjId=1"
PAGE = b"<!DOCTYPE html><html><body><p>Titre : Un projet</p></body></html>"
COMPRESS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": lambda data: brotli.compress(data, quality=1),
    "zstd": zstd.compress,
}


def middleware() -> AnswerLimitsMiddleware:
    return AnswerLimitsMiddleware.from_crawler(get_crawler(AtlasSpider, SETTINGS))


def through(body: bytes, encoding: str) -> Response:
    """What the middleware makes of an answer with this body and Content-Encoding."""
    return middleware().process_response(Request(URL), Response(URL, body=body, headers={"Content-Encoding": encoding}))


def test_the_limits_fit_the_atlas_and_scrapys_decoder_is_replaced() -> None:
    """8 MiB: hundreds of times the atlas's biggest page, a few MB of memory per answer."""
    crawler = get_crawler(AtlasSpider, SETTINGS)
    assert 100 * 50_000 < crawler.settings.getint("DOWNLOAD_MAXSIZE") <= 16 * MIB
    assert crawler.settings.getint("DOWNLOAD_WARNSIZE") < crawler.settings.getint("DOWNLOAD_MAXSIZE")
    middlewares = crawler.settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware"] is None
    assert middlewares["atlas_crawler.crawl.answers.AnswerLimitsMiddleware"] == 590  # before meta refresh, whole page


@pytest.mark.parametrize("encoding", COMPRESS)
def test_a_page_in_each_coding_is_decoded(encoding: str) -> None:
    response = through(COMPRESS[encoding](PAGE), encoding)
    assert response.body == PAGE
    assert not response.headers.getlist("Content-Encoding")


@pytest.mark.parametrize("encoding", COMPRESS)
def test_a_bomb_fails_by_name_in_bounded_memory(encoding: str) -> None:
    """64 MiB of spaces, sent as a few KB: decoding stops at the limit."""
    mw, request = middleware(), Request(URL)
    response = Response(URL, body=COMPRESS[encoding](b" " * (64 * MIB)), headers={"Content-Encoding": encoding})
    tracemalloc.start()
    try:
        with pytest.raises(AnswerTooLarge) as caught:
            mw.process_response(request, response)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value).startswith(
        f"answer too large: more than DOWNLOAD_MAXSIZE (8 MiB) once decoded from {encoding} ("
    )
    assert not isinstance(caught.value, Dropped)  # a failure of its page, never a skip
    assert peak < 3 * LIMIT


@pytest.mark.parametrize(
    ("encoding", "named"),
    [
        ("compress", "compress"),
        ("x-atlas", "x-atlas"),
        ("zstd, x-atlas", "zstd then x-atlas"),
        ("x-atlas, gzip", "x-atlas"),
    ],
)
def test_a_coding_it_does_not_undo_fails_never_parsed(encoding: str, named: str) -> None:
    """Scrapy undoes the codings it knows from the last one applied and stops at the
    first it does not know: what is left is named."""
    body = gzip.compress(PAGE) if encoding.endswith("gzip") else PAGE
    with pytest.raises(UndecodableAnswer) as caught:
        through(body, encoding)
    assert str(caught.value) == f"answer encoded as {named}, which this crawler does not decode"


def test_a_body_that_is_not_its_coding_fails() -> None:
    with pytest.raises(UndecodableAnswer, match=r"^answer encoded as gzip does not decode \(BadGzipFile"):
        through(PAGE, "gzip")


def test_identity_is_no_coding() -> None:
    response = through(PAGE, "identity")
    assert response.body == PAGE
    assert not response.headers.getlist("Content-Encoding")


def test_a_download_cancelled_at_the_limit_is_named() -> None:
    """The download handler's cancels: a Content-Length over the limit (Scrapy says
    so in its own words) and a body that grew past it (Scrapy says nothing)."""
    mw = middleware()
    declared = Request("http://atlas.test/a")
    mw.headers_received(headers=None, body_length=2 * LIMIT, request=declared)
    with pytest.raises(AnswerTooLarge, match=r"its Content-Length \(16,777,216 bytes\) is more than DOWNLOAD_MAXSIZE"):
        mw.process_exception(declared, DownloadCancelledError("Expected to receive …"))
    streamed = Request("http://atlas.test/b")
    mw.headers_received(headers=None, body_length=-1, request=streamed)  # no Content-Length
    for _ in range(LIMIT // 65536 + 1):
        mw.bytes_received(data=b" " * 65536, request=streamed)
    with pytest.raises(AnswerTooLarge, match=r"more than DOWNLOAD_MAXSIZE \(8 MiB\) received \(8,454,144 bytes\)"):
        mw.process_exception(streamed, DownloadCancelledError(""))
    small = Request("http://atlas.test/c")
    mw.bytes_received(data=b" " * 1000, request=small)
    assert mw.process_exception(small, DownloadCancelledError("")) is None  # another cancel: not ours to name


# --- end to end -----------------------------------------------------------------------


@dataclass
class MeasuredRun:
    returncode: int
    peak_rss: int
    log: str
    report: dict[str, Any]
    records: list[dict[str, Any]]


def crawl_measured(base: str, tmp: Path) -> MeasuredRun:
    """A crawl subprocess and its peak resident memory, from the kernel's own
    account of that one child (``wait4``), whatever the moment it peaked."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "XDG_STATE_HOME": str(tmp / "state")}
    process = subprocess.Popen(
        crawl_command(base, tmp / "atlas.jsonl", settings={"LOG_LEVEL": "INFO"}),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    with process.stdout:
        log = process.stdout.read().decode("utf-8", "replace")  # until the crawl exits
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    output = tmp / "atlas.jsonl"
    assert (tmp / "atlas.report.json").exists(), log[-5000:]
    return MeasuredRun(
        returncode=process.returncode,
        peak_rss=usage.ru_maxrss * 1024,  # KiB on Linux
        log=log,
        report=json.loads((tmp / "atlas.report.json").read_text("utf-8")),
        records=[json.loads(line) for line in output.read_text("utf-8").splitlines()] if output.exists() else [],
    )


def reachable(records: list[dict[str, Any]], failed_projects: set[str]) -> list[dict[str, Any]]:
    """The truth a crawl can write when ``failed_projects`` fail: a foreign
    collectivity is linked from its projects' pages only."""
    linked = {
        partner["id"]
        for r in records
        if r["type"] == "project" and r["id"] not in failed_projects
        for partner in r["foreign_partners"]
    }
    return [
        r
        for r in records
        if not (r["type"] == "project" and r["id"] in failed_projects)
        and not (r["type"] == "collectivity" and r["kind"] == "foreign" and r["id"] not in linked)
    ]


@pytest.mark.e2e
def test_bombs_and_a_page_too_deep_fail_by_url_in_bounded_memory(tmp_path: Path) -> None:
    """Three project pages and a foreign collectivity page answer a 1.2 GiB bomb
    each (gzip, deflate, br, zstd), a fourth 16 MiB without Content-Length, all in
    one crawl of 16 requests in flight; a fifth nests 3,000 unclosed ``<div>``s,
    deeper than the HTML parser reads."""
    faults = Faults()
    with (
        replica(projects=10, seed=4, truth=tmp_path / "truth.json") as upstream,
        hostile(upstream, faults) as (proxy, _canary),
    ):
        truth = json.loads((tmp_path / "truth.json").read_text("utf-8"))["records"]
        projects = sorted((r for r in truth if r["type"] == "project"), key=lambda r: int(r["id"]))
        kinds = dict(zip(("gzip_bomb", "deflate_bomb", "br_bomb", "oversized"), projects[1:5], strict=True))
        deep, kept = projects[5], [projects[0], *projects[6:]]
        foreign = next(p["id"] for r in kept for p in r["foreign_partners"])  # reached through a kept project
        faults.broken_forever = {
            **{f".prjId={project['id']}": kind for kind, project in kinds.items()},
            f"?idCollectivite={foreign}": "zstd_bomb",
            f".prjId={deep['id']}": "deep_nesting",
        }
        crawl = crawl_measured(proxy.base, tmp_path)
        served = dict(proxy.injected)

    def as_crawled(record: dict[str, Any]) -> dict[str, Any]:
        """A truth record as a crawl through the proxy writes it (its time aside)."""
        return {
            k: v for k, v in json.loads(json.dumps(record).replace(upstream, proxy.base)).items() if k != "crawled_at"
        }

    too_large = {as_crawled(project)["url"]: kind for kind, project in kinds.items()}
    too_large[f"{proxy.base}detailCollectiviteEtrangere.html?idCollectivite={foreign}"] = "zstd_bomb"
    failures = {f["url"]: f["reason"] for f in crawl.report["failures"]}
    written = {r["url"]: {k: v for k, v in r.items() if k != "crawled_at"} for r in crawl.records}
    print(f"\nbombs: peak RSS {crawl.peak_rss / MIB:.0f} MiB, served {served}, failures {failures}")
    assert all(served.get(kind) for kind in (*BOMBS, "oversized", "deep_nesting"))
    assert crawl.peak_rss < 500 * MIB  # five 1.2 GiB answers and a 16 MiB one: at most 8 MiB of each read
    # Each page too large failed, its reason naming the limit and, for a bomb, its coding.
    said = {url: failures.get(url, "") for url in too_large}
    assert [url for url, reason in said.items() if "DOWNLOAD_MAXSIZE (8 MiB)" not in reason] == []
    assert [
        url for url, kind in too_large.items() if kind in BOMBS and f"decoded from {BOMBS[kind]}" not in said[url]
    ] == []
    # The page nested too deep: its record right, or its URL failed with the parser's limit.
    deep_url = as_crawled(deep)["url"]
    if deep_url in written:
        assert written[deep_url] == as_crawled(deep)
    else:
        assert "levels deep" in failures.get(deep_url, "missing from the failures")
    failed = set(too_large) | ({deep_url} if deep_url not in written else set())
    assert set(failures) == failed
    failed_projects = {r["id"] for r in projects if as_crawled(r)["url"] in failed}
    expected = {as_crawled(r)["url"]: as_crawled(r) for r in reachable(truth, failed_projects)}
    assert written == {url: record for url, record in expected.items() if url not in failed}
    assert crawl.returncode == EXIT_INCOMPLETE

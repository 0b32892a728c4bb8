"""Limits on traps: the middleware on trap pages (unit), then crawls of the trap
site (e2e) that must end by themselves, warn once per trap, write all the real
content, and cost the same pages and memory whatever the traps' size."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from itemadapter import ItemAdapter
from scrapy import Request
from scrapy.core.spidermw import SpiderMiddlewareManager
from scrapy.http import HtmlResponse

from atlas_crawler import signals as atlas_signals
from atlas_crawler.crawl.limits import TrapLimitsMiddleware
from atlas_crawler.replica import templates as t
from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl_command, replica
from atlas_crawler.replica.world import World
from tests.saved import project_crawler
from tests.traps import (
    CALENDAR_START,
    DEEP_DIR,
    LONG_START,
    LONG_STEP,
    TABLE_TRAPS,
    TRAP_LENGTH,
    TrapReplica,
    hits,
    trap_site,
)

BASE = "http://atlas.test/cncdext/dyn/public/atlas/"
CTX = t.Ctx(None)


@pytest.fixture(scope="module")
def trap() -> TrapReplica:
    return TrapReplica(World(100, seed=1))


class Harness:
    """The real spider's callbacks on trap pages, their output through the middleware."""

    def __init__(self, **settings: Any) -> None:
        self.crawler = project_crawler(ATLAS_BASE_URL=BASE, **settings)
        self.spider = self.crawler.spider
        self.mw = TrapLimitsMiddleware.from_crawler(self.crawler)
        self.warnings: list[str] = []
        self.crawler.signals.connect(self.warn, signal=atlas_signals.crawl_warning)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def run(self, request: Request, html: str, callback: Any = None) -> list[Any]:
        """The response ``request`` would get, its callback's output as the middleware lets it through."""
        response = HtmlResponse(request.url, body=html.encode("utf-8"), encoding="utf-8", request=request)
        callback = callback or request.callback
        return list(self.mw.process_spider_output(response, callback(response, **request.cb_kwargs)))

    def stat(self, limit: str) -> int:
        return self.crawler.stats.get_value(f"atlas/limits/{limit}", 0)


def _requests(output: Iterable[Any], page: str) -> list[Request]:
    return [o for o in output if isinstance(o, Request) and f"/{page}" in o.url]


def _page_of(request: Request, param: str) -> int:
    match = re.search(rf"{param}=(\d+)", request.url)
    return int(match.group(1)) if match else 1


# --- unit: the middleware on trap pages -----------------------------------------------
def test_endless_list_stops_at_its_announced_count(trap: TrapReplica) -> None:
    h = Harness()
    code = trap.trap_country
    announced = len(trap.world.projects_by_country[code])
    last = -(-announced // t.LIST_ROWS)
    assert last >= 3, "the trap list must have several pages"
    request = Request(f"{BASE}listeProjetsPays.html?codePays={code}", callback=h.spider.parse)
    fetched = []
    while request is not None:
        n = _page_of(request, t.PROJECTS_TABLE)
        fetched.append(n)
        output = h.run(request, trap.endless_list(CTX, n))
        following = [r for r in _requests(output, "listeProjetsPays.html") if _page_of(r, t.PROJECTS_TABLE) > n]
        request = min(following, key=lambda r: _page_of(r, t.PROJECTS_TABLE)) if following else None
        assert n <= last + 1, "the walk went beyond the announced count"
    assert fetched == list(range(1, last + 1))
    assert h.stat("list_pages") == 3, "page last + 1 is linked three times: its number, > and >>"
    assert len(h.warnings) == 1 and f"{announced} announced, 20 a page" in h.warnings[0]
    assert f"page {last + 1} linked" in h.warnings[0]


def test_a_growing_announced_count_cannot_raise_what_the_first_page_said(trap: TrapReplica) -> None:
    h = Harness()
    code = trap.trap_country
    announced = len(trap.world.projects_by_country[code])
    last = -(-announced // t.LIST_ROWS)
    request = Request(f"{BASE}listeProjetsPays.html?codePays={code}", callback=h.spider.parse)
    for n in range(1, last + 1):
        html = trap.endless_list(CTX, n).replace(f"{announced} projet(s)", f"{announced + 100 * (n - 1)} projet(s)")
        output = h.run(request, html)
        nxt = [r for r in _requests(output, "listeProjetsPays.html") if _page_of(r, t.PROJECTS_TABLE) == n + 1]
        if n < last:
            assert nxt, n
            request = nxt[0]
        else:
            assert nxt == [] and h.stat("list_pages") > 0 and len(h.warnings) == 1


def test_a_list_that_announces_nothing_stops_at_the_setting() -> None:
    h = Harness(ATLAS_MAX_PAGES_PER_LIST=4)
    rows = "".join(f'<tr><td><a href="detailProjet.html?criteres.prjId={i}">p</a></td></tr>' for i in range(1, 21))

    def page(n: int) -> str:
        return f'<html><body><table>{rows}</table><a href="liste.html?c=1&amp;d-1-p={n + 1}">&gt;</a></body></html>'

    request = Request(f"{BASE}liste.html?c=1", callback=h.spider.parse)
    pages = 0
    while request is not None:
        pages += 1
        output = h.run(request, page(_page_of(request, "d-1-p")))
        following = _requests(output, "liste.html")
        request = following[0] if following else None
    assert pages == 4
    assert h.stat("list_pages") == 1 and "ATLAS_MAX_PAGES_PER_LIST" in h.warnings[0]


def test_endless_in_page_table_stops_at_its_pagers_last_page_and_keeps_the_record(trap: TrapReplica) -> None:
    h = Harness()
    pid = trap.table_projects[0]
    project = trap.world.projects[pid]
    last = -(-len(project.data["other_themes"]) // t.THEME_ROWS)
    request = Request(f"{BASE}detailProjet.html?criteres.prjId={pid}", callback=h.spider.parse)
    output = h.run(request, trap.endless_table(CTX, pid, 1))
    pages = [1]
    items = []
    while True:
        items += [o for o in output if not isinstance(o, Request)]
        tables = [o for o in output if isinstance(o, Request) and "record_url" in o.meta]
        if not tables:
            break
        request = tables[0]
        pages.append(_page_of(request, t.THEMES_TABLE))
        output = h.run(request, trap.endless_table(CTX, pid, pages[-1]))
    assert pages == list(range(1, last + 1))
    assert len(items) == 1, "the record is written once, without the pages beyond its pager"
    expected = trap.world.project_record(project, BASE)["other_themes"]
    assert ItemAdapter(items[0])["other_themes"] == expected
    assert h.stat("table_pages") == 1
    assert len(h.warnings) == 1 and "d-1342871-p" in h.warnings[0] and f"page {last + 1} linked" in h.warnings[0]


def test_a_table_whose_pager_shows_no_last_page_stops_at_the_setting(trap: TrapReplica) -> None:
    h = Harness(ATLAS_MAX_TABLE_PAGES=2)
    pid = trap.table_projects[0]
    strip_last = re.compile(r'<a href="[^"]*">&gt;&gt;</a>')
    request = Request(f"{BASE}detailProjet.html?criteres.prjId={pid}", callback=h.spider.parse)
    output = h.run(request, strip_last.sub("", trap.endless_table(CTX, pid, 1)))
    (table_request,) = [o for o in output if isinstance(o, Request) and "record_url" in o.meta]
    output = h.run(table_request, strip_last.sub("", trap.endless_table(CTX, pid, 2)))
    assert [o for o in output if isinstance(o, Request) and "record_url" in o.meta] == []
    assert len([o for o in output if not isinstance(o, Request)]) == 1
    assert "ATLAS_MAX_TABLE_PAGES" in h.warnings[0]


def test_self_linking_calendar_stops_after_a_few_hops(trap: TrapReplica) -> None:
    h = Harness(ATLAS_MAX_SIBLING_HOPS=5)
    request = Request(f"{BASE}calendrier.html?date={CALENDAR_START}", callback=h.spider.parse)
    days = 0
    while request is not None:
        output = h.run(request, trap.calendar(CTX, request.url.rsplit("=", 1)[1]))
        later = [r for r in _requests(output, "calendrier.html") if r.url.rsplit("=", 1)[1] > request.url[-10:]]
        request = later[0] if later else None
        days += 1
    assert days == 6, "the first day and five following ones"
    assert h.stat("sibling_hops") == 2, "the last day's two neighbours"
    assert len(h.warnings) == 1 and "calendrier.html" in h.warnings[0]


def test_menu_links_out_of_range_too_long_or_deep_are_judged_one_by_one(trap: TrapReplica) -> None:
    h = Harness()
    menu = Request(f"{BASE}listePays.html", callback=h.spider.parse)
    output = h.run(menu, trap.countries(CTX))
    urls = [o.url for o in output]
    assert not any("99999999999" in u for u in urls)
    assert sum("listeProjetsPays.html" in u for u in urls) == len(
        [c for c, ps in trap.world.projects_by_country.items() if ps]
    )
    assert any("calendrier.html" in u for u in urls) and any(f"{DEEP_DIR}/index.html" in u for u in urls)
    assert h.stat("id_range") == 2
    assert sorted(w.split("(")[1].split(",")[0] for w in h.warnings) == [
        "detailCollectiviteEtrangere.html",
        "detailProjet.html",
    ]


def test_ever_longer_urls_stop_at_the_length_limit(trap: TrapReplica) -> None:
    h = Harness(ATLAS_MAX_URL_LENGTH=2000)
    request = Request(f"{BASE}recherche.html?motcle={'x' * LONG_START}", callback=h.spider.parse)
    fetched = []
    while request is not None:
        fetched.append(len(request.url))
        name, word = request.url.rsplit("/", 1)[1].split("?motcle=")
        following = [o for o in h.run(request, trap.long_url(CTX, name, word)) if "motcle=" in o.url]
        request = following[0] if following else None
    assert max(fetched) <= 2000 < max(fetched) + LONG_STEP
    assert h.stat("url_length") == 1 and "longer than 2000" in h.warnings[0]
    assert len(h.warnings[0]) < 400, "a warning never carries the whole URL"


def test_ever_deeper_paths_stop_at_the_depth_limit(trap: TrapReplica) -> None:
    h = Harness(ATLAS_MAX_PATH_DEPTH=3)
    request = Request(f"{BASE}{DEEP_DIR}/index.html?annee=2026", callback=h.spider.parse)
    depths = []
    while request is not None:
        name = request.url[len(BASE) :].split("?")[0]
        depths.append(name.count("/") + 1)
        following = _requests(h.run(request, trap.deep(CTX, name)), "index.html")
        request = following[0] if following else None
    assert depths == [2, 3]
    assert h.stat("path_depth") == 1 and "deeper than 3" in h.warnings[0]


def test_query_variants_and_page_names_are_capped() -> None:
    h = Harness(ATLAS_MAX_QUERY_VARIANTS=3, ATLAS_MAX_PAGE_NAMES=2)
    links = "".join(f'<a href="agenda.html?jour={k}">{k}</a>' for k in range(5))
    links += "".join(f'<a href="page{k}.html?x=1">{k}</a>' for k in range(3))
    output = h.run(Request(f"{BASE}accueil.html?a=1", callback=h.spider.parse), f"<html><body>{links}</body></html>")
    assert [o.url.rsplit("/", 1)[1] for o in output] == [f"agenda.html?jour={k}" for k in range(3)] + ["page0.html?x=1"]
    assert (h.stat("query_variants"), h.stat("page_names")) == (2, 2)
    assert len(h.warnings) == 3, "one warning per limit and page name"


def test_warnings_are_capped_per_limit_but_every_stop_is_counted() -> None:
    h = Harness(ATLAS_MAX_WARNINGS_PER_LIMIT=2)
    for k in range(5):
        h.run(
            Request(f"{BASE}liste.html?c={k}", callback=h.spider.parse),
            f'<html><body><p>0 projet(s) trouvé(s)</p><a href="liste.html?c={k}&amp;d-1-p=2">2</a></body></html>',
        )
    assert h.stat("list_pages") == 5
    assert len(h.warnings) == 3 and "no further warnings" in h.warnings[-1]


def test_the_middlewares_state_stays_bounded_on_an_endless_trap() -> None:
    """20,000 ever-new pages (each its own variant, name and list) leave the
    middleware's memory as small as a few hundred: the state is capped by the limits."""
    h = Harness(ATLAS_MAX_QUERY_VARIANTS=50, ATLAS_MAX_PAGE_NAMES=10, ATLAS_MAX_WARNINGS_PER_LIMIT=5)
    response = HtmlResponse(
        f"{BASE}accueil.html", body=b"<html></html>", encoding="utf-8", request=Request(f"{BASE}accueil.html")
    )
    requests = (
        Request(f"{BASE}{kind}{k % 40}.html?jour={k}&c={k}&d-1-p=2")
        for k in range(10_000)
        for kind in ("agenda", "liste")
    )
    kept = sum(1 for _ in h.mw.process_spider_output(response, requests))
    assert kept == 10 * 50
    assert len(h.mw.variants) == 10 and all(len(v) <= 50 for v in h.mw.variants.values())
    assert all(len(keys) <= 6 for keys in h.mw.warned.values())
    assert len(h.warnings) <= 2 * 6
    assert h.stat("query_variants") + h.stat("page_names") == 20_000 - kept


def test_asynchronous_output_is_filtered_the_same(trap: TrapReplica) -> None:
    h = Harness()
    menu = Request(f"{BASE}listePays.html", callback=h.spider.parse)
    response = HtmlResponse(menu.url, body=trap.countries(CTX).encode(), encoding="utf-8", request=menu)

    async def spider_output():
        for o in h.spider.parse(response):
            yield o

    async def collect() -> list[Any]:
        return [o async for o in h.mw.process_spider_output_async(response, spider_output())]

    sync = [o.url for o in h.mw.process_spider_output(response, h.spider.parse(response))]
    assert [o.url for o in asyncio.run(collect())] == sync


def test_scrapy_takes_the_middleware_without_a_deprecation() -> None:
    crawler = project_crawler(ATLAS_BASE_URL=BASE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        manager = SpiderMiddlewareManager.from_crawler(crawler)
    (mw,) = [m for m in manager.middlewares if isinstance(m, TrapLimitsMiddleware)]
    assert any(getattr(f, "__self__", None) is mw for f in manager.methods["process_spider_output"])


# --- e2e: crawls of the trap site --------------------------------------------------------
PROJECTS = 100
#: How each limit's warning begins (atlas_crawler.crawl.limits).
LIMIT_WARNINGS = (
    "list pages beyond",
    "in-page table pages beyond",
    "pages linking to ever-new variants",
    "ids outside",
    "URLs longer than",
    "paths deeper than",
    "more than",
    "limit ",
)
STATS = re.compile(r"'atlas/limits/(\w+)': (\d+)")


@dataclass
class Run:
    """A finished crawl, as the tests look at it."""

    returncode: int
    log: str
    peak_rss: int
    records: list[dict[str, Any]]
    report: dict[str, Any]
    served: dict[str, Any]
    truth: dict[str, Any]
    base: str

    @property
    def limits(self) -> dict[str, int]:
        return {name: int(n) for name, n in STATS.findall(self.log)}


def measured_crawl(base: str, tmp: Path, settings: dict[str, str] | None = None) -> tuple[int, str, int]:
    """The real crawl as a process, its peak RSS sampled (psutil) while it runs."""
    output = tmp / "atlas.jsonl"
    command = crawl_command(base, output, settings={"LOG_LEVEL": "INFO", **(settings or {})})
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    log = tmp / "crawl.log"
    with log.open("w") as sink:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
        peak = 0
        watched = psutil.Process(process.pid)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.02):
                try:
                    peak = max(peak, watched.memory_info().rss)
                except psutil.Error:
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = process.wait(timeout=600)
        done.set()
        sampler.join()
    return returncode, log.read_text("utf-8"), peak


def trap_crawl(tmp: Path, depth: int, settings: dict[str, str] | None = None) -> Run:
    truth = tmp / "truth.json"
    with trap_site(PROJECTS, depth, truth=truth) as base:
        returncode, log, peak = measured_crawl(base, tmp, settings)
        served = hits(base)
    return Run(
        returncode,
        log,
        peak,
        [json.loads(line) for line in (tmp / "atlas.jsonl").read_text("utf-8").splitlines()],
        json.loads((tmp / "atlas.report.json").read_text("utf-8")),
        served,
        json.loads(truth.read_text("utf-8")),
        base,
    )


@pytest.fixture(scope="module")
def trapped(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Run]:
    """The trap site crawled with the limits, its traps 1x and 4x as long."""
    return {depth: trap_crawl(tmp_path_factory.mktemp(f"traps-{depth}x"), depth) for depth in (1, 4)}


@pytest.fixture(scope="module")
def normal(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The same world on the plain replica: what a crawl without traps costs."""
    tmp = tmp_path_factory.mktemp("normal")
    with replica(projects=PROJECTS, faults=False, truth=tmp / "truth.json") as base:
        returncode, log, peak = measured_crawl(base, tmp)
    return Run(
        returncode,
        log,
        peak,
        [json.loads(line) for line in (tmp / "atlas.jsonl").read_text("utf-8").splitlines()],
        json.loads((tmp / "atlas.report.json").read_text("utf-8")),
        {},
        json.loads((tmp / "truth.json").read_text("utf-8")),
        base,
    )


@pytest.mark.e2e
def test_trap_crawls_end_by_themselves_without_deprecations(trapped: dict[int, Run]) -> None:
    for run in trapped.values():
        assert run.returncode == 0, run.log[-3000:]
        assert run.report["finish_reason"] == "finished"
        assert "ScrapyDeprecationWarning" not in run.log


@pytest.mark.e2e
def test_each_trap_gives_its_warning_once(trapped: dict[int, Run]) -> None:
    for run in trapped.values():
        warned = run.report["warnings"]
        for words in (
            "list pages beyond what the list announces",
            "in-page table pages beyond the last one their pager shows",
            "calendrier.html",
            "ids outside 1..2147483647 not followed (detailProjet.html",
            "ids outside 1..2147483647 not followed (detailCollectiviteEtrangere.html",
            "URLs longer than 2000 characters",
            "paths deeper than 3 segments",
        ):
            assert sum(words in w for w in warned) == 1, (words, warned)
        assert len([w for w in warned if w.startswith(LIMIT_WARNINGS)]) == 7, "and no other limit's warning"
        assert set(run.limits) == {"list_pages", "table_pages", "sibling_hops", "id_range", "url_length", "path_depth"}


@pytest.mark.e2e
def test_all_real_content_is_written_and_nothing_else(trapped: dict[int, Run]) -> None:
    for run in trapped.values():
        expected = {(r["type"], r["id"]): r for r in run.truth["records"]}
        written = {(r["type"], r["id"]): {k: v for k, v in r.items() if k != "crawled_at"} for r in run.records}
        assert len(written) == len(run.records)
        assert written == expected


@pytest.mark.e2e
def test_the_plain_replica_trips_no_limit(normal: Run) -> None:
    assert normal.returncode == 0, normal.log[-3000:]
    assert normal.limits == {}
    assert [w for w in normal.report["warnings"] if w.startswith(LIMIT_WARNINGS)] == []
    written = {(r["type"], r["id"]) for r in normal.records}
    assert written == {(r["type"], r["id"]) for r in normal.truth["records"]}


@pytest.mark.e2e
def test_pages_are_bounded_the_same_whatever_the_traps_size(trapped: dict[int, Run], normal: Run) -> None:
    small, large = trapped[1], trapped[4]
    assert small.served == large.served
    assert small.served["pages"] == small.report["pages_fetched"], "every page fetched once"
    assert small.report["pages_fetched"] == large.report["pages_fetched"]
    traps = small.served["traps"]
    # beyond the real pages, the pagination and table traps cost nothing; the rest a few pages each
    assert traps.get("pagination", 0) == 0 and traps.get("table", 0) == 0 and traps.get("ids", 0) == 0
    assert traps["calendar"] == 11, "the first day and five on each side"
    assert traps["deep"] == 2 and traps["long"] == _long_pages(small.base)
    extra = small.report["pages_fetched"] - normal.report["pages_fetched"]
    assert extra == sum(traps.values()), "the traps cost exactly the pages counted above"


def _long_pages(base: str, limit: int = 2000) -> int:
    """Pages of the long-URL trap a crawl fetches: its URLs grow by LONG_STEP from the first one."""
    first = len(f"{base}recherche.html?motcle=") + LONG_START
    return (limit - first) // LONG_STEP + 1


@pytest.mark.e2e
def test_without_the_limits_the_traps_are_real(tmp_path: Path, trapped: dict[int, Run]) -> None:
    """The same site with the middleware off: every trap runs to its end, the
    out-of-range ids become records and the trapped projects are lost (their
    endless table ends in a 404, which fails the record)."""
    off = json.dumps({"atlas_crawler.crawl.limits.TrapLimitsMiddleware": None})
    run = trap_crawl(tmp_path, 1, {"SPIDER_MIDDLEWARES": off})
    traps = run.served["traps"]
    for trap in ("pagination", "calendar", "ids", "deep"):
        assert traps[trap] > TRAP_LENGTH, trap
    assert traps["table"] > TRAP_LENGTH * TABLE_TRAPS
    assert run.report["pages_fetched"] > 3 * trapped[1].report["pages_fetched"]
    written = {(r["type"], r["id"]) for r in run.records}
    expected = {(r["type"], r["id"]) for r in run.truth["records"]}
    assert len(written - expected) >= TRAP_LENGTH, "records made of out-of-range ids"
    lost = {int(i) for kind, i in expected - written}
    assert lost == set(TrapReplica(World(PROJECTS, seed=1)).table_projects), "the trapped tables end in a 404"
    print(f"without limits: {run.report['pages_fetched']} pages, traps {traps}, peak RSS {run.peak_rss / 2**20:.0f} MB")


@pytest.mark.e2e
def test_memory_stays_flat_on_traps(trapped: dict[int, Run], normal: Run) -> None:
    small, large = trapped[1], trapped[4]
    mb = 1024 * 1024
    print(
        f"peak RSS: normal {normal.peak_rss / mb:.0f} MB ({normal.report['pages_fetched']} pages), "
        f"traps 1x {small.peak_rss / mb:.0f} MB, 4x {large.peak_rss / mb:.0f} MB ({small.report['pages_fetched']} pages)"
    )
    assert abs(large.peak_rss - small.peak_rss) < 40 * mb
    assert small.peak_rss < normal.peak_rss + 40 * mb

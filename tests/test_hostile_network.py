"""End to end through a hostile network (tests/hostile.py): the crawl never
leaves the atlas, stops when robots.txt cannot be read, turns transient
failures and broken answers into exactly the replica's truth, keeps its
distance between requests, stops within seconds of SIGTERM, and listens on no
port."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

from atlas_crawler.outcome import REASON_ROBOTS_UNAVAILABLE
from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl_command, replica
from tests.hostile import METADATA_URL, Faults, hostile

pytestmark = pytest.mark.e2e


@dataclass
class Run:
    returncode: int
    log: str
    report: dict[str, Any]
    records: list[dict[str, Any]]
    listening: set[tuple[str, int]] = field(default_factory=set)
    remote: set[tuple[str, int]] = field(default_factory=set)


class ConnectionWatch(threading.Thread):
    """Polls the sockets of a process (and its children) until it exits: the
    addresses it listens on and the remote addresses it connects to."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.listening: set[tuple[str, int]] = set()
        self.remote: set[tuple[str, int]] = set()

    def run(self) -> None:
        while self.process.is_running() and self.process.status() != psutil.STATUS_ZOMBIE:
            try:
                for proc in (self.process, *self.process.children(recursive=True)):
                    for conn in proc.net_connections(kind="inet"):
                        if conn.status == psutil.CONN_LISTEN:
                            self.listening.add((conn.laddr.ip, conn.laddr.port))
                        elif conn.raddr:
                            self.remote.add((conn.raddr.ip, conn.raddr.port))
            except psutil.Error:
                return
            time.sleep(0.1)


def start_crawl(base: str, tmp: Path, settings: Mapping[str, str], append: bool = False) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "XDG_STATE_HOME": str(tmp / "state")}
    return subprocess.Popen(
        crawl_command(base, tmp / "atlas.jsonl", settings=settings, append=append),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen, tmp: Path, watch: ConnectionWatch | None = None, timeout: float = 300) -> Run:
    log, _ = process.communicate(timeout=timeout)
    if watch is not None:
        watch.join(5)
    output = tmp / "atlas.jsonl"
    assert (tmp / "atlas.report.json").exists(), log[-5000:]
    return Run(
        returncode=process.returncode,
        log=log,
        report=json.loads((tmp / "atlas.report.json").read_text("utf-8")),
        records=[json.loads(line) for line in output.read_text("utf-8").splitlines()] if output.exists() else [],
        listening=watch.listening if watch else set(),
        remote=watch.remote if watch else set(),
    )


def run(base: str, tmp: Path, settings: Mapping[str, str] | None = None, watch: bool = False) -> Run:
    tmp.mkdir(parents=True, exist_ok=True)
    process = start_crawl(base, tmp, {"LOG_LEVEL": "INFO", **(settings or {})})
    watcher = ConnectionWatch(process.pid) if watch else None
    if watcher is not None:
        watcher.start()
    return finish(process, tmp, watcher)


def key(record: dict[str, Any]) -> tuple[str, str | None, str]:
    return record["type"], record.get("kind"), record["id"]


def without_time(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "crawled_at"}


def through_proxy(record: dict[str, Any], replica_base: str, proxy_base: str) -> dict[str, Any]:
    """A truth record as a crawl through the proxy writes it (URLs name the proxy)."""
    return json.loads(json.dumps(record).replace(replica_base, proxy_base))


# --- never off the atlas ------------------------------------------------------------


def test_the_canary_sees_no_request_and_nothing_leaves_the_atlas(tmp_path: Path) -> None:
    """Redirects to a canary host and to the cloud metadata address from detail
    pages, and list pages full of ``..``/``%2e%2e``/off-host links."""
    faults = Faults(seed=3, redirect_canary=0.06, redirect_metadata=0.06, fault_targets="detail", traversal_links=True)
    with replica(projects=60, truth=tmp_path / "truth.json") as upstream, hostile(upstream, faults) as (proxy, canary):
        crawl = run(proxy.base, tmp_path, watch=True)
        truth = json.loads((tmp_path / "truth.json").read_text("utf-8"))
    assert canary.hits == []
    assert proxy.escapes == []
    assert proxy.injected["redirect_canary"] > 0 and proxy.injected["redirect_metadata"] > 0
    # The crawl connected to the proxy only (the metadata address never, the canary never).
    assert {address for address in crawl.remote} <= {("127.0.0.1", proxy.port)}
    assert crawl.listening == set()  # no remote control, no telnet console
    assert not (tmp_path / "state").exists()  # no remote-control token file (XDG_STATE_HOME)
    # Every redirect off the atlas is refused and reported (a table page under its
    # project's URL), and what was refused is not written.
    redirected = {
        target for target, kinds in proxy.faulted.items() if {"redirect_canary", "redirect_metadata"} & set(kinds)
    }
    reasons = [f["reason"] for f in crawl.report["failures"]]
    assert [t for t in redirected if not any(f"not followed: {proxy.origin}{t} -> " in r for r in reasons)] == []
    assert all("off the atlas" in reason for reason in reasons)
    assert not {r["url"] for r in crawl.records} & {f["url"] for f in crawl.report["failures"]}
    assert [line for line in crawl.log.splitlines() if "169.254.169.254" in line and "off the atlas" not in line] == []
    assert any(METADATA_URL in reason for reason in reasons)
    # What was written is right: records from the truth, none wrong.
    expected = {key(r): through_proxy(r, upstream, proxy.base) for r in truth["records"]}
    assert [key(r) for r in crawl.records if without_time(r) != expected.get(key(r))] == []
    assert crawl.report["finish_reason"] == "finished"


# --- robots.txt -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("503", "robots.txt answered 503: the atlas asks crawlers to wait; try again later"),
        ("hang", "robots.txt could not be fetched (DownloadTimeoutError"),
        ("reset", "robots.txt could not be fetched ("),
    ],
)
def test_robots_txt_unavailable_stops_the_crawl_before_any_page(tmp_path: Path, answer: str, message: str) -> None:
    with replica(projects=5) as upstream, hostile(upstream, Faults(robots=answer)) as (proxy, _canary):
        crawl = run(proxy.base, tmp_path, settings={"DOWNLOAD_TIMEOUT": "1"})
        robots_requests = [target for _, target in proxy.hits if target == "/robots.txt"]
        pages = proxy.page_hits()
    assert crawl.report["finish_reason"] == REASON_ROBOTS_UNAVAILABLE
    assert pages == []
    assert len(robots_requests) == 3  # the first try and ATLAS_ROBOTS_RETRY_TIMES=2 retries
    assert message in crawl.log
    assert any(message in warning for warning in crawl.report["warnings"])
    assert crawl.records == []


def test_robots_txt_4xx_allows_everything(tmp_path: Path) -> None:
    """RFC 9309: no robots.txt (404) means no rules; the crawl is complete."""
    with (
        replica(projects=20, truth=tmp_path / "truth.json") as upstream,
        hostile(upstream, Faults(robots="404")) as (
            proxy,
            _canary,
        ),
    ):
        crawl = run(proxy.base, tmp_path)
        truth = json.loads((tmp_path / "truth.json").read_text("utf-8"))
    assert crawl.report["finish_reason"] == "finished"
    assert sorted(map(key, crawl.records)) == sorted(map(key, truth["records"]))


# --- whole pages through transient failures ---------------------------------------------


def test_transient_failures_and_broken_answers_give_exactly_the_truth(tmp_path: Path) -> None:
    """25 % of answers fail (5xx, resets, hangs), 9 % more are broken (empty,
    short of their Content-Length, cut without one), each page at most 4 times;
    two collectivity pages stay broken for good and must be reported by URL."""
    faults = Faults(
        seed=11,
        error_5xx=0.12,
        reset=0.10,
        hang=0.03,
        empty=0.03,
        short=0.03,
        cut=0.03,
        max_failures=4,
    )
    truth_path = tmp_path / "truth.json"
    with replica(projects=60, truth=truth_path) as upstream, hostile(upstream, faults) as (proxy, _canary):
        truth = json.loads(truth_path.read_text("utf-8"))
        collectivities = [r for r in truth["records"] if r["type"] == "collectivity"]
        french = next(r for r in collectivities if r["kind"] == "french")
        foreign = next(r for r in collectivities if r["kind"] == "foreign")
        faults.broken_forever = {
            f"idCollectivite={french['id']}": "cut",
            f"idCollectivite={foreign['id']}": "empty",
        }
        settings = {"RETRY_TIMES": "8", "DOWNLOAD_TIMEOUT": "2"}
        crawl = run(proxy.base, tmp_path, settings=settings)
    broken_urls = {through_proxy(r, upstream, proxy.base)["url"] for r in (french, foreign)}
    expected = {
        key(r): without_time(through_proxy(r, upstream, proxy.base))
        for r in truth["records"]
        if r["id"] not in (french["id"], foreign["id"]) or r["type"] != "collectivity"
    }
    written = [key(r) for r in crawl.records]
    lost = set(expected) - set(written)
    wrong = [
        k
        for k in written
        if k in expected and without_time(next(r for r in crawl.records if key(r) == k)) != expected[k]
    ]
    duplicated = len(written) - len(set(written))
    print(  # the figures of the run, for the closing note (pytest -s)
        f"\nhostile run: {sum(proxy.injected.values())} bad answers {dict(proxy.injected)} over {len(proxy.hits)} "
        f"requests; records {len(written)} of {len(expected)} expected: lost {len(lost)}, wrong {len(wrong)}, "
        f"duplicated {duplicated}, unexpected {len(set(written) - set(expected))}; failures {crawl.report['failures']}"
    )
    assert sum(proxy.injected[kind] for kind in ("error_5xx", "reset", "hang")) > 0.15 * len(proxy.hits)
    assert all(proxy.injected[kind] > 0 for kind in ("empty", "short", "cut", "hang", "reset", "error_5xx"))
    assert lost == set() and wrong == [] and duplicated == 0
    assert set(written) == set(expected)
    assert {f["url"] for f in crawl.report["failures"]} == broken_urls
    assert all("broken page" in f["reason"] for f in crawl.report["failures"])


# --- politeness ---------------------------------------------------------------------------


def test_gaps_between_requests_are_never_below_download_delay(tmp_path: Path) -> None:
    """The project's politeness settings (AutoThrottle on, 2 in flight, no jitter)
    with a shorter DOWNLOAD_DELAY, gaps measured where the site would see them."""
    delay = 0.3
    settings = {
        "AUTOTHROTTLE_ENABLED": "True",
        "CONCURRENT_REQUESTS": "2",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
        "DOWNLOAD_DELAY": str(delay),
        "CLOSESPIDER_PAGECOUNT": "24",
    }
    with replica(projects=5) as upstream, hostile(upstream, Faults()) as (proxy, _canary):
        run(proxy.base, tmp_path, settings=settings)
        arrivals = [moment for moment, _target in proxy.hits]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    print(f"\npoliteness: {len(arrivals)} requests, smallest gap {min(gaps):.4f}s (DOWNLOAD_DELAY {delay}s)")
    assert len(gaps) >= 20
    assert [round(gap, 4) for gap in gaps if gap < delay] == []


# --- a stop within seconds -------------------------------------------------------------------


def test_sigterm_stops_a_hung_crawl_within_seconds_and_the_job_resumes(tmp_path: Path) -> None:
    """The home page hangs forever: SIGTERM must end the run well before
    DOWNLOAD_TIMEOUT (60 s), finish reason ``shutdown``, the hung request kept
    in the job's queue so the resumed run completes."""
    job = {"JOBDIR": str(tmp_path / "job"), "LOG_LEVEL": "INFO"}
    faults = Faults(hang=1.0, fault_targets="accesAtlas")
    truth_path = tmp_path / "truth.json"
    with replica(projects=5, truth=truth_path) as upstream, hostile(upstream, faults) as (proxy, _canary):
        process = start_crawl(proxy.base, tmp_path, job)
        for _ in range(600):
            if proxy.page_hits() or process.poll() is not None:
                break
            time.sleep(0.1)
        assert proxy.page_hits(), "the crawl never reached the hanging page"
        process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        try:
            stopped = finish(process, tmp_path, timeout=20)  # Scrapy alone: DOWNLOAD_TIMEOUT, 60 s
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("the crawl did not stop within 20 s of SIGTERM")
        print(f"\nSIGTERM: the process exited {time.monotonic() - sent:.1f}s after the signal")
        proxy.faults = Faults()  # the site answers again
        resumed = finish(start_crawl(proxy.base, tmp_path, job, append=True), tmp_path)
        truth = json.loads(truth_path.read_text("utf-8"))
    assert stopped.report["finish_reason"] == "shutdown"
    assert "still in flight after 5.0s, cancelled" in stopped.log
    assert stopped.report["failures"] == []
    assert resumed.report["finish_reason"] == "finished"
    assert sorted(map(key, resumed.records)) == sorted(map(key, truth["records"]))


# --- nothing listens ---------------------------------------------------------------------------


def test_the_probe_sees_the_remote_control_when_it_is_on(tmp_path: Path) -> None:
    """The control of the canary test's ``listening == set()``: with Scrapy 2.19's
    remote control on (an HTTP server on a local port running any Python code
    sent with its token, a token file per run), the same probe sees its port."""
    with replica(projects=5) as upstream:
        control = run(upstream, tmp_path, settings={"REMOTE_CONTROL_ENABLED": "True"}, watch=True)
    assert control.listening, "the probe must see the remote control's port when it is on"

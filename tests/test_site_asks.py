"""End to end: what the atlas asks of crawlers is done, measured where the site sees it
(tests/hostile.py's proxy). robots.txt's ``Crawl-delay`` spaces every request; pages
robots.txt forbids are never fetched and are listed as skipped, with the rule; a 503
with ``Retry-After`` is waited for (the whole atlas pauses) and the page is then
written; SIGTERM during an hour's wait stops the run within seconds and the job
resumes."""

from __future__ import annotations

import itertools
import json
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from atlas_crawler.replica.localrun import replica
from atlas_crawler.replica.templates import ATLAS_PATH
from atlas_crawler.urls import FOREIGN_COLLECTIVITY_PAGE, collectivity_id
from tests.hostile import Faults, hostile
from tests.test_hostile_network import finish, key, run, start_crawl, through_proxy, without_time

pytestmark = pytest.mark.e2e


def test_crawl_delay_spaces_every_request(tmp_path: Path) -> None:
    """``Crawl-delay: 2`` with DOWNLOAD_DELAY 0, AutoThrottle on and two requests in
    flight: the Crawl-delay alone must space them, from robots.txt on."""
    faults = Faults(robots_text="User-agent: *\nCrawl-delay: 2\n")
    settings = {
        "CLOSESPIDER_PAGECOUNT": "5",
        "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "True",
        "CONCURRENT_REQUESTS": "2",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
    }
    with replica(projects=5) as upstream, hostile(upstream, faults) as (proxy, _canary):
        crawl = run(proxy.base, tmp_path, settings=settings)
        hits = list(proxy.hits)
    arrivals = [moment for moment, _target in hits]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    print(f"\ncrawl-delay: {len(arrivals)} requests, smallest gap {min(gaps):.3f}s (Crawl-delay 2 s)")
    assert hits[0][1] == "/robots.txt" and len(gaps) >= 5
    assert [round(gap, 3) for gap in gaps if gap < 2] == []
    assert "robots.txt asks for Crawl-delay: 2 s: at least 2 s between requests" in crawl.log


def test_pages_robots_txt_forbids_are_skipped_with_the_rule(tmp_path: Path) -> None:
    """robots.txt forbids the foreign collectivity pages: none is requested, each is
    listed in the report's ``skipped`` with the rule, the rest is written, and the
    run is incomplete (exit status 1): records the atlas links are missing."""
    disallow = f"{ATLAS_PATH}{FOREIGN_COLLECTIVITY_PAGE}"
    faults = Faults(robots_text=f"User-agent: *\nDisallow: {ATLAS_PATH}rechercheAtlas.html\nDisallow: {disallow}\n")
    truth_path = tmp_path / "truth.json"
    with replica(projects=5, truth=truth_path) as upstream, hostile(upstream, faults) as (proxy, _canary):
        crawl = run(proxy.base, tmp_path)
        truth = json.loads(truth_path.read_text("utf-8"))
        pages = proxy.page_hits()
    foreign = {r["id"] for r in truth["records"] if r["type"] == "collectivity" and r["kind"] == "foreign"}
    assert foreign, "the replica must link foreign collectivities"
    assert [page for page in pages if FOREIGN_COLLECTIVITY_PAGE in page] == []
    expected = {
        key(r): without_time(through_proxy(r, upstream, proxy.base)) for r in truth["records"] if r["id"] not in foreign
    }
    assert {key(r): without_time(r) for r in crawl.records} == expected
    rule = f"forbidden by robots.txt (User-agent: *, Disallow: {disallow})"
    skipped = crawl.report.get("skipped") or []
    assert {collectivity_id(s["url"]): s["rule"] for s in skipped if FOREIGN_COLLECTIVITY_PAGE in s["url"]} == {
        id_: rule for id_ in foreign
    }
    assert crawl.report["failures"] == []
    assert crawl.returncode == 1


def test_a_retry_after_is_waited_for_then_the_page_is_written(tmp_path: Path) -> None:
    """One foreign collectivity page answers 503 with ``Retry-After: 4`` twice: each
    next attempt comes 4 s later at least, nothing else reaches the atlas meanwhile
    (a request already on its way aside), and the page's record is written."""
    truth_path = tmp_path / "truth.json"
    faults = Faults(retry_after=1.0, retry_after_value="4", max_failures=2)
    settings = {"ATLAS_RETRY_AFTER_MAX": "60", "LOG_LEVEL": "INFO"}
    with replica(projects=5, truth=truth_path) as upstream, hostile(upstream, faults) as (proxy, _canary):
        truth = json.loads(truth_path.read_text("utf-8"))
        record = next(r for r in truth["records"] if r["type"] == "collectivity" and r["kind"] == "foreign")
        faults.fault_targets = re.escape(f"{FOREIGN_COLLECTIVITY_PAGE}?idCollectivite={record['id']}") + "$"
        crawl = run(proxy.base, tmp_path, settings=settings)
        hits = list(proxy.hits)
        asked = proxy.injected["retry_after"]
    attempts = [moment for moment, target in hits if re.search(faults.fault_targets, target)]
    print(f"\nretry-after: attempts at +{[round(t - attempts[0], 2) for t in attempts]} s")
    assert asked == 2 and len(attempts) == 3
    assert all(later - earlier >= 4 for earlier, later in itertools.pairwise(attempts))
    for answered in attempts[:2]:  # the atlas paused: nothing new once the ask was read (1.5 s margin)
        assert [t for t, _ in hits if answered + 1.5 <= t < answered + 4] == []
    written = [r for r in crawl.records if key(r) == key(record)]
    assert [without_time(r) for r in written] == [without_time(through_proxy(record, upstream, proxy.base))]
    assert f"the atlas asks to wait 4 s (Retry-After) on {proxy.base}{FOREIGN_COLLECTIVITY_PAGE}" in crawl.log
    assert crawl.report["failures"] == [] and crawl.report["finish_reason"] == "finished"
    assert crawl.returncode == 0


def test_sigterm_during_an_hours_wait_stops_within_seconds_and_the_job_resumes(tmp_path: Path) -> None:
    """The home page answers 503 with ``Retry-After: 3600``: the run waits (it is not
    ended as unreachable); SIGTERM stops it within seconds, finish reason
    ``shutdown``, the waiting page kept in the job; the resumed run completes."""
    job = {"JOBDIR": str(tmp_path / "job"), "LOG_LEVEL": "INFO", "ATLAS_RETRY_AFTER_MAX": "3600"}
    faults = Faults(retry_after=1.0, retry_after_value="3600", fault_targets="accesAtlas")
    truth_path = tmp_path / "truth.json"
    with replica(projects=5, truth=truth_path) as upstream, hostile(upstream, faults) as (proxy, _canary):
        process = start_crawl(proxy.base, tmp_path, job)
        for _ in range(600):
            if proxy.injected["retry_after"] or process.poll() is not None:
                break
            time.sleep(0.1)
        assert proxy.injected["retry_after"] == 1, "the home page never answered its 503"
        time.sleep(2)  # well into the wait
        assert process.poll() is None, "the run ended instead of waiting"
        process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        try:
            stopped = finish(process, tmp_path, timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("the crawl did not stop within 20 s of SIGTERM during a Retry-After wait")
        print(f"\nSIGTERM during a wait: the process exited {time.monotonic() - sent:.1f}s after the signal")
        proxy.faults = Faults()  # the maintenance is over
        resumed = finish(start_crawl(proxy.base, tmp_path, job, append=True), tmp_path)
        truth = json.loads(truth_path.read_text("utf-8"))
    assert "the atlas asks to wait 3600 s (Retry-After) on " in stopped.log
    assert stopped.report["finish_reason"] == "shutdown"
    assert stopped.report["failures"] == []
    assert resumed.report["finish_reason"] == "finished"
    assert sorted(map(key, resumed.records)) == sorted(map(key, truth["records"]))

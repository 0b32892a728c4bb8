"""The world map: country links written by JavaScript, read through headless
Chromium (scrapy-playwright), with a fallback to the country list; the crawl and
its browser contact nothing but the atlas, and the browser's start is no stop."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from atlas_crawler import settings as project_settings
from atlas_crawler import stats
from atlas_crawler.outcome import EXIT_COMPLETE
from atlas_crawler.replica.localrun import replica
from tests.conftest import Crawl, run_crawl
from tests.test_no_third_party import atlas_address, watched_crawl

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@dataclass
class ChromiumContacts:
    """Chromium's own log of its network stack (``--log-net-log``): the name queries
    that left it (DNS, or the system's resolver), the addresses it connected to over
    TCP, the UDP sockets it connected (a connected UDP socket sends nothing by itself:
    Chromium's IPv6 reachability probe is one) and the datagrams it sent."""

    queries: set[str]
    tcp: set[tuple[str, int]]
    udp: set[tuple[str, int]]
    datagrams_sent: int

    @classmethod
    def read(cls, net_log: Path) -> ChromiumContacts:
        log = json.loads(net_log.read_text("utf-8"))
        kinds = {number: name for name, number in log["constants"]["logEventTypes"].items()}
        contacts = cls(set(), set(), set(), 0)
        for event in log["events"]:
            kind, params = kinds[event["type"]], event.get("params") or {}
            if kind in {"DNS_TRANSACTION_QUERY", "HOST_RESOLVER_SYSTEM_TASK"} and event.get("phase") == 1:
                contacts.queries.add(f"{kind} {params}")
            elif kind == "TCP_CONNECT_ATTEMPT" and "address" in params:
                contacts.tcp.add(_address(params["address"]))
            elif kind == "UDP_CONNECT" and "address" in params:
                contacts.udp.add(_address(params["address"]))
            elif kind == "UDP_BYTES_SENT":
                contacts.datagrams_sent += 1
        return contacts


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def _ids(crawl: Any) -> set[tuple[str, str | None, str]]:
    return {(r["type"], r.get("kind"), r["id"]) for r in crawl.records}


@pytest.fixture(scope="module")
def lists_crawl(tmp_path_factory) -> Crawl:
    return run_crawl(tmp_path_factory.mktemp("lists"), projects=120, faults=False)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (make install does it)")
def test_map_entry_reaches_the_same_atlas_as_the_lists(lists_crawl: Crawl, tmp_path: Path) -> None:
    """Watched as tests/test_no_third_party.py watches a crawl, and through Chromium's
    own network log: the crawl's Python, the browser driver and Chromium connect to
    the atlas only and look no name up."""
    net_log = tmp_path / "chromium-net-log.json"
    options = dict(project_settings.PLAYWRIGHT_LAUNCH_OPTIONS)
    options["args"] = [*options["args"], f"--log-net-log={net_log}"]
    with replica(projects=120, truth=tmp_path / "truth.json") as base:
        crawl = watched_crawl(base, tmp_path, {"PLAYWRIGHT_LAUNCH_OPTIONS": json.dumps(options)}, entry="map")
    truth = json.loads((tmp_path / "truth.json").read_text("utf-8"))
    assert crawl.returncode == EXIT_COMPLETE, crawl.log[-5000:]
    assert crawl.report["entry"] == "map"
    assert crawl.report["warnings"] == []
    assert _ids(crawl) == _ids(lists_crawl)
    assert len(crawl.records) == len(truth["records"])
    atlas = atlas_address(base)
    assert set(crawl.contacts.lookups) <= {atlas[0]}
    assert crawl.contacts.connects == {atlas}
    # Chromium's own account: no name query (its updater and sign-in would ask two), no
    # connection but to the atlas, no datagram; its IPv6 probe is a UDP socket that sends nothing
    chromium = ChromiumContacts.read(net_log)
    assert chromium.queries == set()
    assert chromium.tcp == {atlas}
    assert chromium.datagrams_sent == 0
    assert crawl.remote <= {atlas} | chromium.udp  # what polling saw, Chromium's probe included
    # the seconds the browser driver takes to start are no stop (GracefulStop)
    assert "stopping:" not in crawl.log
    assert stats.STOP_CANCELLED not in crawl.log and stats.STOP_REQUEUED not in crawl.log
    # only the map went through the browser; every other page through Scrapy's downloader
    browser = crawl.report["browser"]
    assert browser["request_count/navigation"] == 1
    assert browser["browser_count"] == browser["context_count"] == browser["page_count"] == 1
    assert lists_crawl.report["browser"] == {}
    assert crawl.report["redundant_fetches"] == 0


@pytest.mark.parametrize("executable", ["/nonexistent/chromium", "/bin/false"])
def test_without_a_working_browser_the_crawl_falls_back_to_the_lists(
    lists_crawl: Crawl, tmp_path, executable: str
) -> None:
    options = json.dumps({"executable_path": executable, "timeout": 15000})
    crawl = run_crawl(
        tmp_path, projects=120, faults=False, settings={"PLAYWRIGHT_LAUNCH_OPTIONS": options}, entry="map"
    )
    assert crawl.report["finish_reason"] == "finished"
    assert _ids(crawl) == _ids(lists_crawl)
    assert len(crawl.report["warnings"]) == 1
    assert "countries taken from" in crawl.report["warnings"][0]
    assert crawl.report["warnings"][0].endswith("listePays.html")

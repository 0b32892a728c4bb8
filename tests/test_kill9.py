"""A ``JOBDIR`` crawl killed with SIGKILL at random moments (after a random number of
pages), then resumed to its end: every record of the replica's truth exactly once,
every line whole JSON, no page fetched again once its record was in the job's working
copy (JOBDIR; the feed is published from it when a run ends), and a
last report that covers the whole job. A resume that finds nothing to do on an incomplete job fails (exit 7)."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from scrapy.settings import Settings

from atlas_crawler.files import RunFiles
from atlas_crawler.outcome import EXIT_COMPLETE, EXIT_NOTHING_TO_RESUME
from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl, crawl_command, replica
from atlas_crawler.replica.templates import ATLAS_PATH

pytestmark = pytest.mark.e2e

KILLS = 5
ENV = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}


def hit_key(url: str) -> str:
    """The replica's name for a page (``Replica.hits``): page name and sorted parameters."""
    parts = urlsplit(url)
    name = parts.path.split(";")[0][len(ATLAS_PATH) :]
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    return name + "?" + "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "origine")


def hits(base: str) -> dict[str, int]:
    parts = urlsplit(base)
    with urllib.request.urlopen(f"{parts.scheme}://{parts.netloc}/__hits", timeout=10) as answer:
        return json.loads(answer.read())


def record_keys(lines: list[bytes]) -> list[tuple[Any, ...]]:
    records = [json.loads(line) for line in lines]
    return [(r["type"], r.get("kind"), r["id"]) for r in records]


def killed_run(base: str, output: Path, job: dict[str, str], pages: int) -> None:
    """A run killed once the replica has answered ``pages`` more requests: a moment in
    the crawl's own pace, so that a fast machine does not finish the job between kills."""
    fetched = sum(hits(base).values())
    process = subprocess.Popen(
        crawl_command(base, output, settings=job, append=True),
        cwd=PROJECT_ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while sum(hits(base).values()) < fetched + pages and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def killed_job(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("kill9")
    output, truth = tmp / "atlas.jsonl", tmp / "truth.json"
    job = {"JOBDIR": str(tmp / "job"), "ATLAS_JOB_STATE_INTERVAL": "1"}
    rng = random.Random(os.environ.get("KILL9_SEED", "9"))
    snapshots, torn = [], 0
    # The job writes into its working copy in JOBDIR (the feed itself is published only
    # when a run ends, which a killed run never does): what a kill leaves is read there.
    work = RunFiles.of(Settings({**job, "FEEDS": {str(output): {"format": "jsonl"}}})).records_written
    assert work is not None
    with replica(projects=150, faults=False, truth=truth) as base:
        for _ in range(KILLS):
            killed_run(base, output, job, rng.randint(15, 60))
            data = work.read_bytes() if work.exists() else b""
            torn += bool(data) and not data.endswith(b"\n")
            whole = [json.loads(line)["url"] for line in data.split(b"\n")[:-1]]
            snapshots.append((whole, hits(base)))
        final = crawl(base, output, settings=job, append=True)
        after = output.read_bytes()
        final_hits = hits(base)
        complete = crawl(base, output, settings=job, append=True)
    return {
        "snapshots": snapshots,
        "torn": torn,
        "final": final,
        "bytes": after,
        "hits": final_hits,
        "report": json.loads((tmp / "atlas.report.json").read_text("utf-8")),
        "truth": json.loads(truth.read_text("utf-8")),
        "complete": complete,
        "unchanged": output.read_bytes() == after,
    }


def test_the_resumed_job_writes_every_record_exactly_once(killed_job: dict[str, Any]) -> None:
    assert killed_job["final"].returncode == EXIT_COMPLETE, killed_job["final"].stdout[-3000:]
    data = killed_job["bytes"]
    assert data.endswith(b"\n")
    keys = record_keys(data.split(b"\n")[:-1])  # every line whole JSON, or json.loads fails
    truth = {(r["type"], r.get("kind"), r["id"]) for r in killed_job["truth"]["records"]}
    print(  # the figures of the closing note (pytest -s)
        f"\nkills {KILLS}, torn lines {killed_job['torn']}, records {len(keys)}/{len(truth)}, "
        f"lost {len(truth - set(keys))}, duplicated {len(keys) - len(set(keys))}, "
        f"pages fetched twice {sum(n - 1 for n in killed_job['hits'].values() if n > 1)}"
    )
    assert len(keys) == len(set(keys))
    assert set(keys) == truth


def test_the_kills_really_interrupted_the_crawl(killed_job: dict[str, Any]) -> None:
    written = [len(urls) for urls, _ in killed_job["snapshots"]]
    assert written[-1] < len(killed_job["truth"]["records"])
    assert any(n > 0 for n in written)


def test_no_page_is_fetched_again_once_its_record_is_in_the_file(killed_job: dict[str, Any]) -> None:
    final = killed_job["hits"]
    again = []
    for urls, before in killed_job["snapshots"]:
        for url in urls:
            page = hit_key(url)
            pages = [k for k in final if k == page or k.startswith(page + "&")]  # with its table pages
            again += [k for k in pages if final[k] != before.get(k, 0)]
    assert again == []


def test_the_last_report_covers_the_whole_job(killed_job: dict[str, Any]) -> None:
    report = killed_job["report"]
    lines = killed_job["bytes"].split(b"\n")[:-1]
    assert report["finish_reason"] == "finished"
    assert sum(report["records"].values()) == len(lines)
    assert report["runs"] >= 2
    assert report["failures"] == []


def test_resuming_a_complete_job_does_nothing(killed_job: dict[str, Any]) -> None:
    complete = killed_job["complete"]
    assert complete.returncode == EXIT_COMPLETE, complete.stdout[-3000:]
    assert "nothing left to do: the job is complete" in complete.stdout
    assert killed_job["unchanged"]


def test_nothing_to_resume_on_an_incomplete_job_fails(tmp_path: Path) -> None:
    output, ledger = tmp_path / "atlas.jsonl", tmp_path / "job" / "ledger.sqlite"
    job = {"JOBDIR": str(tmp_path / "job"), "LOG_LEVEL": "INFO"}
    with replica(projects=150, faults=False) as base:
        killed_run(base, output, job, 30)
        with sqlite3.connect(ledger) as db:  # the job's state lost: nothing pending, no record to redo
            assert db.execute("SELECT count(*) FROM requests WHERE state = 'pending'").fetchone()[0] > 0
            db.execute("DELETE FROM requests WHERE state = 'pending'")
            db.execute("DELETE FROM records")
        resumed = crawl(base, output, settings=job, append=True)
    assert resumed.returncode == EXIT_NOTHING_TO_RESUME, resumed.stdout[-3000:]
    assert "nothing to resume" in resumed.stdout

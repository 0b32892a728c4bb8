"""Under Scrapyd, as a scheduled crawl would run: a real ``scrapyd`` on loopback, the
project deployed with ``scrapyd-deploy`` (the egg it builds must hold the schemas and
the replica's data), a crawl of the replica scheduled through ``schedule.json`` with
settings; the run folder holds the complete feed and report, and each job's outcome
is in its log (and, for a failed one, in Scrapyd's own log as the exit status)."""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from atlas_crawler import outcome
from atlas_crawler.files import LOG, RECORDS, REPORT
from atlas_crawler.replica.localrun import PROJECT_ROOT, REPLICA_SETTINGS, free_port, replica, wait_for
from atlas_crawler.run import folders
from tests.scheduled import key, read_jsonl

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent
PACKAGING = ("atlas_crawler", "setup.py", "pyproject.toml", "scrapy.cfg")


def test_scrapy_cfg_has_a_default_and_a_local_deploy_target() -> None:
    config = configparser.ConfigParser()
    config.read(PROJECT_ROOT / "scrapy.cfg")
    assert config["deploy"]["project"] == "atlas_crawler"
    assert config["deploy"]["url"] == config["deploy:local"]["url"] == "http://localhost:6800/"


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A scrapyd on a free loopback port, with the project deployed to it by scrapyd-deploy
    from a copy of the files the egg is built from (nothing else of the tree)."""
    tmp = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (tmp / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\npoll_interval = 0.2\nitems_dir =\n"
        f"eggs_dir = {tmp / 'eggs'}\nlogs_dir = {tmp / 'logs'}\ndbs_dir = {tmp / 'dbs'}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the jobs must run from the egg
    log = (tmp / "scrapyd.log").open("wb")
    server = subprocess.Popen([BIN / "scrapyd"], cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for(url + "daemonstatus.json", server)
        project = tmp / "project"
        for name in PACKAGING:
            source = PROJECT_ROOT / name
            if source.is_dir():
                shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, project / name)
        xdg = tmp / "xdg"
        xdg.mkdir()
        (xdg / "scrapy.cfg").write_text(f"[deploy:test]\nurl = {url}\n", encoding="utf-8")  # project= from scrapy.cfg
        deploy = subprocess.run(
            [BIN / "scrapyd-deploy", "test", "--version", "r1"],
            cwd=project,
            env={**env, "XDG_CONFIG_HOME": str(xdg)},
            capture_output=True,
            text=True,
            check=False,
        )
        yield {"url": url, "tmp": tmp, "deploy": deploy, "server_log": tmp / "scrapyd.log"}
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def call(url: str, form: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    with urllib.request.urlopen(url, data=data, timeout=10) as response:
        return json.loads(response.read())


def run_job(scrapyd: dict[str, Any], settings: dict[str, str]) -> str:
    """Schedule a crawl with ``settings`` and wait for it to finish; returns its log."""
    form = [("project", "atlas_crawler"), ("spider", "atlas")]
    form += [("setting", f"{k}={v}") for k, v in {**REPLICA_SETTINGS, "LOG_LEVEL": "INFO", **settings}.items()]
    job = call(scrapyd["url"] + "schedule.json", form)
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        jobs = call(scrapyd["url"] + "listjobs.json?project=atlas_crawler")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        time.sleep(0.3)
    else:
        raise TimeoutError(f"job {job['jobid']} did not finish")
    return (scrapyd["tmp"] / "logs" / "atlas_crawler" / "atlas" / f"{job['jobid']}.log").read_text("utf-8")


def test_the_deployed_egg_holds_the_package_data(scrapyd: dict[str, Any]) -> None:
    assert scrapyd["deploy"].returncode == 0, scrapyd["deploy"].stderr
    assert '"status": "ok"' in scrapyd["deploy"].stdout
    egg = scrapyd["tmp"] / "eggs" / "atlas_crawler" / "r1.egg"
    names = set(zipfile.ZipFile(egg).namelist())
    assert {
        "atlas_crawler/schemas/project.schema.json",
        "atlas_crawler/schemas/collectivity.schema.json",
        "atlas_crawler/replica/data/project-2431.json",
        "atlas_crawler/replica/data/detailProjet-kayes.html",
        "atlas_crawler/commands/crawl.py",
    } <= names
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)


def test_a_scheduled_crawl_writes_the_complete_feed_and_report(scrapyd: dict[str, Any], tmp_path: Path) -> None:
    assert scrapyd["deploy"].returncode == 0, scrapyd["deploy"].stderr
    runs_dir = tmp_path / "runs"
    with replica(projects=40, faults=False, truth=tmp_path / "truth.json") as base:
        log = run_job(scrapyd, {"ATLAS_BASE_URL": base, "ATLAS_RUNS_DIR": str(runs_dir)})
    truth = json.loads((tmp_path / "truth.json").read_text("utf-8"))
    run = folders.latest_complete(runs_dir)
    assert run is not None, log[-3000:]
    assert sorted(map(key, read_jsonl(run / RECORDS))) == sorted(map(key, truth["records"]))
    report = json.loads((run / REPORT).read_text("utf-8"))
    assert report["finish_reason"] == "finished"
    assert report["outcome"]["exit_code"] == outcome.EXIT_COMPLETE
    assert "run outcome: complete (exit 0)" in log
    assert "run outcome: complete (exit 0)" in (run / LOG).read_text("utf-8")

    closed = f"http://127.0.0.1:{free_port()}/cncdext/dyn/public/atlas/"
    log = run_job(scrapyd, {"ATLAS_BASE_URL": closed, "ATLAS_RUNS_DIR": str(runs_dir)})
    assert f"run outcome: site unreachable (exit {outcome.EXIT_SITE_UNREACHABLE})" in log
    assert folders.latest_complete(runs_dir) == run
    server_log = scrapyd["server_log"].read_text("utf-8", errors="replace")
    assert f"exitstatus={outcome.EXIT_SITE_UNREACHABLE}" in server_log

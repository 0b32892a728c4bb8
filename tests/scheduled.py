"""Helpers for the scheduled-crawl tests: ``scrapy crawl`` as cron runs it (no
``-o``: the run folder chooses the files), and a replica on a port of our choice,
so that two runs over two editions of the atlas see the same URLs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from atlas_crawler.localrun import PROJECT_ROOT, REPLICA_SETTINGS
from atlas_crawler.replica.templates import ATLAS_PATH


def scrapy_crawl(base: str, settings: Mapping[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl atlas`` of ``base`` with the replica's politeness-off settings."""
    command = [sys.executable, "-m", "scrapy", "crawl", "atlas", "-s", f"ATLAS_BASE_URL={base}", *extra]
    for key, value in {**REPLICA_SETTINGS, **settings}.items():
        command += ["-s", f"{key}={value}"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )


@contextmanager
def replica_on(
    port: int, projects: int, edition: int = 1, faults: bool = False, truth: Path | None = None
) -> Iterator[str]:
    """``python -m atlas_crawler.replica`` on ``port``; yields its base URL."""
    command = [sys.executable, "-m", "atlas_crawler.replica", "--port", str(port), "--projects", str(projects)]
    command += ["--edition", str(edition), "--slow-seconds", "0.2"]
    command += ["--faults"] if faults else []
    command += ["--truth", str(truth)] if truth else []
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/robots.txt", process)
        yield f"http://127.0.0.1:{port}{ATLAS_PATH}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def wait_for(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:3]} exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing answered at {url} within {timeout}s")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def key(record: dict[str, Any]) -> tuple[str, str | None, str]:
    return record["type"], record.get("kind"), record["id"]

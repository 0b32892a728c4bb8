"""``python -m atlas_crawler.serve`` in a process of its own, for the browser tests."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from atlas_crawler.replica.localrun import PROJECT_ROOT, free_port


@contextmanager
def serving(source: Path) -> Iterator[str]:
    """The server over ``source`` on a free port of 127.0.0.1; yields its address once it
    answers, stops it on exit."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "atlas_crawler.serve", str(source), "--port", str(port)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # up to a minute on a loaded machine; no timing is asserted
            if process.poll() is not None:
                pytest.fail(f"the server stopped: {process.stderr.read().decode()[-2000:]}")
            try:
                urllib.request.urlopen(url + "/-/versions.json", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)

"""Replay through pywb, offline, with the commands docs/ARCHIVES.md gives
(``wb-manager init``, ``wb-manager add --unpack-wacz``, ``wayback``): a project
page of a dump comes back with its title, after the site it was crawled from is gone."""

from __future__ import annotations

import html
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from atlas_crawler.archive.layout import MANIFEST, WACZ
from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl, free_port, replica

pytestmark = pytest.mark.e2e
#: pywb's commands, in a venv of their own (docs/ARCHIVES.md): pywb needs brotlipy, whose
#: ``brotli`` package shadows the Brotli module Scrapy decodes ``br`` answers with.
BIN = Path(os.environ.get("PYWB_BIN") or PROJECT_ROOT / ".venv-pywb" / "bin")
COLLECTION = "atlas"
if not (BIN / "wb-manager").is_file():
    pytest.skip(
        f"pywb is not installed in {BIN}: python3 -m venv .venv-pywb && .venv-pywb/bin/pip install pywb==2.10.0 "
        "(or PYWB_BIN=<its bin folder>); it cannot share the project's venv (its brotlipy breaks Scrapy's br decoding)",
        allow_module_level=True,
    )


def pywb(*args: str, cwd: Path) -> None:
    done = subprocess.run([str(BIN / args[0]), *args[1:]], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def replayed(port: int, url: str, server: subprocess.Popen[bytes]) -> str:
    """The page as pywb replays it (``mp_``: the page itself, rewritten, without pywb's frame),
    asked again until the server listens (or has died)."""
    address = f"http://127.0.0.1:{port}/{COLLECTION}/mp_/{url}"
    while True:
        try:
            with urllib.request.urlopen(address, timeout=60) as answer:
                raw, content_type = answer.read(), answer.headers.get("Content-Type", "")
                return HtmlResponse(
                    address, body=raw, headers={"Content-Type": content_type}
                ).text  # charset as Scrapy finds it
        except urllib.error.HTTPError:
            raise
        except (ConnectionError, urllib.error.URLError):
            if server.poll() is not None:
                raise
            time.sleep(0.2)  # not listening yet


def test_a_project_page_replays_through_pywb_offline(tmp_path: Path) -> None:
    dump = tmp_path / "dump"
    settings = {"ATLAS_ARCHIVE": "True", "ATLAS_ARCHIVE_DIR": str(dump)}
    with replica(projects=5) as base:
        result = crawl(base, tmp_path / "atlas.jsonl", settings=settings)
    assert (dump / MANIFEST).is_file(), result.stdout[-3000:]
    records = [json.loads(line) for line in (tmp_path / "atlas.jsonl").read_text("utf-8").splitlines()]
    project = next(r for r in records if r["type"] == "project")

    root = tmp_path / "pywb"
    root.mkdir()
    pywb("wb-manager", "init", COLLECTION, cwd=root)
    pywb("wb-manager", "add", "--unpack-wacz", COLLECTION, str(dump / WACZ), cwd=root)
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "wayback"), "-p", str(port), "-b", "127.0.0.1"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        page = replayed(port, project["url"], server)  # the replica is gone: only the dump answers
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert " ".join(project["title"].split()) in " ".join(html.unescape(page).split())

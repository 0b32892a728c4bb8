"""The crawl contacts nothing but the atlas: no name looked up, no connection
opened, by the crawl process or its children, to any address but the atlas's
(the replica here). No Public Suffix List either: Scrapy's cookie middleware would
fetch it (atlas_crawler/crawl/cookies.py says where); the project's reads the
snapshot bundled with tldextract, and the atlas's cookies still work.

Two watches, for what each can see: ``GUARD``, installed as the ``sitecustomize`` of
the crawl's Python, notes every name lookup and every connection attempt of that
Python (refusing those off the atlas, so a test never reaches the internet);
``ConnectionWatch`` (tests/test_hostile_network.py) polls the sockets of the process
and its children (the browser driver and Chromium with ``-a entry=map``).
tests/test_world_map.py runs the map entry under both, and reads Chromium's own
network log; here, that Chromium is told to resolve the atlas's host only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from atlas_crawler.crawl.browser import with_browser
from atlas_crawler.crawl.cookies import BUNDLED_SUFFIXES, OfflineCookiesMiddleware
from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl_command, replica
from atlas_crawler.urls import LIVE_BASE_URL
from tests.test_hostile_network import ConnectionWatch

#: ``sitecustomize.py`` of a watched Python: notes each lookup (``lookup <host>``) and
#: each connection attempt (``connect <host>:<port>``) in ``$NO_CONTACT_LOG``; refuses
#: them for a host not in ``$NO_CONTACT_HOSTS`` (comma-separated).
GUARD = """
import errno
import os
import socket

_ALLOWED = frozenset(os.environ["NO_CONTACT_HOSTS"].split(","))
_LOG = os.environ["NO_CONTACT_LOG"]


def _note(line):
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(line + "\\n")


def _name(host):
    return host.decode("ascii", "replace") if isinstance(host, (bytes, bytearray)) else host


def _guarded_lookup(original):
    def lookup(host, *args, **kwargs):
        name = _name(host)
        if name is not None:  # None: a local address to bind to, no lookup
            _note("lookup " + str(name))
            if name not in _ALLOWED:
                raise socket.gaierror(socket.EAI_NONAME, "refused by the test: " + str(name))
        return original(host, *args, **kwargs)
    return lookup


for _function in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
    setattr(socket, _function, _guarded_lookup(getattr(socket, _function)))


def _off_the_atlas(sock, address):
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    host = _name(address[0])
    _note("connect %s:%s" % (host, address[1]))
    return host not in _ALLOWED


_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex


def connect(self, address):
    if _off_the_atlas(self, address):
        raise ConnectionRefusedError(errno.ECONNREFUSED, "refused by the test")
    return _connect(self, address)


def connect_ex(self, address):
    if _off_the_atlas(self, address):
        return errno.ECONNREFUSED
    return _connect_ex(self, address)


socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
"""


@dataclass
class Contacts:
    """What the guard noted in a watched Python."""

    lookups: list[str] = field(default_factory=list)
    connects: set[tuple[str, int]] = field(default_factory=set)

    @classmethod
    def read(cls, log: Path) -> Contacts:
        contacts = cls()
        for line in log.read_text("utf-8").splitlines() if log.exists() else []:
            kind, _, what = line.partition(" ")
            if kind == "lookup":
                contacts.lookups.append(what)
            else:
                host, _, port = what.rpartition(":")
                contacts.connects.add((host, int(port)))
        return contacts


def guarded_env(tmp: Path, hosts: tuple[str, ...] = ("127.0.0.1",)) -> tuple[dict[str, str], Path]:
    """The environment of a watched Python, and the guard's log. tldextract's cache
    points at an empty folder, so a download would not be skipped thanks to an
    earlier run's cache."""
    guard = tmp / "guard"
    guard.mkdir(parents=True, exist_ok=True)
    (guard / "sitecustomize.py").write_text(GUARD, "utf-8")
    log = tmp / "contacts.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(guard), str(PROJECT_ROOT)]),
        "NO_CONTACT_HOSTS": ",".join(hosts),
        "NO_CONTACT_LOG": str(log),
        "TLDEXTRACT_CACHE": str(tmp / "tldextract-cache"),
        "XDG_STATE_HOME": str(tmp / "state"),
    }
    return env, log


@dataclass
class WatchedCrawl:
    """A finished crawl under both watches."""

    returncode: int
    log: str
    report: dict[str, Any]
    records: list[dict[str, Any]]
    contacts: Contacts
    remote: set[tuple[str, int]]
    listening: set[tuple[str, int]]


def watched_crawl(base: str, tmp: Path, settings: dict[str, str] | None = None, **args: str) -> WatchedCrawl:
    """``scrapy crawl`` of the replica at ``base`` into ``tmp/atlas.jsonl``, watched."""
    env, contacts_log = guarded_env(tmp)
    output = tmp / "atlas.jsonl"
    command = crawl_command(base, output, settings={"LOG_LEVEL": "INFO", **(settings or {})}, **args)
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    watch = ConnectionWatch(process.pid)
    watch.start()
    log, _ = process.communicate(timeout=600)
    watch.join(5)
    report = tmp / "atlas.report.json"
    assert report.exists(), log[-5000:]
    return WatchedCrawl(
        returncode=process.returncode,
        log=log,
        report=json.loads(report.read_text("utf-8")),
        records=[json.loads(line) for line in output.read_text("utf-8").splitlines()] if output.exists() else [],
        contacts=Contacts.read(contacts_log),
        remote=watch.remote,
        listening=watch.listening,
    )


def atlas_address(base: str) -> tuple[str, int]:
    parts = urlsplit(base)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def guarded_python(tmp: Path, code: str) -> Contacts:
    """Runs ``code`` in a watched Python; what it tried to contact."""
    env, log = guarded_env(tmp)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return Contacts.read(log)


# --- the crawl ------------------------------------------------------------------------------
@pytest.mark.e2e
def test_a_crawl_contacts_nothing_but_the_atlas(tmp_path: Path) -> None:
    """The whole run as a scheduled one does it: the crawl, the archive (WARC, CDXJ,
    WACZ) and every export format, then the report."""
    settings = {"ATLAS_ARCHIVE": "True", "ATLAS_EXPORT": "csv,parquet,sqlite"}
    with replica(projects=8, truth=tmp_path / "truth.json") as base:
        crawl = watched_crawl(base, tmp_path, settings)
    truth = json.loads((tmp_path / "truth.json").read_text("utf-8"))
    atlas = atlas_address(base)
    assert crawl.returncode == 0, crawl.log[-5000:]
    assert len(crawl.records) == len(truth["records"])
    # no name looked up (the atlas's address is a number here: "looked up" without DNS)
    assert set(crawl.contacts.lookups) <= {atlas[0]}
    assert crawl.contacts.connects == {atlas}  # the guard saw the crawl's connections: the atlas's only
    assert crawl.remote <= {atlas}
    assert crawl.listening == set()
    # tldextract neither fetched nor cached a list; the cookie kept the session out of the links
    assert not (tmp_path / "tldextract-cache").exists()
    assert all(";jsessionid" not in json.dumps(record).lower() for record in crawl.records)


# --- the guard sees the Public Suffix List download ----------------------------------------------
def test_scrapys_own_cookie_check_would_fetch_the_public_suffix_list(tmp_path: Path) -> None:
    """The control of the crawl's ``lookups == []``: Scrapy's cookie check, left as
    Scrapy sets it up, looks up the list's hosts (refused here, so tldextract falls
    back to its snapshot). When this fails, Scrapy no longer downloads the list and
    atlas_crawler/crawl/cookies.py may go."""
    contacts = guarded_python(
        tmp_path,
        "from scrapy.downloadermiddlewares.cookies import _is_public_domain\n"
        "assert not _is_public_domain('pastel.diplomatie.gouv.fr')",
    )
    assert "publicsuffix.org" in contacts.lookups


def test_the_projects_cookie_check_reads_the_bundled_list(tmp_path: Path) -> None:
    contacts = guarded_python(
        tmp_path,
        "from scrapy.utils.test import get_crawler\n"
        "from atlas_crawler.crawl.cookies import OfflineCookiesMiddleware\n"
        "OfflineCookiesMiddleware.from_crawler(get_crawler())\n"
        "from scrapy.downloadermiddlewares.cookies import _is_public_domain\n"
        "assert _is_public_domain('gouv.fr') and not _is_public_domain('pastel.diplomatie.gouv.fr')",
    )
    assert contacts == Contacts()
    assert not (tmp_path / "tldextract-cache").exists()


# --- the atlas's cookies ----------------------------------------------------------------------
def _answer(request: Request, set_cookie: str) -> HtmlResponse:
    return HtmlResponse(request.url, request=request, headers={"Set-Cookie": set_cookie}, body=b"<html></html>")


def test_the_session_cookie_goes_back_to_the_atlas_and_a_public_suffix_cookie_is_refused() -> None:
    middleware = OfflineCookiesMiddleware.from_crawler(get_crawler())
    home = Request(f"{LIVE_BASE_URL}accesAtlas.html")
    middleware.process_request(home)
    middleware.process_response(home, _answer(home, "JSESSIONID=0A1B2C; Path=/cncdext"))
    other = Request("https://www.diplomatie.gouv.fr/")
    middleware.process_request(other)
    spread = Request(f"{LIVE_BASE_URL}accesAtlas.html")
    # A cookie for all of gouv.fr (a public suffix, in the bundled list) is refused.
    middleware.process_response(spread, _answer(spread, "wide=1; Domain=gouv.fr; Path=/"))
    project = Request(f"{LIVE_BASE_URL}detailProjet.html?criteres.prjId=1")
    middleware.process_request(project)
    elsewhere = Request("https://www.diplomatie.gouv.fr/")
    middleware.process_request(elsewhere)
    assert project.headers.get("Cookie") == b"JSESSIONID=0A1B2C"
    assert other.headers.get("Cookie") is None and elsewhere.headers.get("Cookie") is None
    assert BUNDLED_SUFFIXES("pastel.diplomatie.gouv.fr").suffix == "gouv.fr"


# --- Chromium (-a entry=map) ---------------------------------------------------------------------
def project_settings() -> Settings:
    settings = Settings()
    settings.setmodule("atlas_crawler.settings", priority="project")
    return settings


def _launch_args(settings: Settings) -> list[str]:
    with_browser(settings)
    return settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")["args"]


def test_chromium_may_resolve_the_atlas_host_only() -> None:
    settings = project_settings()
    args = _launch_args(settings)
    assert args[-1] == "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE pastel.diplomatie.gouv.fr"
    assert args[:-1] == project_settings().getdict("PLAYWRIGHT_LAUNCH_OPTIONS")["args"]


def test_launch_options_given_on_the_command_line_keep_the_rule_and_their_priority() -> None:
    settings = project_settings()
    settings.set("ATLAS_BASE_URL", "http://127.0.0.1:8080/cncdext/dyn/public/atlas/", priority="cmdline")
    settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", json.dumps({"args": ["--x"], "timeout": 1}), priority="cmdline")
    assert _launch_args(settings) == ["--x", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]
    assert settings.getpriority("PLAYWRIGHT_LAUNCH_OPTIONS") == settings.getpriority("ATLAS_BASE_URL")
    assert settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")["timeout"] == 1

"""A hostile network for end-to-end tests: a fault-injecting reverse proxy in
front of the replica, and a canary server that records whatever reaches it.

The proxy speaks raw HTTP/1.1 on asyncio streams (one request per connection,
``Connection: close``), because the faults are about bytes on the wire that an
HTTP framework would not let a handler write: a body shorter than its
``Content-Length``, a body cut without one, a reset, a connection that never
answers. Both servers run in a thread of the test process, so a test reads what
they saw directly."""

from __future__ import annotations

import asyncio
import contextlib
import posixpath
import random
import re
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote

import aiohttp
import yarl

from atlas_crawler.replica.templates import ATLAS_PATH

METADATA_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
#: Answers that fail a request (retried by Scrapy) and answers that are broken pages.
FAILURES = ("error_5xx", "reset", "hang")
BROKEN = ("empty", "short", "cut")
REDIRECTS = ("redirect_canary", "redirect_metadata")


@dataclass
class Faults:
    """What the proxy does to the answers. Rates are shares of page requests
    (robots.txt aside); ``max_failures`` makes every fault transient (a page is
    served whole after that many bad answers); ``broken_forever`` maps the end of
    a request target to the kind of bad answer it always gets."""

    seed: int = 1
    error_5xx: float = 0.0
    reset: float = 0.0
    hang: float = 0.0
    empty: float = 0.0
    short: float = 0.0
    cut: float = 0.0
    redirect_canary: float = 0.0
    redirect_metadata: float = 0.0
    max_failures: int | None = None
    broken_forever: dict[str, str] = field(default_factory=dict)
    #: Which targets may get a fault (regular expression searched in the target).
    fault_targets: str = r"\.html"
    #: Links that leave the atlas path (``..``, ``%2e%2e``, ...) or host, added to list pages.
    traversal_links: bool = False
    #: robots.txt: None (the replica's), or an answer kind: "503", "500", "404", "hang", "reset".
    robots: str | None = None

    def kinds(self) -> list[tuple[str, float]]:
        return [(kind, getattr(self, kind)) for kind in (*FAILURES, *BROKEN, *REDIRECTS)]


def escapes_atlas(target: str) -> bool:
    """Whether a request target leaves the atlas path, judged independently of the
    crawler's code: decoded twice, backslashes as slashes, ``;`` parameters out,
    normalised by ``posixpath.normpath``."""
    path = target.split("?", 1)[0]
    if not path.startswith(ATLAS_PATH):
        return True
    decoded = unquote(unquote(unquote(path))).replace("\\", "/")
    decoded = "/".join(segment.split(";", 1)[0] for segment in decoded.split("/"))
    return not (posixpath.normpath(decoded) + "/").startswith(ATLAS_PATH)


def traversal_links(canary: str) -> list[str]:
    """Links of a list page that lead off the atlas, each spelled a different way."""
    return [
        "%2e%2e/%2e%2e/admin/leak1.html?x=1",
        f"{ATLAS_PATH}%2E%2E/%2E%2E/admin/leak2.html?x=2",
        "..%2f..%2fadmin%2fleak3.html?x=3",
        "%252e%252e/%252e%252e/admin/leak4.html?x=4",
        "..;jsessionid=1/..;jsessionid=2/admin/leak5.html?x=5",
        "../../admin/leak6.html?x=6",
        f"{canary}{ATLAS_PATH}leak7.html?x=7",
        f"//{canary.split('://', 1)[1]}{ATLAS_PATH}leak8.html?x=8",
        f"{METADATA_URL}?x=9",
        "..\\..\\admin\\leak10.html?x=10",
        f"{ATLAS_PATH}.%2e/.%2e/admin/leak11.html?x=11",
    ]


class _Server:
    """A raw HTTP server in its own thread and event loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None
        self.port = 0
        self.tasks: set[asyncio.Task] = set()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    async def _start(self) -> None:
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    async def _stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line, *lines = head.decode("latin-1").split("\r\n")
            method, target, _version = line.split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in lines if ":" in h)}
            await self.answer(method, target, headers, reader, writer)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            self.tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def answer(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        raise NotImplementedError

    def __enter__(self) -> _Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _response(status: int, headers: list[tuple[str, str]], body: bytes, length: int | None) -> bytes:
    reason = {200: "OK", 302: "Found", 404: "Not Found", 500: "Internal Server Error", 502: "Bad Gateway"}
    lines = [f"HTTP/1.1 {status} {reason.get(status, 'Status')}", *(f"{k}: {v}" for k, v in headers)]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Canary(_Server):
    """Records every request it receives; answers a page that links back to itself."""

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[str] = []

    async def answer(self, method, target, headers, reader, writer) -> None:  # type: ignore[override]
        self.hits.append(f"{method} {target}")
        body = f'<html><body><a href="{target}?again=1">more</a></body></html>'.encode()
        writer.write(_response(200, [("Content-Type", "text/html")], body, len(body)))
        await writer.drain()


class HostileProxy(_Server):
    """Reverse proxy to the replica at ``upstream`` (its origin), with faults.

    ``hits`` holds ``(arrival time, target)`` for every request (robots.txt
    included), ``escapes`` the targets that left the atlas path (answered 404,
    never forwarded), ``injected`` counts the faults served by kind, ``faulted``
    lists them by target."""

    def __init__(self, upstream: str, faults: Faults, canary: str = "http://127.0.0.1:9") -> None:
        super().__init__()
        self.upstream = upstream.rstrip("/")
        self.faults = faults
        self.canary = canary
        self.hits: list[tuple[float, str]] = []
        self.escapes: list[str] = []
        self.injected: Counter[str] = Counter()
        self.faulted: dict[str, list[str]] = {}  # target -> the bad answers it got
        self.bad_answers: Counter[str] = Counter()  # per target, for max_failures
        self.attempts: Counter[str] = Counter()
        self.session: aiohttp.ClientSession | None = None

    @property
    def base(self) -> str:
        """The ATLAS_BASE_URL a crawl through this proxy uses."""
        return f"{self.origin}{ATLAS_PATH}"

    async def _stop(self) -> None:
        await super()._stop()
        if self.session is not None:
            await self.session.close()

    def fault_for(self, target: str) -> str | None:
        """The bad answer this attempt at ``target`` gets, if any (deterministic)."""
        faults = self.faults
        self.attempts[target] += 1
        for suffix, kind in faults.broken_forever.items():
            if target.endswith(suffix):
                return kind
        if not re.search(faults.fault_targets, target):
            return None
        if faults.max_failures is not None and self.bad_answers[target] >= faults.max_failures:
            return None
        draw = random.Random(f"{faults.seed}:{target}:{self.attempts[target]}").random()
        for kind, rate in faults.kinds():
            if draw < rate:
                self.bad_answers[target] += 1
                return kind
            draw -= rate
        return None

    async def answer(self, method, target, headers, reader, writer) -> None:  # type: ignore[override]
        self.hits.append((time.monotonic(), target))
        if target.split("?", 1)[0] == "/robots.txt":
            await self.robots(target, headers, reader, writer)
            return
        if escapes_atlas(target):
            self.escapes.append(target)
            writer.write(_response(404, [("Content-Type", "text/plain")], b"not the atlas", 13))
            await writer.drain()
            return
        kind = self.fault_for(target)
        if kind is not None:
            self.injected[kind] += 1
            self.faulted.setdefault(target, []).append(kind)
        if kind in FAILURES or kind in REDIRECTS:
            await self.fail(kind, target, reader, writer)
            return
        status, pass_headers, body = await self.fetch(target, headers)
        if self.faults.traversal_links and "liste" in target and b"</body>" in body:
            links = "".join(f'<a href="{href}">lien</a>' for href in traversal_links(self.canary))
            body = body.replace(b"</body>", f"<div>{links}</div></body>".encode(), 1)
        await self.send(kind, status, pass_headers, body, writer)

    async def robots(self, target, headers, reader, writer) -> None:
        kind = self.faults.robots
        if kind is None:
            status, pass_headers, body = await self.fetch(target, headers)
            writer.write(_response(status, pass_headers, body, len(body)))
        elif kind in ("hang", "reset"):
            await self.fail(kind, target, reader, writer)
            return
        else:
            writer.write(_response(int(kind), [("Content-Type", "text/plain")], b"unavailable", 11))
        await writer.drain()

    async def fetch(self, target: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        forwarded = {k: v for k, v in headers.items() if k in ("cookie", "user-agent", "accept")}
        url = yarl.URL(self.upstream + target, encoded=True)
        async with self.session.get(url, headers=forwarded, allow_redirects=False) as upstream:
            body = await upstream.read()
            kept = [
                (k, v)
                for k, v in upstream.headers.items()
                if k.lower() in ("content-type", "set-cookie", "retry-after")
            ]
            return upstream.status, kept, body

    async def fail(self, kind: str, target: str, reader, writer) -> None:
        if kind == "error_5xx":
            writer.write(_response(random.choice((500, 502)), [("Content-Type", "text/plain")], b"boom", 4))
            await writer.drain()
        elif kind == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        elif kind == "hang":
            await reader.read()  # until the client gives up (or the proxy stops)
        elif kind == "redirect_canary":
            writer.write(_response(302, [("Location", f"{self.canary}{target}")], b"", 0))
            await writer.drain()
        elif kind == "redirect_metadata":
            writer.write(_response(302, [("Location", METADATA_URL)], b"", 0))
            await writer.drain()

    async def send(self, kind: str | None, status: int, headers: list[tuple[str, str]], body: bytes, writer) -> None:
        if kind == "empty":
            writer.write(_response(200, headers, b"", 0))
        elif kind == "short":  # Content-Length says more than what comes
            writer.write(_response(status, headers, body[: len(body) * 2 // 3], len(body)))
        elif kind == "cut":  # no Content-Length: the connection just closes
            writer.write(_response(status, headers, body[: len(body) * 2 // 3], None))
        else:
            writer.write(_response(status, headers, body, len(body)))
        await writer.drain()

    def page_hits(self) -> list[str]:
        return [target for _, target in self.hits if not target.startswith("/robots.txt")]


@contextlib.contextmanager
def hostile(upstream_base: str, faults: Faults) -> Iterator[tuple[HostileProxy, Canary]]:
    """A canary and a proxy to the replica whose ATLAS_BASE_URL is ``upstream_base``."""
    origin = upstream_base.split(ATLAS_PATH, 1)[0]
    with Canary() as canary, HostileProxy(origin, faults, canary.origin) as proxy:
        yield proxy, canary  # type: ignore[misc]

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
import functools
import posixpath
import random
import re
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote

import aiohttp
import brotli
import yarl

from atlas_crawler.replica.templates import ATLAS_PATH

try:  # Python 3.14's, else the backport Scrapy itself depends on (its zstd decoder)
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd

METADATA_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
#: Answers that fail a request (retried by Scrapy) and answers that are broken pages.
FAILURES = ("error_5xx", "reset", "hang")
BROKEN = ("empty", "short", "cut")
REDIRECTS = ("redirect_canary", "redirect_metadata")
#: Answers that ask the crawler to wait: 503 with ``Retry-After: Faults.retry_after_value``.
ASKS = ("retry_after",)
#: Answers given forever (``Faults.broken_forever`` only) in place of the page: decompression
#: bombs by their Content-Encoding, a page of ``OVERSIZED`` bytes sent without Content-Length,
#: a login page, a redirect loop, a 404 error page.
BOMBS = {"gzip_bomb": "gzip", "deflate_bomb": "deflate", "br_bomb": "br", "zstd_bomb": "zstd"}
INSTEAD = (*BOMBS, "oversized", "login", "redirect_loop", "not_found", "binary")
#: A kind that answers 302 to the target after it: ``"redirect_to:/cncdext/…/accesAtlas.html"``.
REDIRECT_TO = "redirect_to:"
#: A bomb's size once decoded (about 1.2 GiB), and the unclosed ``<div>``s "deep_nesting" puts after ``<body>``.
BOMB_SIZE = 1229 * 2**20
OVERSIZED = 16 * 2**20
DEEP_NESTING = 3000
#: The parameter a "redirect_loop" hop adds (each hop sends to the next number).
LOOP_PARAM = "boucle"


@dataclass
class Faults:
    """What the proxy does to the answers. Rates are shares of page requests
    (robots.txt aside); ``max_failures`` makes every fault transient (a page is
    served whole after that many bad answers); ``broken_forever`` maps the end of
    a request target to the kind of bad answer it always gets (any kind above, one
    of ``INSTEAD``, or "deep_nesting": the page with ``DEEP_NESTING`` unclosed
    ``<div>``s after ``<body>``)."""

    seed: int = 1
    error_5xx: float = 0.0
    reset: float = 0.0
    hang: float = 0.0
    empty: float = 0.0
    short: float = 0.0
    cut: float = 0.0
    redirect_canary: float = 0.0
    redirect_metadata: float = 0.0
    retry_after: float = 0.0
    #: The Retry-After of a "retry_after" answer: seconds or an HTTP date.
    retry_after_value: str = "4"
    max_failures: int | None = None
    broken_forever: dict[str, str] = field(default_factory=dict)
    #: Which targets may get a fault (regular expression searched in the target).
    fault_targets: str = r"\.html"
    #: Links that leave the atlas path (``..``, ``%2e%2e``, ...) or host, added to list pages.
    traversal_links: bool = False
    #: More links added to pages: target suffix -> hrefs as written (other spellings of a record's address).
    extra_links: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: robots.txt: None (the replica's), or an answer kind: "503", "500", "404", "hang", "reset".
    robots: str | None = None
    #: robots.txt served verbatim (200, text/plain) instead of the replica's; before ``robots``.
    robots_text: str | None = None

    def kinds(self) -> list[tuple[str, float]]:
        return [(kind, getattr(self, kind)) for kind in (*FAILURES, *BROKEN, *REDIRECTS, *ASKS)]


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


_BOMB_HEAD, _BOMB_FILL, _BOMB_TAIL = b"<!DOCTYPE html><html><body>", b" " * 2**20, b"</body></html>"


@functools.cache
def bomb(encoding: str) -> bytes:
    """An HTML page of ``BOMB_SIZE`` bytes (spaces in a body) compressed as
    ``encoding`` (gzip, deflate, br, zstd), made once per process and cheaply:
    gzip and deflate repeat one deflate block (after a full flush the compressor
    starts afresh, so every MiB of spaces compresses to the same bytes; the
    checksums are computed over the whole), br and zstd at their fastest level."""
    pieces = [_BOMB_HEAD, *[_BOMB_FILL] * (BOMB_SIZE // len(_BOMB_FILL)), _BOMB_TAIL]
    if encoding in ("gzip", "deflate"):
        compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        head = compressor.compress(_BOMB_HEAD) + compressor.flush(zlib.Z_FULL_FLUSH)
        block = compressor.compress(_BOMB_FILL) + compressor.flush(zlib.Z_FULL_FLUSH)
        raw = head + block * (len(pieces) - 2) + compressor.compress(_BOMB_TAIL) + compressor.flush()
        if encoding == "deflate":  # HTTP's deflate is the zlib format (RFC 1950)
            return b"\x78\xda" + raw + struct.pack(">I", functools.reduce(lambda a, p: zlib.adler32(p, a), pieces, 1))
        crc = functools.reduce(lambda c, p: zlib.crc32(p, c), pieces, 0)
        size = sum(map(len, pieces))
        return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + raw + struct.pack("<II", crc, size & 0xFFFFFFFF)
    if encoding == "br":
        compressor = brotli.Compressor(quality=1)
        return b"".join(compressor.process(p) for p in pieces) + compressor.finish()
    if encoding == "zstd":
        compressor = zstd.ZstdCompressor(level=1)
        return b"".join(compressor.compress(p) for p in pieces) + compressor.flush()
    raise ValueError(f"no bomb for {encoding!r}")


def without_loop(target: str) -> tuple[str, int]:
    """A target without the parameter a redirect loop adds, and its number (0: none)."""
    path, _, query = target.partition("?")
    kept, hop = [], 0
    for pair in query.split("&") if query else []:
        name, _, value = pair.partition("=")
        if name == LOOP_PARAM and value.isdigit():
            hop = int(value)
        else:
            kept.append(pair)
    return path + ("?" + "&".join(kept) if kept else ""), hop


def login_page(real_page: bytes) -> bytes:
    """A login page in the atlas's clothes: its menu (copied from ``real_page``), a
    session-expired notice, a form; answered 200, as a portal does."""
    menu = re.search(rb'<div id="menuHaut">.*?</div>', real_page, re.DOTALL)
    return (
        b'<!DOCTYPE html><html lang="fr"><head><meta charset="UTF-8" /><title>Connexion</title></head><body>'
        + (menu[0] if menu else b"")
        + '<div id="contenu"><h1>Connexion</h1>'
        '<p class="erreur">Votre session a expiré, veuillez vous reconnecter</p>'
        '<form method="post" action="/cncdext/dyn/public/login.html">'
        '<label for="identifiant">Identifiant</label><input type="text" id="identifiant" name="identifiant" />'
        '<label for="motdepasse">Mot de passe</label><input type="password" id="motdepasse" name="motdepasse" />'
        '<input type="submit" value="Se connecter" /></form></div></body></html>'.encode()
    )


NOT_FOUND_PAGE = (
    '<!DOCTYPE html><html lang="fr"><head><meta charset="UTF-8" /><title>Erreur 404</title></head><body>'
    "<h1>Page introuvable</h1><p>La page demandée n'existe pas ou a été déplacée.</p></body></html>"
).encode()


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
        page = without_loop(target)[0]  # a redirect loop's hops are the page they loop on
        for suffix, kind in faults.broken_forever.items():
            if page.endswith(suffix):
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
        if kind in FAILURES or kind in REDIRECTS or kind in ASKS:
            await self.fail(kind, target, reader, writer)
            return
        if kind is not None and (kind in INSTEAD or kind.startswith(REDIRECT_TO)):
            await self.instead(kind, target, headers, writer)
            return
        status, pass_headers, body = await self.fetch(target, headers)
        for suffix, hrefs in self.faults.extra_links.items():
            if target.endswith(suffix) and b"</body>" in body:
                links = "".join(f'<a href="{href}">lien</a>' for href in hrefs)
                body = body.replace(b"</body>", f"<div>{links}</div></body>".encode(), 1)
        if self.faults.traversal_links and "liste" in target and b"</body>" in body:
            links = "".join(f'<a href="{href}">lien</a>' for href in traversal_links(self.canary))
            body = body.replace(b"</body>", f"<div>{links}</div></body>".encode(), 1)
        await self.send(kind, status, pass_headers, body, writer)

    async def robots(self, target, headers, reader, writer) -> None:
        kind = self.faults.robots
        if self.faults.robots_text is not None:
            body = self.faults.robots_text.encode()
            writer.write(_response(200, [("Content-Type", "text/plain")], body, len(body)))
        elif kind is None:
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
        elif kind == "retry_after":
            headers = [("Content-Type", "text/plain"), ("Retry-After", self.faults.retry_after_value)]
            writer.write(_response(503, headers, b"wait", 4))
            await writer.drain()

    async def instead(self, kind: str, target: str, headers: dict[str, str], writer) -> None:
        """An answer in place of the page (``INSTEAD``)."""
        html = [("Content-Type", "text/html;charset=UTF-8")]
        if kind in BOMBS:
            body = bomb(BOMBS[kind])
            writer.write(_response(200, [*html, ("Content-Encoding", BOMBS[kind])], body, len(body)))
        elif kind == "login":
            _status, _headers, page = await self.fetch(without_loop(target)[0], headers)
            body = login_page(page)
            writer.write(_response(200, html, body, len(body)))
        elif kind == "redirect_loop":
            page, hop = without_loop(target)
            location = f"{page}{'&' if '?' in page else '?'}{LOOP_PARAM}={hop + 1}"
            writer.write(_response(302, [("Location", location)], b"", 0))
        elif kind == "oversized":  # no Content-Length: the size shows only as the bytes come
            writer.write(_response(200, html, _BOMB_HEAD + b" " * OVERSIZED + _BOMB_TAIL, None))
        elif kind == "not_found":
            writer.write(_response(404, html, NOT_FOUND_PAGE, len(NOT_FOUND_PAGE)))
        elif kind == "binary":
            body = bytes(range(256)) * 16
            writer.write(_response(200, [("Content-Type", "application/octet-stream")], body, len(body)))
        elif kind.startswith(REDIRECT_TO):  # "redirect_to:<target>": a 302 to that page of the atlas
            writer.write(_response(302, [("Location", kind.removeprefix(REDIRECT_TO))], b"", 0))
        await writer.drain()

    async def send(self, kind: str | None, status: int, headers: list[tuple[str, str]], body: bytes, writer) -> None:
        if kind == "deep_nesting":
            body = re.sub(rb"<body[^>]*>", lambda m: m[0] + b"<div>" * DEEP_NESTING, body, count=1)
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

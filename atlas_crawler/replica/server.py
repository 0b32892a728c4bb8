"""The replica's HTTP server (aiohttp): routes, sessions, encodings, faults."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import Counter
from importlib import resources
from urllib.parse import parse_qsl

from aiohttp import web

from atlas_crawler.replica import templates as t
from atlas_crawler.replica.world import SEED_PROJECT, World

_JSESSIONID = re.compile(r";jsessionid=[^?/]*", re.IGNORECASE)
_CHARSETS = {
    "utf-8": ("utf-8", "text/html;charset=UTF-8", "UTF-8"),
    "cp1252-header": ("cp1252", "text/html;charset=windows-1252", "windows-1252"),
    "cp1252-meta": ("cp1252", "text/html", "windows-1252"),
    "cp1252-latin1": ("cp1252", "text/html;charset=ISO-8859-1", "ISO-8859-1"),
}


#: ``--rename-pages``: the same atlas under other page names (only the confirmed
#: ``detailProjet.html`` keeps its name), to prove the crawler recognises pages by
#: what they hold, not by the reconstructed names.
RENAMED_PAGES = {
    "accesAtlas.html": "atlas.do",
    "listePays.html": "pays/index.do",
    "listeRegions.html": "regions/index.do",
    "carteMonde.html": "carte.do",
    "rechercheAtlas.html": "recherche.do",
    "listeProjetsPays.html": "pays/projets.do",
    "listeCollectivites.html": "regions/collectivites.do",
    "detailCollectiviteFrancaise.html": "collectivite/fr.do",
    "detailCollectiviteEtrangere.html": "collectivite/etr.do",
}


def rename_pages(text: str) -> str:
    """Every reconstructed page name in ``text`` (a page, robots.txt, a truth file) renamed."""
    for old, new in RENAMED_PAGES.items():
        text = text.replace(t.ATLAS_PATH + old, t.ATLAS_PATH + new).replace("/atlas/" + old, "/atlas/" + new)
    return text


class Replica:
    """Serves a ``World``. With ``faults``, some pages fail on their first
    attempt (500, 503 + Retry-After, soft error, maintenance), some are slow,
    and ``world.soft_error_projects`` always answer ``Erreur technique``."""

    def __init__(self, world: World, slow_seconds: float = 1.0, renamed: bool = False) -> None:
        self.world = world
        self.renamed = renamed
        self.slow_seconds = slow_seconds
        self.hits: Counter[str] = Counter()
        self.sessions = itertools.count(1)
        self.seed_page = resources.files(__package__).joinpath("data/detailProjet-kayes.html").read_bytes()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/robots.txt", self.robots)
        app.router.add_get("/__hits", self.hit_counts)  # outside the atlas path: never crawled
        app.router.add_get("/{tail:.*}", self.handle)
        return app

    async def hit_counts(self, request: web.Request) -> web.Response:
        """How many times each page was asked for, for tests (pages fetched twice)."""
        return web.json_response(dict(self.hits))

    async def robots(self, request: web.Request) -> web.Response:
        return web.Response(text=rename_pages(t.ROBOTS) if self.renamed else t.ROBOTS, content_type="text/plain")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = _JSESSIONID.sub("", request.raw_path.split("?", 1)[0])
        if not path.startswith(t.ATLAS_PATH):
            raise web.HTTPNotFound()
        name = path[len(t.ATLAS_PATH) :]
        if self.renamed:
            originals = {new: old for old, new in RENAMED_PAGES.items()}
            if name in RENAMED_PAGES:
                raise web.HTTPNotFound()  # under its reconstructed name, a renamed page does not exist
            name = originals.get(name, name)
        params = dict(parse_qsl(request.query_string, keep_blank_values=True))
        key = name + "?" + "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "origine")
        self.hits[key] += 1
        session = None if request.cookies.get("JSESSIONID") else f"{next(self.sessions):08X}{'A1C5B7D9E0F2A4C6'}"
        ctx = t.Ctx(session)
        fault = await self.fault(name, params, key)
        if fault is not None:
            return fault
        encoding, content_type, charset = _CHARSETS["utf-8"]
        body: str | bytes | None
        if name == "accesAtlas.html":
            body = t.home(ctx)
        elif name == "listePays.html":
            body = t.countries(ctx, self.world)
        elif name == "carteMonde.html":
            body = t.world_map(ctx, self.world)
        elif name == "rechercheAtlas.html":
            body = t.search(ctx)
        elif name == "listeRegions.html":
            body = t.regions(ctx, self.world)
        elif name == "listeProjetsPays.html":
            body = t.country_projects(ctx, self.world, params.get("codePays", ""), _int(params.get(t.PROJECTS_TABLE)))
        elif name == "listeCollectivites.html":
            body = t.region_collectivities(
                ctx, self.world, params.get("codeRegion", ""), _int(params.get(t.COLLECTIVITIES_TABLE))
            )
        elif name in ("detailCollectiviteFrancaise.html", "detailCollectiviteEtrangere.html"):
            pool = self.world.french if "Francaise" in name else self.world.foreign
            item = pool.get(_int(params.get("idCollectivite"), 0))
            body = t.collectivity(ctx, self.world, item) if item else None
        elif name == "detailProjet.html":
            pid = _int(params.get("criteres.prjId"), 0)
            project = self.world.projects.get(pid)
            if project is not None and project.seed:
                body = self.seed_page
            elif project is not None:
                encoding, content_type, charset = _CHARSETS[project.data["encoding"]]
                body = t.project(ctx, self.world, project, _int(params.get(t.THEMES_TABLE)), charset)
            else:
                body = None
        else:
            body = None
        if body is None:
            raise web.HTTPNotFound(text="page inconnue")
        if self.renamed:
            body = rename_pages(body.decode(encoding) if isinstance(body, bytes) else body)
        data = body if isinstance(body, bytes) else body.encode(encoding, "xmlcharrefreplace")
        response = web.Response(body=data, headers={"Content-Type": content_type})
        if session:
            response.set_cookie("JSESSIONID", session, path="/cncdext")
        return response

    async def fault(self, name: str, params: dict[str, str], key: str) -> web.StreamResponse | None:
        """The failure this request meets, if any (first attempts only, but for
        the projects that always fail)."""
        if not self.world.faults or name in ("accesAtlas.html", "listePays.html", "listeRegions.html"):
            return None
        if name == "detailProjet.html":
            pid = _int(params.get("criteres.prjId"), 0)
            if pid == SEED_PROJECT:
                return None
            if pid in self.world.soft_error_projects:
                return web.Response(text=t.soft_error(t.Ctx()), content_type="text/html")
        h = t.stable("fault", key) % 100
        first = self.hits[key] == 1
        if h == 1:
            await asyncio.sleep(self.slow_seconds)
        if not first:
            return None
        if h in (2, 3):
            return web.Response(status=500, text="Internal Server Error")
        if h == 4:
            return web.Response(status=503, text="Service Unavailable", headers={"Retry-After": "1"})
        if h == 5:
            return web.Response(text=t.soft_error(t.Ctx()), content_type="text/html")
        if h == 6:
            return web.Response(text=t.soft_error(t.Ctx(), maintenance=True), content_type="text/html")
        return None


def _int(value: str | None, default: int = 1) -> int:
    return int(value) if value and value.isdigit() else default

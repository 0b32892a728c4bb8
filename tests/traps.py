"""A trap site: the replica of the atlas with the crawler traps of issue 11.

It serves a ``World`` as the replica does (same templates, same ground truth) and
adds, each running ``depth * TRAP_LENGTH`` pages before it ends (so that a crawl
without limits ends too, and shows how much it fetched):

- ``pagination``: the largest country list links page n+1 forever (its pager always
  shows one page more) while announcing its real count, 20 rows a page; pages
  beyond the real last one repeat that page's rows;
- ``table``: a few projects' "Autres thématiques" pager (``d-1342871-p``) shows the
  real last page but its ``>`` links page n+1 forever, beyond pages repeating rows;
- ``calendar``: ``calendrier.html?date=YYYY-MM-DD`` links the previous and next day;
- ``ids``: projects and collectivities with ids out of range
  (``criteres.prjId=99999999999``), each linking the next id;
- ``long``: ever longer URLs (two page names in turn, 100 characters more each hop);
- ``deep``: a relative link that goes one directory deeper each hop.

``python -m tests.traps --port P --projects N --depth K [--truth FILE]``;
``GET /__hits`` answers how many pages each trap served (outside the atlas path,
so the crawler never fetches it).
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

from aiohttp import web

from atlas_crawler.replica import templates as t
from atlas_crawler.replica.server import Replica
from atlas_crawler.replica.world import World

TRAP_LENGTH = 100  # pages each trap runs to, per unit of depth
CALENDAR_START = date(2026, 1, 15)
OUT_OF_RANGE_ID = 99_999_999_999
LONG_START = 1500  # characters of the first long URL's parameter
LONG_STEP = 100
DEEP_DIR = "archives"
TABLE_TRAPS = 3  # projects whose in-page table is a trap
_JSESSIONID = re.compile(r";jsessionid=[^?/]*", re.IGNORECASE)
_PAGER = re.compile(r'<div class="pagination">.*?</div>', re.DOTALL)
_ROOT = Path(__file__).resolve().parent.parent


class TrapReplica(Replica):
    """The replica plus the traps; ``trap_hits`` counts the pages each trap served."""

    def __init__(self, world: World, depth: int = 1) -> None:
        super().__init__(world)
        self.length = depth * TRAP_LENGTH
        self.trap_hits: Counter[str] = Counter()
        self.pages = 0
        self.trap_country = max(world.projects_by_country, key=lambda c: len(world.projects_by_country[c]))
        self.table_projects = [
            p.id
            for p in sorted(world.projects.values(), key=lambda p: p.id)
            if not p.seed and p.data["encoding"] == "utf-8" and len(p.data["other_themes"]) > t.THEME_ROWS
        ][:TABLE_TRAPS]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/robots.txt", self.robots)
        app.router.add_get("/__hits", self.report_hits)
        app.router.add_get("/{tail:.*}", self.handle_trap)
        return app

    async def report_hits(self, request: web.Request) -> web.Response:
        return web.json_response({"pages": self.pages, "traps": dict(self.trap_hits)})

    async def handle_trap(self, request: web.Request) -> web.StreamResponse:
        self.pages += 1
        path = _JSESSIONID.sub("", request.path)
        name = path[len(t.ATLAS_PATH) :] if path.startswith(t.ATLAS_PATH) else ""
        params = dict(parse_qsl(request.query_string, keep_blank_values=True))
        ctx = t.Ctx(None if request.cookies.get("JSESSIONID") else "0000TRAPA1C5B7D9E0F2A4C6")
        body = self.trap_page(ctx, name, params)
        if body is None:
            return await self.handle(request)
        response = web.Response(body=body.encode("utf-8"), content_type="text/html", charset="utf-8")
        if ctx.session:
            response.set_cookie("JSESSIONID", ctx.session, path="/cncdext")
        return response

    def trap_page(self, ctx: t.Ctx, name: str, params: dict[str, str]) -> str | None:
        """The trap's page for this address, None for a plain replica page;
        ``web.HTTPNotFound`` where a trap ends."""
        pid = _int(params.get("criteres.prjId"))
        if name == "listePays.html":
            return self.countries(ctx)
        if name == "listeProjetsPays.html" and params.get("codePays") == self.trap_country:
            return self.endless_list(ctx, _int(params.get(t.PROJECTS_TABLE)) or 1)
        if name == "detailProjet.html" and pid in self.table_projects:
            return self.endless_table(ctx, pid, _int(params.get(t.THEMES_TABLE)) or 1)
        if name == "calendrier.html":
            return self.calendar(ctx, params.get("date", ""))
        if name in ("detailProjet.html", "detailCollectiviteEtrangere.html"):
            fake = pid or _int(params.get("idCollectivite"))
            return self.out_of_range(ctx, name, fake) if fake >= OUT_OF_RANGE_ID else None
        if name in ("recherche.html", "resultats.html"):
            return self.long_url(ctx, name, params.get("motcle", ""))
        if name.endswith("index.html") and name.startswith(DEEP_DIR + "/"):
            return self.deep(ctx, name)
        return None

    # --- the traps ------------------------------------------------------------
    def countries(self, ctx: t.Ctx) -> str:
        """The country menu, with a link into each trap that does not start from a list."""
        links = [
            ("calendrier.html", [("date", CALENDAR_START.isoformat())], "Agenda"),
            ("detailProjet.html", [("criteres.prjId", OUT_OF_RANGE_ID)], "Projet à la une"),
            ("detailCollectiviteEtrangere.html", [("idCollectivite", OUT_OF_RANGE_ID)], "Collectivité à la une"),
            ("recherche.html", [("motcle", "x" * LONG_START)], "Recherche"),
            (f"{DEEP_DIR}/index.html", [("annee", "2026")], "Archives"),
        ]
        items = "".join(f'<li><a href="{ctx.link(page, params)}">{text}</a></li>' for page, params, text in links)
        return t.countries(ctx, self.world).replace(
            '<div id="piedDePage">', f'<ul class="a-la-une">{items}</ul>\n<div id="piedDePage">'
        )

    def endless_list(self, ctx: t.Ctx, current: int) -> str:
        """Page ``current`` of the trap list: real rows up to its last page, then that
        page's rows again; the pager always announces one page more."""
        code = self.trap_country
        last = -(-len(self.world.projects_by_country[code]) // t.LIST_ROWS)
        if current > last:
            self.trap_hits["pagination"] += 1
            if current > last + self.length:
                raise web.HTTPNotFound(text="page inconnue")
        html = t.country_projects(ctx, self.world, code, min(current, last))
        assert html is not None
        pager = t.pagination(ctx, "listeProjetsPays.html", [("codePays", code)], t.PROJECTS_TABLE, current, current + 1)
        return _PAGER.sub(lambda _: pager, html)

    def endless_table(self, ctx: t.Ctx, pid: int, current: int) -> str:
        """A project whose themes pager shows its real last page but links page n+1 forever."""
        project = self.world.projects[pid]
        last = -(-len(project.data["other_themes"]) // t.THEME_ROWS)
        if current > last:
            self.trap_hits["table"] += 1
            if current > last + self.length:
                raise web.HTTPNotFound(text="page inconnue")
        html = t.project(ctx, self.world, project, min(current, last), "UTF-8")
        assert html is not None
        return _PAGER.sub(lambda _: table_pager(ctx, pid, current, last), html)

    def calendar(self, ctx: t.Ctx, value: str) -> str:
        self.trap_hits["calendar"] += 1
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise web.HTTPNotFound(text="date inconnue") from None
        if abs((day - CALENDAR_START).days) > self.length:
            raise web.HTTPNotFound(text="date inconnue")
        links = " ".join(
            f'<a href="{ctx.link("calendrier.html", [("date", (day + timedelta(days=d)).isoformat())])}">{text}</a>'
            for d, text in ((-1, "&lt; jour précédent"), (1, "jour suivant &gt;"))
        )
        return t.page(ctx, "Agenda", f"<h2>Agenda du {day:%d/%m/%Y}</h2><p>Aucun événement.</p><p>{links}</p>")

    def out_of_range(self, ctx: t.Ctx, name: str, ident: int) -> str:
        self.trap_hits["ids"] += 1
        if ident >= OUT_OF_RANGE_ID + self.length:
            raise web.HTTPNotFound(text="page inconnue")
        param = "criteres.prjId" if name == "detailProjet.html" else "idCollectivite"
        body = (
            f'<div class="ligne"><label>Titre</label><div class="valeur">Projet fantôme {ident}</div></div>'
            f'<div class="ligne"><label>Nom</label><div class="valeur">Collectivité fantôme {ident}</div></div>'
            f'<p><a href="{ctx.link(name, [(param, ident + 1)])}">Suivant</a></p>'
        )
        return t.page(ctx, "???menu.atlas.detailProjet.libelle???", body)

    def long_url(self, ctx: t.Ctx, name: str, word: str) -> str:
        self.trap_hits["long"] += 1
        if len(word) > LONG_START + self.length * LONG_STEP:
            raise web.HTTPNotFound(text="page inconnue")
        other = "resultats.html" if name == "recherche.html" else "recherche.html"
        link = ctx.link(other, [("motcle", word + "x" * LONG_STEP)])
        return t.page(ctx, "Recherche", f'<p>Aucun résultat.</p><p><a href="{link}">Chercher encore</a></p>')

    def deep(self, ctx: t.Ctx, name: str) -> str:
        self.trap_hits["deep"] += 1
        levels = name.split("/")[:-1]
        if set(levels) != {DEEP_DIR} or len(levels) > self.length:
            raise web.HTTPNotFound(text="page inconnue")
        return t.page(ctx, "Archives", f'<p><a href="{DEEP_DIR}/index.html?annee=2026">Archives plus anciennes</a></p>')


def table_pager(ctx: t.Ctx, pid: int, current: int, last: int) -> str:
    """The themes pager of a trapped project: page numbers and ``>>`` up to the real
    last page, but ``>`` always to page ``current + 1``."""
    params = [("criteres.prjId", pid)]

    def a(n: int, text: str) -> str:
        return f'<a href="{ctx.link("detailProjet.html", [*params, (t.THEMES_TABLE, n)])}">{text}</a>'

    numbers = " ".join(f"<strong>{n}</strong>" if n == current else a(n, str(n)) for n in range(1, last + 1))
    first = f"{a(1, '&lt;&lt;')} {a(current - 1, '&lt;')}" if current > 1 else "<span>&lt;&lt;</span> <span>&lt;</span>"
    final = a(last, "&gt;&gt;") if current < last else "<span>&gt;&gt;</span>"
    return (
        f'<div class="pagination">{first} pagination.page.precedent {numbers} pagination.page.suivant '
        f"{a(current + 1, '&gt;')} {final}</div>"
    )


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


# --- running it as a process ------------------------------------------------------
@contextmanager
def trap_site(projects: int, depth: int, truth: Path | None = None) -> Iterator[str]:
    """The trap site in its own process; yields its atlas base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "tests.traps", "--port", str(port), "--projects", str(projects)]
    command += ["--depth", str(depth)] + (["--truth", str(truth)] if truth else [])
    process = subprocess.Popen(command, cwd=_ROOT, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the trap site did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}{t.ATLAS_PATH}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def hits(base: str) -> dict:
    """What the trap site at ``base`` served: ``{"pages": n, "traps": {trap: n}}``."""
    root = base[: base.index(t.ATLAS_PATH)]
    with urllib.request.urlopen(f"{root}/__hits", timeout=10) as answer:
        return json.load(answer)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.traps", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--depth", type=int, default=1, help=f"each trap runs depth x {TRAP_LENGTH} pages")
    parser.add_argument("--truth", help="write the ground truth of the real content as JSON")
    args = parser.parse_args(argv)
    world = World(args.projects, seed=1)
    if args.truth:
        base = f"http://127.0.0.1:{args.port}{t.ATLAS_PATH}"
        Path(args.truth).write_text(json.dumps(world.truth(base), ensure_ascii=False), encoding="utf-8")
    web.run_app(TrapReplica(world, args.depth).app(), host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()

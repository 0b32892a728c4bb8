"""Re-capture the saved replica pages that give no record (``tests/pages/list-*``,
``menu-*``, ``map-*``): raw bytes and headers as the replica serves them, and, in
``walk.json``, what the walk must make of each page, taken from the replica's world
(not from the parser). Not ``expected.json``: that name holds a record, and the data
dictionary and the export tests read every one as such.

- a list: its page type, the list it belongs to, the count it announces, the ids
  it lists, the link to its next page (None on the last page);
- a menu: the atlas pages it links to (followed) and the links that leave the atlas;
- the world map: the country codes its script holds, and that the static page links
  to no country (the links exist only once the script has run).

    PYTHONPATH=. .venv/bin/python tests/pages/capture_navigation.py

``tests/pages/capture.py`` captures the record pages."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from atlas_crawler.replica import templates as t
from atlas_crawler.replica.localrun import replica
from atlas_crawler.replica.world import World
from atlas_crawler.urls import LIVE_BASE_URL

HERE = Path(__file__).parent
SEED = 1
SIZE = 300
#: A country whose list has several pages (50 projects: 3 pages of 20).
PAGED_COUNTRY = "SN"
#: A region whose list of collectivities fits on one page.
ONE_PAGE_REGION = "32"
WALK = "walk.json"  # as tests/saved.py reads it
HOME = "/cncdext/dyn/public/accueil.html"  # the site's home, above the atlas: never followed


def pages(world: World) -> dict[str, tuple[str, dict[str, Any]]]:
    """``name -> (address under the atlas, expected)``."""
    live = LIVE_BASE_URL
    projects = world.projects_by_country[PAGED_COUNTRY]
    collectivities = world.french_by_region[ONE_PAGE_REGION]
    off_atlas = ["https://pastel.diplomatie.gouv.fr" + HOME]
    return {
        "list-country-projects": (
            f"listeProjetsPays.html?codePays={PAGED_COUNTRY}",
            {
                "page_type": "list",
                "list_url": f"{live}listeProjetsPays.html?codePays={PAGED_COUNTRY}",
                "kind": "project",
                "announced": len(projects),
                "ids": [str(p.id) for p in projects[: t.LIST_ROWS]],
                "next_page": f"{live}listeProjetsPays.html?codePays={PAGED_COUNTRY}&{t.PROJECTS_TABLE}=2",
            },
        ),
        "list-region-collectivities": (
            f"listeCollectivites.html?codeRegion={ONE_PAGE_REGION}",
            {
                "page_type": "list",
                "list_url": f"{live}listeCollectivites.html?codeRegion={ONE_PAGE_REGION}",
                "kind": "collectivity",
                "announced": len(collectivities),
                "ids": [str(c.id) for c in collectivities],
                "next_page": None,
            },
        ),
        "menu-home": (
            "accesAtlas.html",
            {
                "page_type": "menu",
                "links_followed": [
                    f"{live}accesAtlas.html",
                    f"{live}carteMonde.html",
                    f"{live}listePays.html",
                    f"{live}listeRegions.html",
                    f"{live}rechercheAtlas.html",  # robots.txt keeps the crawl out; the walk asks anyway
                ],
                "links_not_followed": off_atlas,
            },
        ),
        "map-world": (
            "carteMonde.html",
            {
                "page_type": "world_map",
                "links_followed": [f"{live}accesAtlas.html", f"{live}rechercheAtlas.html"],
                "links_not_followed": off_atlas,
                "script_countries": [c.code for c in world.countries if world.projects_by_country[c.code]],
            },
        ),
    }


def main() -> None:
    world = World(SIZE, seed=SEED)
    with replica(SIZE, seed=SEED) as base:
        for name, (address, expected) in pages(world).items():
            folder = HERE / name
            folder.mkdir(parents=True, exist_ok=True)
            request = urllib.request.Request(base + address, headers={"Cookie": "JSESSIONID=saved"})
            with urllib.request.urlopen(request) as response:
                (folder / "page.html").write_bytes(response.read())
                headers = {"Content-Type": response.headers["Content-Type"]}
            meta = {"url": LIVE_BASE_URL + address, "headers": headers}
            (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
            (folder / WALK).write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n", "utf-8")
            print(name, address)


if __name__ == "__main__":
    main()

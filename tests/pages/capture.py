"""Re-capture the saved replica pages of ``tests/pages/`` (raw bytes, headers,
and the record the replica's world says each must give).

    .venv/bin/python tests/pages/capture.py

Hand-written pages (``handwritten-*``) are not touched."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from atlas_crawler.replica.localrun import replica
from atlas_crawler.replica.world import World
from atlas_crawler.urls import LIVE_BASE_URL

HERE = Path(__file__).parent
SEED = 1
SIZE = 300


def pick(world: World) -> dict[str, str]:
    """One project per markup family and encoding, one with a multi-page table."""
    chosen: dict[str, str] = {}
    projects = sorted(world.projects.values(), key=lambda p: p.id)
    for variant, encoding in (
        ("table", "cp1252-header"),
        ("dl", "cp1252-meta"),
        ("mixed", "cp1252-latin1"),
        ("div", "utf-8"),
    ):
        p = next(
            p
            for p in projects
            if not p.seed
            and p.data["variant"] == variant
            and p.data["encoding"] == encoding
            and p.data["embassy"]
            and p.data["funding"]
        )
        chosen[f"project-{variant}-{encoding}"] = f"detailProjet.html?criteres.prjId={p.id}"
    multi = next(p for p in projects if not p.seed and len(p.data["other_themes"]) > 10)
    chosen["project-multipage-themes"] = f"detailProjet.html?criteres.prjId={multi.id}"
    for n in (2, 3):
        chosen[f"project-multipage-themes/page{n}"] = f"detailProjet.html?criteres.prjId={multi.id}&d-1342871-p={n}"
    french = next(c for c in sorted(world.french.values(), key=lambda c: c.id) if c.extra and c.website)
    foreign = sorted(world.foreign.values(), key=lambda c: c.id)[5]
    chosen["collectivity-french"] = f"detailCollectiviteFrancaise.html?idCollectivite={french.id}"
    chosen["collectivity-foreign"] = f"detailCollectiviteEtrangere.html?idCollectivite={foreign.id}"
    return chosen


def main() -> None:
    world = World(SIZE, seed=SEED)
    truth = {(r["type"], r["url"]): r for r in world.truth(LIVE_BASE_URL)["records"]}
    with replica(SIZE, seed=SEED) as base:
        for name, address in pick(world).items():
            folder = HERE / name
            folder.mkdir(parents=True, exist_ok=True)
            request = urllib.request.Request(base + address, headers={"Cookie": "JSESSIONID=saved"})
            with urllib.request.urlopen(request) as response:
                (folder / "page.html").write_bytes(response.read())
                headers = {"Content-Type": response.headers["Content-Type"]}
            meta = {"url": LIVE_BASE_URL + address, "headers": headers}
            (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
            if "/" in name:
                continue
            kind = "project" if name.startswith("project") else "collectivity"
            record = truth[(kind, LIVE_BASE_URL + address)]
            record.pop("crawled_at", None)
            (folder / "expected.json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", "utf-8")
            print(name, address)


if __name__ == "__main__":
    main()

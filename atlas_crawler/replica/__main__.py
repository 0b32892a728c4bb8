"""Serve a local replica of the atlas (``python -m atlas_crawler.replica``), for the
demo, the tests and the benchmarks: every page type of the atlas, generated from a
seed (the same seed and size give the same atlas), until Ctrl-C. Crawl it with:

    scrapy crawl atlas -s ATLAS_BASE_URL=http://127.0.0.1:8765/cncdext/dyn/public/atlas/"""

from __future__ import annotations

import json
import logging

from aiohttp import web

from atlas_crawler import helptext
from atlas_crawler.replica.server import Replica, rename_pages
from atlas_crawler.replica.templates import ATLAS_PATH
from atlas_crawler.replica.world import World


def main(argv: list[str] | None = None) -> None:
    parser = helptext.parser("python -m atlas_crawler.replica", __doc__)
    parser.add_argument("--port", type=int, default=8765, help="default 8765")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--projects", type=int, default=300, help="size of the atlas (300 tests, 20000 bench)")
    parser.add_argument("--seed", type=int, default=1, help="the world is a pure function of seed and size")
    parser.add_argument("--faults", action="store_true", help="500s, 503 + Retry-After, soft errors, slow pages")
    parser.add_argument("--truth", help="write the ground truth (expected records, failures, counts) as JSON")
    parser.add_argument("--slow-seconds", type=float, default=1.0)
    parser.add_argument("--rename-pages", action="store_true", help="other page names (detailProjet.html kept)")
    parser.add_argument("--edition", type=int, default=1, help="2 and up: the same atlas later, some projects changed")
    args = parser.parse_args(argv)
    world = World(args.projects, seed=args.seed, faults=args.faults, edition=args.edition)
    base = f"http://{args.host}:{args.port}{ATLAS_PATH}"
    if args.truth:
        with open(args.truth, "w", encoding="utf-8") as f:
            truth = json.dumps(world.truth(base), ensure_ascii=False)
            f.write(rename_pages(truth) if args.rename_pages else truth)
    logging.basicConfig(level=logging.WARNING)
    print(f"replica of the atlas: {len(world.projects)} projects at {base}accesAtlas.html", flush=True)
    web.run_app(
        Replica(world, args.slow_seconds, renamed=args.rename_pages).app(),
        host=args.host,
        port=args.port,
        print=None,
        access_log=None,
    )


if __name__ == "__main__":
    main()

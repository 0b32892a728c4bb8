"""What the accounting and the new reading rules cost (``make bench``): the
parser of this checkout against the parser as it stood before them (commit
``BASELINE``, taken from git into a temporary folder), timed in one run on the
same pages, rounds alternating, so the ratio holds on a busy shared machine.

    .venv/bin/python benchmarks/parser_cost.py [--rounds 7] [--pages 200] [--json FILE]

Goal: at most 1.25 (the parser plus its accounting cost at most 25 % more per page).
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from atlas_crawler.replica import templates  # noqa: E402 (after the path)
from atlas_crawler.replica.world import World  # noqa: E402
from tests.markup_gen import RandomChooser, collectivity_page, project_page  # noqa: E402

#: The last commit before issue 17 (the accounting): the parser "as it was".
BASELINE = "cc9bac8"
GOAL = 1.25

#: Run in a child process with ``sys.path[0]`` set to the package to time: the
#: CPU seconds to parse every page once, per round.
_WORKER = """
import pickle, sys, time
from scrapy.http import HtmlResponse
from atlas_crawler.pages.collectivity import parse_collectivity
from atlas_crawler.pages.project import parse_project
pages = pickle.load(open(sys.argv[1], "rb"))
def parse_all():
    for url, body, kind in pages:
        response = HtmlResponse(url, body=body, headers={"Content-Type": "text/html;charset=UTF-8"})
        parse_project(response) if kind == "project" else parse_collectivity(response)
parse_all()  # imports and caches
start = time.process_time()
parse_all()
print(time.process_time() - start)
"""


def sample_pages(count: int) -> list[tuple[str, bytes, str]]:
    """The replica's project pages (every markup family it serves) and generated
    project and collectivity pages, in equal shares."""
    world = World(count, seed=1)
    projects = [p for p in sorted(world.projects.values(), key=lambda p: p.id) if not p.seed][: count // 2]
    pages = [
        (
            f"http://127.0.0.1/cncdext/dyn/public/atlas/detailProjet.html?criteres.prjId={p.id}",
            templates.project(templates.Ctx(), world, p, 1, "UTF-8").encode(),
            "project",
        )
        for p in projects
    ]
    for n in range(count // 4):
        for make in (project_page, collectivity_page):
            page = make(RandomChooser(n))
            pages.append((page.url, page.body.decode(_charset(page.headers), "replace").encode(), page.record["type"]))
    return pages


def _charset(headers: dict[str, str]) -> str:
    value = headers.get("Content-Type", "")
    return value.split("charset=")[-1] if "charset=" in value else "utf-8"


def baseline_package(folder: Path) -> Path:
    """The baseline's ``atlas_crawler`` package, unpacked under ``folder``."""
    archive = subprocess.run(
        ["git", "archive", BASELINE, "atlas_crawler"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def time_once(package_root: Path, pages_file: Path) -> float:
    code = f"import sys; sys.path.insert(0, {str(package_root)!r}); exec({_WORKER!r})"
    out = subprocess.run([sys.executable, "-c", code, str(pages_file)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pages = sample_pages(args.pages)
        pages_file = Path(tmp) / "pages.pickle"
        pages_file.write_bytes(pickle.dumps(pages))
        old = baseline_package(Path(tmp) / "baseline")
        times: dict[str, list[float]] = {"baseline": [], "current": []}
        for _ in range(args.rounds):  # alternating: both see the same load
            times["baseline"].append(time_once(old, pages_file))
            times["current"].append(time_once(ROOT, pages_file))
    per_page = {name: statistics.median(values) / len(pages) * 1000 for name, values in times.items()}
    ratio = round(per_page["current"] / per_page["baseline"], 3)
    result = {
        "pages": len(pages),
        "rounds": args.rounds,
        "baseline_commit": BASELINE,
        "baseline_ms_per_page": round(per_page["baseline"], 3),
        "current_ms_per_page": round(per_page["current"], 3),
        "ratio": ratio,
        "goal": GOAL,
        "met": ratio <= GOAL,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

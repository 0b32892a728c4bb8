"""``make bench`` (first part): the crawler against plain Scrapy, and against its own ceiling.

1. the parser micro-benchmark (pytest-benchmark);
2. a 20,000-project replica (faults off); its serving speed alone;
3. on that replica, rounds alternating between ``atlas`` (the project as shipped,
   politeness off for the local replica) and ``plain`` (``benchmarks/plain_spider.py``:
   plain Scrapy, the same pages, Scrapy's default settings, run by ``scrapy runspider``
   from an empty temporary folder, outside the project's settings): wall time,
   pages/s, CPU ms per page, peak RSS of each crawl's process tree, the ratio
   atlas/plain per pair;
4. scaling: the ``atlas`` crawl of a 5,000-project replica;
5. the browser's cost: ``-a entry=map`` against ``-a entry=lists`` (5,000 projects).

``--compare-only`` runs 2 and 3 alone (``--projects 2000 --rounds 3``: a few minutes).
Results: ``docs/benchmarks.json`` and ``docs/BENCHMARKS.md`` (``benchmarks/summary.py``);
sections not measured are kept from the previous JSON, marked as such. Politeness is
off (``-s`` overrides); never point this at the live site."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import scrapy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas_crawler import settings as project_settings
from atlas_crawler.replica.localrun import PROJECT_ROOT, REPLICA_SETTINGS, crawl_command, replica
from atlas_crawler.replica.world import World
from benchmarks import summary

PLAIN_SPIDER = Path(__file__).resolve().parent / "plain_spider.py"
#: All that ``plain`` is given with ``-s``: the concurrency ``atlas`` runs with (politeness off),
#: no robots.txt, the same log level (Scrapy's default, DEBUG, logs every page and item), and no
#: listening consoles (off in the project too; they cost nothing per page).
PLAIN_SETTINGS: dict[str, str] = {
    "CONCURRENT_REQUESTS": REPLICA_SETTINGS["CONCURRENT_REQUESTS"],
    "CONCURRENT_REQUESTS_PER_DOMAIN": REPLICA_SETTINGS["CONCURRENT_REQUESTS_PER_DOMAIN"],
    "CONCURRENT_ITEMS": str(project_settings.CONCURRENT_ITEMS),
    "DOWNLOAD_DELAY": "0",
    "ROBOTSTXT_OBEY": "False",
    "LOG_LEVEL": "INFO",
    "TELNETCONSOLE_ENABLED": "False",
    "REMOTE_CONTROL_ENABLED": "False",
}
#: Kept from the previous ``docs/benchmarks.json`` when a run does not measure them.
CARRIED = ("parser", "small", "browser", "reparse")


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """Runs ``command`` to its end: wall time, user+sys CPU of its process tree, peak
    RSS and PSS of the tree (sampled every 0.1 s), its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = peak_pss = 0
    watched = psutil.Process(process.pid)
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    while process.poll() is None:
        try:
            tree = [watched, *watched.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree))
            peak_pss = max(peak_pss, sum(p.memory_full_info().pss for p in tree))
        except psutil.Error:
            pass
        time.sleep(0.1)
    wall = time.perf_counter() - start
    reader.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "returncode": process.returncode,
        "wall_s": round(wall, 2),
        "cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 2),
        "peak_rss_mb": round(peak / 2**20, 1),
        "peak_pss_mb": round(peak_pss / 2**20, 1),
        "log": "".join(log),
    }


def stat(text: str, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", text)
    return int(found.group(1)) if found else 0


def crawl_result(spider: str, entry: str, run: dict[str, Any], output: Path) -> dict[str, Any]:
    text = run.pop("log")
    # The exit status says whether the run was complete (atlas) or nothing (plain): judge
    # both by how the spider closed.
    if "Spider closed (finished)" not in text:
        raise RuntimeError(f"{spider} crawl failed (exit {run['returncode']}):\n{text[-3000:]}")
    responses = stat(text, "downloader/response_count")
    pages = responses - stat(text, "robotstxt/response_count")
    records = sum(1 for _ in output.open("rb")) if output.exists() else 0
    result = {
        "spider": spider,
        "entry": entry,
        **{k: v for k, v in run.items() if k != "returncode"},
        "responses": responses,
        "pages": pages,
        "pages_per_s": round(pages / run["wall_s"], 1),
        "cpu_ms_per_page": round(1000 * run["cpu_s"] / max(1, pages), 2),
        "records": records,
        "records_per_s": round(records / run["wall_s"], 1),
    }
    print(
        f"  {spider:5s} {entry:5s} {result['wall_s']:7.1f}s {result['pages']:6d} pages {result['pages_per_s']:7.1f} pages/s "
        f"cpu {result['cpu_s']:6.1f}s ({result['cpu_ms_per_page']:5.2f} ms/page) peak {result['peak_rss_mb']:6.1f} MB "
        f"{records} records",
        flush=True,
    )
    return result


def atlas_run(base: str, out: Path, n: int = 0, entry: str = "lists") -> dict[str, Any]:
    """``scrapy crawl atlas`` as the project ships it (its settings, ``scrapy.cfg``), politeness off."""
    output = out / f"atlas-{entry}-{n}.jsonl"
    command = crawl_command(base, output, "atlas", {"LOG_LEVEL": "INFO"}, entry=entry)
    run = measure(command, PROJECT_ROOT, {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    result = crawl_result("atlas", entry, run, output)
    report = output.with_name(output.name.split(".")[0] + ".report.json")
    if report.exists():
        data = json.loads(report.read_text("utf-8"))
        result.update(
            distinct_pages=data["distinct_pages"],
            redundant_fetches=data["redundant_fetches"],
            requests_per_page=round(data["pages_fetched"] / max(1, data["distinct_pages"]), 4),
            failures=len(data["failures"]),
            browser_warnings=data["warnings"],
        )
    return result


def plain_run(base: str, out: Path, n: int = 0) -> dict[str, Any]:
    """``scrapy runspider plain_spider.py`` in an empty folder: Scrapy's defaults, not the project's."""
    folder = out / f"plain-{n}"
    folder.mkdir()
    if any((parent / "scrapy.cfg").exists() for parent in (folder, *folder.parents)):
        raise RuntimeError(f"a scrapy.cfg above {folder} would give plain Scrapy a project's settings")
    spider = shutil.copy(PLAIN_SPIDER, folder / PLAIN_SPIDER.name)
    output = out / f"plain-{n}.jsonl"
    command = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"base={base}", "-O", str(output)]
    for key, value in PLAIN_SETTINGS.items():
        command += ["-s", f"{key}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_") and k != "PYTHONPATH"}
    run = measure(command, folder, env)
    if "(bot: scrapybot)" not in run["log"]:  # Scrapy's default BOT_NAME: no project settings were loaded
        raise RuntimeError(f"plain Scrapy did not run with Scrapy's defaults:\n{run['log'][:3000]}")
    return crawl_result("plain", "lists", run, output)


def compare(base: str, tmp: Path, projects: int, rounds: int) -> dict[str, Any]:
    """Rounds alternating between the two spiders on the same replica."""
    pairs = []
    for n in range(rounds):
        order = ("plain", "atlas") if n % 2 == 0 else ("atlas", "plain")
        pair: dict[str, Any] = {"order": list(order)}
        for spider in order:
            pair[spider] = atlas_run(base, tmp, n) if spider == "atlas" else plain_run(base, tmp, n)
        atlas, plain = pair["atlas"], pair["plain"]
        pair["ratio"] = round(atlas["pages_per_s"] / plain["pages_per_s"], 3)
        pair["cpu_ratio"] = round(atlas["cpu_ms_per_page"] / plain["cpu_ms_per_page"], 2)
        pair["same_pages"] = atlas["pages"] == plain["pages"]
        if not pair["same_pages"]:
            print(f"  WARNING: atlas fetched {atlas['pages']} pages, plain {plain['pages']}", flush=True)
        print(f"  round {n + 1}: atlas/plain {pair['ratio']} pages/s, CPU per page {pair['cpu_ratio']}x", flush=True)
        pairs.append(pair)
    return {"projects": projects, "plain_settings": PLAIN_SETTINGS, "pairs": pairs}


def replica_speed(base: str, world: World, sample: int = 4000, concurrency: int = 16) -> float:
    """Pages/s the replica serves alone to a concurrent client (its ceiling)."""
    paths = [f"detailProjet.html?criteres.prjId={i}" for i in sorted(world.projects)][: sample // 2]
    paths += [f"detailCollectiviteEtrangere.html?idCollectivite={i}" for i in sorted(world.foreign)][: sample // 4]
    paths += [f"detailCollectiviteFrancaise.html?idCollectivite={i}" for i in sorted(world.french)][: sample // 4]

    async def fetch_all() -> float:
        limit = asyncio.Semaphore(concurrency)
        async with aiohttp.ClientSession(cookies={"JSESSIONID": "bench"}) as session:

            async def one(path: str) -> None:
                async with limit, session.get(base + path) as response:
                    await response.read()

            start = time.perf_counter()
            await asyncio.gather(*(one(p) for p in paths))
            return len(paths) / (time.perf_counter() - start)

    return round(asyncio.run(fetch_all()), 1)


def parser_benchmark(tmp: Path) -> dict[str, Any]:
    target = tmp / "parser.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-m",
            "bench",
            "-p",
            "no:cacheprovider",
            "benchmarks/test_parser_speed.py",
            f"--benchmark-json={target}",
            "--benchmark-min-rounds=5",
        ],
        cwd=PROJECT_ROOT,
        check=True,
    )
    data = json.loads(target.read_text())
    means = {b["name"]: b["stats"]["median"] for b in data["benchmarks"]}
    pages = 200
    lxml_ms = means["test_bare_lxml_parse"] / pages * 1000
    loader_ms = means["test_item_loader_parse"] / pages * 1000
    return {
        "lxml_ms_per_page": round(lxml_ms, 3),
        "loader_ms_per_page": round(loader_ms, 3),
        "loader_pages_per_s": round(1000 / loader_ms, 1),
        "ratio": round(loader_ms / lxml_ms, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=20000, help="size of the atlas of the atlas/plain rounds")
    parser.add_argument("--small", type=int, default=5000, help="size of the scaling and browser runs")
    parser.add_argument("--rounds", type=int, default=3, help="atlas/plain pairs, order alternating")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument(
        "--compare-only", action="store_true", help="only the replica's speed and the atlas/plain rounds"
    )
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": machine(),
        "args": {**vars(args), "command": shlex.join(sys.argv[1:])},
        "goals": summary.GOALS,
    }
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as tmp_name:
        tmp = Path(tmp_name)
        if not args.compare_only:
            print("parser micro-benchmark", flush=True)
            results["parser"] = parser_benchmark(tmp)
        print(f"replica with {args.projects} projects: atlas and plain Scrapy, {args.rounds} rounds", flush=True)
        with replica(projects=args.projects) as base:
            results["replica_pages_per_s"] = replica_speed(base, World(args.projects))
            results["compare"] = compare(base, tmp, args.projects, args.rounds)
        if not args.compare_only:
            print(f"replica with {args.small} projects", flush=True)
            with replica(projects=args.small) as base:
                results["small"] = [atlas_run(base, tmp, n) for n in range(max(1, args.rounds - 1))]
                if not args.skip_browser:
                    results["browser"] = {
                        "lists": atlas_run(base, tmp, entry="lists"),
                        "map": atlas_run(base, tmp, entry="map"),
                    }
    summarize(results)
    previous = summary.load()
    for key in CARRIED:
        if key not in results and key in previous:
            results[key] = previous[key]
            if key != "reparse":  # dated in itself
                date = previous.get("carried_over", {}).get(key) or previous.get("machine", {}).get("date", "?")
                results.setdefault("carried_over", {})[key] = date
    summary.write(results)
    print(summary.short_summary(results))
    return 0


def summarize(results: dict[str, Any]) -> None:
    pairs = results["compare"]["pairs"]
    atlas = [p["atlas"] for p in pairs]
    s: dict[str, Any] = {
        "throughput_ratio": summary.spread([p["ratio"] for p in pairs], 3),
        "cpu_per_page_ratio": summary.spread([p["cpu_ratio"] for p in pairs], 2),
        "same_pages": all(p["same_pages"] for p in pairs),
        "redundant_fetches": max(r.get("redundant_fetches", 0) for r in atlas),
        "requests_per_page": max(r.get("requests_per_page", 1.0) for r in atlas),
    }
    for spider in ("atlas", "plain"):
        runs = [p[spider] for p in pairs]
        s[spider] = {
            "pages_per_s": summary.spread([r["pages_per_s"] for r in runs]),
            "cpu_ms_per_page": summary.spread([r["cpu_ms_per_page"] for r in runs], 2),
            "peak_rss_mb": summary.spread([r["peak_rss_mb"] for r in runs]),
        }
    fastest = max(s["atlas"]["pages_per_s"]["median"], s["plain"]["pages_per_s"]["median"])
    s["replica_over_crawler"] = round(results["replica_pages_per_s"] / fastest, 1)
    if "small" in results:
        small = results["small"]
        s["time_ratio"] = round(median(atlas, "wall_s") / median(small, "wall_s"), 2)
        s["memory_ratio"] = round(median(atlas, "peak_rss_mb") / median(small, "peak_rss_mb"), 2)
    if "parser" in results:
        s["parser_ratio"] = results["parser"]["ratio"]
    results["summary"] = s


def median(runs: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 2)


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "os": platform.platform(),
        "date": time.strftime("%Y-%m-%d"),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "code": summary.code_version(),
    }


if __name__ == "__main__":
    sys.exit(main())

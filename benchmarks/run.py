"""``make bench``: the crawler's speed and memory against its own ceiling.

1. a 20,000-project replica (faults off); its serving speed alone;
2. the ``atlas`` spider and the ``baseline`` spider (same pages, links only),
   alternating, several rounds: wall time, pages/s, records/s, user+sys CPU,
   peak RSS of the whole process tree, requests per distinct page;
3. scaling: the same crawl of a 5,000-project replica;
4. the browser's cost: ``-a entry=map`` against ``-a entry=lists`` (5,000 projects);
5. the parser micro-benchmark (pytest-benchmark).

Results: ``docs/BENCHMARKS.md`` and ``docs/benchmarks.json``. Politeness is off
(``-s`` overrides); never point this at the live site."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import resource
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

from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl_command, replica
from atlas_crawler.replica.world import World

DOCS = PROJECT_ROOT / "docs"
GOALS = {"throughput_ratio": 0.70, "parser_ratio": 3.0, "peak_rss_mb": 250, "redundant": 0, "time_ratio": 4.4}


def run_crawl(base: str, spider: str, out: Path, **args: str) -> dict[str, Any]:
    """One crawl in its own process, sampled for the RSS of its whole tree."""
    output = out / f"{spider}-{args.get('entry', 'lists')}.jsonl"
    settings = {"LOG_LEVEL": "INFO", "SPIDER_MODULES": "atlas_crawler.spiders,benchmarks.baseline_spider"}
    command = crawl_command(base, output, spider, settings, **args)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
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
    text = "".join(log)
    # The baseline writes no report, so its exit status says "incomplete": judge both by
    # how the spider closed.
    if "Spider closed (finished)" not in text:
        raise RuntimeError(f"{spider} crawl failed (exit {process.returncode}):\n{text[-3000:]}")
    responses = int(re.search(r"'downloader/response_count': (\d+)", text).group(1))
    records = sum(1 for _ in output.open("rb")) if output.exists() and output.stat().st_size else 0
    result = {
        "spider": spider,
        "entry": args.get("entry", "lists"),
        "wall_s": round(wall, 2),
        "cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 2),
        "peak_rss_mb": round(peak / 2**20, 1),
        "peak_pss_mb": round(peak_pss / 2**20, 1),
        "pages": responses,
        "pages_per_s": round(responses / wall, 1),
        "records": records,
        "records_per_s": round(records / wall, 1),
    }
    report = output.with_name(output.name.split(".")[0] + ".report.json")
    if spider == "atlas" and report.exists():
        data = json.loads(report.read_text("utf-8"))
        result.update(
            distinct_pages=data["distinct_pages"],
            redundant_fetches=data["redundant_fetches"],
            requests_per_page=round(data["pages_fetched"] / max(1, data["distinct_pages"]), 4),
            failures=len(data["failures"]),
            browser_warnings=data["warnings"],
        )
    print(
        f"  {spider:8s} {result['entry']:5s} {result['wall_s']:7.1f}s {result['pages_per_s']:7.1f} pages/s "
        f"cpu {result['cpu_s']:6.1f}s peak {result['peak_rss_mb']:6.1f} MB",
        flush=True,
    )
    return result


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


def median(runs: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=20000)
    parser.add_argument("--small", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": machine(), "args": vars(args), "goals": GOALS}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        print("parser micro-benchmark", flush=True)
        results["parser"] = parser_benchmark(tmp)
        print(f"replica with {args.projects} projects", flush=True)
        with replica(projects=args.projects) as base:
            results["replica_pages_per_s"] = replica_speed(base, World(args.projects))
            pairs = []
            for n in range(args.rounds):
                order = ("baseline", "atlas") if n % 2 == 0 else ("atlas", "baseline")
                runs = {spider: run_crawl(base, spider, tmp) for spider in order}
                runs["ratio"] = round(runs["atlas"]["pages_per_s"] / runs["baseline"]["pages_per_s"], 3)
                pairs.append(runs)
            results["large"] = pairs
        print(f"replica with {args.small} projects", flush=True)
        with replica(projects=args.small) as base:
            results["small"] = [run_crawl(base, "atlas", tmp) for _ in range(max(1, args.rounds - 1))]
            if not args.skip_browser:
                results["browser"] = {
                    "lists": run_crawl(base, "atlas", tmp, entry="lists"),
                    "map": run_crawl(base, "atlas", tmp, entry="map"),
                }
    summarize(results)
    DOCS.mkdir(exist_ok=True)
    (DOCS / "benchmarks.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (DOCS / "BENCHMARKS.md").write_text(render(results), encoding="utf-8")
    print(render(results))
    return 0


def summarize(results: dict[str, Any]) -> None:
    atlas = [p["atlas"] for p in results["large"]]
    baseline = [p["baseline"] for p in results["large"]]
    small = results["small"]
    results["summary"] = {
        "throughput_ratio": statistics.median(p["ratio"] for p in results["large"]),
        "atlas_pages_per_s": median(atlas, "pages_per_s"),
        "baseline_pages_per_s": median(baseline, "pages_per_s"),
        "replica_over_crawler": round(
            results["replica_pages_per_s"] / max(median(atlas, "pages_per_s"), median(baseline, "pages_per_s")), 1
        ),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in atlas),
        "redundant_fetches": max(r["redundant_fetches"] for r in atlas),
        "time_ratio": round(median(atlas, "wall_s") / median(small, "wall_s"), 2),
        "memory_ratio": round(median(atlas, "peak_rss_mb") / median(small, "peak_rss_mb"), 2),
        "parser_ratio": results["parser"]["ratio"],
    }


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
    }


def render(results: dict[str, Any]) -> str:
    s = results["summary"]
    m = results["machine"]
    verdict = {
        "throughput_ratio": s["throughput_ratio"] >= GOALS["throughput_ratio"],
        "parser_ratio": s["parser_ratio"] <= GOALS["parser_ratio"],
        "peak_rss_mb": s["peak_rss_mb"] <= GOALS["peak_rss_mb"],
        "redundant": s["redundant_fetches"] == 0,
        "time_ratio": s["time_ratio"] <= GOALS["time_ratio"],
    }
    ok = {k: ("met" if v else "**missed**") for k, v in verdict.items()}
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` (`benchmarks/run.py --projects {results['args']['projects']} --small "
        f"{results['args']['small']} --rounds {results['args']['rounds']}`) on {m['date']}: {m['cpu']}, "
        f"{m['cores']} cores, {m['memory_gb']} GiB, Python {m['python']}, Scrapy {m['scrapy']}, {m['os']}.",
        "Politeness off (`AUTOTHROTTLE_ENABLED=False DOWNLOAD_DELAY=0 CONCURRENT_REQUESTS=16`), replica on the same",
        "machine, faults off. Raw figures: `docs/benchmarks.json`.",
        "",
        "## Goals",
        "",
        "| goal | target | measured | |",
        "|---|---|---|---|",
        f"| crawl throughput, atlas / baseline (median of per-pair ratios) | >= 0.70 | {s['throughput_ratio']:.2f} | {ok['throughput_ratio']} |",
        f"| item loading / bare lxml parse, per project page | <= 3x | {s['parser_ratio']}x | {ok['parser_ratio']} |",
        f"| peak RSS, {results['args']['projects']}-project crawl, whole process tree | <= 250 MB | {s['peak_rss_mb']} MB | {ok['peak_rss_mb']} |",
        f"| redundant fetches (same page under another address) | 0 | {s['redundant_fetches']} | {ok['redundant']} |",
        f"| time {results['args']['projects']} / {results['args']['small']} projects | <= 4.4 | {s['time_ratio']} | {ok['time_ratio']} |",
        f"| peak memory {results['args']['projects']} / {results['args']['small']} projects | nearly flat | {s['memory_ratio']} | |",
        f"| replica serving speed / crawler speed | >= 3 | {s['replica_over_crawler']} ({results['replica_pages_per_s']} pages/s) | {'met' if s['replica_over_crawler'] >= 3 else '**missed**'} |",
        "",
        f"## Crawl of {results['args']['projects']} projects, alternating rounds",
        "",
        "| round | spider | wall s | pages | pages/s | records/s | user+sys CPU s | peak RSS MB | requests/page |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n, pair in enumerate(results["large"], 1):
        for spider in ("baseline", "atlas"):
            r = pair[spider]
            lines.append(
                f"| {n} | {spider} | {r['wall_s']} | {r['pages']} | {r['pages_per_s']} | {r['records_per_s']} | "
                f"{r['cpu_s']} | {r['peak_rss_mb']} | {r.get('requests_per_page', 1.0)} |"
            )
        lines.append(f"| {n} | ratio atlas/baseline | | | {pair['ratio']} | | | | |")
    lines += [
        "",
        f"## Scaling: {results['args']['small']} projects",
        "",
        "| run | wall s | pages | pages/s | peak RSS MB |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {n} | {r['wall_s']} | {r['pages']} | {r['pages_per_s']} | {r['peak_rss_mb']} |"
        for n, r in enumerate(results["small"], 1)
    ]
    if "browser" in results:
        b = results["browser"]
        lines += [
            "",
            f"## The browser's cost ({results['args']['small']} projects)",
            "",
            "| entry | wall s | user+sys CPU s | peak RSS MB (tree, Chromium included) | peak PSS MB (tree) | pages | warnings |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {k} | {r['wall_s']} | {r['cpu_s']} | {r['peak_rss_mb']} | {r['peak_pss_mb']} | {r['pages']} | {len(r.get('browser_warnings', []))} |"
            for k, r in b.items()
        ]
    p = results["parser"]
    lines += [
        "",
        "## Parser micro-benchmark (200 replica project pages, pytest-benchmark medians)",
        "",
        f"- bare `lxml.html.fromstring`: {p['lxml_ms_per_page']} ms per page",
        f"- `parse_project` (response, label matcher, table reader, item loaders): {p['loader_ms_per_page']} ms per page "
        f"({p['loader_pages_per_s']} pages/s), {p['ratio']}x the bare parse",
        "",
    ]
    notes = DOCS / "BENCHMARKS-notes.md"
    if notes.exists():
        lines += [notes.read_text("utf-8")]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())

"""``make bench`` (second part): what archival dumps cost and how fast they re-parse.

1. a 20,000-project replica (faults off), crawled with ``ATLAS_ARCHIVE`` off and
   on, alternating, several rounds: pages/s of the crawl phase (Scrapy's
   ``elapsed_time_seconds``) and of the whole run (the archive's end: index, WACZ,
   manifest), user+sys CPU, peak RSS and PSS of the whole process tree;
2. the re-parse of the dump of a ``--projects`` (20,000) project crawl (every core),
   ``--reparse-rounds`` times, alternating with its floor (``benchmarks/warc_floor.py``:
   read the WARC files, build lxml trees, one process): wall time, CPU ms per page
   (user+sys of the process tree over the dump's responses), pages/s against the live
   crawl's, peak RSS/PSS of the tree, and whether it gives exactly the crawl's records;
3. ``verify`` of that dump: wall time; the dump's size.

Goals: archiving costs at most 10 % of crawl throughput; re-parse at least 2x the
live crawl's pages/s, and the dump of a 20,000-project crawl re-parsed within 60 s on
this 2-core machine; peak memory of the whole process tree under 500 MB.
Results: ``docs/ARCHIVE_BENCHMARKS.md`` and ``docs/archive_benchmarks.json``; the
re-parse figures also go to ``docs/benchmarks.json`` (``reparse``), which
``benchmarks/summary.py`` sums up with the crawl's. ``--reparse-only`` skips the
on/off rounds and ``verify`` (one crawl to make the dump, then the re-parse rounds;
only ``docs/benchmarks.json`` is written):

    .venv/bin/python benchmarks/archive_bench.py --reparse-only --projects 5000

Politeness is off (``-s`` overrides); never point this at the live site."""

from __future__ import annotations

import argparse
import json
import os
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

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl_command, replica
from benchmarks import summary as bench_summary

DOCS = PROJECT_ROOT / "docs"
FLOOR = Path(__file__).resolve().parent / "warc_floor.py"
GOALS = {"archive_cost": 0.10, "reparse_over_crawl": 2.0, "peak_mb": 500}


def measure(command: list[str]) -> dict[str, Any]:
    """Runs ``command`` to its end, sampling the RSS and PSS of its whole process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    watched = psutil.Process(process.pid)
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    peak = peak_pss = 0
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


def crawl_run(base: str, out: Path, archive: bool, n: int) -> dict[str, Any]:
    output = out / f"crawl-{n}-{'on' if archive else 'off'}.jsonl"
    settings = {"LOG_LEVEL": "INFO"}
    if archive:
        settings |= {"ATLAS_ARCHIVE": "True", "ATLAS_ARCHIVE_DIR": str(out / f"dump-{n}")}
    run = measure(crawl_command(base, output, "atlas", settings))
    text = run.pop("log")
    if run["returncode"] not in (0, 1):  # 1: incomplete (never with faults off, but reported below)
        raise RuntimeError(f"crawl failed:\n{text[-3000:]}")
    pages = int(re.search(r"'downloader/response_count': (\d+)", text).group(1))
    elapsed = float(re.search(r"'elapsed_time_seconds': ([\d.]+)", text).group(1))
    result = {
        "archive": archive,
        **run,
        "pages": pages,
        "records": sum(1 for _ in output.open("rb")),
        "crawl_s": round(elapsed, 2),
        "pages_per_s": round(pages / elapsed, 1),
        "pages_per_s_wall": round(pages / run["wall_s"], 1),
        "output": str(output),
    }
    if archive:
        result["dump"] = str(out / f"dump-{n}")
        result["finish_s"] = round(run["wall_s"] - elapsed, 2)
    print(
        f"  archive {'on ' if archive else 'off'} {result['crawl_s']:7.1f}s crawl, {result['wall_s']:7.1f}s wall, "
        f"{result['pages_per_s']:6.1f} pages/s, cpu {result['cpu_s']:6.1f}s, peak {result['peak_rss_mb']:6.1f} MB "
        f"(PSS {result['peak_pss_mb']})",
        flush=True,
    )
    return result


def reparse_run(dump: Path, out: Path, crawl_output: Path) -> dict[str, Any]:
    output = out / "reparsed.jsonl"
    run = measure([sys.executable, "-m", "atlas_crawler.archive.reparse", str(dump), "-O", str(output)])
    text = run.pop("log")
    if run["returncode"] != 0:
        raise RuntimeError(f"re-parse failed:\n{text[-3000:]}")
    report = json.loads(output.with_name("reparsed.report.json").read_text("utf-8"))
    responses = report["warc"]["responses"]
    result = {
        **run,
        "responses": responses,
        "pages_per_s": round(responses / run["wall_s"], 1),
        "cpu_ms_per_page": round(1000 * run["cpu_s"] / max(1, responses), 2),
        "records": sum(report["records"].values()),
        "processes": report["processes"],
        "equal_to_crawl": same_records(crawl_output, output),
    }
    print(
        f"  re-parse {result['wall_s']:7.1f}s, {result['pages_per_s']:6.1f} pages/s, cpu {result['cpu_s']:6.1f}s "
        f"({result['cpu_ms_per_page']} ms/page), peak {result['peak_rss_mb']} MB (PSS {result['peak_pss_mb']}), "
        f"equal to the crawl: {result['equal_to_crawl']}",
        flush=True,
    )
    return result


def floor_run(dump: Path) -> dict[str, Any]:
    """The floor: read the dump's WARC files and build lxml trees, nothing else (one process)."""
    run = measure([sys.executable, str(FLOOR), str(dump)])
    text = run.pop("log")
    if run["returncode"] != 0:
        raise RuntimeError(f"floor failed:\n{text[-3000:]}")
    counts = json.loads(text.strip().splitlines()[-1])
    result = {**run, **counts, "cpu_ms_per_page": round(1000 * run["cpu_s"] / max(1, counts["responses"]), 2)}
    print(
        f"  floor    {result['wall_s']:7.1f}s, cpu {result['cpu_s']:6.1f}s ({result['cpu_ms_per_page']} ms/page), "
        f"{result['parsed']} lxml trees, peak {result['peak_rss_mb']} MB",
        flush=True,
    )
    return result


def reparse_rounds(dump: Path, out: Path, crawl_output: Path, rounds: int) -> list[dict[str, Any]]:
    """The re-parse and its floor, in alternating order (the machine is shared)."""
    found = []
    for n in range(max(1, rounds)):
        order = ("reparse", "floor") if n % 2 == 0 else ("floor", "reparse")
        pair: dict[str, Any] = {"order": list(order)}
        for kind in order:
            pair[kind] = reparse_run(dump, out, crawl_output) if kind == "reparse" else floor_run(dump)
        found.append(pair)
    return found


def reparse_section(projects: int, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The re-parse's part of ``docs/benchmarks.json``."""
    runs = [p["reparse"] for p in rounds]
    floors = [p["floor"] for p in rounds]
    spread = bench_summary.spread
    processes = runs[0]["processes"]
    wall = spread([r["wall_s"] for r in runs])
    cpu = spread([r["cpu_ms_per_page"] for r in runs], 2)
    floor_cpu = spread([f["cpu_ms_per_page"] for f in floors], 2)
    return {
        "date": time.strftime("%Y-%m-%d"),
        "code": bench_summary.code_version(),
        "load": [round(x, 2) for x in os.getloadavg()],
        "projects": projects,
        "processes": processes,
        "goal_wall_s": bench_summary.GOALS["reparse_wall_s"],
        "rounds": rounds,
        "summary": {
            "responses": runs[0]["responses"],
            "records": runs[0]["records"],
            "equal_to_crawl": all(r["equal_to_crawl"] for r in runs),
            "wall_s": wall,
            "pages_per_s": spread([r["pages_per_s"] for r in runs]),
            "cpu_ms_per_page": cpu,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "peak_pss_mb": max(r["peak_pss_mb"] for r in runs),
            "floor_wall_s": spread([f["wall_s"] for f in floors]),
            "floor_cpu_ms_per_page": floor_cpu,
            "floor_wall_s_all_cores": round(statistics.median(f["cpu_s"] for f in floors) / processes, 1),
            "over_floor": round(cpu["median"] / floor_cpu["median"], 1),
            "wall_s_extrapolated": round(wall["median"] * bench_summary.GOALS["reparse_projects"] / projects, 1),
        },
    }


def publish_reparse(section: dict[str, Any]) -> None:
    """Into ``docs/benchmarks.json`` (and ``docs/BENCHMARKS.md`` again), beside the crawl's figures."""
    results = bench_summary.load()
    results["reparse"] = section
    if "compare" in results:
        bench_summary.write(results)
    else:  # no crawl figures of benchmarks/run.py yet: the JSON alone
        (DOCS / "benchmarks.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("\n".join(bench_summary.reparse_summary(section)), flush=True)


def same_records(a: Path, b: Path) -> bool:
    """Every field but ``crawled_at``, records sorted."""

    def load(path: Path) -> list[str]:
        rows = (json.loads(line) for line in path.open(encoding="utf-8"))
        return sorted(json.dumps({k: v for k, v in r.items() if k != "crawled_at"}, sort_keys=True) for r in rows)

    return load(a) == load(b)


def verify_run(dump: Path) -> dict[str, Any]:
    run = measure([sys.executable, "-m", "atlas_crawler.verify", str(dump)])
    text = run.pop("log")
    size = sum(p.stat().st_size for p in dump.rglob("*") if p.is_file())
    warc = sum(p.stat().st_size for p in (dump / "warc").glob("*.warc.gz"))
    result = {**run, "verified": text.startswith("verified"), "dump_mb": round(size / 2**20, 1)}
    result["warc_mb"] = round(warc / 2**20, 1)
    print(f"  verify {result['wall_s']}s: {text.splitlines()[0] if text else ''} ({result['dump_mb']} MB)", flush=True)
    return result


def writer_micro(exchanges: int = 3000) -> dict[str, Any]:
    """The archive's own cost per exchange, away from the network and from other work
    on the machine: the middleware on saved replica pages. First the reactor thread's
    part (the writer's queue replaced by one nobody reads), then the writer's part
    (digests, gzip, write) for the same records, each in CPU time."""
    import asyncio  # noqa: PLC0415 (only this measurement needs them)
    import queue  # noqa: PLC0415

    from scrapy import Request  # noqa: PLC0415
    from scrapy.http import HtmlResponse  # noqa: PLC0415
    from scrapy.utils.test import get_crawler  # noqa: PLC0415

    from atlas_crawler.archive.middleware import ArchiveMiddleware  # noqa: PLC0415

    pages = [p.read_bytes() for p in sorted((PROJECT_ROOT / "tests" / "pages").glob("*/page.html"))]
    headers = {"Content-Type": "text/html;charset=UTF-8", "Set-Cookie": "JSESSIONID=0A1B2C; Path=/cncdext"}
    base = "http://127.0.0.1:8765/cncdext/dyn/public/atlas/detailProjet.html?criteres.prjId="
    with tempfile.TemporaryDirectory() as tmp:
        settings = {"ATLAS_ARCHIVE": True, "ATLAS_ARCHIVE_DIR": str(Path(tmp) / "dump"), "ATLAS_WARC_MAX_SIZE": 10**9}
        middleware = ArchiveMiddleware.from_crawler(get_crawler(settings_dict=settings))
        middleware.writer.close()  # its thread stopped: the records stay in the queue below
        queued: queue.SimpleQueue[Any] = queue.SimpleQueue()
        middleware.writer.queue = queued  # type: ignore[assignment]
        exchanges_made = []
        for n in range(exchanges):
            request = Request(f"{base}{n}")
            response = HtmlResponse(request.url, body=pages[n % len(pages)], headers=headers, request=request)
            exchanges_made.append((request, response))
        loop = asyncio.new_event_loop()
        start = time.thread_time()
        for request, response in exchanges_made:
            middleware.process_request(request)
            loop.run_until_complete(middleware.process_response(request, response))
        reactor = time.thread_time() - start
        loop.close()
        start = time.thread_time()
        while not queued.empty():
            _kind, record = queued.get()
            middleware.writer.files.write(record)
        writer = time.thread_time() - start
        middleware.writer.files.close()
    return {
        "exchanges": exchanges,
        "page_kb": round(sum(map(len, pages)) / len(pages) / 1024, 1),
        "reactor_thread_us": round(reactor / exchanges * 1e6, 1),
        "writer_thread_us": round(writer / exchanges * 1e6, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=20000, help="size of the atlas whose dump is re-parsed")
    parser.add_argument("--cost-projects", type=int, help="size for the on/off rounds (default: --projects)")
    parser.add_argument("--rounds", type=int, default=2, help="pairs of crawls, archive off and on, alternating")
    parser.add_argument("--reparse-rounds", type=int, default=2, help="re-parse and floor pairs, alternating")
    parser.add_argument(
        "--reparse-only", action="store_true", help="one crawl to make the dump, then the re-parse rounds alone"
    )
    parser.add_argument("--render", type=Path, help="only write the Markdown again from this JSON of an earlier run")
    args = parser.parse_args()
    if args.render:
        results = json.loads(args.render.read_text("utf-8"))
        results.setdefault("micro", writer_micro())
        summarize(results)
        (DOCS / "archive_benchmarks.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        (DOCS / "ARCHIVE_BENCHMARKS.md").write_text(render(results), encoding="utf-8")
        return 0
    if args.reparse_only:
        return reparse_only(args.projects, args.reparse_rounds)
    cost_projects = args.cost_projects or args.projects
    results: dict[str, Any] = {"args": vars(args), "goals": GOALS, "date": time.strftime("%Y-%m-%d")}
    results["load_before"] = os.getloadavg()
    results["micro"] = writer_micro()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        print(f"archive benchmark: replica with {cost_projects} projects, archive off/on", flush=True)
        with replica(projects=cost_projects) as base:
            pairs = []
            for n in range(args.rounds):
                order = (False, True) if n % 2 == 0 else (True, False)
                runs = {("on" if a else "off"): crawl_run(base, tmp, a, n) for a in order}
                runs["cost"] = round(1 - runs["on"]["pages_per_s"] / runs["off"]["pages_per_s"], 3)
                pairs.append(runs)
            results["crawls"] = pairs
        dumped = pairs[-1]["on"]
        if cost_projects != args.projects:
            print(f"replica with {args.projects} projects, one crawl with the archive on", flush=True)
            with replica(projects=args.projects) as base:
                dumped = crawl_run(base, tmp, True, args.rounds)
        results["dump_crawl"] = dumped
        rounds = reparse_rounds(Path(dumped["dump"]), tmp, Path(dumped["output"]), args.reparse_rounds)
        results["reparse_rounds"] = rounds
        # the round of median wall time (the faster one of two) for the figures below
        results["reparse"] = sorted((p["reparse"] for p in rounds), key=lambda r: r["wall_s"])[(len(rounds) - 1) // 2]
        results["verify"] = verify_run(Path(dumped["dump"]))
    results["load_after"] = os.getloadavg()
    summarize(results)
    DOCS.mkdir(exist_ok=True)
    (DOCS / "archive_benchmarks.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (DOCS / "ARCHIVE_BENCHMARKS.md").write_text(render(results), encoding="utf-8")
    print(render(results))
    publish_reparse(reparse_section(args.projects, rounds))
    return 0


def reparse_only(projects: int, rounds: int) -> int:
    """A dump of a ``projects``-project crawl, then the re-parse and floor rounds: ``docs/benchmarks.json`` only."""
    with tempfile.TemporaryDirectory(prefix="atlas-reparse-bench-") as tmp_name:
        tmp = Path(tmp_name)
        print(f"re-parse benchmark: replica with {projects} projects, one crawl with the archive on", flush=True)
        with replica(projects=projects) as base:
            dumped = crawl_run(base, tmp, True, 0)
        found = reparse_rounds(Path(dumped["dump"]), tmp, Path(dumped["output"]), rounds)
    section = reparse_section(projects, found)
    section["dump_crawl"] = {k: v for k, v in dumped.items() if k not in ("output", "dump")}
    publish_reparse(section)
    return 0


def summarize(results: dict[str, Any]) -> None:
    pairs = results["crawls"]
    off = statistics.median(p["off"]["pages_per_s"] for p in pairs)
    on = [p["on"] for p in pairs]
    results["summary"] = {
        "archive_cost": statistics.median(p["cost"] for p in pairs),
        "archive_cost_wall": round(
            1
            - statistics.median(r["pages_per_s_wall"] for r in on)
            / statistics.median(p["off"]["pages_per_s_wall"] for p in pairs),
            3,
        ),
        "crawl_pages_per_s": off,
        "reparse_pages_per_s": results["reparse"]["pages_per_s"],
        "reparse_over_crawl": round(results["reparse"]["pages_per_s"] / off, 2),
        "dump_crawl_pages_per_s": results["dump_crawl"]["pages_per_s"],
        "reparse_over_dump_crawl": round(results["reparse"]["pages_per_s"] / results["dump_crawl"]["pages_per_s"], 2),
        "peak_crawl_archive_mb": max(r["peak_pss_mb"] for r in [*on, results["dump_crawl"]]),
        "peak_crawl_archive_rss_mb": max(r["peak_rss_mb"] for r in [*on, results["dump_crawl"]]),
        "peak_reparse_mb": results["reparse"]["peak_pss_mb"],
        "peak_reparse_rss_mb": results["reparse"]["peak_rss_mb"],
        "finish_s": statistics.median(r["finish_s"] for r in on),
        # CPU per page, archive on over off (the archive's end included: index, WACZ, manifest)
        "micro_share": round(
            results["micro"]["reactor_thread_us"]
            / 1e6
            / statistics.median(p["off"]["cpu_s"] / p["off"]["pages"] for p in pairs),
            4,
        ),
        "cpu_cost": statistics.median(
            round((p["on"]["cpu_s"] / p["on"]["pages"]) / (p["off"]["cpu_s"] / p["off"]["pages"]) - 1, 3) for p in pairs
        ),
    }


def render(results: dict[str, Any]) -> str:
    s = results["summary"]
    ok = {
        "cost": s["archive_cost"] <= GOALS["archive_cost"],
        "reparse": s["reparse_over_crawl"] >= GOALS["reparse_over_crawl"],
        "peak": max(s["peak_reparse_mb"], s["peak_crawl_archive_mb"]) <= GOALS["peak_mb"],
    }
    verdict = {k: "met" if v else "**missed**" for k, v in ok.items()}
    costs = [p["cost"] for p in results["crawls"]]
    if max(costs) - min(costs) > GOALS["archive_cost"]:  # the pairs disagree by more than the goal itself
        verdict["cost"] = f"not resolved: pairs {100 * min(costs):+.1f} % to {100 * max(costs):+.1f} % (see below)"
    r, v = results["reparse"], results["verify"]
    off_cpu = statistics.median(p["off"]["cpu_s"] / p["off"]["pages"] for p in results["crawls"])
    lines = [
        "# Archival dumps: benchmarks",
        "",
        f"Measured by `benchmarks/archive_bench.py` with {json.dumps(results['args'])} on {results['date']}, on the "
        "machine of `docs/BENCHMARKS.md`; replica on the same machine, faults off, politeness off. Load average",
        f"(1, 5, 15 min) before: {results['load_before']}, after: {results['load_after']} (other work on the machine "
        "slows every run; the on/off pairs alternate so that it falls on both). Raw figures: `docs/archive_benchmarks.json`.",
        "",
        "| goal | target | measured | |",
        "|---|---|---|---|",
        f"| crawl throughput lost to archiving (crawl phase, median of per-pair costs) | <= 10 % | {100 * s['archive_cost']:.1f} % | {verdict['cost']} |",
        f"| re-parse pages/s over the live crawl's (archive off) | >= 2x | {s['reparse_over_crawl']}x ({s['reparse_pages_per_s']} vs {s['crawl_pages_per_s']} pages/s) | {verdict['reparse']} |",
        f"| re-parse pages/s over the crawl that wrote the dump | | {s['reparse_over_dump_crawl']}x ({s['dump_crawl_pages_per_s']} pages/s) | |",
        f"| peak memory, whole process tree (PSS): crawl with archive / re-parse | < 500 MB | {s['peak_crawl_archive_mb']} / {s['peak_reparse_mb']} MB (RSS {s['peak_crawl_archive_rss_mb']} / {s['peak_reparse_rss_mb']}) | {verdict['peak']} |",
        f"| re-parse equals the crawl's records (every field but crawled_at) | yes | {r['equal_to_crawl']} | {'met' if r['equal_to_crawl'] else '**missed**'} |",
        "",
        f"Whole runs, the archive's end included (CDXJ, WACZ, manifest: {s['finish_s']} s): "
        f"{100 * s['archive_cost_wall']:.1f} % fewer pages/s. CPU per page (user+sys of the whole process tree, "
        f"less sensitive than speed to other work on the machine), archive on over off, its end included: "
        f"{100 * s['cpu_cost']:+.1f} %. That includes the archive's end, which runs the CDXJ indexer and "
        "`wacz create` on both cores (up to twice its wall time in CPU); when the pairs disagree by more than the goal, "
        "the speed figures cannot tell a few per cent, and the measurement below is the one to read.",
        "",
        "| round | archive | crawl s | wall s | pages | pages/s (crawl) | pages/s (wall) | CPU s | peak RSS MB | peak PSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, pair in enumerate(results["crawls"], 1):
        for key in ("off", "on"):
            c = pair[key]
            lines.append(
                f"| {n} | {key} | {c['crawl_s']} | {c['wall_s']} | {c['pages']} | {c['pages_per_s']} | "
                f"{c['pages_per_s_wall']} | {c['cpu_s']} | {c['peak_rss_mb']} | {c['peak_pss_mb']} |"
            )
        lines.append(f"| {n} | cost | | | | {100 * pair['cost']:.1f} % | | | | |")
    m = results["micro"]
    lines += [
        "",
        f"The archive's own cost, measured apart (`writer_micro`: the middleware on saved replica pages of "
        f"{m['page_kb']} KB, {m['exchanges']} exchanges): {m['reactor_thread_us']} µs of the reactor thread's CPU per "
        f"exchange (loop overhead of the measurement included; what slows a CPU-bound crawl: {100 * s['micro_share']:.1f} % of the CPU a page costs the crawl "
        f"without archive), {m['writer_thread_us']} µs more in the writer thread (digests, gzip and writes, mostly outside the GIL, "
        "so on the other core).",
    ]
    lines += [
        "",
        f"Re-parse of the {results['args']['projects']}-project dump ({r['processes']} processes, the round of median wall time): "
        f"{r['wall_s']} s for {r['responses']} responses, {r['records']} records, CPU {r['cpu_s']} s "
        f"({r.get('cpu_ms_per_page', '?')} ms per page), peak RSS {r['peak_rss_mb']} MB, PSS {r['peak_pss_mb']} MB.",
        *(
            f"Round {n}: re-parse {p['reparse']['wall_s']} s ({p['reparse']['cpu_ms_per_page']} ms CPU per page); floor "
            f"(read the WARC files and build lxml trees, one process) {p['floor']['wall_s']} s ({p['floor']['cpu_ms_per_page']} ms CPU per page)."
            for n, p in enumerate(results.get("reparse_rounds", []), 1)
        ),
        f"`verify` of that dump: {v['wall_s']} s, {'verified' if v['verified'] else 'NOT verified'}; dump "
        f"{v['dump_mb']} MB of which WARC {v['warc_mb']} MB (the WACZ holds a second copy of the WARC files).",
        "",
        f"Per page, the crawl without archive cost {1000 * off_cpu:.1f} ms of CPU here: at the "
        f"{results['micro']['reactor_thread_us']} µs above, archiving is {100 * results['micro']['reactor_thread_us'] / 1000 / 4.3:.1f} % "
        "of the 4.3 ms per page that `docs/BENCHMARKS.md` measured on a quiet machine with the parser of then.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

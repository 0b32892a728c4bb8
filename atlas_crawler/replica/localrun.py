"""Run the replica and the real crawler as separate processes, as a user would:
the one place the demo, the end-to-end tests and the benchmarks start them.

``python -m atlas_crawler.replica.localrun`` does it once from the command line: it
starts a replica, crawls it with ``scrapy crawl atlas`` (politeness off, as the tests
do; the command is printed first), stops the replica and exits with the crawl's own
exit status."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from atlas_crawler import helptext
from atlas_crawler.replica.templates import ATLAS_PATH

#: Politeness off, for crawling the local replica only (``-s`` overrides).
REPLICA_SETTINGS: dict[str, str] = {
    "ROBOTSTXT_OBEY": "True",
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "ATLAS_RETRY_AFTER_MAX": "2",
    "LOG_LEVEL": "WARNING",
}
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def replica(
    projects: int = 300,
    seed: int = 1,
    faults: bool = False,
    truth: Path | None = None,
    slow_seconds: float = 1.0,
    options: tuple[str, ...] = (),
    port: int | None = None,
) -> Iterator[str]:
    """A replica in its own process; yields its base URL, stops it on exit.
    ``options``: more of its command-line flags (``--rename-pages``, ``--edition 2``);
    ``port``: a fixed one (two replicas in turn at the same URLs), else a free one."""
    port = port or free_port()
    command = [sys.executable, "-m", "atlas_crawler.replica", "--port", str(port), "--projects", str(projects)]
    command += ["--seed", str(seed), "--slow-seconds", str(slow_seconds)]
    command += ["--faults"] if faults else []
    command += ["--truth", str(truth)] if truth else []
    command += list(options)
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}{ATLAS_PATH}"
    try:
        wait_for(f"http://127.0.0.1:{port}/robots.txt", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def wait_for(url: str, process: subprocess.Popen, timeout: float = 120.0) -> None:
    """Until ``url`` answers; fails at once if ``process`` (its server) exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:3]} exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing answered at {url} within {timeout}s")


def crawl_command(
    base: str,
    output: Path | None,
    spider: str = "atlas",
    settings: Mapping[str, str] | None = None,
    append: bool = False,
    **args: str,
) -> list[str]:
    """``scrapy crawl`` of the replica at ``base`` into ``output`` (JSON Lines;
    ``-O`` overwrites it, ``-o`` with ``append``; no feed when None, as a run folder
    chooses its own files)."""
    feed = [] if output is None else ["-o" if append else "-O", str(output)]
    command = [sys.executable, "-m", "scrapy", "crawl", spider, *feed, "-s", f"ATLAS_BASE_URL={base}"]
    for key, value in {**REPLICA_SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{key}={value}"]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    return command


def crawl(
    base: str,
    output: Path | None,
    spider: str = "atlas",
    settings: Mapping[str, str] | None = None,
    append: bool = False,
    **args: str,
):
    """Run the crawl to its end; returns the finished process (stdout+stderr in ``.stdout``)."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run(
        crawl_command(base, output, spider, settings, append, **args),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def main(argv: list[str] | None = None) -> int:
    parser = helptext.parser("python -m atlas_crawler.replica.localrun", __doc__)
    parser.add_argument("--projects", type=int, default=30, help="size of the replica (default 30)")
    parser.add_argument("--seed", type=int, default=1, help="the replica's seed (default 1)")
    parser.add_argument("--faults", action="store_true", help="500s, 503 + Retry-After, soft errors, slow pages")
    default = PROJECT_ROOT / "output" / "local" / "atlas.jsonl"
    parser.add_argument(
        "-O",
        "--output",
        type=Path,
        default=default,
        help=f"the records file (default {default.relative_to(PROJECT_ROOT)}; overwritten)",
    )
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE", help="a setting")
    parser.add_argument(
        "-a", dest="arguments", action="append", default=[], metavar="NAME=VALUE", help="a spider argument"
    )
    args = parser.parse_args(argv)
    pairs: dict[str, dict[str, str]] = {}
    for option, given in (("-s", args.settings), ("-a", args.arguments)):
        try:
            pairs[option] = dict(item.split("=", 1) for item in given)
        except ValueError:
            parser.error(f"{option} takes NAME=VALUE")
    with replica(projects=args.projects, seed=args.seed, faults=args.faults) as base:
        command = crawl_command(base, args.output.resolve(), settings=pairs["-s"], **pairs["-a"])
        print(shlex.join(command), flush=True)
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
        return subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())

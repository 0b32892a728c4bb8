"""Every shell command in the README's ```sh blocks works as written.

A newcomer copies them literally, so they run literally: the crawls with the environment
pointing ``ATLAS_BASE_URL`` at a local replica (the crawl command reads every ``ATLAS_*``
setting from the environment, and the README never sets it) and naming the project's
settings without the live site's delays (``SCRAPY_SETTINGS_MODULE``), in a temporary directory laid
out like the project so that their ``output/…`` paths land there; then the commands that
read what the crawls wrote. The few that cannot run inside a test are listed with why.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from atlas_crawler.replica.localrun import PROJECT_ROOT, replica

README = PROJECT_ROOT / "README.md"

#: Commands a test cannot run, with the reason (checked to be in the README, so the list stays true).
NOT_RUN: dict[str, str] = {
    "make demo": "the whole demo (a 300-project replica with faults, ~1 min): run it yourself",
    "make test": "the test suite itself",
}
#: The project files a command needs in its working directory (symlinked into the temporary one).
LAYOUT = (
    "Makefile",
    "scrapy.cfg",
    "pyproject.toml",
    "requirements.txt",
    "requirements-dev.txt",
    ".venv",
    "atlas_crawler",
)


def readme_commands(text: str) -> list[str]:
    """The commands of every ```sh block: continuations joined, comment lines and trailing comments dropped."""
    commands: list[str] = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        joined = re.sub(r"\\\n\s*", " ", block)
        for raw in joined.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            commands.append(shlex.join(shlex.split(line, comments=True)) if "#" in line else line)
    return commands


def is_crawl(command: str) -> bool:
    """Whether the command crawls the live site (run against the replica instead)."""
    return "scrapy crawl atlas" in command or "make crawl" in command


def test_readme_commands_are_classified() -> None:
    """Every command is run below or listed in NOT_RUN; none sets ATLAS_BASE_URL, which the test overrides."""
    commands = readme_commands(README.read_text(encoding="utf-8"))
    assert commands, "no ```sh block in the README"
    for command in commands:
        assert "ATLAS_BASE_URL" not in command, f"the README's command sets the site itself: {command}"
    assert set(NOT_RUN) <= set(commands), "a command listed as not run is no longer in the README"
    assert any(is_crawl(c) for c in commands) and any(not is_crawl(c) and c not in NOT_RUN for c in commands)


def feed(command: str) -> str:
    """The file a crawl writes (crawls of one file run in turn, the others side by side)."""
    found = re.search(r"-[oO] (\S+)", command)
    return found.group(1) if found else "output/runs"


def run(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """One README line through the shell, as a user would paste it."""
    return subprocess.run(
        ["bash", "-c", command], check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.e2e
def test_readme_commands_work_as_written(tmp_path: Path) -> None:
    """The crawls (against a 5-project replica), then the commands reading their output, all exit 0."""
    for name in LAYOUT:
        (tmp_path / name).symlink_to(PROJECT_ROOT / name)
    commands = readme_commands(README.read_text(encoding="utf-8"))
    crawls = [c for c in commands if is_crawl(c)]
    readers = [c for c in commands if not is_crawl(c) and c not in NOT_RUN]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
    with replica(projects=5, seed=21) as base:
        env["ATLAS_BASE_URL"] = base
        env["ATLAS_RETRY_AFTER_MAX"] = "2"
        # the project's settings without the live site's delays (tests/readme_settings.py)
        env["SCRAPY_SETTINGS_MODULE"] = "tests.readme_settings"
        env["PYTHONPATH"] = str(PROJECT_ROOT)
        groups: dict[str, list[str]] = {}
        for command in crawls:
            groups.setdefault(feed(command), []).append(command)
        with ThreadPoolExecutor(len(groups)) as pool:
            ran = pool.map(lambda group: [(c, run(c, tmp_path, env)) for c in group], groups.values())
            for command, done in [pair for group in ran for pair in group]:
                assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    for command in readers:
        done = run(command, tmp_path, env)
        assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert (tmp_path / "output" / "atlas.jsonl").stat().st_size > 0
    assert (tmp_path / "output" / "runs" / "latest" / "records.jsonl").exists()
    assert (tmp_path / "output" / "reparsed.jsonl").read_text() != ""

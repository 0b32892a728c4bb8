"""The ``python -m atlas_crawler.<name>`` commands as a user first meets them: ``--help``
exits 0 at once with a usage line and plain text (no reStructuredText markup from the
docstrings), does nothing else (``demo --help`` used to run the whole demo); ``verify``
of a missing folder is a usage error (2), as its help says; the demo starts each run
with a fresh log."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

from atlas_crawler import helptext
from atlas_crawler.archive import verify
from atlas_crawler.replica import demo
from atlas_crawler.replica.localrun import PROJECT_ROOT

COMMANDS = (
    "changes",
    "datadict",
    "export",
    "history",
    "parse",
    "reparse",
    "serve",
    "report_html",
    "verify",
    "replica",
    "replica.demo",
    "replica.localrun",
)
#: What reStructuredText leaves in a text: ``literals``, :roles:`…`, `interpreted` text.
MARKUP = ("``", ":func:", ":class:", ":mod:", ":meth:", ":ref:", "`")


@pytest.fixture(scope="module")
def helps() -> dict[str, subprocess.CompletedProcess[str]]:
    """Every command's ``--help``, run side by side (each pays for its imports)."""
    processes = {
        name: subprocess.Popen(
            [sys.executable, "-m", f"atlas_crawler.{name}", "--help"],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "COLUMNS": "100"},
        )
        for name in COMMANDS
    }
    done = {}
    for name, process in processes.items():
        out, err = process.communicate(timeout=120)
        done[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return done


@pytest.mark.parametrize("name", COMMANDS)
def test_help_is_a_plain_usage_text(helps: dict[str, subprocess.CompletedProcess[str]], name: str) -> None:
    result = helps[name]
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    assert result.stdout.startswith(f"usage: python -m atlas_crawler.{name} ")
    assert "-h, --help" in result.stdout
    description = result.stdout.split("\n\n")[1]
    assert len(description.split()) >= 5, f"no description: {description!r}"
    found = [mark for mark in MARKUP if mark in result.stdout]
    assert not found, f"reStructuredText markup {found} in:\n{result.stdout}"


def test_demo_help_starts_nothing(helps: dict[str, subprocess.CompletedProcess[str]]) -> None:
    assert "starting a replica" not in helps["replica.demo"].stdout
    assert "-m scrapy crawl" not in helps["replica.localrun"].stdout  # the command it prints before crawling


def test_plain_strips_roles_literals_and_emphasis() -> None:
    doc = """``python -m x FILE``: see :func:`~atlas_crawler.files.beside`, :ref:`the table <exit-status>`,
    :py:class:`Settings`, `interpreted`, `a link`_, *removed* and **never**.

    Globs stay: warc/*.warc.gz, 2 * 3."""
    assert helptext.plain(doc, width=200) == (
        "python -m x FILE: see beside, the table, Settings, interpreted, a link, removed and never.\n\n"
        "Globs stay: warc/*.warc.gz, 2 * 3."
    )


def test_plain_refills_paragraphs_and_keeps_lists_and_examples() -> None:
    doc = "One\nparagraph   over\nlines.\n\n- a list\n- of two\n\n    an example --kept as=it is"
    assert helptext.plain("a b c d e f", width=5) == "a b c\nd e f"
    assert (
        helptext.plain(doc, width=200)
        == "One paragraph over lines.\n\n- a list\n- of two\n\n    an example --kept as=it is"
    )


def test_verify_of_a_missing_folder_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify.main([str(tmp_path / "nowhere")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [f"python -m atlas_crawler.verify: {tmp_path / 'nowhere'}: no such directory"]
    (tmp_path / "a-file").write_text("not a dump")
    assert verify.main([str(tmp_path / "a-file")]) == 2
    assert capsys.readouterr().err.strip().endswith("a-file: not a directory")


def test_verify_of_a_missing_folder_exits_2_from_the_shell(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "atlas_crawler.verify", str(tmp_path / "nowhere")]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_fresh_log_keeps_one_previous_log(tmp_path: Path) -> None:
    log = tmp_path / "demo" / "atlas.log"
    assert demo.fresh_log(log) == log and not log.exists() and log.parent.is_dir()
    log.write_text("first run\n")
    demo.fresh_log(log)
    assert not log.exists()
    assert (tmp_path / "demo" / "atlas.log.1").read_text() == "first run\n"
    log.write_text("second run\n")
    demo.fresh_log(log)
    assert (tmp_path / "demo" / "atlas.log.1").read_text() == "second run\n"
    assert sorted(p.name for p in log.parent.iterdir()) == ["atlas.log.1"]


def test_two_demos_never_share_a_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``make demo`` twice: the second run's log holds its own lines only, even from a
    crawl that appends to its LOG_FILE (Scrapy's default); the first run's is ``.log.1``."""
    runs = iter(("first run", "second run"))
    given: list[dict[str, str]] = []

    @contextmanager
    def no_replica(**_: object) -> Iterator[str]:
        yield "http://127.0.0.1:9/"

    def crawl(base: str, output: Path, settings: dict[str, str]) -> SimpleNamespace:
        given.append(settings)
        with open(settings["LOG_FILE"], "a", encoding="utf-8") as log:
            log.write(f"{next(runs)}\n")
        return SimpleNamespace(returncode=3, stdout="site unreachable")  # the demo stops there

    monkeypatch.setattr(demo, "replica", no_replica)
    monkeypatch.setattr(demo, "crawl", crawl)
    output = tmp_path / "atlas.jsonl"
    assert demo.main(["--output", str(output)]) == 3
    assert demo.main(["--output", str(output)]) == 3
    assert (tmp_path / "atlas.log").read_text() == "second run\n"
    assert (tmp_path / "atlas.log.1").read_text() == "first run\n"
    assert all(s["LOG_FILE_APPEND"] == "False" for s in given)

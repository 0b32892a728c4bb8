"""Refused at start, in one line: every bad ``-s``/``-a``/``-o`` value and ``ATLAS_*``
environment variable stops the crawl command before the first request, with a reason
that names it and exit 2 (``atlas_crawler/commands/checks.py``), also under ``--nolog``."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings
from twisted.internet.defer import FirstError
from twisted.python.failure import Failure

from atlas_crawler import outcome
from atlas_crawler.commands import checks
from atlas_crawler.commands.crawl import not_started
from atlas_crawler.replica.localrun import PROJECT_ROOT
from atlas_crawler.spiders.atlas import AtlasSpider
from tests.test_scheduled import EMAIL_ALERT


def given(**values: str) -> Settings:
    """The project's settings with ``values`` as ``-s`` gives them."""
    settings = get_project_settings()
    settings.setdict(values, priority="cmdline")
    return settings


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("DOWNLOAD_DELAY", "fast", "not a number"),
        ("CONCURRENT_REQUESTS", "x", "not a number"),
        ("ROBOTSTXT_OBEY", "perhaps", "not a boolean"),
        ("LOG_LEVEL", "LOUD", "not a log level"),
        ("ATLAS_ARCHIVE", "maybe", "not a boolean"),
        ("ATLAS_MAX_FAILED_PAGES", "abc", "not a whole number"),
        ("ATLAS_KEEP_RUNS", "-1", "must be 0 or more"),
        ("ATLAS_PROGRESS_INTERVAL", "-5", "must be a number, 0 or more"),
        ("ATLAS_STOP_GRACE_SECONDS", "nan", "must be a number, 0 or more"),
        ("ATLAS_BOILERPLATE_SHARE", "2", "between 0 and 1"),
        ("ATLAS_EXPORT", "csv,xlsx", "no export format xlsx (one of csv, parquet, sqlite)"),
        ("ATLAS_BASE_URL", "pastel.diplomatie.gouv.fr", "not an http(s) address"),
        ("FEEDS", '{"a.jsonl": 3}', "its options are not a dict"),
    ],
)
def test_a_bad_setting_is_one_line_that_names_it(name: str, value: str, reason: str) -> None:
    found = checks.problems(given(**{name: value}))
    assert len(found) == 1, found
    assert "\n" not in found[0]
    assert found[0].startswith(f"-s {name}={value}: ") or name == "FEEDS", found
    assert reason in found[0]


def test_the_project_settings_and_good_values_pass() -> None:
    assert checks.problems(get_project_settings()) == []
    good = {
        "DOWNLOAD_DELAY": "2.5",
        "DOWNLOAD_TIMEOUT": "30.5",  # an int default Scrapy reads as a float
        "TELNETCONSOLE_ENABLED": "False",
        "DEPTH_PRIORITY": "-1",  # Scrapy's own numbers may be negative
        "ATLAS_EXPORT": "csv, parquet",
        "ATLAS_ARCHIVE": "1",
        "ATLAS_KEEP_RUNS": "0",
        "ATLAS_BASE_URL": "http://127.0.0.1:8080/cncdext/dyn/public/atlas/",
        "SPIDERMON_ANYTHING": "x",  # not ours to know
        "FEEDS": '{"out.jsonl": {"format": "jsonl"}, "out.csv": {"format": "csv"}}',
    }
    assert checks.problems(given(**good)) == []


def test_every_number_of_the_project_is_typed_by_its_default() -> None:
    """No second list of types: each int or float ATLAS_* setting refuses a word and -1."""
    defaults = checks.defaults()
    numbers = [
        n for n in checks.atlas_names() if isinstance(defaults[n], (int, float)) and not isinstance(defaults[n], bool)
    ]
    assert "ATLAS_KEEP_RUNS" in numbers and "ATLAS_PROGRESS_INTERVAL" in numbers
    for name in numbers:
        for bad in ("many", "-1"):
            found = checks.problems(given(**{name: bad}))
            assert [line.split(":")[0] for line in found] == [f"-s {name}={bad}"], found


def test_an_unknown_atlas_setting_is_refused_with_the_nearest_name() -> None:
    assert checks.problems(given(ATLAS_MAX_FAILD_PAGES="3")) == [
        "-s ATLAS_MAX_FAILD_PAGES: no such setting (did you mean ATLAS_MAX_FAILED_PAGES?)"
    ]


def test_atlas_settings_come_from_the_environment_below_the_command_line() -> None:
    settings = get_project_settings()
    environ = {
        "ATLAS_BASE_URL": "http://mirror.test/atlas/",
        "ATLAS_KEEP_RUNS": "x",
        "ATLAS_OTHER_TOOL": "1",
        "ATLAS_EXPORT": "",
    }
    taken = checks.from_environment(settings, environ)
    assert sorted(taken) == ["ATLAS_BASE_URL", "ATLAS_KEEP_RUNS"]  # another tool's ATLAS_*, an empty one: left alone
    assert settings.get("ATLAS_BASE_URL") == "http://mirror.test/atlas/"
    assert checks.problems(settings, taken) == ["ATLAS_KEEP_RUNS=x (from the environment): not a whole number"]
    settings.set("ATLAS_KEEP_RUNS", "3", priority="cmdline")  # -s wins over the environment
    assert settings.getint("ATLAS_KEEP_RUNS") == 3 and checks.problems(settings, taken) == []
    assert checks.from_environment(get_project_settings(), {"ATLAS_RUN_TOKEN": "forged"}) == []


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("out.xml", "feed out.xml: XML is not offered: record keys (the French labels of `extra`)"),
        ("out.parquet", "-s ATLAS_EXPORT=parquet with a .jsonl feed or run folder, or python -m atlas_crawler.export"),
        ("out:sqlite", "feed out: sqlite is a table export, not a feed: -s ATLAS_EXPORT=sqlite"),
        ("out.xlsx", "feed out.xlsx: no feed format 'xlsx' (one of json, jsonlines, jsonl, jl, csv, marshal, pickle)"),
    ],
)
def test_a_feed_format_is_valid_or_refused_with_what_to_use(output: str, reason: str) -> None:
    settings = get_project_settings()
    found = checks.feed_problems(checks.option_feeds([output], settings), settings)
    assert len(found) == 1 and reason in found[0], found
    assert "ATLAS_EXPORT" in found[0]


def test_feeds_that_are_written_well_pass() -> None:
    settings = get_project_settings()
    feeds = checks.option_feeds(["a.jsonl", "b.csv", "c.json", "d.jl", "-:jsonlines"], settings)
    assert feeds["-"] == {"format": "jsonlines"}
    assert checks.feed_problems(feeds, settings) == []


def test_the_option_scrapy_could_not_read_is_named() -> None:
    opts = argparse.Namespace(
        set=["FEEDS={bad", "NOEQUALS"], spargs=["entry"], output=["o.parquet"], overwrite_output=None
    )
    found = checks.option_problems(opts, get_project_settings())
    assert [line.split(": ")[0] for line in found] == ["-s FEEDS={bad", "-s NOEQUALS", "-a entry", "feed o.parquet"]


def test_an_alert_without_its_settings_or_unknown_is_refused() -> None:
    assert [*checks.alert_problems(given(ATLAS_ALERTS="email"))] == [
        "ATLAS_ALERTS=email: NotConfigured: You must provide a value for SPIDERMON_EMAIL_TO setting."
    ]
    [unknown] = checks.alert_problems(given(ATLAS_ALERTS="pager"))
    assert unknown.startswith("ATLAS_ALERTS=pager: no such alert (email, slack, telegram, discord")
    assert [*checks.alert_problems(given(**EMAIL_ALERT))] == []


def test_the_spider_checks_its_own_arguments() -> None:
    assert AtlasSpider.argument_problems({"entry": "bogus"}) == ["-a entry=bogus: no such entry (one of: lists, map)"]
    assert AtlasSpider.argument_problems({"entry": "map", "_job": "scrapyd"}) == []
    with pytest.raises(ValueError, match="-a entry=bogus: no such entry"):
        AtlasSpider(entry="bogus")


def test_a_crawl_that_could_not_start_says_the_real_reason(capsys: pytest.CaptureFixture[str]) -> None:
    wrapped = FirstError(Failure(ValueError("could not convert string to float: 'fast'")), 0)
    assert not_started([wrapped], Settings()) == outcome.EXIT_USAGE
    out = capsys.readouterr().out
    assert (
        out
        == "run outcome: refused (exit 2): the crawl could not start: ValueError: could not convert string to float: 'fast'\n"
    )


# --- the command itself, as cron runs it (each a process that never starts a crawl) ------
@pytest.mark.e2e
@pytest.mark.parametrize(
    ("arguments", "environ", "reason"),
    [
        (["-a", "entry=bogus"], {}, "-a entry=bogus: no such entry (one of: lists, map)"),
        (["-s", "DOWNLOAD_DELAY=fast"], {}, "-s DOWNLOAD_DELAY=fast: not a number"),
        (["-s", "ATLAS_EXPORT=xlsx"], {}, "-s ATLAS_EXPORT=xlsx: no export format xlsx"),
        (
            [],
            {"ATLAS_MAX_FAILED_PAGES": "abc"},
            "ATLAS_MAX_FAILED_PAGES=abc (from the environment): not a whole number",
        ),
        (
            ["-s", "ATLAS_ALERTS=email"],
            {},
            "ATLAS_ALERTS=email: NotConfigured: You must provide a value for SPIDERMON_",
        ),
        (["-O", "out.xml"], {}, "feed out.xml: XML is not offered"),
        (["-o", "out.parquet"], {}, "-s ATLAS_EXPORT=parquet"),
        (["-s", "NOEQUALS"], {}, "-s NOEQUALS: not NAME=VALUE"),
    ],
)
def test_the_crawl_command_refuses_at_start_in_one_line(
    tmp_path: Path, arguments: list[str], environ: dict[str, str], reason: str
) -> None:
    runs = tmp_path / "runs"
    command = [sys.executable, "-m", "scrapy", "crawl", "atlas", "--nolog", "-s", f"ATLAS_RUNS_DIR={runs}", *arguments]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
    env = {**clean, **environ, "PYTHONPATH": str(PROJECT_ROOT), "ATLAS_BASE_URL": "http://127.0.0.1:9/atlas/"}
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == outcome.EXIT_USAGE, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("run outcome: refused (exit 2): "), result.stderr[-3000:]
    assert reason in lines[0]
    assert result.stdout == ""
    assert not runs.exists()  # no run folder, no lock: nothing started

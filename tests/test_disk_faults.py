"""A bad day on the operator's machine: a full disk (no space, a quota, the file-size
limit), a kill half-way, two resumes of one job, a garbage line, a clock stepped back
or once ahead. Nothing already on disk is damaged, every refusal says why, and no
outcome depends on the clock.

A full disk is simulated with ``RLIMIT_FSIZE`` in a subprocess (``SIGXFSZ`` ignored,
so a write past the limit fails with ``EFBIG``, as it fails with ``ENOSPC`` on a full
disk) or with an ``OSError`` injected in the test process."""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

import pytest
from scrapy.settings import Settings
from scrapy.spiders import Spider as DefaultSpider
from scrapy.utils.test import get_crawler
from warcio.warcwriter import WARCWriter

from atlas_crawler import outcome, stats
from atlas_crawler.archive import manifest
from atlas_crawler.archive import verify as verify_module
from atlas_crawler.archive.layout import MANIFEST, WARC_DIR
from atlas_crawler.commands import crawl as crawl_command_module
from atlas_crawler.commands.crawl import disk_full_at, feed_outcome, not_started, read_report
from atlas_crawler.files import RECORDS, RUN_SEQUENCE, RunFiles
from atlas_crawler.output import storage as storage_module
from atlas_crawler.output.storage import AtomicFileFeedStorage
from atlas_crawler.records import RecordsFileError, read_records
from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl, crawl_command, free_port, replica
from atlas_crawler.run import folders

OLD = b'{"type":"project","id":"1"}\n{"type":"project","id":"2"}\n'
ENV = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}


def no_space(*_: Any, **__: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


# --- the -o append and -O replace of a one-off run ----------------------------------------
def one_off(tmp_path: Path, overwrite: bool, items: int = 2) -> tuple[AtomicFileFeedStorage, Path]:
    crawler = get_crawler()
    crawler.stats.set_value("item_scraped_count", items)
    target = tmp_path / "atlas.jsonl"
    return AtomicFileFeedStorage.from_crawler(crawler, str(target), feed_options={"overwrite": overwrite}), target


def test_append_builds_a_new_file_and_moves_it_over_last_weeks(tmp_path: Path) -> None:
    storage, target = one_off(tmp_path, overwrite=False)
    target.write_bytes(OLD)
    before = target.stat().st_ino
    file = storage.open(DefaultSpider(name="atlas"))
    file.write(b'{"type":"project","id":"3"}\n')
    assert target.read_bytes() == OLD
    storage.store(file)
    assert target.read_bytes() == OLD + b'{"type":"project","id":"3"}\n'
    assert target.stat().st_ino != before  # replaced, never extended in place
    assert [p.name for p in tmp_path.iterdir()] == ["atlas.jsonl"]


def test_the_file_a_run_writes_is_unbuffered_so_a_write_error_comes_at_its_record(tmp_path: Path) -> None:
    storage, _ = one_off(tmp_path, overwrite=True)
    file = storage.open(DefaultSpider(name="atlas"))
    file.write(b"line\n")
    assert storage.temp is not None and storage.temp.read_bytes() == b"line\n"  # in the file, no flush needed
    storage.store(file)


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_full_disk_while_storing_leaves_the_target_untouched_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, overwrite: bool
) -> None:
    storage, target = one_off(tmp_path, overwrite=overwrite)
    target.write_bytes(OLD)
    file = storage.open(DefaultSpider(name="atlas"))
    file.write(b'{"type":"project","id":"3"}\n')
    if overwrite:
        monkeypatch.setattr(os, "fsync", no_space)  # the part's own sync fails
    else:

        def half_then_full(out: IO[bytes], source: Path) -> None:
            out.write(source.read_bytes()[:10])
            no_space()

        monkeypatch.setattr(storage_module, "copy_into", half_then_full)  # the copy fails half-way
    with caplog.at_level(logging.ERROR), pytest.raises(OSError):
        storage.store(file)
    monkeypatch.undo()
    assert target.read_bytes() == OLD
    kept = tmp_path / "atlas.jsonl.unpublished"  # this run's records: never deleted, never published
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atlas.jsonl", kept.name]
    assert kept.read_bytes() == b'{"type":"project","id":"3"}\n'
    assert (
        f"the feed {target} was not written (left as it was; this run's records are in {kept}): no space left on"
        in caplog.text
    )
    unstored = storage.crawler.stats.get_value(stats.FEED_NOT_STORED)  # type: ignore[union-attr]
    assert unstored["disk_full"] and unstored["path"] == str(target)


# What a full disk does to the real thing: the file-size limit, in a process of its own.
FSIZE_STORE = """
import errno, os, resource, signal, sys
from pathlib import Path
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler
from atlas_crawler.output.storage import AtomicFileFeedStorage

target = Path(sys.argv[1])
crawler = get_crawler()
crawler.stats.set_value("item_scraped_count", 2)
storage = AtomicFileFeedStorage.from_crawler(crawler, str(target), feed_options={"overwrite": False})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, resource.RLIM_INFINITY))
file = storage.open(Spider(name="atlas"))


def write_line(data):  # as the exporter writes a line: to its end (a write may be short)
    while data:
        data = data[file.write(data):]


write_line(b"a" * 299 + b"\\n")
try:
    write_line(b"b" * 800 + b"\\n")  # past the limit: fails here, at this record's write
except OSError as error:
    print("write failed:", errno.errorcode[error.errno])
try:
    storage.store(file)  # last week's 800 bytes + 300 > 1000: the copy fails
except OSError as error:
    print("store failed:", errno.errorcode[error.errno])
"""


def test_the_file_size_limit_fails_the_record_then_the_append_and_last_weeks_file_is_intact(tmp_path: Path) -> None:
    target = tmp_path / "atlas.jsonl"
    last_week = b"x" * 799 + b"\n"
    target.write_bytes(last_week)
    run = subprocess.run(
        [sys.executable, "-c", FSIZE_STORE, str(target)], env=ENV, capture_output=True, text=True, check=False
    )
    assert "write failed: EFBIG" in run.stdout, run.stdout + run.stderr
    assert "store failed: EFBIG" in run.stdout, run.stdout + run.stderr
    assert "no space left on" in run.stderr
    assert target.read_bytes() == last_week
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atlas.jsonl", "atlas.jsonl.unpublished"]


# --- a JOBDIR job: a working copy in JOBDIR, published at the end of each run ---------------
class Job:
    """Runs of one job into ``atlas.jsonl``, its ledger stood in for by ``resumed``."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp_path, self.monkeypatch = tmp_path, monkeypatch
        self.target = tmp_path / "atlas.jsonl"
        self.settings = {"JOBDIR": str(tmp_path / "job"), "FEEDS": {str(self.target): {"format": "jsonl"}}}
        self.work = RunFiles.of(Settings(self.settings)).records_written
        self.runs = 0

    def run(self, lines: list[bytes], overwrite: bool = False, store: bool = True) -> None:
        """One run writing ``lines``; ``store`` False: killed before its end."""
        self.monkeypatch.setattr(storage_module, "ledger_of", lambda _: SimpleNamespace(resumed=self.runs > 0))
        crawler = get_crawler(settings_dict=self.settings)
        crawler.stats.set_value("item_scraped_count", len(lines))
        storage = AtomicFileFeedStorage.from_crawler(crawler, str(self.target), feed_options={"overwrite": overwrite})
        file = storage.open(DefaultSpider(name="atlas"))
        for line in lines:
            file.write(line)
        self.runs += 1
        if store:
            storage.store(file)
        else:
            file.close()


def test_a_job_appends_to_last_weeks_file_once_whatever_the_kills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = Job(tmp_path, monkeypatch)
    job.target.write_bytes(OLD)
    job.run([b'{"id":"3"}\n', b'{"id":"4"'], store=False)  # killed mid-line
    assert job.target.read_bytes() == OLD  # a kill never touches the published file
    assert job.work is not None and job.work.parent.parent == tmp_path / "job"
    job.run([b'{"id":"5"}\n'])  # the resume cuts the torn line, then publishes
    assert job.target.read_bytes() == OLD + b'{"id":"3"}\n{"id":"5"}\n'
    job.run([])  # a resume with nothing left: the same file, not the job's records twice
    assert job.target.read_bytes() == OLD + b'{"id":"3"}\n{"id":"5"}\n'
    job.run([b'{"id":"6"}\n'])
    assert job.target.read_bytes() == OLD + b'{"id":"3"}\n{"id":"5"}\n{"id":"6"}\n'
    assert [p.name for p in tmp_path.iterdir() if p.name != "job"] == ["atlas.jsonl"]


def test_a_job_started_with_overwrite_replaces_last_weeks_file_only_at_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = Job(tmp_path, monkeypatch)
    job.target.write_bytes(OLD)
    job.run([b'{"id":"3"}\n'], overwrite=True, store=False)
    assert job.target.read_bytes() == OLD  # -O no longer empties it at the start
    job.run([b'{"id":"4"}\n'])  # resumed with -o, as it must be: the job's base is still nothing
    assert job.target.read_bytes() == b'{"id":"3"}\n{"id":"4"}\n'


def test_a_job_that_wrote_nothing_leaves_the_target_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job = Job(tmp_path, monkeypatch)
    job.target.write_bytes(OLD)
    job.run([], overwrite=True)
    assert job.target.read_bytes() == OLD


def test_a_full_disk_when_a_job_publishes_keeps_its_records_in_jobdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    job = Job(tmp_path, monkeypatch)
    job.target.write_bytes(OLD)
    monkeypatch.setattr(storage_module, "_holds", no_space)  # fails before anything is built
    with caplog.at_level(logging.ERROR), pytest.raises(OSError):
        job.run([b'{"id":"3"}\n'])
    assert job.target.read_bytes() == OLD
    assert job.work is not None and job.work.read_bytes() == b'{"id":"3"}\n'
    assert f"the job's records are safe in {job.work}" in caplog.text
    assert "make room, then resume the job" in caplog.text


# --- the dump's manifest ------------------------------------------------------------------
def small_dump(directory: Path) -> None:
    (directory / WARC_DIR).mkdir(parents=True)
    with (directory / WARC_DIR / "atlas-20261206000000-00000.warc.gz").open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record("atlas.warc.gz", {"software": "test"}))
    (directory / RECORDS).write_bytes(OLD)


def write_manifest(directory: Path) -> None:
    now = datetime.now(UTC)
    built = manifest.build(
        directory, started_at=now, finished_at=now, finish_reason="finished", commit=None, settings={}
    )
    manifest.write(directory, built)


def test_a_dump_never_lists_its_partial_files_and_verifies_after_a_killed_manifest(tmp_path: Path) -> None:
    small_dump(tmp_path)
    (tmp_path / f"{MANIFEST}.partial").write_text('{"format": "cut sh', encoding="utf-8")  # a kill before the rename
    (tmp_path / ".records.jsonl.x1y2.part").write_bytes(b"half")  # a kill in an atomic write
    write_manifest(tmp_path)
    listed = json.loads((tmp_path / MANIFEST).read_text("utf-8"))["files"]
    assert set(listed) == {RECORDS, f"{WARC_DIR}/atlas-20261206000000-00000.warc.gz"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([MANIFEST, RECORDS, WARC_DIR])  # stale ones removed
    assert verify_module.main([str(tmp_path)]) == 0
    (tmp_path / f"{MANIFEST}.partial").write_text("{", encoding="utf-8")  # a later run killed while writing it
    assert verify_module.main([str(tmp_path)]) == 0


def test_a_manifest_that_cannot_be_written_leaves_no_partial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small_dump(tmp_path)
    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError):
        write_manifest(tmp_path)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([RECORDS, WARC_DIR])


# --- a garbage line in a feed -------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b"\xff\xfe garbage\n", "not UTF-8 text"),
        (b'{"type":"project","id":"2","title":"\\ud800"}\n', "not UTF-8 text (a lone surrogate"),
        (b"\x00\x00\x00\n", "not a JSON record"),
    ],
)
def test_a_garbage_line_is_named_by_file_and_line(tmp_path: Path, line: bytes, says: str) -> None:
    path = tmp_path / "atlas.jsonl"
    path.write_bytes(b'{"type":"project","id":"1"}\n' + line)
    with pytest.raises(RecordsFileError, match="^" + re.escape(f"{path}:2: {says}")):
        list(read_records(path))


def test_a_surrogate_pair_is_one_character_not_garbage(tmp_path: Path) -> None:
    path = tmp_path / "atlas.jsonl"
    path.write_bytes(b'{"type":"project","id":"1","title":"\\ud83d\\ude00"}\n')
    assert [r["title"] for r in read_records(path)] == ["\U0001f600"]


# --- the exit status: a full disk, a feed not stored, the report's freshness ---------------
def test_disk_full_before_the_ledger_exists_is_recognised_in_oserror_and_sqlite() -> None:
    settings = Settings({"JOBDIR": "/data/job"})
    assert disk_full_at(OSError(errno.EDQUOT, "Disk quota exceeded", "/data/job/lock"), settings) == "/data/job/lock"
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
    wrapped = RuntimeError("the scheduler could not be built")
    wrapped.__cause__ = full
    assert disk_full_at(wrapped, settings) == "/data/job"
    assert disk_full_at(OSError(errno.EACCES, "Permission denied", "/data"), settings) is None


def test_a_crawl_that_could_not_start_says_why_with_its_own_status(capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings({"JOBDIR": "/data/job"})
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
    refused = outcome.RefusedError("the job's ledger cannot be read", outcome.EXIT_NOTHING_TO_RESUME)
    refused.__cause__ = full  # a full disk under a refusal: the disk is the cause to act on
    assert not_started([refused], settings) == outcome.EXIT_DISK_FULL
    assert (
        "run outcome: disk full (exit 8): no space left on /data/job: make room, then run again"
        in capsys.readouterr().out
    )
    assert not_started([outcome.RefusedError("no", outcome.EXIT_NOTHING_TO_RESUME)], settings) == 7
    assert "run outcome: nothing to resume (exit 7): no" in capsys.readouterr().out
    assert not_started([ValueError("entry")], settings) == outcome.EXIT_USAGE
    assert "run outcome: refused (exit 2): the crawl could not start" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("code", "disk_full", "expected"),
    [
        (outcome.EXIT_COMPLETE, True, outcome.EXIT_DISK_FULL),
        (outcome.EXIT_COMPLETE, False, outcome.EXIT_INCOMPLETE),
        (outcome.EXIT_INTERRUPTED, False, outcome.EXIT_INTERRUPTED),
    ],
)
def test_a_feed_not_stored_is_never_a_complete_run(code: int, disk_full: bool, expected: int) -> None:
    crawler = get_crawler()
    because: list[str] = []
    assert feed_outcome(crawler, code, because) == code and because == []
    crawler.stats.set_value(stats.FEED_NOT_STORED, {"path": "a.jsonl", "error": "a.jsonl: why", "disk_full": disk_full})
    assert feed_outcome(crawler, code, because) == expected
    assert because == ["a.jsonl: why"]


@pytest.mark.parametrize("mtime", [0, 4_102_444_800])  # 1970, 2100: a clock stepped back or ahead
def test_the_report_is_this_runs_by_its_token_whatever_its_file_time(tmp_path: Path, mtime: int) -> None:
    path = tmp_path / "atlas.report.json"
    path.write_text(json.dumps({"finish_reason": "finished", "run_token": "this-run"}), encoding="utf-8")
    os.utime(path, (mtime, mtime))
    assert read_report(path, "this-run") == {"finish_reason": "finished", "run_token": "this-run"}
    assert read_report(path, "another-run") is None
    path.write_text(json.dumps({"finish_reason": "finished"}), encoding="utf-8")  # written by an older version
    assert read_report(path, "this-run") is None


def test_the_crawl_command_does_not_read_the_clock_for_its_outcome() -> None:
    source = Path(crawl_command_module.__file__).read_text("utf-8")
    assert "st_mtime" not in source and "time.time" not in source


# --- run folders ordered by when they were made ---------------------------------------------
def make_runs(runs_dir: Path, moments: list[datetime]) -> list[Path]:
    made = []
    for moment in moments:
        run = folders.new_run(runs_dir, moment)
        (run / RECORDS).write_text("")
        made.append(run)
    return made


def test_runs_stamped_in_the_future_are_reported_and_pruned_first(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    ahead = [now + timedelta(days=400), now + timedelta(days=401)]  # the clock was a year ahead
    real = [now - timedelta(minutes=2), now - timedelta(minutes=1), now]  # then put right
    made = make_runs(tmp_path, ahead + real)
    assert folders.all_runs(tmp_path) == made  # the order they were made in, not their names'
    assert folders.stamped_in_the_future(tmp_path) == made[:2]
    folders.point_latest(tmp_path, made[3])
    removed = folders.prune(tmp_path, keep=2, protect={made[-1], made[3]})
    assert removed == made[:3]  # the future-stamped ones go first; the previous real run stays
    assert folders.all_runs(tmp_path) == made[3:]


def test_a_clock_set_back_onto_an_earlier_stamp_still_makes_a_newer_run(tmp_path: Path) -> None:
    moment = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    first, second = make_runs(tmp_path, [moment, moment - timedelta(hours=1)])
    third = make_runs(tmp_path, [moment])[0]
    assert third.name == first.name + ".2"
    assert folders.all_runs(tmp_path) == [first, second, third]
    assert [folders.sequence(run) for run in (first, second, third)] == [1, 2, 3]


def test_folders_made_before_numbering_are_older_than_every_numbered_one(tmp_path: Path) -> None:
    legacy = tmp_path / "2099-01-01T000000Z"  # an old version's folder, stamped in the future
    legacy.mkdir()
    numbered = make_runs(tmp_path, [datetime(2026, 12, 6, tzinfo=UTC)])[0]
    assert (numbered / RUN_SEQUENCE).read_text("utf-8") == "1\n"
    assert folders.all_runs(tmp_path) == [legacy, numbered]
    assert folders.stamped_in_the_future(tmp_path) == [legacy]


def test_a_run_folder_that_cannot_be_numbered_is_not_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Path, "write_text", no_space)
    with pytest.raises(OSError):
        folders.new_run(tmp_path)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


# --- end to end: the JOBDIR lock, no room to start, a full disk half-way ---------------------
def run_crawl(command: list[str], limit: int | None = None) -> subprocess.CompletedProcess[str]:
    """A crawl in its own process; ``limit``: its file-size limit (a full disk)."""

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    preexec: Callable[[], None] | None = limited if limit is not None else None
    return subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        preexec_fn=preexec,
    )


@pytest.mark.e2e
def test_a_run_warns_of_a_future_stamped_folder_and_pruning_keeps_the_previous_real_run(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    ahead, real = make_runs(runs_dir, [datetime.now(UTC) + timedelta(days=30), datetime.now(UTC)])
    closed = f"http://127.0.0.1:{free_port()}/cncdext/dyn/public/atlas/"
    # Keep 2 and no `latest` to protect anything: by their names the previous real run
    # would sort oldest and go; by the order they were made, the future-stamped one goes.
    result = crawl(closed, None, settings={"ATLAS_RUNS_DIR": str(runs_dir), "ATLAS_KEEP_RUNS": "2"})
    assert result.returncode == outcome.EXIT_SITE_UNREACHABLE, result.stdout[-3000:]
    assert f"run folder {ahead.name} is stamped in the future" in result.stdout
    new = folders.all_runs(runs_dir)[-1]
    assert folders.all_runs(runs_dir) == [real, new]  # the stale one pruned, never the previous real run
    assert f"old run removed: {ahead.name}" in result.stdout


@pytest.mark.e2e
def test_a_second_run_of_the_same_jobdir_is_refused_whatever_its_feed(tmp_path: Path) -> None:
    job = tmp_path / "job"
    lock = folders.RunLock(job / "lock")
    assert lock.acquire("JOBDIR job, feed first.jsonl")
    try:
        result = crawl("http://127.0.0.1:9/atlas/", tmp_path / "second.jsonl", settings={"JOBDIR": str(job)})
    finally:
        lock.release()
    assert result.returncode == outcome.EXIT_LOCKED, result.stdout[-3000:]
    assert f"another crawl holds the lock {job / 'lock'} (pid {os.getpid()} since" in result.stdout
    assert "feed first.jsonl" in result.stdout
    assert not (tmp_path / "second.jsonl").exists()


@pytest.mark.e2e
@pytest.mark.parametrize("where", ["jobdir", "feed folder", "runs folder"])
def test_no_room_to_start_exits_8_naming_the_place(tmp_path: Path, where: str) -> None:
    feed = tmp_path / "out" / "atlas.jsonl"
    settings = {
        "jobdir": {"JOBDIR": str(tmp_path / "job")},
        "feed folder": {},
        "runs folder": {"ATLAS_RUNS_DIR": str(tmp_path / "runs")},
    }[where]
    output = None if where == "runs folder" else feed
    result = run_crawl(crawl_command("http://127.0.0.1:9/atlas/", output, settings=settings), limit=0)
    assert result.returncode == outcome.EXIT_DISK_FULL, result.stdout[-3000:]
    place = {"jobdir": tmp_path / "job", "feed folder": tmp_path / "out", "runs folder": tmp_path / "runs"}[where]
    assert f"no space left on {place}" in result.stdout
    assert "make room, then run again" in result.stdout
    assert "Traceback" not in result.stdout


@pytest.mark.e2e
def test_a_full_disk_half_way_leaves_last_weeks_file_intact_and_exits_8(tmp_path: Path) -> None:
    """The trial's case: ``-o`` onto last week's file when the disk fills up. The file
    is a copy built beside it, so it fails there; last week's file keeps its bytes."""
    target = tmp_path / "atlas.jsonl"
    last_week = b"".join(b'{"type":"project","id":"%d","title":"%s"}\n' % (n, b"x" * 1400) for n in range(1, 151))
    target.write_bytes(last_week)
    limit = len(last_week) + 4000  # room for the report and the run's own part, not for both files at once
    with replica(projects=8, faults=False) as base:
        result = run_crawl(crawl_command(base, target, settings={"LOG_LEVEL": "INFO"}, append=True), limit=limit)
    assert result.returncode == outcome.EXIT_DISK_FULL, result.stdout[-3000:]
    assert target.read_bytes() == last_week
    assert not list(tmp_path.glob(".atlas.jsonl.*.part"))
    kept = tmp_path / "atlas.jsonl.unpublished"  # the run's records, not lost: its report counts them written
    assert len(kept.read_bytes().splitlines()) == sum(result_report(tmp_path)["records"].values())
    assert f"the feed {target} was not written (left as it was; this run's records are in {kept}): no space" in (
        result.stdout
    )


def result_report(folder: Path) -> dict:
    return json.loads((folder / "atlas.report.json").read_text("utf-8"))


@pytest.mark.e2e
def test_a_job_killed_and_resumed_adds_to_last_weeks_file_once(tmp_path: Path) -> None:
    target = tmp_path / "atlas.jsonl"
    target.write_bytes(OLD)
    job = {"JOBDIR": str(tmp_path / "job")}
    with replica(projects=10, faults=False, truth=tmp_path / "truth.json") as base:
        process = subprocess.Popen(
            crawl_command(base, target, settings=job, append=True), cwd=PROJECT_ROOT, env=ENV,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        work = RunFiles.of(Settings({**job, "FEEDS": {str(target): {"format": "jsonl"}}})).records_written
        assert work is not None
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline and not (work.exists() and work.stat().st_size):
            time.sleep(0.01)  # killed once its first record is in the working copy
        process.kill()
        process.wait(timeout=30)
        assert target.read_bytes() == OLD  # killed: last week's file untouched
        first = crawl(base, target, settings=job, append=True)
        published = target.read_bytes()
        again = crawl(base, target, settings=job, append=True)
    assert first.returncode == outcome.EXIT_COMPLETE, first.stdout[-3000:]
    assert again.returncode == outcome.EXIT_COMPLETE, again.stdout[-3000:]
    assert published.startswith(OLD) and target.read_bytes() == published
    records = [json.loads(line) for line in published[len(OLD) :].splitlines()]
    truth = json.loads((tmp_path / "truth.json").read_text("utf-8"))["records"]
    keys = [(r["type"], r.get("kind"), r["id"]) for r in records]
    assert len(keys) == len(set(keys)) and set(keys) == {(r["type"], r.get("kind"), r["id"]) for r in truth}

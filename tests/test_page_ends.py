"""Every record page ends written, failed or skipped (``atlas_crawler/run/accounting.py``,
``RunState.pages``, the spider's errback, the JSON Lines exporter): what ends a page,
and what the outcome says of a page that ended in none of them."""

from __future__ import annotations

import errno
import io
import json
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy import signals as scrapy_signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from twisted.python.failure import Failure

from atlas_crawler import outcome, signals
from atlas_crawler.crawl.drops import Dropped
from atlas_crawler.items import ProjectItem
from atlas_crawler.output.feeds import JsonLinesExporter, ProjectCsvExporter
from atlas_crawler.run.accounting import PageAccounting, exporters_report_writes
from atlas_crawler.run.report.html import render_html
from atlas_crawler.run.state import RunState, run_state
from atlas_crawler.urls import LIVE_BASE_URL as BASE
from tests.saved import project_crawler


def project(n: int | str) -> str:
    return f"{BASE}detailProjet.html?criteres.prjId={n}"


def foreign(n: int) -> str:
    return f"{BASE}detailCollectiviteEtrangere.html?idCollectivite={n}"


class Heard:
    """The project's signals a test listens to (receivers are held weakly: kept here)."""

    def __init__(self, crawler: Any) -> None:
        self.failed: list[tuple[str, str]] = []
        self.skipped: list[tuple[str, str]] = []
        self.written: list[Any] = []
        crawler.signals.connect(self.on_failed, signal=signals.page_failed)
        crawler.signals.connect(self.on_skipped, signal=signals.page_skipped)
        crawler.signals.connect(self.on_written, signal=signals.record_written)

    def on_failed(self, url: str, reason: str) -> None:
        self.failed.append((url, reason))

    def on_skipped(self, url: str, rule: str) -> None:
        self.skipped.append((url, rule))

    def on_written(self, item: Any) -> None:
        self.written.append(item)


def response(url: str) -> HtmlResponse:
    return HtmlResponse(url, body=b"<html><body>x</body></html>", request=Request(url))


# --- the run state's account ------------------------------------------------------------
def test_each_linked_page_ends_once_and_the_rest_is_unaccounted() -> None:
    state = RunState()
    for n in range(1, 8):
        state.page_linked(project(n))
    state.page_linked(foreign(1))
    state.record_written({"type": "project", "id": "1", "url": project(1)})
    state.failures[project(2)] = "HTTP 500"
    state.page_skipped(project(3), "forbidden by robots.txt")
    state.page_skipped(project(4), "duplicate record ('project', '', '1')")
    state.rejected.append({"type": "project", "id": "5", "url": project(5), "errors": ["end_date"]})
    state.page_skipped(project(6), "limit ids")
    state.record_written({"type": "project", "id": "6", "url": project(6)})  # written wins over skipped
    assert state.pages() == {
        "linked": 8,
        "written": 2,
        "failed": 1,
        "skipped": 1,
        "forbidden": 1,
        "duplicates": 1,
        "rejected": 1,
        "unaccounted": [foreign(1), project(7)],
    }


def test_links_are_counted_under_their_canonical_address() -> None:
    state = RunState()
    state.page_linked(project(1) + "&origine=liste")
    state.record_written({"type": "project", "id": "1", "url": project(1)})
    assert state.pages()["unaccounted"] == [] and state.pages()["written"] == 1


def test_a_page_failed_in_an_earlier_run_and_written_now_is_written() -> None:
    state = RunState(failures={project(1): "the record could not be written: No space left on device"})
    state.page_linked(project(1))
    state.record_written({"type": "project", "id": "1", "url": project(1)})
    assert state.failures == {} and state.pages()["written"] == 1


def test_the_account_survives_a_resume() -> None:
    state = RunState()
    state.page_linked(project(1))
    state.page_skipped(project(2), "forbidden by robots.txt")
    again = RunState.from_json(json.loads(json.dumps(state.to_json())))
    assert again.linked == {project(1)} and again.skipped == {project(2): "forbidden by robots.txt"}


@pytest.mark.parametrize(
    ("pages", "why"),
    [
        ({"skipped": 3, "forbidden": 3, "unaccounted": []}, "3 record pages forbidden by robots.txt"),
        ({"skipped": 0, "unaccounted": [project(1)]}, "1 record pages neither written, failed nor skipped"),
    ],
)
def test_skipped_or_unaccounted_pages_make_the_run_incomplete(pages: dict[str, Any], why: str) -> None:
    report = {"finish_reason": "finished", "records": {"project": 1}, "pages": pages}
    assert outcome.exit_code(report) == outcome.EXIT_INCOMPLETE
    assert any(line.startswith(why) for line in outcome.incomplete_because(report))


def test_duplicates_and_trap_limits_alone_leave_the_run_complete() -> None:
    """A trap limit's skipped pages are listed (and the limit warned of): a trap's
    pages are no records; the list checks catch a real record a limit would drop."""
    pages = {"skipped": 1, "forbidden": 0, "duplicates": 2, "unaccounted": []}
    report = {"finish_reason": "finished", "records": {"project": 1}, "pages": pages}
    assert outcome.exit_code(report) == outcome.EXIT_COMPLETE


# --- the spider's errback -----------------------------------------------------------------
def failed_with(crawler: Any, exception: Exception, request: Request) -> None:
    failure = Failure(exception)
    failure.request = request  # type: ignore[attr-defined]
    crawler.spider.failed(failure)


def test_a_drop_on_purpose_is_skipped_and_any_other_ignore_fails_its_page() -> None:
    crawler = project_crawler()
    heard = Heard(crawler)
    failed_with(crawler, Dropped("forbidden by robots.txt"), Request(foreign(3)))
    oversized = IgnoreRequest("Ignored response <200 …>: its body (1073741824 B) exceeded DOWNLOAD_MAXSIZE")
    failed_with(crawler, oversized, Request(project(4)))
    failed_with(crawler, IgnoreRequest(), Request(project(5)))  # max redirections: a bare one
    assert heard.skipped == [(foreign(3), "forbidden by robots.txt")]
    assert heard.failed == [
        (project(4), "IgnoreRequest: Ignored response <200 …>: its body (1073741824 B) exceeded DOWNLOAD_MAXSIZE"),
        (project(5), "IgnoreRequest"),
    ]


# --- callbacks and pipelines ------------------------------------------------------------
def test_links_to_record_pages_are_noted_before_any_limit_drops_them() -> None:
    crawler = project_crawler()
    accounting = PageAccounting.from_crawler(crawler)
    output = [
        Request(project(1)),
        Request(foreign(2)),
        Request(BASE + "listeProjetsPays.html?codePays=ML"),
        Request(project(1) + "&d-1342871-p=2", meta={"record_url": project(1)}),  # a table page
    ]
    assert list(accounting.process_spider_output(response(BASE), iter(output))) == output
    assert run_state(crawler).linked == {project(1), foreign(2)}


def test_a_callback_that_raises_fails_its_page_with_the_exception() -> None:
    crawler = project_crawler()
    heard = Heard(crawler)
    accounting = PageAccounting.from_crawler(crawler)

    def callback() -> Any:
        yield Request(project(2))
        raise RecursionError("maximum recursion depth exceeded")

    got = list(accounting.process_spider_output(response(foreign(9)), callback()))
    assert [r.url for r in got] == [project(2)]
    assert heard.failed == [(foreign(9), "RecursionError: maximum recursion depth exceeded")]
    table_page = Request(project(3) + "&d-1342871-p=2", meta={"record_url": project(3)})
    answer = HtmlResponse(table_page.url, body=b"<html></html>", request=table_page)
    assert accounting.process_spider_exception(answer, ValueError("not a project page: «Connexion»")) == ()
    assert heard.failed[1] == (project(3), f"ValueError: not a project page: «Connexion» (table page {answer.url})")


def test_an_exception_in_a_pipeline_fails_the_records_page() -> None:
    crawler = project_crawler()
    heard = Heard(crawler)
    accounting = PageAccounting.from_crawler(crawler)  # kept: signal receivers are held weakly
    item = ProjectItem(type="project", id="4", url=project(4))
    crawler.signals.send_catch_log(
        scrapy_signals.item_error, item=item, response=response(project(4)), failure=Failure(KeyError("title"))
    )
    assert heard.failed == [(project(4), "the record could not be processed: KeyError: 'title'")]
    assert accounting.crawler is crawler


# --- the records file --------------------------------------------------------------------
def record(n: int) -> ProjectItem:
    return ProjectItem(type="project", id=str(n), url=project(n), title=f"Projet {n}")


def test_a_record_is_written_once_its_line_is_on_disk(tmp_path: Path) -> None:
    crawler = project_crawler()
    heard = Heard(crawler)
    with (tmp_path / "atlas.jsonl").open("wb") as file:
        exporter = JsonLinesExporter.from_crawler(crawler, file)
        exporter.start_exporting()
        exporter.export_item(record(1))
        assert (tmp_path / "atlas.jsonl").read_text("utf-8").count("\n") == 1  # on disk, not in a buffer
        exporter.finish_exporting()
    assert [item["id"] for item in heard.written] == ["1"] and heard.failed == []


class FillingFile(io.BytesIO):
    """A file on a disk with ``room`` bytes left: a write beyond fails with ENOSPC
    after writing what fits (as a real write does), like a full disk."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")

    def write(self, data: Any) -> int:
        fits = max(0, self.room - self.tell())
        super().write(bytes(data)[:fits])
        if fits < len(data):
            raise OSError(errno.ENOSPC, "No space left on device")
        return len(data)


def test_a_record_that_cannot_be_written_fails_its_page_and_leaves_no_torn_line() -> None:
    crawler = project_crawler()
    heard = Heard(crawler)
    line = len(json.dumps(dict(record(1)), ensure_ascii=False, separators=(",", ":"))) + 1
    file = FillingFile(room=line + line // 2)
    exporter = JsonLinesExporter.from_crawler(crawler, file)
    for n in (1, 2, 3):
        exporter.export_item(record(n))
    assert file.getvalue().decode("utf-8").count("\n") == 1 and file.getvalue().endswith(b"\n")
    assert [item["id"] for item in heard.written] == ["1"]
    assert [url for url, _ in heard.failed] == [project(2), project(3)]
    assert "No space left on device" in heard.failed[0][1]


def test_a_full_disk_fails_the_record_on_a_real_file_descriptor() -> None:
    crawler = project_crawler()
    heard = Heard(crawler)
    with open("/dev/full", "wb") as file:
        JsonLinesExporter.from_crawler(crawler, file).export_item(record(1))
    assert heard.written == [] and heard.failed[0][0] == project(1)


def test_the_html_report_lists_skipped_and_lost_pages() -> None:
    report = {
        "finish_reason": "finished",
        "pages": {"linked": 3, "written": 1, "failed": 0, "skipped": 1, "duplicates": 0, "rejected": 0,
                  "unaccounted": [project(7)]},
        "skipped": [{"url": foreign(3), "rule": "forbidden by robots.txt (Disallow: /atlas/detailCollectivite)"}],
    }  # fmt: skip
    page = render_html(report)
    assert foreign(3).replace("&", "&amp;") in page and "Disallow: /atlas/detailCollectivite" in page
    assert project(7) in page and "ni écrites, ni en échec, ni écartées" in page


def test_a_jobs_duration_is_its_crawling_time_on_the_monotonic_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Earlier runs' seconds carried over; the wall clock (stepped back here) not read."""
    now = iter([130.0, 512.5])
    monkeypatch.setattr("atlas_crawler.run.state.time.monotonic", lambda: next(now))
    first = RunState(clock=100.0)
    saved = json.loads(json.dumps(first.to_json()))  # 30 s crawled
    assert saved["seconds"] == 30.0
    second = RunState.from_json(saved)
    second.clock = 500.0  # the next run began
    assert second.seconds() == 42.5


def test_a_csv_only_feed_writes_whole_rows_and_fails_the_rest_and_skips_what_it_leaves_out() -> None:
    crawler = project_crawler(FEEDS={"atlas.csv": {"format": "csv"}})
    heard = Heard(crawler)
    file = FillingFile(room=4000)
    exporter = ProjectCsvExporter.from_crawler(crawler, file)
    exporter.start_exporting()
    header = len(file.getvalue())
    row = ProjectItem(type="project", id="1", url=project(1), title="Projet " + "x" * 1500)
    for n in (1, 2, 3):
        exporter.export_item(ProjectItem(row, id=str(n), url=project(n)))
    exporter.export_item({"type": "collectivity", "kind": "foreign", "id": "9", "url": foreign(9)})
    text = file.getvalue().decode("utf-8")
    assert text.endswith("\r\n") and text.count("\r\n") == 3 and len(file.getvalue()) > header
    assert [item["id"] for item in heard.written] == ["1", "2"]
    assert [url for url, _ in heard.failed] == [project(3)]
    assert heard.skipped == [(foreign(9), "not in the CSV feed, which holds the projects only (add -o atlas.jsonl "
                                          "for every record)")]  # fmt: skip


def test_a_file_that_cannot_be_cut_back_takes_no_line_after_a_failed_one() -> None:
    """A post-processing stream (gzip) cannot seek: after a failed write, every later
    record fails too, never a line after a torn one."""

    class Stream(FillingFile):
        def seek(self, *args: Any) -> int:
            raise io.UnsupportedOperation("seek")

    crawler = project_crawler()
    heard = Heard(crawler)
    line = len(json.dumps(dict(record(1)), ensure_ascii=False, separators=(",", ":"))) + 1
    exporter = JsonLinesExporter.from_crawler(crawler, Stream(room=line + 5))
    for n in (1, 2, 3):
        exporter.export_item(record(n))
    assert [item["id"] for item in heard.written] == ["1"]
    assert [url for url, _ in heard.failed] == [project(2), project(3)]


@pytest.mark.parametrize(
    ("formats", "reports"), [(["jsonl"], True), (["csv"], True), (["xml"], False), (["xml", "jsonlines"], True)]
)
def test_records_count_written_by_the_exporter_that_wrote_them(formats: list[str], reports: bool) -> None:
    """With this project's exporters, they say which records they wrote; with only
    Scrapy's own, a record handed to the feeds counts as written."""
    crawler = project_crawler(FEEDS={f"out-{n}.{f}": {"format": f} for n, f in enumerate(formats)})
    assert exporters_report_writes(crawler.settings) is reports

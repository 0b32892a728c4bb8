"""Every crawl stat this project keeps, named once. Components count with these
names; the run report, the monitors and the tests read them back."""

from __future__ import annotations

PREFIX = "atlas/"
SOFT_ERRORS = "atlas/soft_errors"
RETRY_AFTER_WAITS = "atlas/retry_after_waits"
PAGES_FAILED = "atlas/pages_failed"
RECORDS_INVALID = "atlas/records_invalid"
#: Records a feed exporter could not write (a full disk): the feed is then not published.
RECORDS_NOT_WRITTEN = "atlas/records_not_written"
TEMPLATE_KEYS_CLEANED = "atlas/template_keys_cleaned"
DUPLICATES_DROPPED = "atlas/duplicates_dropped"
OFFSITE_DROPPED = "atlas/offsite_dropped"
ROBOTS_UNAVAILABLE = "atlas/robots_unavailable"
#: Answers that were not whole pages (each retried), ``atlas/broken_answers/<why>`` per reason.
BROKEN_ANSWERS = "atlas/broken_answers"
#: Pages that stayed broken after their retries (reported by URL).
BROKEN_PAGES = "atlas/broken_pages"
STOP_CANCELLED = "atlas/stop_cancelled"
STOP_REQUEUED = "atlas/stop_requeued"
#: Where this run's report was written (read back by the crawl command).
REPORT_PATH = "atlas/report_path"
#: A local feed that could not be opened or published, ``{"path", "error", "disk_full"}``
#: (``atlas_crawler.output.storage``; read back by the crawl command for the exit status).
FEED_NOT_STORED = "atlas/feed_not_stored"
#: Spidermon's monitor outcomes, ``{monitor name: {"passed": bool, "reason": str | None}}``.
MONITORS = "atlas/monitors"
#: Requests a trap limit stopped: ``atlas/limits/<limit>`` (``atlas_crawler.crawl.limits``).
LIMITS_PREFIX = "atlas/limits/"
#: Pages per recognised page type: ``atlas/page_type/<name>``.
PAGE_TYPE = "atlas/page_type/{}"
#: Records written with doubts left once learnt boilerplate is set aside (DoubtedRecordsMonitor);
#: ``atlas/doubts/<rule>``: the reasons of each rule they carry (``atlas_crawler.run.doubts``).
DOUBTED_RECORDS = "atlas/doubts/records"
_DOUBTS = "atlas/doubts/"


_FIELD, _UNREADABLE = "atlas/field/", "/unreadable"


def broken_answers(why: str) -> str:
    return f"{BROKEN_ANSWERS}/{why}"


def limit(name: str) -> str:
    """``atlas/limits/<name>``: requests a trap limit stopped."""
    return f"{LIMITS_PREFIX}{name}"


def unreadable(field: str) -> str:
    """``atlas/field/<name>/unreadable``: values of that field found but not readable."""
    return f"{_FIELD}{field}{_UNREADABLE}"


def unreadable_field(stat: str) -> str | None:
    """The field an ``unreadable`` stat counts, or None for another stat."""
    if stat.startswith(_FIELD) and stat.endswith(_UNREADABLE):
        return stat[len(_FIELD) : -len(_UNREADABLE)]
    return None


def page_type(name: str) -> str:
    return PAGE_TYPE.format(name)


def doubts(rule: str) -> str:
    """``atlas/doubts/<rule>``: reasons of that rule on the doubted records."""
    return f"{_DOUBTS}{rule}"

"""What a run's outcome means to the caller (cron, Scrapyd, a shell): the one
table of exit codes and the finish reasons the project adds to Scrapy's.

Every component that ends a run early closes the spider with one of the
``REASON_*`` values below; ``exit_code`` (in this module) turns a run report into
the process exit status, and the README's table is this module's table."""

from __future__ import annotations

import errno
import math
from dataclasses import dataclass
from typing import Any

#: The run is complete: finish reason ``finished``, every monitor passed, no page
#: failed for good, every announced count reached, no invalid record.
EXIT_COMPLETE = 0
#: The run ended but is incomplete (failed pages, announced counts not reached,
#: invalid records, a monitor failed, a limit stopped a trap). Records were written.
EXIT_INCOMPLETE = 1
#: RefusedError before it started: bad arguments or settings (Scrapy's own usage-error code).
EXIT_USAGE = 2
#: The site could not be reached at all: no HTTP response came back (robots.txt
#: included), or the atlas home page failed after its retries.
EXIT_SITE_UNREACHABLE = 3
#: robots.txt answered 5xx or 429: nothing fetched, try again later (RFC 9309). A
#: robots.txt that never answered (the site is down) gives EXIT_SITE_UNREACHABLE.
EXIT_ROBOTS_UNAVAILABLE = 4
#: Another run holds the lock of this output / runs folder.
EXIT_LOCKED = 5
#: Stopped by a signal (SIGINT/SIGTERM) or a kill: resume the job to finish it.
EXIT_INTERRUPTED = 6
#: A resumed job found nothing left to do although it is not complete (its state is
#: lost or inconsistent): start a new job.
EXIT_NOTHING_TO_RESUME = 7

#: The disk (or the file-size limit) is full: what was written is safe; make room and
#: resume the job (``JOBDIR``) or run again.
EXIT_DISK_FULL = 8

#: Finish reasons (``Spider.close`` reasons) set by this project.
REASON_SITE_UNREACHABLE = "site_unreachable"
REASON_ROBOTS_UNAVAILABLE = "robots_unavailable"
REASON_NOTHING_TO_RESUME = "nothing_to_resume"
REASON_DISK_FULL = "disk_full"
#: A feed could not be opened or written for another reason than room (exit 1).
REASON_FEED_NOT_WRITABLE = "feed_not_writable"
#: What a write that failed for want of room says: no space, over quota, over the file-size limit.
DISK_FULL_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)

#: Scrapy's finish reason for a run stopped by SIGINT/SIGTERM.
REASON_SHUTDOWN = "shutdown"
#: Scrapy's finish reason for a run that ran to its end.
REASON_FINISHED = "finished"
#: Finish reasons that say what happened by themselves (checked first).
_BY_REASON = {
    REASON_SITE_UNREACHABLE: EXIT_SITE_UNREACHABLE,
    REASON_ROBOTS_UNAVAILABLE: EXIT_ROBOTS_UNAVAILABLE,
    REASON_NOTHING_TO_RESUME: EXIT_NOTHING_TO_RESUME,
    REASON_SHUTDOWN: EXIT_INTERRUPTED,
    REASON_DISK_FULL: EXIT_DISK_FULL,
}


#: How the reason of a page the site itself refuses begins: its error page on every retry
#: (``soft error: Erreur technique``: the live site has such pages for months), or gone
#: (404/410) although listed. Network failures, 5xx, answers that are not the page are not.
SITE_REFUSALS = ("soft error", "HTTP 404", "HTTP 410")
#: ``outcome.meaning`` of a complete run whose only shortfalls are pages the site refuses.
KNOWN_GAPS = "complete with known gaps"


def refused_by_site(reason: str) -> bool:
    return reason.startswith(SITE_REFUSALS)


@dataclass(frozen=True)
class Tolerance:
    """How many pages the site may refuse in a run that is still complete ("with known
    gaps"): ``ATLAS_MAX_FAILED_PAGES``, or ``ATLAS_MAX_FAILED_SHARE`` of the record
    pages linked, whichever allows more."""

    pages: int
    share: float

    @classmethod
    def from_settings(cls, settings: Any) -> Tolerance:
        return cls(settings.getint("ATLAS_MAX_FAILED_PAGES"), settings.getfloat("ATLAS_MAX_FAILED_SHARE"))

    def allowed(self, linked: int) -> int:
        return max(self.pages, math.floor(self.share * linked))

    def to_json(self, linked: int) -> dict[str, Any]:
        return {"max_failed_pages": self.pages, "max_failed_share": self.share, "allowed": self.allowed(linked)}


def split_failures(failures: dict[str, str], allowed: int) -> tuple[dict[str, str], dict[str, str]]:
    """``(known gaps, failed)``: the pages the site refused, when they are no more than
    ``allowed`` (else none: they all count as failed), and every other failure."""
    refused = {url: why for url, why in failures.items() if refused_by_site(why)}
    if len(refused) > allowed:
        return {}, dict(failures)
    return refused, {url: why for url, why in failures.items() if url not in refused}


def known_gaps(report: dict[str, Any]) -> dict[str, str]:
    """The pages the site refused in a run that is complete with them (from its report)."""
    failures = {f["url"]: f["reason"] for f in report.get("failures") or []}
    return split_failures(failures, (report.get("tolerance") or {}).get("allowed", 0))[0]


class RefusedError(Exception):
    """A run refused before it fetched anything, with its exit status and the reason
    in words (the crawl command prints it: the log may be off)."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def exit_code(report: dict[str, Any] | None, responses: int | None = None) -> int:
    """The exit status of a run, from the run report it wrote (and, when the caller has
    the crawl's stats, ``responses``: how many HTTP responses came back at all).

    ====  =======================  ===============================================================
    code  constant                 when
    ====  =======================  ===============================================================
    0     EXIT_COMPLETE            finish reason ``finished``, every monitor passed, no failed
                                   page but those the site refuses within the tolerance
                                   ("complete with known gaps": its error page on every
                                   retry, 404/410), every announced list count reached (or
                                   short by those pages only), no invalid record,
                                   no record page forbidden by robots.txt, none lost track of
                                   (pages a trap limit skipped are listed, not counted here)
    1     EXIT_INCOMPLETE          the run ended but is not complete (any of the above is not
                                   true, another finish reason such as ``closespider_*``), or
                                   it wrote no report at all (``report`` is None)
    2     EXIT_USAGE               refused before it started: bad arguments or settings
    3     EXIT_SITE_UNREACHABLE    nothing written and the site never answered: finish reason
                                   ``site_unreachable``, or no HTTP response at all (robots.txt
                                   included: a closed port, an unknown host), or only failures
    4     EXIT_ROBOTS_UNAVAILABLE  finish reason ``robots_unavailable``: robots.txt answered
                                   5xx/429 (the site is up but asks crawlers to wait)
    5     EXIT_LOCKED              another run holds the lock (set by the crawl command, never
                                   from a report)
    6     EXIT_INTERRUPTED         finish reason ``shutdown`` (SIGINT/SIGTERM): resume the job
    7     EXIT_NOTHING_TO_RESUME   finish reason ``nothing_to_resume``
    8     EXIT_DISK_FULL           finish reason ``disk_full`` (a write failed: no space, or the
                                   file-size limit), or no room to start: make room, then resume
    ====  =======================  ===============================================================
    """
    if report is None:
        return EXIT_INCOMPLETE
    reason = report.get("finish_reason")
    if reason in (REASON_SHUTDOWN, REASON_NOTHING_TO_RESUME, REASON_DISK_FULL):
        return _BY_REASON[reason]
    if reason == REASON_SITE_UNREACHABLE or _reached_nothing(report, responses):
        return EXIT_SITE_UNREACHABLE
    if reason in _BY_REASON:
        return _BY_REASON[reason]
    return EXIT_COMPLETE if not incomplete_because(report) else EXIT_INCOMPLETE


def incomplete_because(report: dict[str, Any]) -> list[str]:
    """Why a run is not complete, in words for the log and the console (empty: complete)."""
    why = []
    reason = report.get("finish_reason")
    if reason != REASON_FINISHED:
        why.append(f"finish reason {reason}")
    failed = [name for name, monitor in (report.get("monitors") or {}).items() if not monitor.get("passed")]
    if failed:
        why.append(f"monitors failed: {', '.join(sorted(failed))}")
    gaps = known_gaps(report)
    failed = [f for f in report.get("failures") or [] if f["url"] not in gaps]
    if failed:
        refused = sum(refused_by_site(f["reason"]) for f in failed)
        over = f" ({refused} refused by the site, over the tolerance of {_allowed(report)})" if refused else ""
        why.append(f"{len(failed)} pages failed after retries{over}")
    incomplete = (report.get("lists") or {}).get("incomplete") or []
    short = [item for item in incomplete if not (gaps and item.get("explained_by_failures"))]
    if short:
        why.append(f"{len(short)} lists short of their announced count")
    if report.get("invalid_records"):
        why.append(f"{len(report['invalid_records'])} invalid records")
    pages = report.get("pages") or {}
    if pages.get("forbidden"):
        why.append(f"{pages['forbidden']} record pages forbidden by robots.txt: their records are missing")
    if pages.get("unaccounted"):
        why.append(
            f"{len(pages['unaccounted'])} record pages neither written, failed nor skipped "
            "(a bug of the crawler: please report it with the run report)"
        )
    return why


def _allowed(report: dict[str, Any]) -> int:
    return (report.get("tolerance") or {}).get("allowed", 0)


def result(report: dict[str, Any] | None, code: int, missing: str) -> dict[str, Any]:
    """What the run's outcome says to people: the report's ``outcome`` and the last
    line of the console. ``missing``: why there is no report, when there is none."""
    gaps = known_gaps(report) if report is not None and code == EXIT_COMPLETE else {}
    return {
        "exit_code": code,
        "meaning": KNOWN_GAPS if gaps else describe(code),
        "incomplete_because": incomplete_because(report) if report is not None else [missing],
        "known_gaps": [{"url": url, "reason": why} for url, why in sorted(gaps.items())],
    }


def _reached_nothing(report: dict[str, Any], responses: int | None) -> bool:
    """No record, and the site never answered (``responses`` is 0), or without the
    count only failures (a report alone says no more than that)."""
    if sum((report.get("records") or {}).values()):
        return False
    if responses is not None:
        return responses == 0
    return bool(report.get("failures")) and report.get("pages_fetched", 0) <= len(report["failures"])


def describe(code: int) -> str:
    """The constant's name in words (``EXIT_SITE_UNREACHABLE`` → ``site unreachable``)."""
    names = {value: name for name, value in globals().items() if name.startswith("EXIT_") and isinstance(value, int)}
    return names.get(code, "unknown").removeprefix("EXIT_").lower().replace("_", " ")

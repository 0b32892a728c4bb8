"""Where a dump goes and what its ``warcinfo`` says: the settings that shape a
crawl, the software that made it, its robots policy and contact."""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path
from typing import Any

import scrapy
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings

import atlas_crawler
from atlas_crawler.archive.layout import CAPTURES, MANIFEST, WARC_DIR, warc_files

PROJECT_ROOT = Path(atlas_crawler.__file__).resolve().parent.parent

#: The settings that decide what a crawl fetches and how: recorded in every warcinfo
#: record and in the manifest, so that a dump says how it was made.
CRAWL_SETTINGS = (
    "ATLAS_BASE_URL",
    "ATLAS_CONTACT",
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "DOWNLOAD_DELAY",
    "AUTOTHROTTLE_ENABLED",
    "AUTOTHROTTLE_START_DELAY",
    "AUTOTHROTTLE_MAX_DELAY",
    "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "DOWNLOAD_TIMEOUT",
    "RETRY_TIMES",
    "RETRY_HTTP_CODES",
    "ATLAS_RETRY_AFTER_MAX",
    "ATLAS_CRAWL_DELAY_MAX",
    "COOKIES_ENABLED",
    "DEPTH_LIMIT",
    "CLOSESPIDER_PAGECOUNT",
    "CLOSESPIDER_ITEMCOUNT",
    "JOBDIR",
    "ATLAS_WARC_MAX_SIZE",
)


def prepare(directory: Path, resuming: bool) -> int:
    """Checks that the dump directory may be written; returns the number the next
    WARC file takes. A dump is never overwritten: only a job resumed with ``JOBDIR``
    goes on writing into the dump it started (its manifest is then rewritten)."""
    existing = warc_files(directory)
    if existing and not resuming:
        raise UsageError(
            f"{directory} already holds a dump ({len(existing)} WARC files): set ATLAS_ARCHIVE_DIR to a new directory"
        )
    (directory / WARC_DIR).mkdir(parents=True, exist_ok=True)
    (directory / MANIFEST).unlink(missing_ok=True)  # a resumed dump is incomplete until its end
    (directory / CAPTURES).touch()
    return len(existing)


def git_commit() -> str | None:
    """The commit of the crawler's checkout, ``+dirty`` when it has local changes; None outside git."""
    if not (PROJECT_ROOT / ".git").exists():
        return None
    try:
        commit = _git("rev-parse", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10, check=True)
    return done.stdout.strip()


def crawl_settings(settings: BaseSettings) -> dict[str, Any]:
    return {name: settings.get(name) for name in CRAWL_SETTINGS if settings.get(name) is not None}


def warcinfo(settings: BaseSettings, spider_name: str, user_agent: str, commit: str | None) -> dict[str, Any]:
    """The fields of each WARC file's ``warcinfo`` record (WARC 1.1, annex: warcinfo fields)."""
    return {
        "software": f"atlas-crawler/{atlas_crawler.__version__} (Scrapy {scrapy.__version__}; "
        f"Python {platform.python_version()})",
        "git-commit": commit,
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "isPartOf": f"atlas-crawler {spider_name} crawl of {settings.get('ATLAS_BASE_URL')}",
        "description": "Every HTTP exchange of the crawl (robots.txt, pages, retries, failed answers) "
        "as request and response records; bodies as received, before decompression.",
        "operator": settings.get("ATLAS_CONTACT"),
        "http-header-user-agent": user_agent,
        "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        "scrapy-settings": json.dumps(crawl_settings(settings), ensure_ascii=False, sort_keys=True, default=str),
    }

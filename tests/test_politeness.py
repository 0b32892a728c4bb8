"""The User-Agent must name a contact: a warning at start when it does not."""

from __future__ import annotations

import logging

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler

from atlas_crawler import settings as project_settings
from atlas_crawler import signals
from atlas_crawler.crawl.politeness import ContactCheck, has_contact


@pytest.mark.parametrize(
    ("contact", "ok"),
    [
        ("you@example.org", True),
        ("https://example.org/crawler", True),
        (project_settings.ATLAS_CONTACT, False),
        ("", False),
        ("me", False),
    ],
)
def test_what_counts_as_a_contact(contact: str, ok: bool) -> None:
    assert has_contact(contact) is ok


class _Spider(Spider):
    name = "politeness-test"


def _warnings(base: str, contact: str, caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[str]]:
    crawler = get_crawler(_Spider, {"ATLAS_BASE_URL": base, "ATLAS_CONTACT": contact})
    check = ContactCheck.from_crawler(crawler)
    reported: list[str] = []

    def warned(message: str) -> None:
        reported.append(message)

    crawler.signals.connect(warned, signal=signals.crawl_warning, weak=False)
    with caplog.at_level(logging.WARNING, logger="atlas_crawler.crawl.politeness"):
        check.spider_opened()
    return [r.getMessage() for r in caplog.records], reported


def test_the_live_site_gets_a_warning_in_the_report(caplog: pytest.LogCaptureFixture) -> None:
    _logged, reported = _warnings(project_settings.ATLAS_BASE_URL, project_settings.ATLAS_CONTACT, caplog)
    assert len(reported) == 1 and "ATLAS_CONTACT is not set" in reported[0]


def test_a_local_replica_only_gets_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    logged, reported = _warnings("http://127.0.0.1:8765/cncdext/dyn/public/atlas/", "", caplog)
    assert reported == [] and any("ATLAS_CONTACT is not set" in line for line in logged)


def test_no_warning_with_a_contact(caplog: pytest.LogCaptureFixture) -> None:
    assert _warnings(project_settings.ATLAS_BASE_URL, "you@example.org", caplog) == ([], [])


def test_the_delay_is_a_floor() -> None:
    """No jitter: Scrapy's default ±50 % drew gaps down to half of DOWNLOAD_DELAY."""
    assert project_settings.DOWNLOAD_DELAY_JITTER == 0
    assert project_settings.REMOTE_CONTROL_ENABLED is False
    assert project_settings.TELNETCONSOLE_ENABLED is False

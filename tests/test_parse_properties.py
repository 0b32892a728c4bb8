"""Property tests: any markup the generator (``tests/markup_gen.py``) can make of a
random record parses back to exactly that record, field by field, without a doubt.

Profiles: ``ci`` (default) runs enough examples to matter in about a minute;
``HYPOTHESIS_PROFILE=bench`` (``make fuzz``) runs many more.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from scrapy.http import HtmlResponse

from atlas_crawler.items import DOUBTS
from atlas_crawler.pages.collectivity import parse_collectivity
from atlas_crawler.pages.project import parse_project
from tests.markup_gen import Page, collectivity_pages, project_pages

# deadline off: a page's first parse pays for imports and caches; too_slow: pages are big by design
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("ci", max_examples=400, **_COMMON)  # about 40 s for both tests
settings.register_profile("bench", max_examples=5000, **_COMMON)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _response(page: Page) -> HtmlResponse:
    return HtmlResponse(page.url, body=page.body, headers=page.headers)


def _differences(record: dict, expected: dict) -> dict:
    return {k: {"got": record.get(k), "expected": v} for k, v in expected.items() if record.get(k) != v}


@settings(PROFILE)
@given(project_pages())
def test_project_pages_parse_to_their_record(page: Page) -> None:
    parsed = parse_project(_response(page))
    record = dict(parsed.item)
    assert record.pop("crawled_at").endswith("Z")
    assert record.pop(DOUBTS) == []  # the page is explained whole
    assert _differences(record, page.record) == {}
    assert parsed.next_pages == {}


@settings(PROFILE)
@given(collectivity_pages())
def test_collectivity_pages_parse_to_their_record(page: Page) -> None:
    record = dict(parse_collectivity(_response(page)))
    assert record.pop("crawled_at").endswith("Z")
    assert record.pop(DOUBTS) == []
    assert _differences(record, page.record) == {}

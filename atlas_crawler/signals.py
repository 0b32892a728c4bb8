"""Signals the spider sends for the run report (Scrapy has no signal for a
request that failed for good, nor for what a list page announces)."""

#: ``page_failed(url: str, reason: str, request: Request)``: a page failed after its retries.
page_failed = object()
#: ``page_skipped(url: str, rule: str)``: a record page not fetched on purpose (robots.txt,
#: a trap limit), with the rule that dropped it.
page_skipped = object()
#: ``list_page_parsed(list_url: str, page_url: str, announced: int | None, ids: list[str], kind: str)``:
#: a page of a list; ``kind`` is the record type it lists.
list_page_parsed = object()
#: ``record_written(item)``: a record is on disk in the run's records file (its line
#: written and flushed), or, for a run without a JSON Lines feed, handed to the feeds.
#: A record that could not be written fails its page (``page_failed``) instead.
record_written = object()
#: ``crawl_warning(message: str)``: something the user must read in the report.
crawl_warning = object()
#: ``record_rejected(record_type: str, record_id: str, url: str, errors: list[str])``
record_rejected = object()

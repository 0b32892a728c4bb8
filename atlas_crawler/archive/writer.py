"""The archive's writing thread: digests, compression and file writes leave the
crawl's reactor thread (zlib and hashlib release the GIL, so they run on the
second core), which only queues what it saw. The thread also writes the
record-to-capture map, so that a record's line is written after the records it
names and can give their file and offset."""

from __future__ import annotations

import json
import logging
import queue
import threading
from pathlib import Path
from typing import Any

from atlas_crawler.archive.warcfiles import Location, Record, WarcFiles

logger = logging.getLogger(__name__)
_STOP = object()


class ArchiveWriter:
    """Owns the WARC files and ``captures.jsonl``. ``record()`` and ``capture()``
    only queue (a bounded queue: a slow disk slows the crawl instead of filling memory)."""

    def __init__(self, files: WarcFiles, captures: Path, queue_size: int = 1000) -> None:
        self.files = files
        self.captures_path = captures
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        #: WARC-Record-ID -> location, for the response records a capture line may name
        self.locations: dict[str, Location] = {}
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="warc-writer", daemon=True)
        self.thread.start()

    def record(self, record: Record) -> str:
        """Queues a record; its ``WARC-Record-ID`` is known at once."""
        self.queue.put(("record", record))
        return record.record_id

    def capture(self, line: dict[str, Any]) -> None:
        """Queues a line of the record-to-capture map; every dict in it with a
        ``warc_record_id`` gets that record's ``warc_filename`` and ``warc_offset``."""
        self.queue.put(("capture", line))

    def close(self) -> None:
        """Writes what is queued, then closes the files (fsync)."""
        if self.thread.is_alive():
            self.queue.put(_STOP)
            self.thread.join()

    # --- the thread --------------------------------------------------------------------
    def _run(self) -> None:
        with self.captures_path.open("a", encoding="utf-8") as captures:
            while True:
                entry = self.queue.get()
                if entry is _STOP:
                    break
                if self.error is not None:
                    continue  # keep draining, so that the crawl never blocks on a full queue
                try:
                    self._handle(entry, captures)
                except Exception as error:  # reported by the middleware, which stops the crawl
                    logger.exception("the WARC writer failed")
                    self.error = error
        try:
            self.files.close()
        except OSError as error:
            self.error = self.error or error

    def _handle(self, entry: tuple[str, Any], captures: Any) -> None:
        kind, value = entry
        if kind == "record":
            location = self.files.write(value)
            if value.warc_type in ("response", "conversion", "resource"):
                self.locations[value.record_id] = location
            return
        for ref in [value, *value.get("table_pages", ())]:
            location = self.locations.pop(ref["warc_record_id"], None)
            ref["warc_filename"] = location.filename if location else None
            ref["warc_offset"] = location.offset if location else None
        captures.write(json.dumps(value, ensure_ascii=False) + "\n")
        captures.flush()

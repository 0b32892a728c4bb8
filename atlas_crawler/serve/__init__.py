"""Browse a crawl's tables without code: Datasette on 127.0.0.1, over a copy of the
run's SQLite export that the server owns (``build.py``: keys Datasette can follow,
full-text search, facet columns), described in French from the data dictionary
(``metadata.py``), with canned queries for the questions people ask (``queries.py``);
and the history of the runs as a second database, with its own queries (``history.py``).

``python -m atlas_crawler.serve [RUN_FOLDER | RECORDS.jsonl | SQLITE] [--port N]``,
``make serve``; docs/BROWSING.md."""

from atlas_crawler.serve.build import SERVED_NAME, build, default_source
from atlas_crawler.serve.history import copy_history, default_history, history_metadata
from atlas_crawler.serve.metadata import metadata

__all__ = ["SERVED_NAME", "build", "copy_history", "default_history", "default_source", "history_metadata", "metadata"]

"""The atlas over time: every version of every record, from the weekly runs.

``python -m atlas_crawler.history output/runs`` keeps ``output/runs/history.sqlite``
(and ``output/runs/history/*.parquet``) up to date with the run folders; a scheduled
crawl does it itself with ``ATLAS_HISTORY = True``. docs/HISTORY.md."""

from atlas_crawler.history.build import HistoryBusyError, Update, held_runs, history_path, rebuild, update
from atlas_crawler.history.store import HistoryError

__all__ = ["HistoryBusyError", "HistoryError", "Update", "held_runs", "history_path", "rebuild", "update"]

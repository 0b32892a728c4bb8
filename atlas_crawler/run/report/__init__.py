"""The run report: one JSON file per crawl with what was done, what failed and
what was not found. Small components wired by settings (``EXTENSIONS``):

- ``RunCollector`` collects the run from signals into the run state;
- ``JobState`` carries that state across the runs of a ``JOBDIR`` job;
- ``ReportWriter`` builds the report and writes it when the engine stops.
"""

from atlas_crawler.run.collector import RunCollector
from atlas_crawler.run.jobstate import JobState
from atlas_crawler.run.report.writer import ReportWriter

__all__ = ["JobState", "ReportWriter", "RunCollector"]

"""Settings of atlas-crawler. Every ``ATLAS_*`` setting is documented in the
README; standard Scrapy settings given with ``-s`` override these."""

from atlas_crawler import __version__
from atlas_crawler.urls import LIVE_BASE_URL

BOT_NAME = "atlas_crawler"
SPIDER_MODULES = ["atlas_crawler.spiders"]
NEWSPIDER_MODULE = "atlas_crawler.spiders"

# --- the atlas --------------------------------------------------------------
ATLAS_BASE_URL = LIVE_BASE_URL
ATLAS_CONTACT = "set ATLAS_CONTACT to your e-mail address"
ATLAS_HOME_PAGE = "accesAtlas.html"  # where the walk starts, relative to ATLAS_BASE_URL
ATLAS_REPORT_PATH = None  # default: beside the first local feed, else output/report.json
ATLAS_REPORT_ENABLED = True  # the run report (off for `scrapy parse`, which must not overwrite a crawl's)
ATLAS_RETRY_AFTER_MAX = 120.0  # longest Retry-After wait honoured, seconds
ATLAS_MAP_TIMEOUT_MS = 20000  # how long the browser waits for the map's country links

# --- politeness: a public service on modest hardware -------------------------
USER_AGENT = f"atlas-crawler/{__version__} (research crawler of the CNCD atlas; contact: {{contact}})"
ROBOTSTXT_OBEY = True  # Scrapy's default is False
CONCURRENT_REQUESTS = 2  # default 16: two requests in flight at most, whatever the host
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # default 8
DOWNLOAD_DELAY = 0.5  # default 0: at least half a second between two requests
AUTOTHROTTLE_ENABLED = True  # slows down further when the site answers slowly
AUTOTHROTTLE_START_DELAY = 1.0  # default 5: the first requests need not wait that long
AUTOTHROTTLE_MAX_DELAY = 30.0  # default 60: a day-long crawl should not stall for a minute per page
DOWNLOAD_TIMEOUT = 60  # default 180: a page that takes a minute has failed; it is retried
RETRY_TIMES = 3  # default 2: the atlas answers 500/503 now and then; a fourth try usually works
COOKIES_ENABLED = True  # Scrapy's default, kept on purpose: the JSESSIONID cookie keeps ;jsessionid out of links
TELNETCONSOLE_ENABLED = False  # default on: no listening port for a crawler that runs unattended
LOG_LEVEL = "INFO"  # default DEBUG: one line per request is too much for a 45,000-page crawl
# DOWNLOAD_DELAY is a floor, never a mean: Scrapy's default jitter (±50 %) drew gaps down to
# half of it, also under AutoThrottle (its delays never go below DOWNLOAD_DELAY, the jitter did).
DOWNLOAD_DELAY_JITTER = 0.0
ATLAS_DELAY_MARGIN = 0.1  # slots wait 10 % more than DOWNLOAD_DELAY: a busy event loop sends some requests late
# Default on since Scrapy 2.19: an HTTP server on a local port that runs any Python code sent
# with its token, and a token file per run in ~/.local/state/scrapy that killed runs leave behind.
REMOTE_CONTROL_ENABLED = False
ATLAS_STOP_GRACE_SECONDS = 5.0  # after SIGTERM/Ctrl-C, requests in flight get this long, then are cancelled
ATLAS_ROBOTS_RETRY_TIMES = 2  # robots.txt retries on 5xx/timeouts before the crawl stops (robots_unavailable)

# --- one request per page ------------------------------------------------------
#: One fingerprint per canonical address: ;jsessionid, parameter order and tracking never make two requests.
REQUEST_FINGERPRINTER_CLASS = "atlas_crawler.crawl.fingerprint.CanonicalRequestFingerprinter"

DOWNLOADER_MIDDLEWARES = {
    # Never off the atlas (atlas_crawler/crawl/scope.py): requests are checked before any other
    # middleware, Scrapy's RobotsTxtMiddleware (100) included, which would otherwise fetch
    # the robots.txt of whatever host a request names.
    "atlas_crawler.crawl.scope.ScopeMiddleware": 40,
    # robots.txt as RFC 9309 reads it: 5xx or timeout stops the crawl, 4xx allows all.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "atlas_crawler.crawl.robots.AtlasRobotsTxtMiddleware": 100,
    # Every redirect hop checked against the scope, at Scrapy's own places: 3xx (600) before
    # decompression (590), meta refresh (580) after it, as it reads the body.
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "atlas_crawler.crawl.scope.ScopedRedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "atlas_crawler.crawl.scope.ScopedMetaRefreshMiddleware": 580,
    # Whole pages only: sees a response after decompression (590) and before the soft-error
    # check (560) and the retries (550), so a cut page is retried, never judged or parsed.
    "atlas_crawler.crawl.wholepage.WholePageMiddleware": 570,
    # Next to the download handler, so it sees first a download cancelled by a forced stop.
    "atlas_crawler.crawl.stopping.RequeueOnStop": 990,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "atlas_crawler.crawl.politeness.ContactUserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "atlas_crawler.crawl.politeness.RetryAfterMiddleware": 550,
    "atlas_crawler.crawl.softerrors.SoftErrorMiddleware": 560,
}

# --- limits on traps (atlas_crawler.crawl.limits) ---------------------------------------
# Each limit is derived from what the site says where it can be (announced counts,
# rows on a page, a pager's last page); these settings stand in where it says nothing.
SPIDER_MIDDLEWARES = {
    # Closer to the spider than Scrapy's UrlLengthMiddleware (800), so that a long URL
    # is stopped here, with a warning in the report, instead of silently.
    "atlas_crawler.crawl.limits.TrapLimitsMiddleware": 850,
}
ATLAS_MAX_URL_LENGTH = 2000  # atlas links are < 200 characters; below Scrapy's URLLENGTH_LIMIT (2083)
ATLAS_MAX_PATH_DEPTH = 3  # path segments below ATLAS_BASE_URL; every atlas page has 1
ATLAS_MAX_ID = 2147483647  # a Java int: the site is a Java application, larger ids are not records
ATLAS_LIST_PAGE_SIZE = 20  # rows a list page holds, used only when a page shows none to count
ATLAS_MAX_PAGES_PER_LIST = 500  # only for a list that announces no count and whose pager shows no last page
ATLAS_MAX_TABLE_PAGES = 100  # only for an in-page table whose pager shows no last page
ATLAS_MAX_SIBLING_HOPS = 5  # links in a row from a page to another variant of itself (no atlas page does it)
ATLAS_MAX_QUERY_VARIANTS = 1000  # parameter variants per page name, ids and page numbers aside (~200 countries)
ATLAS_MAX_PAGE_NAMES = 50  # distinct page names under the atlas (it has about 10)
ATLAS_MAX_WARNINGS_PER_LIMIT = 20  # warnings one limit may add to the report; its stat counts everything

# --- a JOBDIR job that survives kill -9 (atlas_crawler/run/ledger.py) -------------------
#: Scrapy's scheduler; under JOBDIR with memory queues only and a duplicate filter fed from
#: JOBDIR/ledger.sqlite (Scrapy's disk queue and requests.seen survive clean stops only).
SCHEDULER = "atlas_crawler.run.ledger.LedgerScheduler"
#: Marks a page done in the ledger once its output is consumed: outermost (10, before
#: StartSpiderMiddleware's 25), so it sees the output every other middleware let through.
SPIDER_MIDDLEWARES["atlas_crawler.run.ledger.LedgerMiddleware"] = 10
ATLAS_JOB_STATE_INTERVAL = 10.0  # seconds between two saves of the report's state in the ledger

# --- output -----------------------------------------------------------------
#: Scrapy starts this many asyncio tasks for every response's output; our pipelines are
#: synchronous, so 100 (the default) only costs: 16 makes a CPU-bound crawl ~25 % faster.
CONCURRENT_ITEMS = 16
ITEM_PIPELINES = {
    # First: item["doubts"] is no field of the record; off before the cleaner, the duplicate
    # check, the validation (the schema rejects unknown keys) and the feed see the record.
    "atlas_crawler.output.pipelines.DoubtsPipeline": 50,
    "atlas_crawler.output.pipelines.TemplateKeyCleanerPipeline": 100,
    "atlas_crawler.output.pipelines.DuplicatesPipeline": 200,
    "atlas_crawler.output.pipelines.UnreadableValuesPipeline": 250,  # counts only duplicates-free records
    "atlas_crawler.output.pipelines.SchemaValidationPipeline": 300,
}
FEED_EXPORTERS = {
    "jsonl": "atlas_crawler.output.feeds.JsonLinesExporter",
    "jsonlines": "atlas_crawler.output.feeds.JsonLinesExporter",
    "jl": "atlas_crawler.output.feeds.JsonLinesExporter",
}
FEED_EXPORT_ENCODING = "utf-8"

EXTENSIONS = {
    "atlas_crawler.crawl.politeness.ContactCheck": 100,  # a warning at start when ATLAS_CONTACT is unset
    "atlas_crawler.crawl.stopping.GracefulStop": 100,  # a stop within ATLAS_STOP_GRACE_SECONDS + a second or two
    "atlas_crawler.crawl.politeness.DelayFloor": 100,  # DOWNLOAD_DELAY as the site sees it (see ATLAS_DELAY_MARGIN)
    "spidermon.contrib.scrapy.extensions.Spidermon": 500,
    # The run report's components; the writer writes the report and the doubts file when
    # the engine stops, after Spidermon's close monitors, so their order here does not matter.
    "atlas_crawler.run.report.RunCollector": 510,
    "atlas_crawler.run.report.JobState": 520,
    "atlas_crawler.run.report.ReportWriter": 530,
}
SPIDERMON_ENABLED = True
SPIDERMON_ADD_FIELD_COVERAGE = True
SPIDERMON_FIELD_COVERAGE_SKIP_NONE = True
SPIDERMON_FIELD_COVERAGE_SKIP_FALSY = False
SPIDERMON_FIELD_COVERAGE_SKIP_VALUES = [[], {}, ""]
SPIDERMON_SPIDER_CLOSE_MONITORS = ["atlas_crawler.run.monitors.AtlasCloseMonitorSuite"]
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
ATLAS_MAX_FAILED_PAGES = 0  # FailedPagesMonitor: pages failed after retries
ATLAS_MAX_INVALID_RECORDS = 0  # InvalidRecordsMonitor: records rejected by the schema
ATLAS_MAX_DOUBTED_RECORDS = 0  # DoubtedRecordsMonitor: records written with doubts (README "Doubts")
#: Learnt boilerplate: a text unclaimed on this share of the written records of a type is page
#: chrome, not a doubt, once the type has ATLAS_BOILERPLATE_MIN_RECORDS written records.
ATLAS_BOILERPLATE_SHARE = 0.5
ATLAS_BOILERPLATE_MIN_RECORDS = 20
#: FieldCoverageMonitor: share of records on which a field must be found. Fields that
#: pages may legitimately lack are not listed; field_coverage in the report has them all.
SPIDERMON_FIELD_COVERAGE_RULES = {
    "ProjectItem/id": 1.0,
    "ProjectItem/url": 1.0,
    "ProjectItem/title": 0.95,
    "ProjectItem/theme": 0.5,
    "ProjectItem/foreign_partners": 0.5,
    "CollectivityItem/id": 1.0,
    "CollectivityItem/name": 0.95,
}

# --- the world map, rendered by a real browser (only with -a entry=map) ---------
# The spider installs scrapy-playwright's download handlers itself for entry=map
# (atlas_crawler.crawl.browser.with_browser); every other run, `scrapy shell` and
# `scrapy parse` included, keeps Scrapy's own handlers and starts no browser.
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": "/usr/bin/chromium",
    "headless": True,
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-sync",
        "--disable-extensions",
        "--js-flags=--max-old-space-size=256",
    ],
}
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 1
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30000
PLAYWRIGHT_ABORT_REQUEST = "atlas_crawler.crawl.browser.abort_heavy_resources"
ATLAS_MAP_LINK_SELECTOR = 'a[href*="codePays"]'  # the country links the map's script writes

# --- scheduled crawls: exit codes, safe output, run folders, progress, alerts -----
#: ``scrapy crawl`` from atlas_crawler/commands/crawl.py: Scrapy's own, plus an exit status
#: that says whether the run was complete (atlas_crawler/outcome.py), a lock, run folders.
COMMANDS_MODULE = "atlas_crawler.commands"
#: Local feeds (-o/-O) go to a temporary file moved into place when the run ends; a run
#: that scraped nothing leaves the previous file byte-identical (Scrapy's FileFeedStorage
#: would have emptied it at the start).
FEED_STORAGES = {
    "": "atlas_crawler.output.storage.AtomicFileFeedStorage",
    "file": "atlas_crawler.output.storage.AtomicFileFeedStorage",
}
ATLAS_RUNS_DIR = None  # e.g. output/runs: one folder per run, `latest`, changes.jsonl (make crawl sets it)
ATLAS_KEEP_RUNS = 10  # run folders kept under ATLAS_RUNS_DIR (0: all); the one `latest` points at is always kept
ATLAS_PROGRESS_INTERVAL = 60.0  # seconds between two progress lines (0: none)
#: One progress line a minute: pages, pending requests, records, lists done, time left.
EXTENSIONS["atlas_crawler.run.progress.Progress"] = 600
#: Alerts through Spidermon's own actions when a close monitor fails, off by default:
#: ATLAS_ALERTS = ["email"] (with the SPIDERMON_EMAIL_* and SPIDERMON_SMTP_* settings),
#: ["slack"] (SPIDERMON_SLACK_*; needs `pip install slack_sdk`), "telegram", "discord".
ATLAS_ALERTS: list[str] = []
#: Replaces the suite set above: the same close monitors (AtlasCloseMonitorSuite), plus
#: the actions ATLAS_ALERTS names.
SPIDERMON_SPIDER_CLOSE_MONITORS = ["atlas_crawler.run.alerts.AlertingCloseMonitorSuite"]

# --- archival dumps (atlas_crawler/archive; README "Archival dumps") -----------------
ATLAS_ARCHIVE = False  # True: every exchange to WARC, with an index, a WACZ package and a manifest
ATLAS_ARCHIVE_DIR = None  # default: <feed name>.archive/ beside the first local feed, else output/archive
ATLAS_WARC_MAX_SIZE = 1_000_000_000  # bytes: a new WARC file once the current one reaches 1 GB
#: Order 950: below (a higher number than) HttpCompressionMiddleware (590), so it records the
#: body as the server sent it, before decompression, with headers that still match it; below
#: the retry (550), soft-error (560), whole-page (570) and redirect (600) middlewares, so it
#: sees every attempt, every failed answer and every redirect hop; below the cookies (700) and
#: stats (850), so a request record holds the headers as sent. Above RequeueOnStop (990), which
#: must stay next to the download handler. Off (NotConfigured) unless ATLAS_ARCHIVE is set.
DOWNLOADER_MIDDLEWARES["atlas_crawler.archive.middleware.ArchiveMiddleware"] = 950

# --- data people can use at once: flat tables and the CSV feed (atlas_crawler/export) -----
#: Formats to export the JSON Lines feed to when the crawl ends ("csv", "parquet", "sqlite"),
#: into <feed name>.tables/<format>/ beside it (a run folder: tables/<format>/); [] = none.
#: Also `python -m atlas_crawler.export atlas.jsonl --to csv` at any time.
ATLAS_EXPORT: list[str] = []
#: Runs on engine_stopped, after every feed is closed and moved into place, and after the
#: report writer (530), which writes the doubts file the tables read; does nothing
#: (NotConfigured) while ATLAS_EXPORT is empty.
EXTENSIONS["atlas_crawler.output.export.extension.AutoExport"] = 900
#: `-o out.csv`: the projects with every schema field (header from the schema, lists as JSON
#: text); collectivities are left out, with a log line naming the export command.
FEED_EXPORTERS["csv"] = "atlas_crawler.output.feeds.ProjectCsvExporter"

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
ATLAS_REPORT_PATH = None  # default: beside the first local feed, else output/report.json
ATLAS_RETRY_AFTER_MAX = 120.0  # longest Retry-After wait honoured, seconds
ATLAS_MAP_TIMEOUT_MS = 20000  # how long the browser waits for the map's country links

# --- politeness: a public service on modest hardware -------------------------
USER_AGENT = f"atlas-crawler/{__version__} (research crawler of the CNCD atlas; contact: {{contact}})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 2
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
COOKIES_ENABLED = True  # the JSESSIONID cookie keeps ;jsessionid out of links
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"

# --- one request per page ------------------------------------------------------
REQUEST_FINGERPRINTER_CLASS = "atlas_crawler.fingerprint.CanonicalRequestFingerprinter"
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "atlas_crawler.middlewares.ContactUserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "atlas_crawler.middlewares.RetryAfterMiddleware": 550,
    "atlas_crawler.middlewares.SoftErrorMiddleware": 560,
}

# --- output -----------------------------------------------------------------
#: Scrapy starts this many asyncio tasks for every response's output; our pipelines are
#: synchronous, so 100 (the default) only costs: 16 makes a CPU-bound crawl ~25 % faster.
CONCURRENT_ITEMS = 16
ITEM_PIPELINES = {
    "atlas_crawler.pipelines.TemplateKeyCleanerPipeline": 100,
    "atlas_crawler.pipelines.DuplicatesPipeline": 200,
    "atlas_crawler.pipelines.SchemaValidationPipeline": 300,
}
FEED_EXPORTERS = {
    "jsonl": "atlas_crawler.exporters.JsonLinesExporter",
    "jsonlines": "atlas_crawler.exporters.JsonLinesExporter",
    "jl": "atlas_crawler.exporters.JsonLinesExporter",
}
FEED_EXPORT_ENCODING = "utf-8"

EXTENSIONS = {
    "spidermon.contrib.scrapy.extensions.Spidermon": 500,
    "atlas_crawler.report.RunReport": 510,
}
SPIDERMON_ENABLED = True
SPIDERMON_ADD_FIELD_COVERAGE = True
SPIDERMON_FIELD_COVERAGE_SKIP_NONE = True
SPIDERMON_FIELD_COVERAGE_SKIP_FALSY = False
SPIDERMON_FIELD_COVERAGE_SKIP_VALUES = [[], {}, ""]
SPIDERMON_SPIDER_CLOSE_MONITORS = ["atlas_crawler.monitors.AtlasCloseMonitorSuite"]
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
ATLAS_MAX_FAILED_PAGES = 0  # FailedPagesMonitor: pages failed after retries
ATLAS_MAX_INVALID_RECORDS = 0  # InvalidRecordsMonitor: records rejected by the schema
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

# --- the world map, rendered by a real browser (only requests marked for it) ---
DOWNLOAD_HANDLERS = {
    "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
}
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
PLAYWRIGHT_ABORT_REQUEST = "atlas_crawler.browser.abort_heavy_resources"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
ATLAS_MAP_LINK_SELECTOR = 'a[href*="codePays"]'  # the country links the map's script writes

"""Settings of atlas-crawler. Every ``ATLAS_*`` setting is documented in
docs/SETTINGS.md; standard Scrapy settings given with ``-s`` override these. The
crawl command also takes ``ATLAS_*`` from the environment (above these, below ``-s``)
and checks every value before it starts, typed by the defaults written here
(atlas_crawler/commands/checks.py): a default's type is the setting's type.

One policy for defaults: every ``ATLAS_*`` setting is defined here, once, with its
default, and the code that reads it never repeats that default. Each component
dict (``DOWNLOADER_MIDDLEWARES``, ``SPIDER_MIDDLEWARES``, ``EXTENSIONS``,
``ITEM_PIPELINES``, ``FEED_EXPORTERS``, ``FEED_STORAGES``) is written once, in the
section "the crawl's components", its entries in the order of their numbers; the
other sections say which entry serves them."""

from atlas_crawler import __version__, urls

BOT_NAME = "atlas_crawler"  # default "scrapybot": the project's name (logs, Scrapyd)
SPIDER_MODULES = ["atlas_crawler.spiders"]  # default []: where `scrapy crawl atlas` finds the spider
NEWSPIDER_MODULE = "atlas_crawler.spiders"  # default "": where `scrapy genspider` would put a new one
LOG_LEVEL = "INFO"  # default DEBUG: one line per request is too much for a 45,000-page crawl

# --- the atlas ----------------------------------------------------------------------
ATLAS_BASE_URL = urls.LIVE_BASE_URL  # where the atlas lives; the crawl never leaves it (crawl/scope.py)
ATLAS_HOME_PAGE = urls.HOME_PAGE  # accesAtlas.html: where the walk starts, relative to ATLAS_BASE_URL
#: Your e-mail address, put into USER_AGENT; left at this reminder, ContactCheck (EXTENSIONS 100)
#: warns at start.
ATLAS_CONTACT = "set ATLAS_CONTACT to your e-mail address"

# --- politeness: a public service on modest hardware ---------------------------------
#: Names the project and the operator: ``{contact}`` is filled from ATLAS_CONTACT by
#: ContactUserAgentMiddleware (DOWNLOADER_MIDDLEWARES, 500).
USER_AGENT = f"atlas-crawler/{__version__} (research crawler of the CNCD atlas; contact: {{contact}})"
ROBOTSTXT_OBEY = True  # Scrapy's default is False; read by AtlasRobotsTxtMiddleware (100)
ATLAS_ROBOTS_RETRY_TIMES = 2  # robots.txt retries on 5xx/timeouts before the crawl stops (robots_unavailable)
CONCURRENT_REQUESTS = 2  # default 16: two requests in flight at most, whatever the host
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # default 8
DOWNLOAD_DELAY = 0.5  # default 0: at least half a second between two requests
#: Default 0.5. DOWNLOAD_DELAY is a floor, never a mean: Scrapy's default jitter (±50 %) drew
#: gaps down to half of it, also under AutoThrottle (its delays never go below DOWNLOAD_DELAY,
#: the jitter did). DelayFloor (EXTENSIONS, 100) warns when it is above 0.
DOWNLOAD_DELAY_JITTER = 0.0
#: Slots wait 10 % more than DOWNLOAD_DELAY or Crawl-delay (DelayFloor, EXTENSIONS 100): a busy event loop
#: sends some requests late, and the site must never see a shorter gap.
ATLAS_DELAY_MARGIN = 0.1
#: Longest robots.txt Crawl-delay honoured, seconds (DelayFloor, EXTENSIONS 100; a longer one is
#: cut to it, with a warning in the report). At 60 s the atlas's ~45,000 pages take a month, as
#: long as a monthly run can take; a longer ask (86400: one page a day) is no crawl at all.
ATLAS_CRAWL_DELAY_MAX = 60.0
AUTOTHROTTLE_ENABLED = True  # default False: slows down further when the site answers slowly
AUTOTHROTTLE_START_DELAY = 1.0  # default 5: the first requests need not wait that long
AUTOTHROTTLE_MAX_DELAY = 30.0  # default 60: a day-long crawl should not stall for a minute per page
DOWNLOAD_TIMEOUT = 60  # default 180: a page that takes a minute has failed; it is retried
#: Default 1 GiB: a page of the atlas weighs 10-50 KB (the replica's biggest 13 KB, the live
#: seed page 36 KB). A bigger answer, as sent or once decompressed, fails its page by name
#: (AnswerLimitsMiddleware, 590). Scrapy decodes 64 KiB at a time and stops at the limit, so
#: a gzip, deflate, br or zstd bomb costs a few MB, not gigabytes (five 1.2 GiB bombs in one
#: crawl: 187 MiB peak RSS with 8 MiB, 4.2 GiB with the default; tests/test_bounded_answers.py).
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 1024 * 1024  # default 32 MiB: a page 20 times the biggest seen is worth a warning
RETRY_TIMES = 3  # default 2: the atlas answers 500/503 now and then; a fourth try usually works
#: Longest Retry-After honoured, seconds (RetryAfterMiddleware, 550): the whole atlas waits that
#: long (a maintenance hour), the run is not ended meanwhile; a longer ask fails its page.
ATLAS_RETRY_AFTER_MAX = 3600.0
COOKIES_ENABLED = True  # Scrapy's default, kept on purpose: the JSESSIONID cookie keeps ;jsessionid out of links
TELNETCONSOLE_ENABLED = False  # default on: no listening port for a crawler that runs unattended
#: Default on since Scrapy 2.19: an HTTP server on a local port that runs any Python code sent
#: with its token, and a token file per run in ~/.local/state/scrapy that killed runs leave behind.
REMOTE_CONTROL_ENABLED = False
#: After SIGTERM/Ctrl-C, requests in flight get this long, then are cancelled (GracefulStop,
#: EXTENSIONS 100) and handed back to the scheduler (RequeueOnStop, DOWNLOADER_MIDDLEWARES 990).
ATLAS_STOP_GRACE_SECONDS = 5.0

# --- the crawl's components ----------------------------------------------------------
#: Default Scrapy's own. One fingerprint per canonical address: ;jsessionid, parameter
#: order and tracking never make two requests.
REQUEST_FINGERPRINTER_CLASS = "atlas_crawler.crawl.fingerprint.CanonicalRequestFingerprinter"
#: Default scrapy.core.scheduler.Scheduler, which this is, but under JOBDIR with memory queues
#: only and a duplicate filter fed from JOBDIR/ledger.sqlite (Scrapy's disk queue and
#: requests.seen survive clean stops only). See "a JOBDIR job" below.
SCHEDULER = "atlas_crawler.run.ledger.LedgerScheduler"

#: A request goes through these in increasing order, a response in decreasing order.
#: Scrapy's own at their places (DOWNLOADER_MIDDLEWARES_BASE): offsite 50, robots.txt 100,
#: auth 300, timeout 350, default headers 400, User-Agent 500, retry 550, meta refresh 580,
#: decompression 590, redirect 600, cookies 700, proxy 750, stats 850, cache 900. A replaced
#: one is turned off (None) beside the project's own, which takes its place.
DOWNLOADER_MIDDLEWARES = {
    # Never off the atlas (atlas_crawler/crawl/scope.py): requests are checked before any other
    # middleware, Scrapy's RobotsTxtMiddleware (100) included, which would otherwise fetch
    # the robots.txt of whatever host a request names.
    "atlas_crawler.crawl.scope.ScopeMiddleware": 40,
    # robots.txt as RFC 9309 reads it, at Scrapy's own place: 5xx or timeout stops the crawl
    # (retried ATLAS_ROBOTS_RETRY_TIMES first), 4xx allows all. Replaces Scrapy's.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "atlas_crawler.crawl.robots.AtlasRobotsTxtMiddleware": 100,
    # USER_AGENT with {contact} filled from ATLAS_CONTACT, at Scrapy's own place. Replaces Scrapy's.
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "atlas_crawler.crawl.politeness.ContactUserAgentMiddleware": 500,
    # Scrapy's retry, at its own place, but a 429/503 with Retry-After pauses every request to
    # the atlas that long (at most ATLAS_RETRY_AFTER_MAX; a longer ask fails the page).
    # Replaces Scrapy's. It sees a response after the soft-error (560) and whole-page (570) checks.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "atlas_crawler.crawl.politeness.RetryAfterMiddleware": 550,
    # A 200 page that says it failed ("Erreur technique", maintenance) is retried like a 500,
    # then failed, never parsed: after the whole-page check (570), before the retries (550).
    "atlas_crawler.crawl.softerrors.SoftErrorMiddleware": 560,
    # Whole pages only: sees a response after decompression (590) and before the soft-error
    # check (560) and the retries (550), so a cut page is retried, never judged or parsed.
    "atlas_crawler.crawl.wholepage.WholePageMiddleware": 570,
    # Every redirect hop checked against the scope, at Scrapy's own places: 3xx (600) before
    # decompression (590), meta refresh (580) after it, as it reads the body. Both replace Scrapy's.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "atlas_crawler.crawl.scope.ScopedMetaRefreshMiddleware": 580,
    # Decompression within DOWNLOAD_MAXSIZE, at Scrapy's own place (590), failing by name an
    # answer too large (as sent or decoded) or in a Content-Encoding it cannot undo, before the
    # meta refresh (580) and whole-page (570) checks read the body. Replaces Scrapy's.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "atlas_crawler.crawl.answers.AnswerLimitsMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "atlas_crawler.crawl.scope.ScopedRedirectMiddleware": 600,
    # Scrapy's cookies at their own place, but the public-suffix check reads tldextract's bundled
    # list: Scrapy's would download it from two hosts other than the atlas. Replaces Scrapy's.
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "atlas_crawler.crawl.cookies.OfflineCookiesMiddleware": 700,
    # Archival dumps (atlas_crawler/archive; off, NotConfigured, unless ATLAS_ARCHIVE is set).
    # 950: below (a higher number than) the decompression (590, AnswerLimitsMiddleware), so it records the
    # body as the server sent it, before decompression, with headers that still match it;
    # below the retry (550), soft-error (560), whole-page (570) and redirect (600)
    # middlewares, so it sees every attempt, every failed answer and every redirect hop;
    # below the cookies (700) and stats (850), so a request record holds the headers as sent.
    # Above RequeueOnStop (990), which must stay next to the download handler.
    "atlas_crawler.archive.middleware.ArchiveMiddleware": 950,
    # Next to the download handler, so it sees first a download cancelled by a forced stop
    # (GracefulStop) and hands the request back to the scheduler, before the retries or the
    # spider's errback see it.
    "atlas_crawler.crawl.stopping.RequeueOnStop": 990,
}

#: The spider's output goes through these in decreasing order (the highest number is
#: closest to the spider). Scrapy's own (SPIDER_MIDDLEWARES_BASE): start 25, HTTP errors 50,
#: referer 700, URL length 800, depth 900, meta copy detection 1000.
SPIDER_MIDDLEWARES = {
    # A JOBDIR job (atlas_crawler/run/ledger.py): marks a page done in the ledger once its
    # output is consumed; a resumed job starts from it. Outermost (10, before
    # StartSpiderMiddleware's 25), so it sees the output every other middleware let through.
    "atlas_crawler.run.ledger.LedgerMiddleware": 10,
    # Limits on traps (atlas_crawler/crawl/limits.py). Closer to the spider than Scrapy's
    # UrlLengthMiddleware (800), so that a long URL is stopped here, with a warning in the
    # report, instead of silently.
    "atlas_crawler.crawl.limits.TrapLimitsMiddleware": 850,
    # Every record page ends written, failed or skipped (atlas_crawler/run/accounting.py).
    # 900, closer to the spider than every middleware that drops or handles anything
    # (Scrapy's MetaCopyDetection, 1000, does neither): it notes every link to a record
    # page before the trap limits drop any, and fails the page of a callback that raised
    # before any other middleware sees the error.
    "atlas_crawler.run.accounting.PageAccounting": 900,
}

#: Built in increasing order; of equal numbers, in the order written. Signal handlers run in
#: the order the extensions connected them.
EXTENSIONS = {
    "atlas_crawler.crawl.politeness.ContactCheck": 100,  # a warning at start when ATLAS_CONTACT is unset
    "atlas_crawler.crawl.stopping.GracefulStop": 100,  # a stop within ATLAS_STOP_GRACE_SECONDS + a second or two
    # DOWNLOAD_DELAY, or robots.txt's Crawl-delay when longer, as the site sees it (see ATLAS_DELAY_MARGIN)
    "atlas_crawler.crawl.politeness.DelayFloor": 100,
    # Spidermon: the close monitors (SPIDERMON_SPIDER_CLOSE_MONITORS) and field coverage.
    "spidermon.contrib.scrapy.extensions.Spidermon": 500,
    # The run report's components (atlas_crawler/run/report). The writer writes the report
    # and the doubts file when the spider closes and the engine stops, after Spidermon's close
    # monitors, so the order of these three after Spidermon (500) does not matter.
    "atlas_crawler.run.collector.RunCollector": 510,  # collects the run from signals into the run state
    "atlas_crawler.run.jobstate.JobState": 520,  # carries that state across the runs of a JOBDIR job
    "atlas_crawler.run.report.writer.ReportWriter": 530,  # builds and writes the report (off: ATLAS_REPORT_ENABLED)
    # One progress line every ATLAS_PROGRESS_INTERVAL: pages, pending requests, records, lists
    # done, time left.
    "atlas_crawler.run.progress.Progress": 600,
    # Exports the feed to tables (ATLAS_EXPORT; NotConfigured while it is empty). Runs on
    # engine_stopped, after every feed is closed and moved into place, and after the report
    # writer (530), which writes the doubts file the tables read.
    "atlas_crawler.output.export.extension.AutoExport": 900,
}

#: In increasing order.
ITEM_PIPELINES = {
    # First: item["doubts"] is no field of the record; off before the cleaner, the duplicate
    # check, the validation (the schema rejects unknown keys) and the feed see the record.
    "atlas_crawler.output.pipelines.DoubtsPipeline": 50,
    # Unresolved template keys (???menu.atlas.libelle???) never reach a record: cleaned before
    # the validation (300) judges the record the feed gets.
    "atlas_crawler.output.pipelines.TemplateKeyCleanerPipeline": 100,
    # One record per (type, kind, id): dropped before it is counted (250) or validated (300).
    "atlas_crawler.output.pipelines.DuplicatesPipeline": 200,
    # Counts, per field, the values no reader could read; after the duplicate check (200), so
    # it counts only duplicates-free records.
    "atlas_crawler.output.pipelines.UnreadableValuesPipeline": 250,
    # Last: each record against its schema, as the feed will get it.
    "atlas_crawler.output.pipelines.SchemaValidationPipeline": 300,
}

#: By format (-o file.<format> or FEEDS' "format"); the others stay Scrapy's own.
FEED_EXPORTERS = {
    # JSON Lines through the jsonlines package: UTF-8, not \u-escaped, one record per line,
    # keys in schema order. The three spellings Scrapy accepts for the format.
    "jsonl": "atlas_crawler.output.feeds.JsonLinesExporter",
    "jsonlines": "atlas_crawler.output.feeds.JsonLinesExporter",
    "jl": "atlas_crawler.output.feeds.JsonLinesExporter",
    # `-o out.csv`: the projects with every schema field (header from the schema, lists as JSON
    # text); collectivities are left out, with a log line naming the export command.
    "csv": "atlas_crawler.output.feeds.ProjectCsvExporter",
}

#: By URI scheme. Local feeds (-o/-O) go to a temporary file moved into place when the run
#: ends, -o included (the target's bytes and the run's, built in a copy); a run that scraped
#: nothing leaves the previous file byte-identical (Scrapy's FileFeedStorage would have
#: emptied it at the start). Under JOBDIR the records go line by line into a working copy in
#: JOBDIR, published to the feed at the end of each run.
FEED_STORAGES = {
    "": "atlas_crawler.output.storage.AtomicFileFeedStorage",  # a plain path
    "file": "atlas_crawler.output.storage.AtomicFileFeedStorage",  # a file:// URI
}

# --- limits on traps (TrapLimitsMiddleware, SPIDER_MIDDLEWARES 850) ---------------------
# Each limit is derived from what the site says where it can be (announced counts,
# rows on a page, a pager's last page); these settings stand in where it says nothing.
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

# --- a JOBDIR job that survives kill -9 (atlas_crawler/run/ledger.py) -----------------
# Its components: SCHEDULER (LedgerScheduler) and LedgerMiddleware (SPIDER_MIDDLEWARES 10)
# above, JobState (EXTENSIONS 520).
ATLAS_JOB_STATE_INTERVAL = 10.0  # seconds between two saves of the report's state in the ledger

# --- output ----------------------------------------------------------------------------
# Its components: ITEM_PIPELINES, FEED_EXPORTERS and FEED_STORAGES above.
#: Default 100. Scrapy starts this many asyncio tasks for every response's output; our
#: pipelines are synchronous, so 100 only costs: 16 makes a CPU-bound crawl ~25 % faster.
CONCURRENT_ITEMS = 16
#: Default None (Scrapy's JSON exporters escape to ASCII): UTF-8 for every feed, the CSV one
#: included (ProjectCsvExporter takes its encoding from here).
FEED_EXPORT_ENCODING = "utf-8"

# --- monitors and reports ----------------------------------------------------------------
ATLAS_REPORT_ENABLED = True  # the run report (off for `scrapy parse`, which must not overwrite a crawl's)
ATLAS_REPORT_PATH = None  # default: beside the first local feed, else output/report.json
#: Set by the crawl command for each run (never by hand): the report writer copies it into the
#: report, so the command knows the report it reads is this run's without comparing clocks.
ATLAS_RUN_TOKEN = None
SPIDERMON_ENABLED = True  # default False: the Spidermon extension (EXTENSIONS 500) does nothing without it
#: Default False: field_coverage stats, which FieldCoverageMonitor and the report read.
SPIDERMON_ADD_FIELD_COVERAGE = True
SPIDERMON_FIELD_COVERAGE_SKIP_NONE = True  # default False: a field set to None was not found
SPIDERMON_FIELD_COVERAGE_SKIP_FALSY = False  # default True: 0 and False are values found
#: Default also skips "N/A" and "-": only empty values count as not found.
SPIDERMON_FIELD_COVERAGE_SKIP_VALUES = [[], {}, ""]
#: Default none. The close monitors (AtlasCloseMonitorSuite: finish reason, failed pages,
#: invalid and doubted records, field coverage), plus the alerts ATLAS_ALERTS names
#: (see "scheduled runs").
SPIDERMON_SPIDER_CLOSE_MONITORS = ["atlas_crawler.run.alerts.AlertingCloseMonitorSuite"]
#: Spidermon's own default, written out: FinishReasonMonitor fails any other finish reason.
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
# Pages the site itself refuses (its error page on every retry, 404/410 for a listed page)
# that a run may have and still be complete, "with known gaps" (exit 0, latest moves, the
# changes say those records are unknown): ATLAS_MAX_FAILED_PAGES, or ATLAS_MAX_FAILED_SHARE
# of the record pages linked, whichever allows more. The live site keeps pages broken on its
# side for months: the replica models it, one project in 97 (about 0.4 % of record pages), so
# 1 % leaves room, and 10 covers small runs. Any other failure (network, 5xx, an answer that is
# not the page) and anything over the tolerance make the run incomplete (FailedPagesMonitor).
ATLAS_MAX_FAILED_PAGES = 10
ATLAS_MAX_FAILED_SHARE = 0.01
ATLAS_MAX_INVALID_RECORDS = 0  # InvalidRecordsMonitor: records rejected by the schema
ATLAS_MAX_DOUBTED_RECORDS = 0  # DoubtedRecordsMonitor: records written with doubts (docs/OUTPUT.md "Doubts")
#: Learnt boilerplate: a text unclaimed on this share of the written records of a type is page
#: chrome, not a doubt, once the type has ATLAS_BOILERPLATE_MIN_RECORDS written records.
ATLAS_BOILERPLATE_SHARE = 0.5
ATLAS_BOILERPLATE_MIN_RECORDS = 20
#: Default none. FieldCoverageMonitor: share of records on which a field must be found. Fields
#: that pages may legitimately lack are not listed; field_coverage in the report has them all.
SPIDERMON_FIELD_COVERAGE_RULES = {
    "ProjectItem/id": 1.0,
    "ProjectItem/url": 1.0,
    "ProjectItem/title": 0.95,
    "ProjectItem/theme": 0.5,
    "ProjectItem/foreign_partners": 0.5,
    "CollectivityItem/id": 1.0,
    "CollectivityItem/name": 0.95,
}

# --- the world map, rendered by a real browser (only with -a entry=map) ---------------
# The spider installs scrapy-playwright's download handlers itself for entry=map
# (atlas_crawler.crawl.browser.with_browser); every other run, `scrapy shell` and
# `scrapy parse` included, keeps Scrapy's own handlers and starts no browser.
PLAYWRIGHT_BROWSER_TYPE = "chromium"  # scrapy-playwright's default, written out: the browser below is Chromium
#: Default: Playwright's own browser. Debian's Chromium, headless, light (no GPU, no
#: background traffic, no extensions), its V8 heap capped at 256 MB. With entry=map the spider
#: adds --host-resolver-rules: no name resolved but ATLAS_BASE_URL's host (crawl/browser.py).
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
PLAYWRIGHT_MAX_CONTEXTS = 1  # default unlimited: one context renders the one map page
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 1  # default CONCURRENT_REQUESTS: one page at a time
#: Default Playwright's own (30 s), written out: a page being rendered is bounded by it
#: (GracefulStop cannot cancel it).
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30000
#: Default none: images, media, fonts and styles are not fetched (lighter browser, site unbothered).
PLAYWRIGHT_ABORT_REQUEST = "atlas_crawler.crawl.browser.abort_heavy_resources"
ATLAS_MAP_TIMEOUT_MS = 20000  # how long the browser waits for the map's country links
ATLAS_MAP_LINK_SELECTOR = 'a[href*="codePays"]'  # the country links the map's script writes

# --- scheduled runs: exit codes, safe output, run folders, progress, alerts -------------
#: Default none. ``scrapy crawl`` from atlas_crawler/commands/crawl.py: Scrapy's own, plus an
#: exit status that says whether the run was complete (atlas_crawler/outcome.py), a lock,
#: run folders. (Safe output: FEED_STORAGES above.)
COMMANDS_MODULE = "atlas_crawler.commands"
ATLAS_RUNS_DIR = None  # e.g. output/runs: one folder per run, `latest`, changes.jsonl (make crawl sets it)
ATLAS_KEEP_RUNS = 10  # run folders kept under ATLAS_RUNS_DIR (0: all); the one `latest` points at is always kept
#: Default off: True adds each run to ATLAS_RUNS_DIR/history.sqlite (every version of every
#: record, atlas_crawler/history; docs/HISTORY.md) before old run folders are pruned, so a
#: pruned run stays in the history. Off by default: it is a store that grows with the atlas's changes.
ATLAS_HISTORY = False
ATLAS_PROGRESS_INTERVAL = 60.0  # seconds between two progress lines (0: none; Progress, EXTENSIONS 600)
#: Alerts through Spidermon's own actions when a close monitor fails (AlertingCloseMonitorSuite,
#: SPIDERMON_SPIDER_CLOSE_MONITORS), off by default: ATLAS_ALERTS = ["email"] (with the
#: SPIDERMON_EMAIL_* and SPIDERMON_SMTP_* settings), ["slack"] (SPIDERMON_SLACK_*; needs
#: `pip install slack_sdk`), "telegram", "discord".
ATLAS_ALERTS: list[str] = []

# --- archival dumps (atlas_crawler/archive; docs/ARCHIVES.md) ---------------------------
# Its component: ArchiveMiddleware (DOWNLOADER_MIDDLEWARES 950; the comment there says why 950).
ATLAS_ARCHIVE = False  # True: every exchange to WARC, with an index, a WACZ package and a manifest
ATLAS_ARCHIVE_DIR = None  # default: <feed name>.archive/ beside the first local feed, else output/archive
ATLAS_WARC_MAX_SIZE = 1_000_000_000  # bytes: a new WARC file once the current one reaches 1 GB

# --- export: data people can use at once (atlas_crawler/output/export) -----------------
# Its components: AutoExport (EXTENSIONS 900) and the CSV feed (FEED_EXPORTERS "csv").
#: Formats to export the JSON Lines feed to when the crawl ends ("csv", "parquet", "sqlite"),
#: into <feed name>.tables/<format>/ beside it (a run folder: tables/<format>/); [] = none.
#: Also `python -m atlas_crawler.export atlas.jsonl --to csv` at any time.
ATLAS_EXPORT: list[str] = []
#: The data's reuse terms, written into every datapackage.json (`licenses`). The atlas is
#: French public sector information (CRPA livre III); we found no licence stated for it, so
#: this is the licence décret 2017-638 (art. D323-2-1 CRPA) lists first for the State's
#: information: Etalab's Licence Ouverte 2.0. Correct it here (or as JSON in the
#: environment) if the ministry publishes other terms. docs/CITING.md.
ATLAS_DATA_LICENSE = {
    "name": "etalab-2.0",  # its SPDX identifier
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "title": "Licence Ouverte / Open Licence 2.0 (Etalab)",
}
#: Where the data comes from and who publishes it (`sources`, `contributors` of every data
#: package). No "path": the address the records were crawled from.
ATLAS_DATA_SOURCE = {
    "title": "Atlas français de la coopération décentralisée et des autres actions extérieures",
    "publisher": (
        "Ministère de l'Europe et des Affaires étrangères, Commission nationale de la coopération décentralisée (CNCD)"
    ),
}

"""``python -m atlas_crawler.report_html`` (a run report's HTML view): the name the README and older
scripts use for ``python -m atlas_crawler.run.report.html``."""

import sys

from atlas_crawler.run.report.html import main

if __name__ == "__main__":
    sys.exit(main())

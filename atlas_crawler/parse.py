"""``python -m atlas_crawler.parse`` (parse one saved page offline): the name the README and older
scripts use for ``python -m atlas_crawler.pages.saved``."""

import sys

from atlas_crawler.pages.saved import main

if __name__ == "__main__":
    sys.exit(main())

"""``python -m atlas_crawler.export`` (flat tables from a JSON Lines file): the name the README and older
scripts use for ``python -m atlas_crawler.output.export.cli``."""

import sys

from atlas_crawler.output.export.cli import main

if __name__ == "__main__":
    sys.exit(main())

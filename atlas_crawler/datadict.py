"""``python -m atlas_crawler.datadict`` (rewrite docs/DATA.md): the name the README and older
scripts use for ``python -m atlas_crawler.output.datadict``."""

import sys

from atlas_crawler.output.datadict import main

if __name__ == "__main__":
    sys.exit(main())

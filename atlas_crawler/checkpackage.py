"""``python -m atlas_crawler.checkpackage TABLES_DIR…``: check any format's data package
(the name for ``python -m atlas_crawler.output.export.datapackage``)."""

import sys

from atlas_crawler.output.export.datapackage import main

if __name__ == "__main__":
    sys.exit(main())

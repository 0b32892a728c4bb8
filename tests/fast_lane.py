"""The fast lane's pytest plugin: ``make test-fast`` runs ``pytest -p tests.fast_lane``.

It registers the Hypothesis profile ``fast`` and chooses it (unless
``HYPOTHESIS_PROFILE`` names another), so that the parser's property tests
(``tests/test_parse_properties.py``) generate 50 pages each instead of the 400 of
``make test`` (profile ``ci``) or the 5,000 of ``make fuzz`` (``bench``): every test
still runs, the lane stays under a minute. Loaded before collection, so the test
module finds the profile when it reads it."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

FAST_EXAMPLES = 50

# As the other profiles: deadline off (a page's first parse pays for imports and caches),
# too_slow and data_too_large off (the generated pages are big by design).
settings.register_profile(
    "fast",
    max_examples=FAST_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
os.environ.setdefault("HYPOTHESIS_PROFILE", "fast")

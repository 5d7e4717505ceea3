"""Importing this module registers Airlock's built-in detector families.

Each family lives in its own module and registers itself with
:func:`airlock.detectors.registry.register`; add one import line here per family.
"""

from __future__ import annotations

import airlock.detectors.content.blocklist
import airlock.detectors.content.harm
import airlock.detectors.content.injection
import airlock.detectors.content.prohibited
import airlock.detectors.content.tc260
import airlock.detectors.custom_terms
import airlock.detectors.markings
import airlock.detectors.pii
import airlock.detectors.secrets
import airlock.guard.cascade  # noqa: F401  (registers the 'guard' settings key)

"""Importing this module registers Airlock's built-in detector families.

Each family lives in its own module and registers itself with
:func:`airlock.detectors.registry.register`; add one import line here per family.
"""

from __future__ import annotations

import airlock.detectors.custom_terms
import airlock.detectors.markings
import airlock.detectors.pii
import airlock.detectors.secrets  # noqa: F401

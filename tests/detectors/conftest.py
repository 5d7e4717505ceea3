from __future__ import annotations

import pytest

from airlock.detectors.backends import available_backends

BACKENDS = available_backends()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every test that takes ``backend`` runs once per matching backend."""
    return str(request.param)

"""The public API is a curated list; changing it is a deliberate act."""

from __future__ import annotations

import airlock


def test_public_api_is_pinned() -> None:
    assert sorted(airlock.__all__) == sorted([
        "AirlockError",
        "Config",
        "Finding",
        "Scanner",
        "Stage",
        "load_config",
    ])
    for name in airlock.__all__:
        assert hasattr(airlock, name)

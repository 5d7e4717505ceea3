"""Run the ``core`` suite against a slow scripted target; killed mid-run by test_runner."""

from __future__ import annotations

import asyncio
import sys

from airlock.evals.catalog import load_suite
from airlock.evals.judges import Panel
from airlock.evals.runner import RunSettings, run_suite
from airlock.evals.store import ResultStore
from tests.evals.factories import ScriptedTarget, refuse_all


async def main(store_path: str, delay: float) -> None:
    target = ScriptedTarget(refuse_all, label="slow", delay=delay)
    with ResultStore(store_path) as store:
        await run_suite(
            load_suite("core"),
            target,
            store=store,
            panel=Panel(),
            settings=RunSettings(concurrency=3),
            config_revision="rev",
            model="slow",
            wire_model="slow",
        )
    print("calls", len(target.calls))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))

"""Rate limits: in process, and shared in real Redis across 'replicas' (skips without Redis)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airlock.ratelimit import InProcessRateLimiter


def test_token_buckets_in_process() -> None:
    now = [0.0]
    rl = InProcessRateLimiter(clock=lambda: now[0])

    async def go() -> None:
        for _ in range(3):
            assert (await rl.acquire("t", 3, None, 0)).allowed
        d = await rl.acquire("t", 3, None, 0)
        assert not d.allowed and d.limit == "rpm" and d.retry_after == pytest.approx(20.0)
        now[0] = 20.0
        assert (await rl.acquire("t", 3, None, 0)).allowed
        # tokens: charge the estimate, refund what was not used
        assert (await rl.acquire("u", None, 1000, 900)).allowed
        assert not (await rl.acquire("u", None, 1000, 200)).allowed
        await rl.settle("u", 1000, -500)
        d = await rl.acquire("u", None, 1000, 200)
        assert d.allowed and d.remaining_tokens == 400
        # a single request larger than the budget fits only when the bucket is full
        assert (await rl.acquire("v", None, 100, 5000)).allowed

    asyncio.run(go())


@pytest.fixture
def redis_factory() -> Iterator[Callable[[], Any]]:
    url = os.environ.get("AIRLOCK_TEST_REDIS_URL")
    if not url:
        pytest.skip("Redis tests need AIRLOCK_TEST_REDIS_URL (set by .ci/run); no server configured")
    import redis

    from airlock.ratelimit_redis import RedisRateLimiter

    prefix = f"airlock-test:{uuid.uuid4().hex}"
    yield lambda: RedisRateLimiter(url, prefix=prefix)
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_redis_limits_are_shared_and_exact(redis_factory: Callable[[], Any]) -> None:
    async def go() -> None:
        replicas = [redis_factory(), redis_factory()]
        try:
            results = await asyncio.gather(*(
                replicas[i % 2].acquire("acme", 25, None, 0) for i in range(60)
            ))
            assert sum(r.allowed for r in results) == 25
            refused = [r for r in results if not r.allowed]
            assert all(r.limit == "rpm" and 0 < r.retry_after <= 2.5 for r in refused)
            assert (await replicas[0].acquire("other-tenant", 25, None, 0)).allowed
            # tokens with settlement
            assert (await replicas[0].acquire("tok", None, 1000, 900)).allowed
            assert not (await replicas[1].acquire("tok", None, 1000, 200)).allowed
            await replicas[1].settle("tok", 1000, -600)
            assert (await replicas[0].acquire("tok", None, 1000, 200)).allowed
        finally:
            for r in replicas:
                await r.aclose()

    asyncio.run(go())


def test_redis_unreachable_fails_closed() -> None:
    from airlock.errors import ServiceUnavailableError
    from airlock.ratelimit_redis import RedisRateLimiter

    async def go() -> None:
        rl = RedisRateLimiter("redis://127.0.0.1:9/0")
        try:
            with pytest.raises(ServiceUnavailableError) as err:
                await rl.acquire("t", 10, None, 0)
            assert err.value.code == "ratelimit_unavailable"
        finally:
            await rl.aclose()

    asyncio.run(go())

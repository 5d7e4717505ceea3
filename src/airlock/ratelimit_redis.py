"""Per-tenant limits shared by several gateway replicas, in Redis.

The same token buckets as :class:`~airlock.ratelimit.InProcessRateLimiter`, kept in one Redis
hash per tenant and limit, and updated by a Lua script so each check-and-take is atomic (no
read-modify-write race between replicas). The script reads Redis's own clock (``TIME``), so
clock skew between replicas does not matter.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

from airlock.errors import ServiceUnavailableError
from airlock.ratelimit import LimitDecision

__all__ = ["RedisRateLimiter"]

# KEYS[1] rpm hash, KEYS[2] tpm hash; ARGV: rpm capacity (0 = none), tpm capacity (0 = none), tokens
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function level(key, cap)
  local v = redis.call('HMGET', key, 'level', 'stamp')
  local lv = tonumber(v[1]) or cap
  local st = tonumber(v[2]) or now
  if now > st then lv = math.min(cap, lv + (now - st) * cap / 60.0) end
  return lv
end
local rpm = tonumber(ARGV[1]); local tpm = tonumber(ARGV[2]); local tokens = tonumber(ARGV[3])
local rl = -1; local tl = -1
if rpm > 0 then
  rl = level(KEYS[1], rpm)
  if rl < 1 then return {0, 1, tostring((1 - rl) * 60.0 / rpm), '-1', '-1'} end
end
if tpm > 0 then
  tl = level(KEYS[2], tpm)
  local need = math.min(tokens, tpm)
  if tl < need then return {0, 2, tostring((need - tl) * 60.0 / tpm), '-1', '-1'} end
  tl = tl - need
  redis.call('HSET', KEYS[2], 'level', tostring(tl), 'stamp', tostring(now))
  redis.call('EXPIRE', KEYS[2], 120)
end
if rpm > 0 then
  rl = rl - 1
  redis.call('HSET', KEYS[1], 'level', tostring(rl), 'stamp', tostring(now))
  redis.call('EXPIRE', KEYS[1], 120)
end
return {1, 0, '0', tostring(rl), tostring(tl)}
"""

# KEYS[1] tpm hash; ARGV: capacity, delta (positive = charge more, negative = refund)
_SETTLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cap = tonumber(ARGV[1]); local delta = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'level', 'stamp')
local lv = tonumber(v[1]) or cap
local st = tonumber(v[2]) or now
if now > st then lv = math.min(cap, lv + (now - st) * cap / 60.0) end
lv = math.min(cap, lv - delta)
redis.call('HSET', KEYS[1], 'level', tostring(lv), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], 120)
return 1
"""


class RedisRateLimiter:
    def __init__(self, url: str, *, prefix: str = "airlock:rl") -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError:
            raise ServiceUnavailableError("the Redis rate limiter needs the 'redis' package") from None
        self._client: Any = aioredis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._prefix = prefix
        self._acquire = self._client.register_script(_ACQUIRE)
        self._settle = self._client.register_script(_SETTLE)

    def _keys(self, tenant: str) -> list[str]:
        return [f"{self._prefix}:{tenant}:rpm", f"{self._prefix}:{tenant}:tpm"]

    async def acquire(self, tenant: str, rpm: int | None, tpm: int | None, tokens: int) -> LimitDecision:
        if rpm is None and tpm is None:
            return LimitDecision(True)
        try:
            ok, which, wait, rl, tl = await self._acquire(keys=self._keys(tenant), args=[rpm or 0, tpm or 0, tokens])
        except Exception as exc:  # redis errors and timeouts: fail closed
            raise ServiceUnavailableError(
                f"The rate limiter is unavailable ({type(exc).__name__}); refused (fail closed).",
                code="ratelimit_unavailable",
            ) from None
        if not int(ok):
            return LimitDecision(False, "rpm" if int(which) == 1 else "tpm", max(float(wait), 0.001))
        rl_f, tl_f = float(rl), float(tl)
        return LimitDecision(
            True,
            remaining_requests=math.floor(rl_f) if rl_f >= 0 else None,
            remaining_tokens=math.floor(tl_f) if tl_f >= 0 else None,
        )

    async def settle(self, tenant: str, tpm: int | None, delta_tokens: int) -> None:
        if not tpm or delta_tokens == 0:
            return
        # a missed correction only affects the next minute's budget
        with contextlib.suppress(Exception):
            await self._settle(keys=[self._keys(tenant)[1]], args=[tpm, delta_tokens])

    async def aclose(self) -> None:
        await self._client.aclose()

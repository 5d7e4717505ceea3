"""A small, bounded HTTP/1.1 load generator (keep-alive, fixed request count and concurrency).

Bounded by design: it sends exactly ``total`` requests over ``concurrency`` connections to a
127.0.0.1 address and stops, or gives up after ``deadline`` seconds.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q * len(data)))]

    def summary(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.pct(0.50), 3),
            "p90_ms": round(self.pct(0.90), 3),
            "p99_ms": round(self.pct(0.99), 3),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 3) if self.latencies_ms else float("nan"),
        }


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    i = lower.find(b"content-length:")
    if i < 0:
        raise RuntimeError("benchmark load generator needs content-length responses")
    length = int(lower[i + 15 :].split(b"\r\n", 1)[0])
    await reader.readexactly(length)
    return status


async def run_load(
    host: str, port: int, path: str, body: bytes, headers: dict[str, str], *, total: int, concurrency: int,
    deadline: float = 120.0,
) -> LoadResult:
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("load tests only target this machine")
    head = f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-type: application/json\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"content-length: {len(body)}\r\n\r\n"
    request = head.encode() + body
    remaining = [total]
    latencies: list[float] = []
    errors = [0]
    stop_at = time.perf_counter() + deadline

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while remaining[0] > 0 and time.perf_counter() < stop_at:
                remaining[0] -= 1
                t0 = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                latencies.append((time.perf_counter() - t0) * 1000.0)
                if status != 200:
                    errors[0] += 1
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(len(latencies), errors[0], time.perf_counter() - t0, latencies)

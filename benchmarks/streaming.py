"""What streaming output moderation costs: added time to first token and added delay per chunk.

    .venv/bin/python benchmarks/streaming.py [--streams 200] [--chunks 200] [--window 256]

A streaming stub upstream on 127.0.0.1 sends ``--chunks`` word chunks (English and Chinese
text, one phone number per stream so the detectors have something to find) as fast as it can.
The same streams are read directly, through Airlock with no detectors, and through Airlock with
the default detector set and the default packs (every chunk scanned with a look-behind window of
``--window`` characters before release). Reported: time to first content token (p50/p99) and
the added time per chunk, (stream time through Airlock - direct) / chunks. Writes
benchmarks/results/streaming.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from overhead import free_port, machine, wait_http

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
WORDS = (
    "The quarterly report shows steady growth in the eastern region, 客户 满意度 持续 提升 ，"
    " please call 138 0013 8000 for details about the shipment schedule and budget review"
).split(" ")


def stub_app(chunks: int) -> web.Application:
    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        resp = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await resp.prepare(request)
        head = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 1, "model": "stub"}
        await resp.write(b"data: " + json.dumps({**head, "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}).encode() + b"\n\n")
        for i in range(chunks):
            word = WORDS[i % len(WORDS)]
            await resp.write(b"data: " + json.dumps({**head, "choices": [
                {"index": 0, "delta": {"content": " " + word}, "finish_reason": None}]}).encode() + b"\n\n")
        await resp.write(b"data: " + json.dumps({**head, "choices": [
            {"index": 0, "delta": {}, "finish_reason": "stop"}]}).encode() + b"\n\n")
        if (body.get("stream_options") or {}).get("include_usage"):
            await resp.write(b"data: " + json.dumps({**head, "choices": [], "usage": {
                "prompt_tokens": 10, "completion_tokens": chunks, "total_tokens": 10 + chunks}}).encode() + b"\n\n")
        await resp.write(b"data: [DONE]\n\n")
        return resp

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    return app


async def read_streams(url: str, key: str | None, streams: int) -> dict[str, Any]:
    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    body = {"model": "stub", "stream": True, "messages": [{"role": "user", "content": "write the report"}]}
    ttft: list[float] = []
    total: list[float] = []
    async with aiohttp.ClientSession() as session:
        for _ in range(streams):
            t0 = time.perf_counter()
            first = None
            async with session.post(url, json=body, headers=headers) as resp:
                assert resp.status == 200, await resp.text()
                async for line in resp.content:
                    if first is None and line.startswith(b"data: {"):
                        event = json.loads(line[6:])
                        choices = event.get("choices") or []
                        if choices and (choices[0].get("delta") or {}).get("content"):
                            first = time.perf_counter()
            total.append((time.perf_counter() - t0) * 1000)
            ttft.append(((first or time.perf_counter()) - t0) * 1000)
    return {
        "ttft_p50_ms": round(statistics.median(ttft), 3),
        "ttft_p99_ms": round(sorted(ttft)[int(0.99 * len(ttft))], 3),
        "stream_p50_ms": round(statistics.median(total), 3),
    }


def start_airlock(
    stub_port: int, workdir: Path, detectors: bool, window: int
) -> tuple[subprocess.Popen[bytes], int, str]:
    name = "detect" if detectors else "plain"
    config = workdir / f"{name}.yaml"
    lines = [
        "server: {log_level: warning}",
        "deployments:",
        f"  - {{name: stub, provider: openai, base_url: 'http://127.0.0.1:{stub_port}/v1', jurisdiction: CN}}",
        "tenants: [{id: bench, jurisdiction: CN}]",
    ]
    if detectors:
        from airlock.config import load_config

        enabled = load_config(None).detectors.enabled
        lines += [f"detectors: {{enabled: {json.dumps(enabled)}}}",
                  f"policy: {{packs: [default, us-gov], streaming: {{window_chars: {window}}}}}"]
    else:
        lines += ["detectors: {enabled: []}"]
    config.write_text("\n".join(lines) + "\n")
    env = dict(os.environ, AIRLOCK_HOME=str(workdir / name))
    key = subprocess.run([str(VENV_BIN / "airlock"), "keys", "create", "--tenant", "bench", "--config", str(config)],
                         env=env, check=True, capture_output=True, text=True).stdout.strip()
    port = free_port()
    proc = subprocess.Popen([str(VENV_BIN / "airlock"), "serve", "--config", str(config), "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/healthz")
    return proc, port, key


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    stub_port = free_port()
    runner = web.AppRunner(stub_app(args.chunks), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", stub_port).start()
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "machine": machine(),
                               "params": {"streams": args.streams, "chunks": args.chunks, "window": args.window}}
    workdir = Path(tempfile.mkdtemp(prefix="airlock-stream-"))
    try:
        results["direct"] = await read_streams(f"http://127.0.0.1:{stub_port}/v1/chat/completions", None, args.streams)
        for label, detectors in (("airlock_no_detectors", False), ("airlock_detectors_window", True)):
            proc, port, key = await asyncio.to_thread(start_airlock, stub_port, workdir, detectors, args.window)
            try:
                await read_streams(f"http://127.0.0.1:{port}/v1/chat/completions", key, 5)  # warm-up
                results[label] = await read_streams(f"http://127.0.0.1:{port}/v1/chat/completions", key, args.streams)
            finally:
                proc.terminate()
                proc.wait(30)
    finally:
        await runner.cleanup()
    d = results["direct"]
    for label in ("airlock_no_detectors", "airlock_detectors_window"):
        r = results[label]
        r["added_ttft_p50_ms"] = round(r["ttft_p50_ms"] - d["ttft_p50_ms"], 3)
        r["added_per_chunk_ms"] = round((r["stream_p50_ms"] - d["stream_p50_ms"]) / args.chunks, 4)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--streams", type=int, default=200)
    ap.add_argument("--chunks", type=int, default=200)
    ap.add_argument("--window", type=int, default=256)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "streaming.json"))
    args = ap.parse_args()
    results = asyncio.run(main_async(args))
    print(f"\n{'target':<28}{'TTFT p50 ms':>12}{'TTFT p99 ms':>12}{'stream p50 ms':>14}{'added TTFT':>11}"
          f"{'added/chunk ms':>15}")
    for label in ("direct", "airlock_no_detectors", "airlock_detectors_window"):
        r = results[label]
        print(f"{label:<28}{r['ttft_p50_ms']:>12.3f}{r['ttft_p99_ms']:>12.3f}{r['stream_p50_ms']:>14.3f}"
              f"{r.get('added_ttft_p50_ms', 0.0):>11.3f}{r.get('added_per_chunk_ms', 0.0):>15.4f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

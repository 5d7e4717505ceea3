"""Gateway overhead: the same bounded load directly against a stub upstream and through Airlock
(optionally also through LiteLLM's proxy), side by side, on this machine.

    .venv/bin/python benchmarks/overhead.py [--requests 5000] [--concurrency 20] [--litellm]

Two measurements per target:
- latency: one request at a time (concurrency 1). The difference of the p50s is the latency a
  gateway adds to a request. (Under concurrency, latency is dominated by queueing — by Little's
  law p50 ≈ concurrency / throughput — so it cannot show a sub-millisecond overhead.)
- throughput: ``--concurrency`` keep-alive connections sending ``--requests`` requests in all.

Airlock runs as `airlock serve` (one process, one worker, SQLite audit with fsync, empty
detector set). Writes benchmarks/results/overhead.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import LoadResult, run_load

ROOT = Path(__file__).resolve().parent.parent
#: the proxy refuses to start without a master key; this one only ever exists on 127.0.0.1
LITELLM_KEY = "sk-airlock-benchmark-0123456789abcdef"
VENV_BIN = Path(sys.executable).parent
BODY = json.dumps(
    {"model": "stub", "messages": [{"role": "user", "content": "Hello, how are you today? Tell me about the weather."}]}
).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0, headers: dict[str, str] | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            req = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(req, timeout=2) as r:
                if r.status < 500:
                    return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout}s")


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open")


def measure(port: int, path: str, headers: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    async def go() -> tuple[LoadResult, LoadResult]:
        await run_load("127.0.0.1", port, path, BODY, headers, total=min(500, args.requests), concurrency=4)  # warm-up
        lat = await run_load("127.0.0.1", port, path, BODY, headers, total=args.latency_requests, concurrency=1)
        thr = await run_load("127.0.0.1", port, path, BODY, headers, total=args.requests, concurrency=args.concurrency,
                             deadline=args.deadline)
        return lat, thr

    try:
        import uvloop

        lat, thr = uvloop.run(go())
    except ImportError:
        lat, thr = asyncio.run(go())
    return {"latency_c1": lat.summary(), "throughput": thr.summary()}


def start_airlock(
    stub_port: int, workdir: Path, *, detectors: bool = False
) -> tuple[subprocess.Popen[bytes], int, str]:
    name = "detectors" if detectors else "plain"
    config = workdir / f"{name}.yaml"
    extra = ""
    if detectors:
        from airlock.config import load_config

        defaults = load_config(None)
        extra = (f"detectors: {{enabled: {json.dumps(defaults.detectors.enabled)}}}\n"
                 f"policy: {{packs: {json.dumps(defaults.policy.packs)}}}\n")
    config.write_text(
        f"""
server: {{log_level: warning}}
{extra}deployments:
  - name: stub
    provider: openai
    base_url: http://127.0.0.1:{stub_port}/v1
    jurisdiction: CN
tenants:
  - id: bench
    jurisdiction: US
"""
    )
    env = dict(os.environ, AIRLOCK_HOME=str(workdir / name))
    key = subprocess.run(
        [str(VENV_BIN / "airlock"), "keys", "create", "--tenant", "bench", "--config", str(config)],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()
    port = free_port()
    proc = subprocess.Popen(
        [str(VENV_BIN / "airlock"), "serve", "--config", str(config), "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_http(f"http://127.0.0.1:{port}/healthz")
    return proc, port, key


def airlock_internal_overhead(workdir: Path, name: str = "plain") -> dict[str, Any]:
    import sqlite3

    db = sqlite3.connect(workdir / name / "airlock.db")
    rows = [json.loads(r[0]) for r in db.execute("SELECT body FROM audit")]
    overhead = [r["latency_ms"]["overhead"] for r in rows if r["status"] == 200]
    verify = subprocess.run(
        [str(VENV_BIN / "airlock"), "audit", "verify", "--config", str(workdir / f"{name}.yaml")],
        env=dict(os.environ, AIRLOCK_HOME=str(workdir / name)), capture_output=True, text=True, check=False,
    )
    return {
        "audit_records": len(rows),
        "audit_verify": verify.stdout.strip(),
        "overhead_p50_ms": round(statistics.median(overhead), 3) if overhead else None,
        "overhead_p99_ms": round(sorted(overhead)[int(0.99 * len(overhead))], 3) if overhead else None,
    }


def start_litellm(stub_port: int, workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    venv = ROOT / "benchmarks" / ".venv-litellm"
    if not (venv / "bin" / "litellm").exists():
        print("installing LiteLLM proxy into benchmarks/.venv-litellm (one time) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "litellm[proxy]"], check=True)
    config = workdir / "litellm.yaml"
    config.write_text(
        f"""
model_list:
  - model_name: stub
    litellm_params:
      model: openai/stub
      api_base: http://127.0.0.1:{stub_port}/v1
      api_key: dummy
litellm_settings:
  drop_params: true
"""
    )
    port = free_port()
    env = dict(os.environ, LITELLM_LOG="ERROR", LITELLM_TELEMETRY="False", NO_DOCS="True",
               LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_MASTER_KEY=LITELLM_KEY)
    proc = subprocess.Popen(
        [str(venv / "bin" / "litellm"), "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
         "--num_workers", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_http(f"http://127.0.0.1:{port}/health/liveliness", timeout=180)
    return proc, port


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "platform": platform.platform()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--latency-requests", type=int, default=2000)
    ap.add_argument("--deadline", type=float, default=300.0, help="seconds before a throughput run gives up")
    ap.add_argument("--litellm", action="store_true", help="also run LiteLLM's proxy (installed on demand)")
    ap.add_argument("--detectors", action="store_true",
                    help="also run Airlock with the embedded default detector set and policy packs")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "overhead.json"))
    args = ap.parse_args()

    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "machine": machine(),
                               "params": {"requests": args.requests, "concurrency": args.concurrency,
                                          "latency_requests": args.latency_requests}}
    workdir = Path(tempfile.mkdtemp(prefix="airlock-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        stub_port = free_port()
        procs.append(subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "stub_upstream.py"), str(stub_port)],
                                      stderr=subprocess.DEVNULL))
        wait_port(stub_port)
        print("direct ...", file=sys.stderr)
        results["direct"] = measure(stub_port, "/v1/chat/completions", {}, args)

        proc, port, key = start_airlock(stub_port, workdir)
        procs.append(proc)
        print("airlock ...", file=sys.stderr)
        results["airlock"] = measure(port, "/v1/chat/completions", {"authorization": f"Bearer {key}"}, args)
        proc.terminate()
        proc.wait(30)
        results["airlock"]["internal"] = airlock_internal_overhead(workdir)

        if args.detectors:
            proc, port, key = start_airlock(stub_port, workdir, detectors=True)
            procs.append(proc)
            print("airlock with the default detectors and packs ...", file=sys.stderr)
            results["airlock_detectors"] = measure(port, "/v1/chat/completions", {"authorization": f"Bearer {key}"},
                                                   args)
            proc.terminate()
            proc.wait(30)
            results["airlock_detectors"]["internal"] = airlock_internal_overhead(workdir, "detectors")

        if args.litellm:
            lproc, lport = start_litellm(stub_port, workdir)
            procs.append(lproc)
            print("litellm ...", file=sys.stderr)
            results["litellm"] = measure(lport, "/v1/chat/completions", {"authorization": f"Bearer {LITELLM_KEY}"},
                                         args)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    d = results["direct"]
    rows = [("direct (stub upstream)", d)]
    rows.append(("through Airlock", results["airlock"]))
    if "airlock_detectors" in results:
        rows.append(("Airlock + detectors/packs", results["airlock_detectors"]))
    if "litellm" in results:
        rows.append(("through LiteLLM proxy", results["litellm"]))
    print(f"\n{'target':<24}{'req/s (c=' + str(args.concurrency) + ')':>16}{'p50 ms':>10}{'p99 ms':>10}"
          f"{'p50 c=1':>10}{'p99 c=1':>10}{'added p50 c=1':>15}")
    for name, r in rows:
        t, lat = r["throughput"], r["latency_c1"]
        added = lat["p50_ms"] - d["latency_c1"]["p50_ms"]
        print(f"{name:<24}{t['rps']:>16.0f}{t['p50_ms']:>10.2f}{t['p99_ms']:>10.2f}{lat['p50_ms']:>10.3f}"
              f"{lat['p99_ms']:>10.3f}{added if r is not d else 0.0:>15.3f}")
    for key in ("airlock", "airlock_detectors"):
        if key not in results:
            continue
        internal = results[key]["internal"]
        print(f"\n{key}: own measured overhead per request (audit records, status 200): "
              f"p50 {internal['overhead_p50_ms']} ms, p99 {internal['overhead_p99_ms']} ms; "
              f"{internal['audit_records']} records, verify: {internal['audit_verify']}")
    if "litellm" in results:
        ratio = results["airlock"]["throughput"]["rps"] / max(results["litellm"]["throughput"]["rps"], 1e-9)
        results["airlock_vs_litellm_throughput"] = round(ratio, 1)
        print(f"Airlock / LiteLLM throughput: {ratio:.1f}x")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""kill -9 during load loses no record of a request whose response was completed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import orjson
import pytest
import yaml

from airlock.audit import verify_chain
from airlock.keys import create_key
from airlock.stores import SQLiteStore
from tests.helpers import free_port
from tests.upstream import FakeUpstream


@pytest.mark.slow
def test_kill_9_during_load(tmp_path: Path, upstream: FakeUpstream) -> None:
    upstream.script.delay = 0.002
    config = tmp_path / "airlock.yaml"
    config.write_text(yaml.safe_dump({
        "server": {"log_level": "warning"},
        "deployments": [{"name": "fake", "provider": "openai", "base_url": upstream.base_url}],
        "tenants": [{"id": "acme"}],
    }))
    home = tmp_path / "home"
    home.mkdir()
    store = SQLiteStore(home / "airlock.db")
    key, _ = create_key(store, "acme")
    store.close()
    port = free_port()
    env = dict(os.environ, AIRLOCK_HOME=str(home))
    proc = subprocess.Popen([sys.executable, "-m", "airlock.cli.main", "serve", "--config", str(config),
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.time() < deadline and proc.poll() is None, "gateway did not start"
        time.sleep(0.1)

    completed: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    body = {"model": "fake", "messages": [{"role": "user", "content": "x"}]}

    def client() -> None:
        with httpx.Client(timeout=5) as c:
            while not stop.is_set():
                try:
                    r = c.post(f"{base}/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"})
                except httpx.HTTPError:
                    continue
                if r.status_code == 200 and r.json()["choices"]:
                    with lock:
                        completed.append(r.headers["x-airlock-decision-id"])

    threads = [threading.Thread(target=client, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()
    while True:
        with lock:
            if len(completed) >= 200:
                break
        assert time.time() < deadline + 30, "load did not get going"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)  # mid-load, requests in flight
    proc.wait(10)
    stop.set()
    for t in threads:
        t.join(10)

    store = SQLiteStore(home / "airlock.db")
    try:
        recorded = {orjson.loads(r.body)["decision_id"] for r in store.iter_audit()}
        missing = [d for d in completed if d not in recorded]
        assert not missing, f"{len(missing)} completed responses have no audit record"
        result = verify_chain(store)
        assert result.ok, result.reason
        assert result.records >= len(completed)
    finally:
        store.close()

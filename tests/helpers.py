"""Test helpers: run the real ASGI app under uvicorn on 127.0.0.1 in a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from airlock.config import Config, parse_config
from airlock.keys import create_key
from airlock.server import create_app
from airlock.stores import SQLiteStore, Store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config_from(upstream_url: str | None = None, **sections: Any) -> Config:
    """A config with one OpenAI-compatible deployment `fake` (pointing at the fake upstream)
    and tenant `acme`; pass sections to override."""
    data: dict[str, Any] = {
        "deployments": [
            {
                "name": "fake",
                "provider": "openai",
                "base_url": upstream_url or "http://127.0.0.1:9/v1",
                "jurisdiction": "CN",
                "embeddings": True,
                "retries": {"max_attempts": 2, "backoff_initial": 0.01, "backoff_max": 0.05},
                "timeouts": {"connect": 2, "first_byte": 5, "total": 20},
            }
        ],
        "tenants": [{"id": "acme", "jurisdiction": "CN", "limits": {"rpm": 10000, "tpm": 10_000_000}}],
    }
    data.update(sections)
    return parse_config(data)


class ServerThread:
    """uvicorn serving ``create_app(config)`` until ``stop()``."""

    def __init__(self, config: Config, data_dir: Path, store: Store | None = None, **gateway_kwargs: Any) -> None:
        self.data_dir = data_dir
        self.store = store or SQLiteStore(data_dir / "airlock.db")
        self.app = create_app(config, data_dir=data_dir, store=self.store, gateway_kwargs=gateway_kwargs)
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on",
                           loop="asyncio", http="h11")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def gateway(self) -> Any:
        return self.app.state.gateway

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("gateway did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(20)

    def key(self, tenant: str = "acme", scope: str = "inference") -> str:
        key, _ = create_key(self.store, tenant, scope)  # type: ignore[arg-type]
        return key


def run(coro: Any) -> Any:
    return asyncio.run(coro)

"""End to end with real models: llama.cpp's OpenAI-compatible server as an `openai` upstream,
and the in-process `local` provider, both running the packaged SmolLM2-135M-Instruct."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import orjson
import pytest

from airlock.config import parse_config
from airlock.providers.local import packaged_model_path
from tests.helpers import ServerThread, free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    if importlib.util.find_spec("llama_cpp.server") is None or importlib.util.find_spec("sse_starlette") is None:
        pytest.skip("llama.cpp server extras are not installed (pip install 'llama-cpp-python[server]')")
    port = free_port()
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(packaged_model_path()), "--host", "127.0.0.1",
         "--port", str(port), "--interrupt_requests", "false", "--n_threads", "1", "--n_ctx", "2048"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 60
    try:
        while True:
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                pytest.fail("llama.cpp server did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def gateway(llama_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    config = parse_config({
        "deployments": [
            {"name": "llamacpp", "public_name": "smollm2-server", "provider": "openai", "base_url": llama_server,
             "upstream_model": "smollm2", "timeouts": {"first_byte": 60, "total": 120}},
            {"name": "local-smollm2", "public_name": "local/smollm2", "provider": "local"},
        ],
        "tenants": [{"id": "acme"}],
    })
    server = ServerThread(config, tmp_path_factory.mktemp("gw")).start()
    yield server
    server.stop()


MODELS = ["smollm2-server", "local/smollm2"]


@pytest.mark.parametrize("model", MODELS)
def test_non_streaming(gateway: ServerThread, model: str) -> None:
    c = openai.OpenAI(base_url=gateway.base_url, api_key=gateway.key(), max_retries=0, timeout=120)
    out = c.chat.completions.create(model=model, messages=[{"role": "user", "content": "What is the capital of France?"}],
                                    max_tokens=16, temperature=0)
    assert out.model == model
    text = out.choices[0].message.content or ""
    assert text.strip()
    assert out.usage is not None and out.usage.completion_tokens > 0 and out.usage.prompt_tokens > 0


@pytest.mark.parametrize("model", MODELS)
def test_streaming(gateway: ServerThread, model: str) -> None:
    c = openai.OpenAI(base_url=gateway.base_url, api_key=gateway.key(), max_retries=0, timeout=120)
    chunks = list(c.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Say hello."}], max_tokens=12, temperature=0,
        stream=True, stream_options={"include_usage": True}))
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text.strip()
    finishes = [ch.choices[0].finish_reason for ch in chunks if ch.choices and ch.choices[0].finish_reason]
    assert finishes and finishes[-1] in ("stop", "length")
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_audit_records_for_real_models(gateway: ServerThread) -> None:
    c = openai.OpenAI(base_url=gateway.base_url, api_key=gateway.key(), max_retries=0, timeout=120)
    raw = c.chat.completions.with_raw_response.create(
        model="local/smollm2", messages=[{"role": "user", "content": "Hi"}], max_tokens=4)
    decision = raw.headers["x-airlock-decision-id"]
    rows = [orjson.loads(r.body) for r in gateway.store.iter_audit()]
    rec = next(r for r in rows if r["decision_id"] == decision)
    assert rec["deployment"] == "local-smollm2" and rec["status"] == 200
    assert rec["latency_ms"]["upstream"] > 0


def test_local_context_overflow_is_a_clear_400(gateway: ServerThread) -> None:
    c = openai.OpenAI(base_url=gateway.base_url, api_key=gateway.key(), max_retries=0, timeout=120)
    with pytest.raises(openai.BadRequestError) as err:
        c.chat.completions.create(model="local/smollm2", messages=[{"role": "user", "content": "word " * 5000}],
                                  max_tokens=4)
    assert err.value.code == "context_length_exceeded"


def test_packaged_model_is_found_without_download() -> None:
    path = packaged_model_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000
    assert Path(path).is_file()

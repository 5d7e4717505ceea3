"""A real OpenAI-compatible upstream for tests, on 127.0.0.1 (aiohttp, own thread and loop).

It records exactly what it received (method, path, headers, JSON body) and answers according
to a script the test sets: echo the last user message, fail with a status (and Retry-After),
stall, drop a stream half-way, or send Azure's annotation chunks.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class Script:
    #: statuses to answer with before succeeding, e.g. [503, 429]
    fail_with: list[int] = field(default_factory=list)
    retry_after: str | None = None
    #: seconds to wait before answering
    delay: float = 0.0
    #: drop the connection after this many stream chunks
    drop_after_chunks: int | None = None
    #: include Azure content-filter annotations and async-filter chunks
    azure_annotations: bool = False
    #: text the model answers with (default: echo the last user message)
    reply: str | None = None
    #: seconds to wait between stream chunks
    chunk_delay: float = 0.0


def _last_user_text(body: dict[str, Any]) -> str:
    for msg in reversed(body.get("messages", [])):
        if msg.get("role") == "user":
            content = msg.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


_AZURE_FILTER = {
    "hate": {"filtered": False, "severity": "safe"},
    "self_harm": {"filtered": False, "severity": "safe"},
    "sexual": {"filtered": False, "severity": "safe"},
    "violence": {"filtered": False, "severity": "safe"},
}


class FakeUpstream:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script = Script()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self._started = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeUpstream:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("fake upstream did not start")
        return self

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_post("/openai/deployments/{dep}/chat/completions", self._chat)
        app.router.add_post("/openai/deployments/{dep}/embeddings", self._embeddings)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._started.set()
        self._loop.run_forever()

    def stop(self) -> None:
        if self._loop is None:
            return
        async def shutdown() -> None:
            assert self._runner is not None
            await self._runner.cleanup()
        fut = asyncio.run_coroutine_threadsafe(shutdown(), self._loop)
        try:
            fut.result(10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread:
                self._thread.join(10)

    def reset(self) -> None:
        self.received.clear()
        self.script = Script()

    # ------------------------------------------------------------------ handlers
    async def _record(self, request: web.Request) -> dict[str, Any] | None:
        raw = await request.read()
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = None
        self.received.append(
            Received(request.method, request.path, request.query_string, dict(request.headers), body)
        )
        return body

    async def _maybe_fail(self) -> web.Response | None:
        if self.script.delay:
            await asyncio.sleep(self.script.delay)
        if self.script.fail_with:
            status = self.script.fail_with.pop(0)
            headers = {"retry-after": self.script.retry_after} if self.script.retry_after else {}
            body = {"error": {"message": f"scripted failure {status}", "type": "server_error",
                              "param": None, "code": "scripted"}}
            return web.json_response(body, status=status, headers=headers)
        return None

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request) or {}
        failed = await self._maybe_fail()
        if failed is not None:
            return failed
        inputs = body.get("input")
        items = inputs if isinstance(inputs, list) else [inputs]
        data = [{"object": "embedding", "index": i, "embedding": [0.1, 0.2, float(len(str(x)))]}
                for i, x in enumerate(items)]
        return web.json_response({"object": "list", "model": body.get("model"), "data": data,
                                  "usage": {"prompt_tokens": 3, "total_tokens": 3}})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request) or {}
        failed = await self._maybe_fail()
        if failed is not None:
            return failed
        text = self.script.reply if self.script.reply is not None else _last_user_text(body)
        if body.get("stream"):
            return await self._stream(request, body, text)
        out: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or "fake",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": len(text.split()),
                      "total_tokens": 5 + len(text.split())},
        }
        if body.get("tools"):
            out["choices"][0]["message"]["tool_calls"] = [
                {"id": "call_1", "type": "function",
                 "function": {"name": body["tools"][0]["function"]["name"], "arguments": "{\"x\": 1}"}}
            ]
            out["choices"][0]["finish_reason"] = "tool_calls"
        if self.script.azure_annotations:
            out["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": _AZURE_FILTER}]
            out["choices"][0]["content_filter_results"] = _AZURE_FILTER
        return web.json_response(out)

    async def _stream(self, request: web.Request, body: dict[str, Any], text: str) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await resp.prepare(request)
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created,
                    "model": body.get("model") or "fake",
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

        events: list[dict[str, Any]] = []
        if self.script.azure_annotations:
            events.append({"id": "", "object": "", "created": 0, "model": "",
                           "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": _AZURE_FILTER}],
                           "choices": [], "usage": None})
        events.append(chunk({"role": "assistant", "content": ""}))
        words = text.split(" ")
        for i, word in enumerate(words):
            events.append(chunk({"content": word if i == 0 else " " + word}))
        if self.script.azure_annotations:
            events.append({"id": "", "object": "", "created": 0, "model": "",
                           "choices": [{"index": 0, "finish_reason": None, "content_filter_results": _AZURE_FILTER,
                                        "content_filter_offsets": {"check_offset": 0, "start_offset": 0,
                                                                   "end_offset": len(text)}}],
                           "usage": None})
        events.append(chunk({}, "stop"))
        opts = body.get("stream_options") or {}
        if opts.get("include_usage"):
            events.append({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created,
                           "model": body.get("model") or "fake", "choices": [],
                           "usage": {"prompt_tokens": 5, "completion_tokens": len(words),
                                     "total_tokens": 5 + len(words)}})
        for n, event in enumerate(events):
            if self.script.drop_after_chunks is not None and n >= self.script.drop_after_chunks:
                assert request.transport is not None
                request.transport.close()
                return resp
            await resp.write(b"data: " + orjson.dumps(event) + b"\n\n")
            if self.script.chunk_delay:
                await asyncio.sleep(self.script.chunk_delay)
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

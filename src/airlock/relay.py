"""The streaming relay: upstream SSE chunks → checked, restored, labelled chunks → client.

Per choice, text goes through a :class:`~airlock.moderation.StreamGuard` (released only after
it has been scanned with a look-behind window; a violation ends the choice with
``finish_reason: "content_filter"``), then the pseudonym restorer (placeholders split across
chunks are held until complete), then the explicit AI-content label. Tool-call and role deltas
pass through. The audit record is written — durably — before ``data: [DONE]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from airlock.annotations import airlock_block, content_filter_results, prompt_filter_results
from airlock.config import DeploymentConfig
from airlock.detectors.base import Finding, ScanContext, Stage
from airlock.errors import InternalError, ServiceUnavailableError, UpstreamError
from airlock.exchange import Exchange
from airlock.labels import aigc_metadata, explicit_text
from airlock.moderation import StreamGuard
from airlock.policy.decision import PolicyInput
from airlock.providers.base import ProviderError
from airlock.sse import encode_done, encode_event
from airlock.transform import Restorer, StreamRestorer

if TYPE_CHECKING:
    from airlock.gateway import Gateway

__all__ = ["StreamRelay"]

log = logging.getLogger("airlock.relay")


@dataclass
class _Choice:
    index: int
    guard: StreamGuard | None
    restorer: StreamRestorer | None
    pieces: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    #: tool-call index → restorer of its streamed arguments
    calls: dict[int, StreamRestorer] = field(default_factory=dict)
    started: bool = False
    closed: bool = False  # cut by the content filter or finished


class StreamRelay:
    def __init__(
        self, gateway: Gateway, ex: Exchange, dep: DeploymentConfig, *, include_usage: bool, estimated: int,
        t_up: float,
    ) -> None:
        self.gw = gateway
        self.ex = ex
        self.dep = dep
        self.include_usage = include_usage
        self.estimated = estimated
        self.t_up = t_up
        self.trace = ex.trace
        self.scanning = not gateway.scanner.empty
        pm = ex.pseudonyms.get(dep.name)
        self.text_restorer = Restorer(pm) if pm is not None else None
        self.args_restorer = Restorer(pm, json_string=True) if pm is not None else None
        self.choices: dict[int, _Choice] = {}
        self.completion_findings: list[Finding] = []
        self.usage_chunk: dict[str, Any] | None = None
        self.cid = ""
        self.created = int(time.time())
        streaming = gateway.config.policy.streaming
        self.window = streaming.window_chars
        self.hold = streaming.hold_chars
        self.full_every = streaming.full_scan_every
        self._ctx = ScanContext(tenant=ex.tenant.id, deployment=dep.name)

    # ------------------------------------------------------------------ per choice
    def _judge(self, findings: list[Finding]) -> tuple[str, ...]:
        decision = self.gw.policy.decide(PolicyInput(
            stage=Stage.COMPLETION, tenant=self.ex.tenant, findings=findings, deployments=(self.dep,),
            purpose=self.ex.purpose,
        ))
        return decision.blocking_rules if decision.blocked else ()

    def _choice(self, index: int) -> _Choice:
        state = self.choices.get(index)
        if state is None:
            guard = None
            if self.scanning:
                def scan(text: str, full: bool) -> list[Finding]:
                    return self.gw.scanner.scan(text, stage=Stage.COMPLETION, context=self._ctx, hooks=full)
                guard = StreamGuard(scan, self._judge, window=self.window, hold=self.hold, full_every=self.full_every)
            restorer = self.text_restorer.stream() if self.text_restorer is not None else None
            state = self.choices[index] = _Choice(index, guard, restorer)
        return state

    def _release(self, state: _Choice, text: str) -> str:
        if state.restorer is not None and text:
            text = state.restorer.feed(text)
        if text and not state.started:
            state.started = True
            aigc = self.ex.aigc
            if aigc is not None and aigc.explicit and aigc.position == "start":
                text = explicit_text(aigc, text) + "\n" + text
        if text:
            state.released.append(text)
        return text

    def _finish_text(self, state: _Choice) -> str:
        text = state.guard.finish() if state.guard is not None else ""
        if state.guard is not None and state.guard.verdict is not None:
            return ""
        out = self._release(state, text)
        if state.restorer is not None:
            tail = state.restorer.flush()
            if tail:
                state.released.append(tail)
                out += tail
        aigc = self.ex.aigc
        if aigc is not None and aigc.explicit and aigc.position == "end":
            label = "\n" + explicit_text(aigc, "".join(state.released))
            state.released.append(label)
            out += label
        return out

    def _cut(self, state: _Choice) -> dict[str, Any]:
        assert state.guard is not None
        verdict = state.guard.verdict
        assert verdict is not None
        state.closed = True
        self.trace.finish_reasons.append("content_filter")
        self.trace.extra.setdefault("stream_cut", []).append(
            {"choice": state.index, "offset": verdict.offset, "rules": list(verdict.rules)})
        out: dict[str, Any] = {"index": state.index, "delta": {}, "logprobs": None, "finish_reason": "content_filter",
                               "airlock": {"rules": list(verdict.rules)}}
        if self.ex.annotate:
            findings = state.guard.findings
            out["content_filter_results"] = content_filter_results(findings, filtered=range(len(findings)))
        return out

    def _choice_out(self, choice: dict[str, Any]) -> dict[str, Any] | None:
        index = int(choice.get("index", 0))
        state = self._choice(index)
        if state.closed:
            return None
        raw_delta = choice.get("delta")
        delta: dict[str, Any] = raw_delta if isinstance(raw_delta, dict) else {}
        content = delta.get("content")
        out_delta = dict(delta)
        if isinstance(content, str) and content:
            if self.trace.ttft_ms is None:
                self.trace.ttft_ms = self.trace.elapsed_ms()
            state.pieces.append(content)
            released = state.guard.feed(content) if state.guard is not None else content
            if state.guard is not None and state.guard.verdict is not None:
                return self._cut(state)
            out_delta["content"] = self._release(state, released)
        if self.args_restorer is not None and isinstance(delta.get("tool_calls"), list):
            out_delta["tool_calls"] = [self._restore_call(state, call) for call in delta["tool_calls"]]
        finish = choice.get("finish_reason")
        if finish:
            leftovers = self._flush_calls(state)
            if leftovers:
                out_delta["tool_calls"] = [*out_delta.get("tool_calls", []), *leftovers]
            tail = self._finish_text(state)
            if state.guard is not None and state.guard.verdict is not None:
                return self._cut(state)
            if tail:
                out_delta["content"] = (out_delta.get("content") or "") + tail
            state.closed = True
            self.trace.finish_reasons.append(str(finish))
        if out_delta.get("content") == "" and set(out_delta) <= {"content"} and not finish:
            return None  # held back, nothing to send yet
        out = dict(choice)
        out["delta"] = out_delta
        if finish and self.ex.annotate:
            findings = state.guard.findings if state.guard is not None else []
            out["content_filter_results"] = content_filter_results(findings)
        return out

    def _restore_call(self, state: _Choice, call: Any) -> Any:
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("arguments"), str):
            return call
        assert self.args_restorer is not None
        index = int(call.get("index", 0))
        restorer = state.calls.get(index)
        if restorer is None:
            restorer = state.calls[index] = self.args_restorer.stream()
        return {**call, "function": {**fn, "arguments": restorer.feed(fn["arguments"])}}

    def _flush_calls(self, state: _Choice) -> list[dict[str, Any]]:
        out = []
        for index, restorer in sorted(state.calls.items()):
            tail = restorer.flush()
            if tail:
                out.append({"index": index, "function": {"arguments": tail}})
        state.calls.clear()
        return out

    # ------------------------------------------------------------------ chunks
    def _chunk(self, chunk: dict[str, Any]) -> bytes | None:
        choices = chunk.get("choices")
        usage = chunk.get("usage")
        if isinstance(usage, dict) and usage:
            self.trace.usage = {k: int(v) for k, v in usage.items() if isinstance(v, int)}
        if isinstance(choices, list) and not choices and usage:
            self.usage_chunk = {**chunk, "model": self.ex.model}
            return None
        if not chunk.get("id") and not chunk.get("model"):
            return encode_event(chunk)  # Azure asynchronous-filter annotation: passed through untouched
        self.cid = self.cid or str(chunk.get("id") or "")
        self.created = chunk.get("created") or self.created
        out = dict(chunk)
        out["model"] = self.ex.model
        out.pop("usage", None)
        if isinstance(choices, list):
            new = [c for c in (self._choice_out(ch) for ch in choices if isinstance(ch, dict)) if c is not None]
            if not new and choices:
                return None
            out["choices"] = new
        return encode_event(out)

    def _envelope(self, **fields: Any) -> dict[str, Any]:
        return {"id": self.cid, "object": "chat.completion.chunk", "created": self.created, "model": self.ex.model,
                "choices": [], **fields}

    def _all_cut(self) -> bool:
        return bool(self.choices) and all(
            s.closed and s.guard is not None and s.guard.verdict is not None for s in self.choices.values())

    def _close_choices(self) -> list[bytes]:
        """The upstream ended: finish choices that never got a finish_reason."""
        out = []
        for state in self.choices.values():
            if state.closed:
                continue
            tail = self._finish_text(state)
            if state.guard is not None and state.guard.verdict is not None:
                out.append(encode_event(self._envelope(choices=[self._cut(state)])))
            elif tail:
                out.append(encode_event(self._envelope(choices=[
                    {"index": state.index, "delta": {"content": tail}, "logprobs": None, "finish_reason": None}])))
            state.closed = True
        return out

    async def _account(self) -> None:
        trace = self.trace
        for state in self.choices.values():
            if state.guard is not None:
                path = f"choices[{state.index}].delta.content"
                found = [replace(f, path=path, stage=Stage.COMPLETION) for f in state.guard.findings]
                self.completion_findings.extend(found)
                decision = self.gw.policy.decide(PolicyInput(
                    stage=Stage.COMPLETION, tenant=self.ex.tenant, findings=found, deployments=(self.dep,),
                    purpose=self.ex.purpose))
                self.gw._note_decision(trace, decision, Stage.COMPLETION)
        trace.findings.extend(self.completion_findings)
        if trace.usage is None:
            # the upstream sent no usage (llama.cpp server, some proxies): estimate it, one
            # token per content delta and ~4 characters per prompt token, and say so
            deltas = sum(len(s.pieces) for s in self.choices.values())
            prompt_chars = sum(len(str(m.get("content") or "")) for m in self.ex.body["messages"])
            prompt = prompt_chars // 4 + 4 * trace.messages
            trace.usage = {"prompt_tokens": prompt, "completion_tokens": deltas, "total_tokens": prompt + deltas}
            trace.extra["usage_estimated"] = True
            if self.include_usage:
                self.usage_chunk = self._envelope(usage=trace.usage)
        await self.gw._settle(self.ex.tenant, trace, self.estimated)

    def _trailer(self) -> list[bytes]:
        out = []
        fields: dict[str, Any] = {}
        if self.ex.annotate:
            fields["airlock"] = airlock_block(
                self.trace.decision_id, self.trace.rules, [*self.ex.findings, *self.completion_findings],
                action=self.trace.action, policy_revision=self.trace.policy_revision)
        aigc = self.ex.aigc
        if aigc is not None and aigc.implicit and self.choices:
            first = self.choices[min(self.choices)]
            fields["aigc"] = aigc_metadata(aigc, self.cid or self.trace.decision_id, "".join(first.released))
        if fields:
            out.append(encode_event(self._envelope(**fields)))
        if self.include_usage and self.usage_chunk is not None:
            out.append(encode_event(self.usage_chunk))
        return out

    # ------------------------------------------------------------------ run
    async def run(self, first: dict[str, Any], upstream: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
        gw, trace, dep = self.gw, self.trace, self.dep
        completed = False
        deadline = self.t_up + dep.timeouts.total
        try:
            if self.ex.annotate:
                self.cid = str(first.get("id") or "")
                yield encode_event(self._envelope(
                    prompt_filter_results=prompt_filter_results(self.ex.findings, roles=self.ex.roles)))
            chunk: dict[str, Any] | None = first
            while chunk is not None:
                out = self._chunk(chunk)
                if out is not None:
                    yield out
                if self._all_cut():
                    break  # nothing more will be released: stop the upstream
                remaining = deadline - time.perf_counter()
                try:
                    async with asyncio.timeout(min(dep.timeouts.first_byte, max(remaining, 0.001))):
                        chunk = await anext(upstream, None)
                except TimeoutError:
                    raise ProviderError("upstream stream stalled or exceeded its time limit", kind="timeout") from None
            trace.upstream_ms = (time.perf_counter() - self.t_up) * 1000.0
            for extra in self._close_choices():
                yield extra
            await self._account()
            for extra in self._trailer():
                yield extra
            completed = True
            try:
                await gw.finish(trace)
            except ServiceUnavailableError as exc:
                yield encode_event(exc.body(trace.decision_id))
                return
            yield encode_done()
        except ProviderError as exc:
            trace.upstream_ms = (time.perf_counter() - self.t_up) * 1000.0
            trace.fail(502, "upstream_error_mid_stream")
            trace.extra["stream_error"] = exc.kind
            gw.metrics.upstream_errors.labels(dep.name, exc.kind).inc()
            err = UpstreamError("The upstream model failed while streaming; the response is incomplete.",
                                code="upstream_error_mid_stream")
            completed = True
            with contextlib.suppress(ServiceUnavailableError):
                await gw.finish(trace)
            yield encode_event(err.body(trace.decision_id))
        except Exception:
            # a bug must not cut the stream silently: record it and tell the client
            log.exception("stream relay failed", extra={"decision_id": trace.decision_id})
            trace.fail(500, "internal_error")
            completed = True
            with contextlib.suppress(ServiceUnavailableError):
                await gw.finish(trace)
            failure = InternalError("Internal error while streaming; the response is incomplete.")
            yield encode_event(failure.body(trace.decision_id))
        except (asyncio.CancelledError, GeneratorExit):
            if not completed:
                trace.fail(499, "client_disconnected", outcome="client_disconnected")
                gw.finish_in_background(trace)
            raise
        finally:
            closer = getattr(upstream, "aclose", None)
            if closer is not None:
                gw._spawn(_quiet(closer()))


async def _quiet(coro: Any) -> None:
    # closing a finished upstream stream is best effort
    with contextlib.suppress(Exception):
        await coro

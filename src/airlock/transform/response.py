"""Restore originals in chat-completion responses: whole bodies and streamed chunks.

What is restored, per choice: ``message.content`` / ``delta.content`` as text, and
``tool_calls[].function.arguments`` (a JSON document) with originals inserted JSON-escaped.
Everything else passes through unchanged.

Streaming: :class:`ChunkRestorer` keeps one :class:`~airlock.transform.restore.StreamRestorer`
per choice (and per tool call). A chunk's delta carries only the text that is safe to release;
when a choice finishes (``finish_reason``), its held-back tail is added to that same chunk, so
nothing is lost or reordered. :meth:`ChunkRestorer.finish` returns what is still held for
choices that never sent a ``finish_reason`` (an upstream cut mid-stream).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from airlock.transform.pseudonymise import PseudonymMap
from airlock.transform.restore import Restorer, StreamRestorer

__all__ = ["ChunkRestorer", "restore_completion"]


def _restore_tool_calls(calls: Any, restorer: Restorer) -> None:
    if not isinstance(calls, list):
        return
    for call in calls:
        fn = call.get("function") if isinstance(call, dict) else None
        if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
            fn["arguments"] = restorer.restore(fn["arguments"])


def restore_completion(body: dict[str, Any], pseudonyms: PseudonymMap) -> dict[str, Any]:
    """Restore a non-streamed ``chat.completion`` body in place; returns the restore summary
    (counts per type, unresolved placeholder-shaped strings) for the audit record."""
    text = Restorer(pseudonyms)
    args = Restorer(pseudonyms, json_string=True)
    for choice in body.get("choices") or ():
        msg = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(msg, dict):
            continue
        if isinstance(msg.get("content"), str):
            msg["content"] = text.restore(msg["content"])
        _restore_tool_calls(msg.get("tool_calls"), args)
    return _merge(text, args)


def _merge(*restorers: Restorer) -> dict[str, Any]:
    restored: Counter[str] = Counter()
    unresolved = 0
    for r in restorers:
        restored.update(r.restored)
        unresolved += r.unresolved
    return {"restored": dict(sorted(restored.items())), "unresolved": unresolved}


class ChunkRestorer:
    """Restores ``chat.completion.chunk`` objects of one stream, in order."""

    def __init__(self, pseudonyms: PseudonymMap) -> None:
        self._text = Restorer(pseudonyms)
        self._args = Restorer(pseudonyms, json_string=True)
        self._content: dict[int, StreamRestorer] = {}
        self._calls: dict[tuple[int, int], StreamRestorer] = {}

    def chunk(self, chunk: dict[str, Any]) -> dict[str, Any]:
        """Rewrite one chunk in place (and return it)."""
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            return chunk
        for choice in choices:
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", 0)
            index = index if isinstance(index, int) else 0
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                delta = None
            if delta is not None and isinstance(delta.get("content"), str):
                delta["content"] = self._content_stream(index).feed(delta["content"])
            if delta is not None and isinstance(delta.get("tool_calls"), list):
                for call in delta["tool_calls"]:
                    fn = call.get("function") if isinstance(call, dict) else None
                    if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                        k = call.get("index", 0)
                        fn["arguments"] = self._call_stream(index, k if isinstance(k, int) else 0).feed(
                            fn["arguments"]
                        )
            if choice.get("finish_reason"):
                self._finish_choice(index, choice)
        return chunk

    def _content_stream(self, index: int) -> StreamRestorer:
        s = self._content.get(index)
        if s is None:
            s = self._content[index] = self._text.stream()
        return s

    def _call_stream(self, index: int, call: int) -> StreamRestorer:
        s = self._calls.get((index, call))
        if s is None:
            s = self._calls[(index, call)] = self._args.stream()
        return s

    def _finish_choice(self, index: int, choice: dict[str, Any]) -> None:
        tail = self._content.pop(index, None)
        rest = tail.flush() if tail is not None else ""
        calls = sorted(k for k in self._calls if k[0] == index)
        flushed = [(k[1], self._calls.pop(k).flush()) for k in calls]
        flushed = [(k, text) for k, text in flushed if text]
        if not rest and not flushed:
            return
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            delta = choice["delta"] = {}
        if rest:
            delta["content"] = (delta.get("content") or "") + rest
        if flushed:
            extra = [{"index": k, "function": {"arguments": text}} for k, text in flushed]
            existing = delta.get("tool_calls")
            delta["tool_calls"] = (existing if isinstance(existing, list) else []) + extra

    def finish(self) -> dict[int, str]:
        """Held-back content of choices that never finished (``index → text``); empties the
        restorer. Tool-call argument tails of such choices are dropped (the arguments are
        incomplete anyway)."""
        out = {i: text for i, s in sorted(self._content.items()) if (text := s.flush())}
        self._content.clear()
        self._calls.clear()
        return out

    @property
    def held(self) -> int:
        """Characters currently held back across all choices."""
        return sum(s.held for s in self._content.values()) + sum(s.held for s in self._calls.values())

    def summary(self) -> dict[str, Any]:
        return _merge(self._text, self._args)

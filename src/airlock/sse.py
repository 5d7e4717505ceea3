"""Server-Sent Events, data-only, as OpenAI streams them.

Parsing is incremental and tolerant (``\\n`` or ``\\r\\n``, comments, multi-line ``data``,
a last event without its blank line); encoding writes exactly ``data: <json>\\n\\n``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson

__all__ = ["DONE", "SSEParser", "encode_done", "encode_event", "iter_sse_data"]

DONE = "[DONE]"
_DONE_FRAME = b"data: [DONE]\n\n"
#: an SSE event larger than this is a broken or hostile upstream
MAX_EVENT_BYTES = 8 * 1024 * 1024


class SSEParser:
    """Feed bytes, get complete ``data`` payloads (as str) back."""

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> list[str]:
        self._buf += chunk
        out: list[str] = []
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                if len(self._buf) > MAX_EVENT_BYTES:
                    raise ValueError("SSE line exceeds the size limit")
                return out
            line = self._buf[:nl]
            self._buf = self._buf[nl + 1 :]
            if line.endswith(b"\r"):
                line = line[:-1]
            self._line(line, out)

    def _line(self, line: bytes, out: list[str]) -> None:
        if not line:
            if self._data:
                out.append(b"\n".join(self._data).decode("utf-8"))
                self._data = []
                self._size = 0
            return
        if line.startswith(b":"):
            return  # comment / keep-alive
        field, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if field == b"data":
            self._size += len(value)
            if self._size > MAX_EVENT_BYTES:
                raise ValueError("SSE event exceeds the size limit")
            self._data.append(value)
        # event:, id:, retry: are not used by the OpenAI chat stream

    def close(self) -> list[str]:
        out: list[str] = []
        if self._buf:
            line = self._buf.rstrip(b"\r")
            self._buf = b""
            self._line(line, out)
        self._line(b"", out)
        return out


async def iter_sse_data(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    parser = SSEParser()
    async for chunk in chunks:
        for data in parser.feed(chunk):
            yield data
    for data in parser.close():
        yield data


def encode_event(obj: Any) -> bytes:
    return b"data: " + orjson.dumps(obj) + b"\n\n"


def encode_done() -> bytes:
    return _DONE_FRAME

"""Put rewritten texts back into a request body, by the paths :func:`airlock.requests.extract_texts`
gives (``messages[2].content``, ``messages[0].content[1].text``,
``messages[3].tool_calls[0].function.arguments``, ``tools[1].function.description``).

The caller's body is not modified: containers along each rewritten path are copied, the
rest is shared.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from airlock.transform.spans import TransformError

__all__ = ["parse_path", "with_texts"]

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|(\.)")


def parse_path(path: str) -> list[str | int]:
    """``messages[2].content[0].text`` → ``["messages", 2, "content", 0, "text"]``."""
    out: list[str | int] = []
    pos = 0
    expect_name = True
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if m is None:
            raise TransformError(f"cannot parse text path {path!r}")
        name, index, dot = m.groups()
        if dot:
            if expect_name:
                raise TransformError(f"cannot parse text path {path!r}")
            expect_name = True
        elif name is not None:
            if not expect_name:
                raise TransformError(f"cannot parse text path {path!r}")
            out.append(name)
            expect_name = False
        else:
            out.append(int(index))
            expect_name = False
        pos = m.end()
    if not out or expect_name:
        raise TransformError(f"cannot parse text path {path!r}")
    return out


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return dict(node)
    if isinstance(node, list):
        return list(node)
    return node


def with_texts(body: Mapping[str, Any], texts: Mapping[str, str]) -> dict[str, Any]:
    """A copy of ``body`` with the string at each path replaced by ``texts[path]``."""
    out: dict[str, Any] = dict(body)
    for path, text in texts.items():
        keys = parse_path(path)
        node: Any = out
        for key in keys[:-1]:
            child = _child(node, key, path)
            copied = _copy(child)
            node[key] = copied
            node = copied
        last = keys[-1]
        if not isinstance(_child(node, last, path), str):
            raise TransformError(f"text path {path!r} does not lead to a string")
        node[last] = text
    return out


def _child(node: Any, key: str | int, path: str) -> Any:
    if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
        return node[key]
    if isinstance(key, str) and isinstance(node, dict) and key in node:
        return node[key]
    raise TransformError(f"text path {path!r} does not exist in the body")

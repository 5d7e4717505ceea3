"""Request bodies: validation with errors that name the field, and text extraction.

Validation is deliberately shallow and fast: it checks the shapes Airlock itself relies on
and the types the OpenAI API defines, and lets every other field through untouched (upstreams
validate their own parameters).

:func:`extract_texts` lists every user-controlled string in a chat request (message contents
and names, tool results, tool-call arguments, tool descriptions) with its path, for the
detectors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from airlock.errors import InvalidRequestError

__all__ = ["extract_texts", "parse_json_body", "validate_chat", "validate_embeddings"]

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


def parse_json_body(raw: bytes) -> dict[str, Any]:
    if not raw:
        raise InvalidRequestError("The request body is empty; send a JSON object.", code="invalid_json")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequestError(
            f"The request body is not valid JSON (at character {exc.pos}).", code="invalid_json"
        ) from None
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object.", code="invalid_json")
    return body


def _type_error(param: str, expected: str, value: Any) -> InvalidRequestError:
    got = "null" if value is None else type(value).__name__
    return InvalidRequestError(
        f"Invalid type for '{param}': expected {expected}, got {got}.", param=param, code="invalid_type"
    )


def _check_int(body: dict[str, Any], name: str, lo: int, hi: int | None = None) -> None:
    value = body.get(name)
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise _type_error(name, "an integer", value)
    if value < lo or (hi is not None and value > hi):
        bounds = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise InvalidRequestError(f"'{name}' must be {bounds}.", param=name, code="invalid_value")


def _check_number(body: dict[str, Any], name: str, lo: float, hi: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _type_error(name, "a number", value)
    if not lo <= value <= hi:
        raise InvalidRequestError(f"'{name}' must be between {lo:g} and {hi:g}.", param=name, code="invalid_value")


def _check_content(content: Any, param: str, role: str, has_tool_calls: bool) -> None:
    if content is None:
        if role == "assistant" and has_tool_calls:
            return
        if role == "assistant":
            return
        raise InvalidRequestError(f"'{param}' is required for role '{role}'.", param=param, code="invalid_value")
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise _type_error(param, "a string or an array of content parts", content)
    for j, part in enumerate(content):
        p = f"{param}[{j}]"
        if not isinstance(part, dict):
            raise _type_error(p, "an object", part)
        kind = part.get("type")
        if not isinstance(kind, str):
            raise _type_error(f"{p}.type", "a string", kind)
        if kind == "text" and not isinstance(part.get("text"), str):
            raise _type_error(f"{p}.text", "a string", part.get("text"))


def validate_chat(body: dict[str, Any]) -> str:
    """Check a chat-completions body; return the requested model."""
    model = body.get("model")
    if model is None:
        raise InvalidRequestError("'model' is required.", param="model", code="missing_required_parameter")
    if not isinstance(model, str) or not model:
        raise _type_error("model", "a non-empty string", model)
    messages = body.get("messages")
    if messages is None:
        raise InvalidRequestError("'messages' is required.", param="messages", code="missing_required_parameter")
    if not isinstance(messages, list):
        raise _type_error("messages", "an array", messages)
    if not messages:
        raise InvalidRequestError("'messages' must not be empty.", param="messages", code="invalid_value")
    for i, msg in enumerate(messages):
        param = f"messages[{i}]"
        if not isinstance(msg, dict):
            raise _type_error(param, "an object", msg)
        role = msg.get("role")
        if not isinstance(role, str):
            raise _type_error(f"{param}.role", "a string", role)
        if role not in _ROLES:
            raise InvalidRequestError(
                f"Invalid value for '{param}.role': {role[:40]!r}; expected one of {', '.join(sorted(_ROLES))}.",
                param=f"{param}.role",
                code="invalid_value",
            )
        tool_calls = msg.get("tool_calls")
        if tool_calls is not None and not isinstance(tool_calls, list):
            raise _type_error(f"{param}.tool_calls", "an array", tool_calls)
        _check_content(msg.get("content"), f"{param}.content", role, bool(tool_calls))
        name = msg.get("name")
        if name is not None and not isinstance(name, str):
            raise _type_error(f"{param}.name", "a string", name)
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise _type_error("stream", "a boolean", stream)
    opts = body.get("stream_options")
    if opts is not None:
        if not isinstance(opts, dict):
            raise _type_error("stream_options", "an object", opts)
        if "include_usage" in opts and not isinstance(opts["include_usage"], bool):
            raise _type_error("stream_options.include_usage", "a boolean", opts["include_usage"])
    _check_int(body, "n", 1, 128)
    _check_int(body, "max_tokens", 1)
    _check_int(body, "max_completion_tokens", 1)
    _check_number(body, "temperature", 0.0, 2.0)
    _check_number(body, "top_p", 0.0, 1.0)
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise _type_error("tools", "an array", tools)
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict):
                raise _type_error(f"tools[{i}]", "an object", tool)
    fmt = body.get("response_format")
    if fmt is not None and (not isinstance(fmt, dict) or not isinstance(fmt.get("type"), str)):
        raise _type_error("response_format", "an object with a 'type'", fmt)
    stop = body.get("stop")
    if stop is not None and not isinstance(stop, str) and (
        not isinstance(stop, list) or not all(isinstance(s, str) for s in stop)
    ):
        raise _type_error("stop", "a string or an array of strings", stop)
    return model


def validate_embeddings(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _type_error("model", "a non-empty string", model)
    inp = body.get("input")
    if inp is None:
        raise InvalidRequestError("'input' is required.", param="input", code="missing_required_parameter")
    if not isinstance(inp, str | list):
        raise _type_error("input", "a string or an array", inp)
    return model


def _content_texts(content: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(content, str):
        if content:
            yield path, content
    elif isinstance(content, list):
        for j, part in enumerate(content):
            if isinstance(part, dict) and isinstance(part.get("text"), str) and part["text"]:
                yield f"{path}[{j}].text", part["text"]


def extract_texts(body: dict[str, Any]) -> list[tuple[str, str]]:
    """Every user-controlled string in a validated chat body, with its JSON path."""
    out: list[tuple[str, str]] = []
    for i, msg in enumerate(body.get("messages", [])):
        base = f"messages[{i}]"
        out.extend(_content_texts(msg.get("content"), f"{base}.content"))
        if isinstance(msg.get("name"), str) and msg["name"]:
            out.append((f"{base}.name", msg["name"]))
        for k, call in enumerate(msg.get("tool_calls") or []):
            fn = call.get("function") if isinstance(call, dict) else None
            if isinstance(fn, dict) and isinstance(fn.get("arguments"), str) and fn["arguments"]:
                out.append((f"{base}.tool_calls[{k}].function.arguments", fn["arguments"]))
    for i, tool in enumerate(body.get("tools") or []):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(fn, dict) and isinstance(fn.get("description"), str) and fn["description"]:
            out.append((f"tools[{i}].function.description", fn["description"]))
    return out

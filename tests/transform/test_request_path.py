"""The operators as the gateway uses them: a chat body in, placeholders upstream, originals
back in whole and streamed responses (chunks split at every position)."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from airlock.requests import extract_texts
from airlock.transform import (
    Action,
    ChunkRestorer,
    PlaceholderFormat,
    PseudonymMap,
    TransformError,
    parse_path,
    restore_completion,
    transform,
    with_texts,
)
from tests.transform.conftest import findings_for

VALUES = [
    ("PERSON", "Alice Smith"),
    ("CN_RESIDENT_ID", "11010519491231002X"),
    ("CN_PHONE", "13800138000"),
    ("EMAIL", 'a"b@example.com'),
]
BODY: dict[str, Any] = {
    "model": "m",
    "messages": [
        {"role": "system", "content": "You help Alice Smith."},
        {"role": "user", "content": [{"type": "text", "text": "My id is 11010519491231002X, phone 13800138000."},
                                     {"type": "image_url", "image_url": {"url": "http://x"}}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function",
             "function": {"name": "lookup", "arguments": '{"email": "a\\"b@example.com", "who": "Alice Smith"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "Alice Smith: 13800138000"},
    ],
}


def pseudonymised() -> tuple[dict[str, Any], PseudonymMap]:
    texts = extract_texts(BODY)
    # detectors report the escaped JSON text inside arguments; search the escaped form too
    found = findings_for(texts, [*VALUES, ("EMAIL", 'a\\"b@example.com')])
    pm = PseudonymMap("acme", "r_dec_1", PlaceholderFormat())
    result = transform(texts, found, actions=dict.fromkeys([t for t, _ in VALUES], Action.PSEUDONYMISE),
                       pseudonyms=pm)
    return with_texts(BODY, result.changed()), pm


def test_upstream_sees_only_placeholders_and_the_client_body_is_untouched() -> None:
    before = copy.deepcopy(BODY)
    upstream, _ = pseudonymised()
    assert before == BODY
    wire = orjson.dumps(upstream).decode()
    for _, value in VALUES:
        assert value not in wire
    assert "b@example.com" not in wire
    assert upstream["messages"][0]["content"] == "You help <PERSON_1>."
    assert upstream["messages"][1]["content"][0]["text"] == "My id is <CN_RESIDENT_ID_1>, phone <CN_PHONE_1>."
    assert upstream["messages"][1]["content"][1] is BODY["messages"][1]["content"][1]  # shared, not copied
    args = orjson.loads(upstream["messages"][2]["tool_calls"][0]["function"]["arguments"])
    assert args == {"email": "<EMAIL_1>", "who": "<PERSON_1>"}
    assert upstream["messages"][3]["content"] == "<PERSON_1>: <CN_PHONE_1>"


ANSWER = "Dear <PERSON_1>, we called ＜CN_PHONE_1＞ about id <cn-resident-id-1>. Bye PERSON_1."
RESTORED = "Dear Alice Smith, we called 13800138000 about id 11010519491231002X. Bye Alice Smith."
ARGS = '{"to": "<EMAIL_1>", "name": "<PERSON_1>"}'


def test_whole_response_is_restored() -> None:
    _, pm = pseudonymised()
    body = {"choices": [
        {"index": 0, "message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"},
        {"index": 1, "message": {"role": "assistant", "content": None, "tool_calls": [
            {"id": "t", "type": "function", "function": {"name": "send", "arguments": ARGS}}]},
         "finish_reason": "tool_calls"},
    ]}
    summary = restore_completion(body, pm)
    assert body["choices"][0]["message"]["content"] == RESTORED
    assert orjson.loads(body["choices"][1]["message"]["tool_calls"][0]["function"]["arguments"]) == {
        "to": 'a"b@example.com', "name": "Alice Smith"}
    assert summary == {"restored": {"CN_PHONE": 1, "CN_RESIDENT_ID": 1, "EMAIL": 1, "PERSON": 3}, "unresolved": 0}


def chunk(index: int, content: str | None = None, finish: str | None = None, args: str | None = None) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if content is not None:
        delta["content"] = content
    if args is not None:
        delta["tool_calls"] = [{"index": 0, "function": {"arguments": args}}]
    return {"id": "x", "object": "chat.completion.chunk", "choices": [
        {"index": index, "delta": delta, "finish_reason": finish}]}


def collect(chunks: list[dict[str, Any]]) -> tuple[dict[int, str], dict[int, str]]:
    content: dict[int, str] = {}
    args: dict[int, str] = {}
    for c in chunks:
        for choice in c["choices"]:
            delta = choice["delta"]
            content[choice["index"]] = content.get(choice["index"], "") + (delta.get("content") or "")
            for call in delta.get("tool_calls") or []:
                args[choice["index"]] = args.get(choice["index"], "") + call["function"]["arguments"]
    return content, args


@pytest.mark.parametrize("cut", range(len(ANSWER) + 1))
def test_streamed_content_split_anywhere(cut: int) -> None:
    _, pm = pseudonymised()
    r = ChunkRestorer(pm)
    out = [r.chunk(chunk(0, ANSWER[:cut])), r.chunk(chunk(0, ANSWER[cut:])), r.chunk(chunk(0, "", finish="stop"))]
    assert collect(out)[0] == {0: RESTORED}
    assert r.held == 0
    assert r.finish() == {}


@pytest.mark.parametrize("cut", range(0, len(ARGS) + 1, 3))
def test_streamed_tool_arguments_split_anywhere(cut: int) -> None:
    _, pm = pseudonymised()
    r = ChunkRestorer(pm)
    out = [r.chunk(chunk(0, args=ARGS[:cut])), r.chunk(chunk(0, args=ARGS[cut:])),
           r.chunk(chunk(0, finish="tool_calls"))]
    assert orjson.loads(collect(out)[1][0]) == {"to": 'a"b@example.com', "name": "Alice Smith"}


def test_interleaved_choices_and_unfinished_stream() -> None:
    _, pm = pseudonymised()
    r = ChunkRestorer(pm)
    out = [r.chunk(chunk(0, "Hi <PER")), r.chunk(chunk(1, "Yo <CN_PH")), r.chunk(chunk(0, "SON_1>")),
           r.chunk(chunk(1, "ONE_1")), r.chunk(chunk(0, "!", finish="stop"))]
    content, _ = collect(out)
    assert content == {0: "Hi Alice Smith!", 1: "Yo "}
    # cut mid-placeholder: the bracketed form never completed, but the bare token inside counts
    assert r.finish() == {1: "<13800138000"}
    assert r.summary() == {"restored": {"CN_PHONE": 1, "PERSON": 1}, "unresolved": 0}


def test_chunks_without_choices_pass_through() -> None:
    _, pm = pseudonymised()
    usage = {"id": "x", "choices": [], "usage": {"total_tokens": 3}}
    assert ChunkRestorer(pm).chunk(dict(usage)) == usage


@pytest.mark.parametrize(
    ("path", "keys"),
    [
        ("messages[2].content", ["messages", 2, "content"]),
        ("messages[0].content[1].text", ["messages", 0, "content", 1, "text"]),
        ("tools[1].function.description", ["tools", 1, "function", "description"]),
        ("input[3]", ["input", 3]),
    ],
)
def test_parse_path(path: str, keys: list[str | int]) -> None:
    assert parse_path(path) == keys


@pytest.mark.parametrize("path", ["", ".a", "a..b", "a.", "a[x]", "a[1]b", "[1]"])
def test_bad_paths(path: str) -> None:
    if path == "[1]":
        assert parse_path(path) == [1]
        return
    with pytest.raises(TransformError):
        parse_path(path)


@pytest.mark.parametrize("path", ["messages[9].content", "messages[1].content", "nothing", "messages[0].role.x"])
def test_with_texts_refuses_paths_that_do_not_lead_to_a_string(path: str) -> None:
    with pytest.raises(TransformError):
        with_texts(BODY, {path: "x"})


def test_values_inside_tool_arguments_are_stored_json_decoded() -> None:
    texts = [("messages[0].content", 'mail a"b@x.com'),
             ("messages[1].tool_calls[0].function.arguments", '{"e": "a\\"b@x.com"}')]
    found = findings_for(texts, [("EMAIL", 'a"b@x.com'), ("EMAIL", 'a\\"b@x.com')])
    pm = PseudonymMap("acme", "s", PlaceholderFormat())
    result = transform(texts, found, actions={"EMAIL": Action.PSEUDONYMISE}, pseudonyms=pm)
    assert [t for _, t in result.texts] == ["mail <EMAIL_1>", '{"e": "<EMAIL_1>"}']
    assert [p.original for p in pm.new] == ['a"b@x.com']

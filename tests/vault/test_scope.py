"""Scope derivation: bound to the API key, no client text stored, header validated."""

from __future__ import annotations

import pytest

from airlock.errors import InvalidRequestError
from airlock.vault import conversation_scope, request_scope, scope_for


def test_same_key_and_conversation_same_scope() -> None:
    assert conversation_scope("key1", "conv-42") == conversation_scope("key1", "conv-42")


@pytest.mark.parametrize(("key", "conv"), [("key2", "conv-42"), ("key1", "conv-43"), ("key1", "Conv-42")])
def test_another_key_or_conversation_gets_another_scope(key: str, conv: str) -> None:
    assert conversation_scope(key, conv) != conversation_scope("key1", "conv-42")


def test_scope_carries_no_client_text() -> None:
    scope = conversation_scope("key1", "alice-smith-medical-chat")
    assert scope.startswith("c_") and len(scope) == 34 and "alice" not in scope


def test_without_header_each_request_is_its_own_scope() -> None:
    assert scope_for("key1", None, "dec_abc") == request_scope("dec_abc") == "r_dec_abc"
    assert scope_for("key1", "conv", "dec_abc") == conversation_scope("key1", "conv")


@pytest.mark.parametrize("bad", ["", " ", "a b", "x" * 129, "中文", "tab\there"])
def test_bad_conversation_ids_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        conversation_scope("key1", bad)
    assert info.value.code == "invalid_conversation_id"
    assert info.value.param == "x-airlock-conversation-id"

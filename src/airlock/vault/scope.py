"""Which conversation a request belongs to: the vault scope.

A client that wants pseudonyms to persist across turns names its conversation with the
``x-airlock-conversation-id`` header (1-128 visible ASCII characters). The scope is a hash of
the API key id and that name, so another key — even of the same tenant — can never reach
the conversation's vault entries by sending the same header, and the stored scope carries
no client text. Without the header each request is its own scope (``r_<decision id>``): a
client that resends the whole history still gets the same placeholders on every turn,
because numbering follows the order of first appearance.
"""

from __future__ import annotations

import hashlib
import re

from airlock.errors import InvalidRequestError

__all__ = ["CONVERSATION_HEADER", "conversation_scope", "request_scope", "scope_for"]

CONVERSATION_HEADER = "x-airlock-conversation-id"

_CONVERSATION_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


def conversation_scope(key_id: str, conversation_id: str) -> str:
    if not _CONVERSATION_ID.match(conversation_id):
        raise InvalidRequestError(
            f"The {CONVERSATION_HEADER} header must be 1-128 visible ASCII characters.",
            param=CONVERSATION_HEADER,
            code="invalid_conversation_id",
        )
    digest = hashlib.sha256(f"airlock-scope\0{key_id}\0{conversation_id}".encode()).hexdigest()
    return f"c_{digest[:32]}"


def request_scope(decision_id: str) -> str:
    return f"r_{decision_id}"


def scope_for(key_id: str, conversation_id: str | None, decision_id: str) -> str:
    """The scope of a request: its conversation's when the header is present, else its own."""
    if conversation_id is None:
        return request_scope(decision_id)
    return conversation_scope(key_id, conversation_id)

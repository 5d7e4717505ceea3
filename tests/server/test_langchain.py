"""LangChain's ChatOpenAI works against Airlock unchanged."""

from __future__ import annotations

import pytest

from tests.helpers import ServerThread
from tests.upstream import FakeUpstream

langchain_openai = pytest.importorskip("langchain_openai")


def test_chat_openai_invoke_and_stream(gateway_server: ServerThread, upstream: FakeUpstream) -> None:
    llm = langchain_openai.ChatOpenAI(
        base_url=gateway_server.base_url, api_key=gateway_server.key(), model="fake", max_retries=0
    )
    assert llm.invoke("hello there").content == "hello there"
    streamed = "".join(str(chunk.content) for chunk in llm.stream("one two"))
    assert streamed == "one two"

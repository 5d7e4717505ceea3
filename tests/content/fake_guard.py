"""A real HTTP server on 127.0.0.1 that speaks the guard wire formats (for adapter tests).

Routes: ``/v1/chat/completions`` (Llama Guard / Qwen3Guard), ``/v1/completions`` (Llama
Guard raw prompt), ``/v1/moderations`` (OpenAI), ``/contentsafety/text:analyze`` and
``/contentsafety/text:shieldPrompt`` (Azure). The answer depends on marker words in the text:
``UNSAFE_VIOLENT`` -> unsafe, ``SLOW`` -> sleeps past the client timeout, ``BROKEN`` -> an
unparseable answer, ``ERROR500`` -> HTTP 500. Requests are recorded (path, headers, body).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        text = json.dumps(body)
        if "SLOW" in text:
            time.sleep(1.5)
        if "ERROR500" in text:
            self._send(500, {"error": "boom"})
            return
        unsafe = "UNSAFE_VIOLENT" in text
        path = self.path.split("?")[0]
        if path == "/v1/chat/completions":
            model = body.get("model", "")
            if "BROKEN" in text:
                content = "I think this is fine"
            elif "qwen" in model.lower():
                content = "Safety: Unsafe\nCategories: Violent\n" if unsafe else "Safety: Safe\nCategories: None\n"
                if len(body.get("messages", [])) == 2:
                    content += "Refusal: No\n"
            else:
                content = "unsafe\nS1,S10" if unsafe else "safe"
            self._send(
                200,
                {
                    "id": "c1",
                    "object": "chat.completion",
                    "model": model,
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                    ],
                },
            )
        elif path == "/v1/completions":
            self._send(
                200,
                {
                    "id": "c2",
                    "object": "text_completion",
                    "choices": [{"index": 0, "text": "unsafe\nS9" if unsafe else "safe", "finish_reason": "stop"}],
                },
            )
        elif path == "/v1/moderations":
            cats = {"violence": unsafe, "hate": False, "sexual/minors": False}
            scores = {"violence": 0.97 if unsafe else 0.01, "hate": 0.01, "sexual/minors": 0.0}
            self._send(
                200,
                {
                    "id": "modr-1",
                    "model": body.get("model"),
                    "results": [{"flagged": unsafe, "categories": cats, "category_scores": scores}],
                },
            )
        elif path == "/contentsafety/text:analyze":
            if "BROKEN" in text:
                self._send(200, {"unexpected": True})
                return
            self._send(
                200,
                {
                    "blocklistsMatch": [{"blocklistName": "mylist", "blocklistItemId": "1", "blocklistItemText": "x"}]
                    if "BLOCKED" in text
                    else [],
                    "categoriesAnalysis": [
                        {"category": "Hate", "severity": 0},
                        {"category": "SelfHarm", "severity": 0},
                        {"category": "Sexual", "severity": 0},
                        {"category": "Violence", "severity": 6 if unsafe else 0},
                    ],
                },
            )
        elif path == "/contentsafety/text:shieldPrompt":
            docs = body.get("documents", [])
            self._send(
                200,
                {
                    "userPromptAnalysis": {"attackDetected": "IGNORE RULES" in body.get("userPrompt", "")},
                    "documentsAnalysis": [{"attackDetected": "IGNORE RULES" in d} for d in docs],
                },
            )
        else:
            self._send(404, {"error": "not found"})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []


@contextmanager
def fake_guard_server() -> Iterator[_Server]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def base_url(server: _Server) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"

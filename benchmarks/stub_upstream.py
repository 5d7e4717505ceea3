"""A deliberately minimal OpenAI-compatible upstream for overhead benchmarks.

Raw asyncio protocol (uvloop when available), HTTP/1.1 keep-alive, one fixed chat completion
for every request. It does far less work than any gateway, so whatever latency a gateway adds
on top of it is the gateway's own. Usage: python stub_upstream.py PORT
"""

from __future__ import annotations

import asyncio
import sys

BODY = (
    b'{"id":"chatcmpl-stub","object":"chat.completion","created":1700000000,"model":"stub",'
    b'"choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the stub upstream.",'
    b'"refusal":null},"logprobs":null,"finish_reason":"stop"}],'
    b'"usage":{"prompt_tokens":10,"completion_tokens":7,"total_tokens":17}}'
)
RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(BODY), BODY)


class StubProtocol(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].lower()
            length = 0
            i = head.find(b"content-length:")
            if i >= 0:
                length = int(head[i + 15 :].split(b"\r\n", 1)[0])
            if len(self.buf) < end + 4 + length:
                return
            self.buf = self.buf[end + 4 + length :]
            self.transport.write(RESPONSE)


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(StubProtocol, "127.0.0.1", port)
    print(f"stub upstream on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(int(sys.argv[1])))

"""A small OpenAI-compatible chat-completions server on loopback, scripted per request.

Answers in instructor's TOOLS shape (one tool call). A `script` decides per request:
return a `Reply` (status, headers, JSON body or raw text, delay) or None for the default
answer produced by `answer(request_body) -> dict` (the tool call's arguments).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    raw: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def tool_call_body(name: str, arguments: str, model: str = "fake-model") -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": name, "arguments": arguments},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }


def tool_name(body: dict[str, Any]) -> str:
    tools = body.get("tools") or []
    return str(tools[0]["function"]["name"]) if tools else "answer"


def user_text(body: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content") or "") for m in body.get("messages", []))


Script = Callable[[dict[str, Any], int], Reply | None]
Answer = Callable[[dict[str, Any]], dict[str, Any]]


class FakeOpenAI:
    def __init__(
        self,
        answer: Answer | None = None,
        script: Script | None = None,
        latency: float = 0.0,
    ) -> None:
        self.answer = answer or (lambda _body: {"items": []})
        self.script = script
        self.latency = latency
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with outer._lock:
                    outer.requests.append(body)
                    n = len(outer.requests)
                reply = outer.script(body, n) if outer.script else None
                if reply is None:
                    args = json.dumps(outer.answer(body))
                    reply = Reply(body=tool_call_body(tool_name(body), args))
                wait = reply.delay + outer.latency
                if wait:
                    # Sleep in small steps so shutdown is not held up by a "hung" reply.
                    end = time.monotonic() + wait
                    while time.monotonic() < end and not outer._stop.is_set():
                        time.sleep(0.05)
                payload = reply.raw if reply.raw is not None else json.dumps(reply.body or {})
                data = payload.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    """`python -m tests.fake_openai LATENCY`: serve in this process, print the base URL."""
    import sys

    latency = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    with FakeOpenAI(latency=latency) as server:
        print(server.base_url, flush=True)
        try:
            server.thread.join()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()

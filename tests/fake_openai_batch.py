"""A loopback server for the OpenAI files and batches endpoints (and chat completions).

Implements what the Batch API documents: `POST /v1/files` (multipart, purpose=batch),
`GET /v1/files/{id}` and `/content`, `POST /v1/batches`, `GET /v1/batches/{id}`,
`POST /v1/batches/{id}/cancel`. A batch moves validating → in_progress → finalizing →
completed, one step per status poll; an input file with a malformed line goes to
`failed` with `errors`. On completion, each line's answer goes to the output file
(`response.status_code` 200, a chat completion in the TOOLS shape) or, when `reject`
says so, to the error file (status 400 with an error body), as the real service does.
`POST /v1/chat/completions` answers direct calls (the fallback) the same way.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fake_openai import tool_call_body, tool_name

Answer = Callable[[dict[str, Any]], dict[str, Any]]
Reject = Callable[[dict[str, Any]], bool]
STEPS = ("validating", "in_progress", "finalizing", "completed")


def parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a multipart/form-data body: name -> (filename, bytes)."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        fields[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


class FakeBatchServer:
    def __init__(
        self, answer: Answer | None = None, reject: Reject | None = None, model: str = "fake-model"
    ) -> None:
        self.answer = answer or (lambda _body: {"items": []})
        self.reject = reject or (lambda _body: False)
        self.model = model
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.chat_calls: list[dict[str, Any]] = []
        self.polls = 0
        self._lock = threading.Lock()
        self._n = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def _send(self, status: int, body: Any, raw: bytes | None = None) -> None:
                data = raw if raw is not None else json.dumps(body).encode()
                self.send_response(status)
                ctype = "application/octet-stream" if raw is not None else "application/json"
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("content-length", 0)))

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parts = self.path.split("?")[0].strip("/").split("/")
                with outer._lock:
                    if parts[:2] == ["v1", "files"] and len(parts) == 4 and parts[3] == "content":
                        data = outer.contents.get(parts[2])
                        if data is None:
                            return self._send(404, _error("no such file"))
                        return self._send(200, None, raw=data)
                    if parts[:2] == ["v1", "files"] and len(parts) == 3:
                        found = outer.files.get(parts[2])
                        return self._send(200, found) if found else self._send(404, _error("?"))
                    if parts[:2] == ["v1", "batches"] and len(parts) == 3:
                        batch = outer.batches.get(parts[2])
                        if batch is None:
                            return self._send(404, _error("no such batch"))
                        outer.polls += 1
                        outer._advance(batch)
                        return self._send(200, batch)
                self._send(404, _error(f"unknown path {self.path}"))

            def do_POST(self) -> None:  # noqa: N802
                parts = self.path.split("?")[0].strip("/").split("/")
                raw = self._body()
                with outer._lock:
                    if parts == ["v1", "files"]:
                        form = parse_multipart(self.headers.get("content-type", ""), raw)
                        if "file" not in form or form.get("purpose", (None, b""))[1] != b"batch":
                            return self._send(400, _error("file and purpose=batch required"))
                        filename, data = form["file"]
                        return self._send(200, outer._add_file(filename or "input.jsonl", data))
                    if parts == ["v1", "batches"]:
                        request = json.loads(raw or b"{}")
                        if request.get("input_file_id") not in outer.files:
                            return self._send(400, _error("input_file_id not found"))
                        return self._send(200, outer._create(request))
                    if parts[:2] == ["v1", "batches"] and parts[3:] == ["cancel"]:
                        batch = outer.batches.get(parts[2])
                        if batch is None:
                            return self._send(404, _error("no such batch"))
                        batch["status"] = "cancelling"
                        batch["cancelling_at"] = int(time.time())
                        return self._send(200, batch)
                    if parts == ["v1", "chat", "completions"]:
                        body = json.loads(raw or b"{}")
                        outer.chat_calls.append(body)
                        return self._send(200, outer._completion(body))
                self._send(404, _error(f"unknown path {self.path}"))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n}"

    def _add_file(self, filename: str, data: bytes, purpose: str = "batch") -> dict[str, Any]:
        file_id = self._id("file")
        self.contents[file_id] = data
        self.files[file_id] = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
        }
        return self.files[file_id]

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        return tool_call_body(tool_name(body), json.dumps(self.answer(body)), model=self.model)

    def _create(self, request: dict[str, Any]) -> dict[str, Any]:
        batch_id = self._id("batch")
        lines = self.contents[request["input_file_id"]].decode().splitlines()
        self.batches[batch_id] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": request.get("endpoint"),
            "errors": None,
            "input_file_id": request["input_file_id"],
            "completion_window": request.get("completion_window", "24h"),
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": int(time.time()),
            "in_progress_at": None,
            "expires_at": int(time.time()) + 86400,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {
                "total": len([x for x in lines if x.strip()]),
                "completed": 0,
                "failed": 0,
            },
            "metadata": request.get("metadata"),
        }
        return self.batches[batch_id]

    def _advance(self, batch: dict[str, Any]) -> None:
        now = int(time.time())
        status = batch["status"]
        if status == "cancelling":
            batch.update(status="cancelled", cancelled_at=now)
            return
        if status not in STEPS or status == "completed":
            return
        if status == "validating":
            errors = self._validate(batch)
            if errors:
                batch.update(
                    status="failed", failed_at=now, errors={"object": "list", "data": errors}
                )
                return
        nxt = STEPS[STEPS.index(status) + 1]
        batch["status"] = nxt
        batch[f"{nxt}_at"] = now
        if nxt == "completed":
            self._run(batch)

    def _validate(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        for n, raw in enumerate(self.contents[batch["input_file_id"]].decode().splitlines(), 1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                errors.append({"code": "invalid_json_line", "message": "not JSON", "line": n})
                continue
            if line.get("custom_id") in seen or not line.get("custom_id"):
                errors.append({"code": "duplicate_custom_id", "message": "custom_id", "line": n})
            seen.add(line.get("custom_id"))
            if line.get("method") != "POST" or line.get("url") != batch["endpoint"]:
                errors.append({"code": "invalid_url", "message": "url/method", "line": n})
            if not isinstance(line.get("body"), dict) or "messages" not in line["body"]:
                errors.append({"code": "invalid_body", "message": "body", "line": n})
        return errors

    def _run(self, batch: dict[str, Any]) -> None:
        out: list[str] = []
        err: list[str] = []
        for raw in self.contents[batch["input_file_id"]].decode().splitlines():
            if not raw.strip():
                continue
            line = json.loads(raw)
            row_id = self._id("batch_req")
            if self.reject(line["body"]):
                err.append(
                    json.dumps(
                        {
                            "id": row_id,
                            "custom_id": line["custom_id"],
                            "response": {
                                "status_code": 400,
                                "request_id": row_id,
                                "body": _error("rejected by the fake batch"),
                            },
                            "error": None,
                        }
                    )
                )
            else:
                out.append(
                    json.dumps(
                        {
                            "id": row_id,
                            "custom_id": line["custom_id"],
                            "response": {
                                "status_code": 200,
                                "request_id": row_id,
                                "body": self._completion(line["body"]),
                            },
                            "error": None,
                        }
                    )
                )
        if out:
            batch["output_file_id"] = self._add_file(
                "output.jsonl", ("\n".join(out) + "\n").encode(), "batch_output"
            )["id"]
        if err:
            batch["error_file_id"] = self._add_file(
                "errors.jsonl", ("\n".join(err) + "\n").encode(), "batch_output"
            )["id"]
        batch["request_counts"].update(completed=len(out), failed=len(err))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeBatchServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _error(message: str) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}
    }

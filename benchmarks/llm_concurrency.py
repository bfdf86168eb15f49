"""Throughput of the LLM runner against a server with a fixed 500 ms latency: concurrency 1 vs 16.

Run: `.venv/bin/python -m benchmarks.llm_concurrency` — prints both wall times and their ratio
(the ratio should approach 16: the runner keeps that many requests in flight).
"""

from __future__ import annotations

import subprocess
import sys
import time

from ddd_llm.llm import LlmRequest, ProviderSettings, get_provider
from ddd_llm.llm.runner import Runner
from ddd_llm.llm.schemas import ConfigParameters

REQUESTS = 64
LATENCY = 0.5


def requests() -> list[LlmRequest]:
    return [
        LlmRequest(
            prompt="config_parameter",
            prompt_version="bench",
            messages=({"role": "user", "content": f"excerpt {i}"},),
            response_model=ConfigParameters,
            label=f"bench:{i}",
        )
        for i in range(REQUESTS)
    ]


def timed(base_url: str, concurrency: int) -> float:
    provider = get_provider("openai", ProviderSettings(model="bench", base_url=base_url))
    runner = Runner(provider, cache=None, concurrency=concurrency, timeout=30)
    start = time.perf_counter()
    outcomes = runner.run(requests())
    elapsed = time.perf_counter() - start
    assert all(o.completion is not None for o in outcomes), runner.stats.failures
    return elapsed


def main() -> None:
    # The server runs in its own process so it does not share this one's GIL.
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_openai", str(LATENCY)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        serial = timed(base_url, 1)
        parallel = timed(base_url, 16)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"{REQUESTS} requests, {LATENCY * 1000:.0f} ms server latency")
    print(f"concurrency 1:  {serial:.2f}s ({REQUESTS / serial:.1f} req/s)")
    print(f"concurrency 16: {parallel:.2f}s ({REQUESTS / parallel:.1f} req/s)")
    print(f"speed-up: {serial / parallel:.1f}x (ideal 16x)")


if __name__ == "__main__":
    main()

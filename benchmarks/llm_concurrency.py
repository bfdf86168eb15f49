"""Throughput of the LLM runner against a server with a fixed 500 ms latency: concurrency 1 vs 16.

Run: `.venv/bin/python -m benchmarks.llm_concurrency` — prints requests/second at each setting
and their ratio (it should approach 16: the runner keeps that many requests in flight).
"""

from __future__ import annotations

import subprocess
import sys
import time

from ddd_llm.llm import LlmRequest, ProviderSettings, get_provider
from ddd_llm.llm.runner import Runner
from ddd_llm.llm.schemas import ConfigParameters

SERIAL_REQUESTS = 32
PARALLEL_REQUESTS = 256
LATENCY = 0.5


def requests(count: int) -> list[LlmRequest]:
    return [
        LlmRequest(
            prompt="config_parameter",
            prompt_version="bench",
            messages=({"role": "user", "content": f"excerpt {i}"},),
            response_model=ConfigParameters,
            label=f"bench:{i}",
        )
        for i in range(count)
    ]


def timed(base_url: str, concurrency: int, count: int) -> float:
    provider = get_provider("openai", ProviderSettings(model="bench", base_url=base_url))
    runner = Runner(provider, cache=None, concurrency=concurrency, timeout=30)
    start = time.perf_counter()
    outcomes = runner.run(requests(count))
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
        serial = SERIAL_REQUESTS / timed(base_url, 1, SERIAL_REQUESTS)
        parallel = PARALLEL_REQUESTS / timed(base_url, 16, PARALLEL_REQUESTS)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"{LATENCY * 1000:.0f} ms server latency")
    print(f"concurrency 1:  {serial:.2f} req/s over {SERIAL_REQUESTS} requests")
    print(f"concurrency 16: {parallel:.2f} req/s over {PARALLEL_REQUESTS} requests")
    print(f"throughput ratio: {parallel / serial:.1f}x (ideal 16x)")


if __name__ == "__main__":
    main()

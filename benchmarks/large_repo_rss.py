"""Peak memory and wall time of `ddd-llm extract` on a generated 20,000-file repository.

The repository is a monorepo of services, each with Python code and settings, a Dockerfile,
Kubernetes manifests, a systemd unit, docs, an `.env.example` and data files, with some
secrets planted so redaction does real work. Extraction runs in a child process whose peak
resident set size is read from `getrusage(RUSAGE_CHILDREN)`; the target is under 1 GiB (issue #18).
Reported, not asserted (the machine is shared).

    python -m benchmarks.large_repo_rss [--files 20000] [--llm none] [--no-index] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ddd_llm.scan.scanner import scan

TARGET_BYTES = 1024**3
WORDS = (
    "orders payment ledger queue retry worker cache session token invoice export import "
    "report audit shipment customer account refund schedule notify metrics health".split()
)


def _python_module(rng: random.Random, service: str, n: int) -> str:
    funcs = []
    for i in range(rng.randint(3, 12)):
        a, b = rng.sample(WORDS, 2)
        funcs.append(
            f"def {a}_{b}_{i}(items: list[int], limit: int = {rng.randint(1, 500)}) -> int:\n"
            f'    """{a.title()} {b} for {service}."""\n'
            f"    total = 0\n    for item in items[:limit]:\n"
            f"        total += item * {rng.randint(2, 9)}\n    return total\n"
        )
    return f'"""{service} module {n}."""\n\nfrom __future__ import annotations\n\n' + "\n\n".join(
        funcs
    )


def _settings(rng: random.Random, service: str) -> str:
    up = service.upper().replace("-", "_")
    lines = ['"""Settings read from the environment."""', "", "import os", ""]
    for word in rng.sample(WORDS, 6):
        name = f"{up}_{word.upper()}_LIMIT"
        lines.append(f'{name.lower()} = int(os.getenv("{name}", "{rng.randint(1, 900)}"))')
    lines.append(f'PORT = int(os.getenv("PORT", "{8000 + rng.randint(0, 999)}"))')
    if rng.random() < 0.3:
        key = "".join(
            rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnop23456789") for _ in range(32)
        )
        lines.append(f'SECRET_KEY = os.getenv("SECRET_KEY", "dev-{key}")')
    return "\n".join(lines) + "\n"


def _k8s(rng: random.Random, service: str) -> str:
    port = 8000 + rng.randint(0, 999)
    memory = rng.choice(["128Mi", "256Mi", "512Mi", "1Gi"])
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {service}
spec:
  replicas: {rng.randint(1, 5)}
  selector:
    matchLabels: {{app: {service}}}
  template:
    metadata:
      labels: {{app: {service}}}
    spec:
      containers:
        - name: {service}
          image: registry.example.com/{service}:1.{rng.randint(0, 40)}.0
          ports:
            - containerPort: {port}
          env:
            - name: LOG_LEVEL
              value: info
            - name: DATABASE_URL
              value: postgresql://{service}:pw{rng.randint(1000, 9999)}x@db:5432/{service}
          readinessProbe:
            httpGet: {{path: /healthz, port: {port}}}
          resources:
            limits: {{memory: {memory}, cpu: 500m}}
"""


def _dockerfile(rng: random.Random) -> str:
    return (
        f"FROM python:3.{rng.randint(10, 12)}-slim\nWORKDIR /app\nCOPY . /app\n"
        "RUN pip install --no-cache-dir -r requirements.txt\n"
        f"EXPOSE {8000 + rng.randint(0, 999)}\n"
        "HEALTHCHECK CMD curl -fsS http://localhost:8000/healthz || exit 1\n"
        'CMD ["python", "-m", "app"]\n'
    )


def _unit(service: str) -> str:
    return (
        f"[Unit]\nDescription={service}\nAfter=network-online.target\n\n[Service]\n"
        f"ExecStart=/usr/bin/python3 -m {service.replace('-', '_')}\nRestart=on-failure\n"
        "WatchdogSec=30\nEnvironment=LOG_LEVEL=info\n\n[Install]\nWantedBy=multi-user.target\n"
    )


def _doc(rng: random.Random, service: str, n: int) -> str:
    paras = [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 80))) + "." for _ in range(6)
    ]
    return f"# {service} notes {n}\n\n" + "\n\n".join(paras) + "\n"


def _data(rng: random.Random, n: int) -> str:
    rows = [
        f'  {{"id": {i}, "name": "{rng.choice(WORDS)}", "value": {rng.random():.4f}}}'
        for i in range(rng.randint(20, 60))
    ]
    return f'{{"set": {n}, "rows": [\n' + ",\n".join(rows) + "\n]}\n"


def generate(root: Path, files: int, seed: int = 7) -> int:
    """Write `files` files under `root`; returns their total size in bytes."""
    rng = random.Random(seed)
    per_service = 100
    written = 0
    total = 0

    def put(rel: str, text: str) -> None:
        nonlocal written, total
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written += 1
        total += len(text.encode())

    service_no = 0
    while written < files:
        service = f"{rng.choice(WORDS)}-{service_no}"
        base = f"services/{service}"
        fixed = {
            f"{base}/Dockerfile": _dockerfile(rng),
            f"{base}/k8s/deployment.yaml": _k8s(rng, service),
            f"{base}/deploy/{service}.service": _unit(service),
            f"{base}/app/settings.py": _settings(rng, service),
            f"{base}/.env.example": f"LOG_LEVEL=info\nAPI_TOKEN=tok-{rng.getrandbits(64):x}\n",
            f"{base}/README.md": _doc(rng, service, 0),
        }
        for rel, text in fixed.items():
            if written < files:
                put(rel, text)
        for n in range(per_service - len(fixed)):
            if written >= files:
                break
            kind = n % 4
            if kind in (0, 1):
                put(f"{base}/app/mod_{n}.py", _python_module(rng, service, n))
            elif kind == 2:
                put(f"{base}/docs/page_{n}.md", _doc(rng, service, n))
            else:
                put(f"{base}/data/set_{n}.json", _data(rng, n))
        service_no += 1
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--llm", default="none")
    parser.add_argument("--no-index", action="store_true")
    parser.add_argument("--keep", type=Path, help="generate the repository here and keep it")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ddd-llm-bench-"))
    repo = args.keep or tmp / "repo"
    try:
        started = time.perf_counter()
        size = generate(repo, args.files)
        took = time.perf_counter() - started
        print(f"generated {args.files} files, {size / 1e6:.1f} MB in {took:.1f}s")

        started = time.perf_counter()
        scanned = scan(repo)
        took = time.perf_counter() - started
        print(
            f"scan + redaction alone: {took:.1f}s ({size / 1e6 / took:.1f} MB/s), "
            f"{len(scanned.files)} files read, {len(scanned.redactions)} secrets redacted"
        )
        del scanned

        command = [
            sys.executable,
            "-m",
            "ddd_llm.cli.app",
            "extract",
            str(repo),
            "--out",
            str(tmp / "out"),
            "--llm",
            args.llm,
            *(["--no-index"] if args.no_index else []),
        ]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        # Linux reports ru_maxrss in KiB: the largest resident set of any waited-for child.
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-2000:], sep="\n")
            raise SystemExit(f"extract failed with exit code {done.returncode}")
        verdict = "under" if peak < TARGET_BYTES else "OVER"
        print(
            f"extract --llm {args.llm}{' --no-index' if args.no_index else ''}: wall {wall:.1f}s, "
            f"peak RSS {peak / 1024**2:.0f} MiB ({verdict} the 1 GiB target)"
        )
        for line in done.stderr.splitlines():
            if line.startswith(("scanned", "chunked", "index:")):
                print(f"  {line}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

"""What a README says the program needs, read without a model: the list under a
Dependencies / Requirements / Prerequisites heading, an optional marker, a named database a
paragraph says how *to use*, and the connection probe a document says checks that it runs.
Both directions: lists under other headings, lists of sentences and build-only tools are
not dependencies; a command under no checking sentence is no health check."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ddd_llm.cli.app import app
from ddd_llm.evidence.docs._needs import read_need, read_probe

runner = CliRunner()


def extract(tmp_path: Path, files: dict[str, str]) -> dict[str, dict[str, object]]:
    repo = tmp_path / "repo"
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["extract", str(repo), "--out", str(out), "--no-index", "--llm", "none"]
    )
    assert result.exit_code == 0, result.output
    facts = json.loads((out / "facts.json").read_text())["facts"]
    return {f["id"]: f for f in facts}


def of_kind(got: dict[str, dict[str, object]], kind: str) -> dict[str, dict[str, object]]:
    return {k: v for k, v in got.items() if v["kind"] == kind}


GIZMO = """\
# gizmo

A small key/value daemon.

## Features

* fast lookups
* redis - compatible protocol
* `snappy` compression

## Dependencies

* libuv - https://libuv.org (libuv1-dev)
* `zstd` 1.4+ (optional) - compressed snapshots
* [OpenSSL](https://www.openssl.org) (optional, linux) - enables TLS.
* cmake - to build the binary

## Optional dependencies

- systemd - socket activation

## Contributors

* alice - docs
* bob - tests

## Building

You will need autoconf, automake and libuv:

```
./configure && make
```

Then run it:

```
./gizmo -p 7711
```

You can connect to it with telnet to check that it is up and running:

```
telnet localhost 7711
stats
```
"""


def test_a_dependencies_list_becomes_dependencies_and_other_lists_do_not(
    tmp_path: Path,
) -> None:
    got = extract(tmp_path, {"README.md": GIZMO, "src/gizmo.c": "int main(void) { return 0; }\n"})
    deps = {str(f["target"]).lower(): f for f in of_kind(got, "dependency").values()}
    assert deps["libuv"]["dependency_type"] == "runtime"
    assert deps["libuv"]["citations"][0]["start_line"] == 13  # type: ignore[index]
    assert deps["zstd"]["dependency_type"] == "optional"
    assert deps["openssl"]["dependency_type"] == "optional"
    assert deps["systemd"]["dependency_type"] == "optional"  # the heading says optional
    assert all(f["verification"]["status"] == "verified" for f in deps.values())  # type: ignore[index]
    # Features and Contributors are lists of names too, but not of needs; a build tool and
    # the prose under "Building" are what building needs, not the running program.
    for not_needed in ("redis", "snappy", "alice", "bob", "cmake", "autoconf", "automake"):
        assert not_needed not in deps
    assert set(deps) == {"libuv", "zstd", "openssl", "systemd"}
    # "check that it is up and running" over a telnet to its port: a documented health
    # check, citing the sentence and the command (not `./gizmo -p 7711` under "run it")
    checks = of_kind(got, "health_check")
    assert list(checks) == ["health_check:-:other:7711"]
    check = checks["health_check:-:other:7711"]
    assert (check["check_type"], check["port"]) == ("tcp", 7711)
    cited = check["citations"][0]  # type: ignore[index]
    assert (cited["start_line"], cited["end_line"]) == (41, 44)
    assert check["verification"]["status"] == "verified"  # type: ignore[index]


SENTENCES = """\
# collector

## Requirements

- Debian 12 or Ubuntu 22.04 with Python 3.10+ and `python3-flask`.
- PostgreSQL 14+ on the same host, with a `telemetry` database.
- Inbound TCP 9180 open from the agents' networks.
- Sizing: 1 vCPU and 512 MiB RAM.
"""
PREREQUISITES = """\
# api

## Prerequisites

1. Node.js >= 18
2. **PostgreSQL** 15 or later - the database
3. Redis: sessions and rate limits
"""
TALK = """\
# talking to gizmo

## Protocol

Send it commands over telnet:

```
telnet localhost 7711
```

## Health

```
redis-cli -p 6380 ping
```
"""
PROFILES = """\
# petstore

### Use the 'maria' profile

To use a MariaDB database, start the service with the `maria` profile.

To use a different database, write your own adapter.
"""


def test_other_documents_in_both_directions(tmp_path: Path) -> None:
    got = extract(
        tmp_path,
        {
            "docs/requirements.md": SENTENCES,
            "docs/prerequisites.md": PREREQUISITES,
            "docs/talk.md": TALK,
            "docs/profiles.md": PROFILES,
        },
    )
    by_path: dict[str, dict[str, object]] = {}
    for fact in of_kind(got, "dependency").values():
        path = fact["citations"][0]["path"]  # type: ignore[index]
        by_path.setdefault(path, {})[str(fact["target"]).lower()] = fact["dependency_type"]
    # a Requirements list of sentences describes an environment: left to the model
    assert "docs/requirements.md" not in by_path
    assert by_path["docs/prerequisites.md"] == {
        "node.js": "runtime",
        "postgresql": "runtime",
        "redis": "runtime",
    }
    # "to use a MariaDB database": optional; "to use a different database" names nothing
    assert by_path["docs/profiles.md"] == {"mariadb": "optional"}
    assert set(by_path) == {"docs/prerequisites.md", "docs/profiles.md"}
    # telnet to talk to it is no check; `redis-cli ping` under a Health heading is
    checks = of_kind(got, "health_check")
    assert list(checks) == ["health_check:-:other:redis-cli -p 6380 ping"]
    assert checks["health_check:-:other:redis-cli -p 6380 ping"]["port"] == 6380


def test_reading_one_item_and_one_probe() -> None:
    assert read_need("libevent - https://libevent.org (libevent-dev)") == (
        "libevent",
        False,
        False,
    )
    assert read_need("Go 1.21+ (to build)") == ("Go", False, True)
    assert read_need("cmake 3.20+") == ("cmake", False, True)  # a build tool by name
    assert read_need("Memory: 512 MiB") is None
    assert read_need("At least 2 GiB free under /var/spool") is None
    assert read_need("Clock sync (chrony).") is None
    probe = read_probe("nc -z 127.0.0.1 5432")
    assert probe is not None and (probe.port, probe.tcp) == (5432, True)
    assert read_probe("curl http://localhost:8080/api/users") is None
    assert read_probe("telnet localhost 99999") is None

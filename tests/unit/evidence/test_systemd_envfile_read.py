"""A unit's `EnvironmentFile=` read from the file the repository ships for it (a package's
`x.default`, `x.sysconfig`, `sysconfig/x`), and only from that file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ddd_llm.cli.app import app
from ddd_llm.evidence import SourceFile, analyze_files
from ddd_llm.models import ConfigParameter, FactBase

runner = CliRunner()

UNIT = """\
[Unit]
Description=harbour tide gauge collector

[Service]
EnvironmentFile=-/etc/default/tidewatch
ExecStart=/usr/sbin/tidewatch --listen-port ${GAUGE_PORT} --site "${SITE}" $TIDE_FLAGS
Restart=on-failure
"""

DEFAULTS = """\
# Port the collector accepts gauge readings on
GAUGE_PORT=7411

SITE='harbour east'
TIDE_FLAGS=""
# shared secret for the upstream relay
RELAY_TOKEN=Zq8vLm3Xr7Tn2Kp9Wd4Yh6Jc
"""


def params(files: dict[str, str]) -> dict[str, ConfigParameter]:
    found = analyze_files(SourceFile(path, text) for path, text in files.items())
    out: dict[str, ConfigParameter] = {}
    for fact in found.facts:
        if isinstance(fact, ConfigParameter):
            assert fact.id not in out, fact.id  # one fact per variable and unit
            out[fact.id] = fact
    return out


def lines(fact: FactBase) -> list[tuple[str, int]]:
    return [(c.path, c.start_line) for c in fact.citations]


def test_the_shipped_environment_file_gives_the_values() -> None:
    got = params({"packaging/tidewatch.service": UNIT, "packaging/tidewatch.default": DEFAULTS})
    port = got["config_parameter:tidewatch:GAUGE_PORT"]
    assert (port.default, port.value_type) == ("7411", "int")
    # its line in the environment file and the ExecStart line that reads it
    assert lines(port) == [("packaging/tidewatch.default", 2), ("packaging/tidewatch.service", 6)]
    assert "Port the collector accepts gauge readings" in port.summary  # the comment above
    assert got["config_parameter:tidewatch:SITE"].default == "harbour east"  # quotes removed
    # `$TIDE_FLAGS` (no braces) is read too, and an empty value is a value
    flags = got["config_parameter:tidewatch:TIDE_FLAGS"]
    assert flags.default == "" and ("packaging/tidewatch.service", 6) in lines(flags)
    # a variable the command line does not read is the code's business, not the unit's
    assert "config_parameter:tidewatch:RELAY_TOKEN" not in got


def test_a_secret_read_from_the_file_keeps_no_value() -> None:
    unit = UNIT.replace("$TIDE_FLAGS", "--relay-token ${RELAY_TOKEN}")
    got = params({"packaging/tidewatch.service": unit, "packaging/tidewatch.default": DEFAULTS})
    token = got["config_parameter:tidewatch:RELAY_TOKEN"]
    assert token.secret and token.default is None
    assert ("packaging/tidewatch.default", 7) in lines(token)
    assert all(
        "Zq8vLm3X" not in f.summary and "Zq8vLm3X" not in (f.default or "") for f in got.values()
    )


def test_without_the_file_the_variables_have_no_value() -> None:
    got = params({"packaging/tidewatch.service": UNIT})
    port = got["config_parameter:tidewatch:GAUGE_PORT"]
    assert port.default is None
    assert lines(port) == [("packaging/tidewatch.service", 6)]
    assert "config_parameter:tidewatch:TIDE_FLAGS" in got  # `$TIDE_FLAGS` is a read
    assert "config_parameter:tidewatch:RELAY_TOKEN" not in got


def test_an_unrelated_key_value_file_is_not_the_units_environment() -> None:
    files = {
        "packaging/tidewatch.service": UNIT,
        # KEY=value files a unit does not name: another program's defaults, a build's env
        "contrib/replay.default": "GAUGE_PORT=9999\nREPLAY_SPEED=4\n",
        "ci/build.env": "SITE=ci-runner\n",
        # a unit without EnvironmentFile= reads no file, even one named after it
        "packaging/tidelog.service": "[Service]\nExecStart=/usr/sbin/tidelog --dir ${LOG_DIR}\n",
        "packaging/tidelog.sysconfig": "LOG_DIR=/var/log/tides\n",
    }
    got = params(files)
    assert got["config_parameter:tidewatch:GAUGE_PORT"].default is None
    assert got["config_parameter:tidewatch:SITE"].default is None
    assert got["config_parameter:tidelog:LOG_DIR"].default is None
    assert not any(i.endswith((":REPLAY_SPEED", ":9999")) for i in got)
    cited = {c.path for f in got.values() for c in f.citations}
    assert cited.isdisjoint(
        {"contrib/replay.default", "ci/build.env", "packaging/tidelog.sysconfig"}
    )


def test_a_folder_named_like_the_installed_path_and_the_last_file_wins() -> None:
    unit = (
        "[Service]\nEnvironment=MODE=fast\n"
        "EnvironmentFile=/etc/sysconfig/ferry\nEnvironmentFile=-/etc/ferry/local.env\n"
        "ExecStart=/usr/bin/ferry --mode ${MODE} --berth ${BERTH} --crew ${CREW}\n"
    )
    got = params(
        {
            "dist/ferry.service": unit,
            "dist/rpm/sysconfig/ferry": "BERTH=4\nCREW=7\n",
            "dist/local.env": "CREW=9\n",
        }
    )
    assert got["config_parameter:ferry:BERTH"].default == "4"
    assert got["config_parameter:ferry:CREW"].default == "9"  # the later file overrides
    # Environment= is the unit's own value; its read is cited on it
    mode = got["config_parameter:ferry:MODE"]
    assert mode.default == "fast" and [line for _, line in lines(mode)] == [2, 5]


def test_a_conf_file_of_options_is_not_read_as_an_environment_file() -> None:
    unit = "[Service]\nEnvironmentFile=/etc/default/gull\nExecStart=/usr/bin/gull $GULL_ARGS\n"
    options = "# gull options\n-m 64\n-p 4100\n-l 127.0.0.1\n"
    found = analyze_files(
        [SourceFile("pkg/gull.service", unit), SourceFile("pkg/gull.conf", options)]
    )
    ids = {f.id for f in found.facts}
    assert "config_parameter:gull:GULL_ARGS" in ids
    assert not any(w.path == "pkg/gull.conf" for w in found.warnings)
    assert not any(c.path == "pkg/gull.conf" for f in found.facts for c in f.citations)


def test_an_instance_environment_file_is_not_guessed() -> None:
    unit = (
        "[Service]\nEnvironmentFile=-/etc/sysconfig/kelp.%i\n"
        "ExecStart=/usr/bin/kelp --port ${KELP_PORT}\n"
    )
    got = params({"pkg/kelp@.service": unit, "pkg/kelp.sysconfig": "KELP_PORT=5\n"})
    assert got["config_parameter:kelp@:KELP_PORT"].default is None


def test_extract_resolves_the_flag_value_through_the_environment_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "packaging").mkdir(parents=True)
    unit = UNIT.replace("$TIDE_FLAGS", "$TIDE_FLAGS --relay-token ${RELAY_TOKEN}")
    (repo / "packaging" / "tidewatch.service").write_text(unit)
    (repo / "packaging" / "tidewatch.default").write_text(DEFAULTS)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["extract", str(repo), "--out", str(out), "--no-index", "--llm", "none"]
    )
    assert result.exit_code == 0, result.output
    facts = {f["id"]: f for f in json.loads((out / "facts.json").read_text())["facts"]}
    flag = facts["config_parameter:tidewatch:--listen-port"]
    assert flag["default"] == "7411" and flag["value_type"] == "int"
    assert {c["path"] for c in flag["citations"]} == {
        "packaging/tidewatch.service",
        "packaging/tidewatch.default",
    }
    assert facts["config_parameter:tidewatch:--site"]["default"] == "harbour east"
    assert facts["config_parameter:tidewatch:RELAY_TOKEN"]["secret"] is True
    assert "Zq8vLm3X" not in (out / "facts.json").read_text()

"""A command line's one-letter flag is the code's option of that short form (`-l` is the
`--listen-port` a getopt_long table declares with 'l'); a letter the code does not declare
is no parameter of its own."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ddd_llm.cli.app import app
from ddd_llm.evidence import SourceFile, analyze_files
from ddd_llm.evidence.deploy._command import name_short_flags
from ddd_llm.models import Citation, ConfigParameter

runner = CliRunner()

DAEMON_C = """\
#include <getopt.h>
#include <stdlib.h>

static int listen_port = 7400;
static int workers = 2;

int main(int argc, char **argv) {
    static struct option longopts[] = {
        {"listen-port", required_argument, 0, 'l'},
        {"workers", required_argument, 0, 'w'},
        {0, 0, 0, 0}
    };
    int c;
    while ((c = getopt_long(argc, argv, "l:w:", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            listen_port = atoi(optarg);
            break;
        case 'w':
            workers = atoi(optarg);
            break;
        }
    }
    return 0;
}
"""

UNIT = """\
[Service]
EnvironmentFile=/etc/sysconfig/tidewatch
ExecStart=/usr/sbin/tidewatch -l ${GAUGE_PORT} -w $POOL -q 9 -z ${ZONE}
"""


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


def test_a_known_short_flag_sets_the_codes_option(tmp_path: Path) -> None:
    got = extract(
        tmp_path,
        {
            "src/tidewatch.c": DAEMON_C,
            "rpm/tidewatch.service": UNIT,
            "rpm/tidewatch.sysconfig": "GAUGE_PORT=7411\nPOOL=6\n",
        },
    )
    # the unit's value of the code's option, resolved through the environment file
    port = got["config_parameter:tidewatch:--listen-port"]
    assert port["default"] == "7411" and port["value_type"] == "int"
    assert "(-l)" in str(port["summary"])
    assert got["config_parameter:tidewatch:--workers"]["default"] == "6"  # `$POOL`, no braces
    # the code's own default stays the default
    assert got["config_parameter:-:--listen-port"]["default"] == "7400"
    # no fact named by the letter, known or not; a variable the unknown one reads stays
    short = [i for i in got if i.startswith("config_parameter:tidewatch:-") and "--" not in i]
    assert short == []
    assert "config_parameter:tidewatch:ZONE" in got


def test_without_the_codes_short_forms_a_flag_stays_as_written() -> None:
    """A third-party program's command line: nothing says what `-q` means, so it is kept."""
    found = analyze_files([SourceFile("rpm/tidewatch.service", UNIT)])
    ids = {f.id for f in name_short_flags(found.facts)}
    assert {"config_parameter:tidewatch:-l", "config_parameter:tidewatch:-q"} <= ids


def test_an_instance_specifier_is_no_value() -> None:
    unit = "[Service]\nExecStart=/usr/sbin/tidewatch --listen-port %i --workers 3\n"
    found = analyze_files([SourceFile("rpm/tidewatch@.service", unit)])
    got = {f.id: f for f in found.facts if isinstance(f, ConfigParameter)}
    port = got["config_parameter:tidewatch@:--listen-port"]
    assert port.default is None and "instance name" in port.summary
    assert got["config_parameter:tidewatch@:--workers"].default == "3"


def _param(name: str, path: str, summary: str, service: str | None = None) -> ConfigParameter:
    return ConfigParameter(
        service=service,
        name=name,
        summary=summary,
        citations=[Citation(path=path, start_line=1, end_line=1)],
    )


def test_a_letter_the_code_declares_itself_or_twice_is_kept() -> None:
    facts = [
        _param("-D", "main.c", "command-line flag -D"),  # a short-only option
        _param("--port", "a/main.c", "command-line flag --port (short -p)"),
        _param("--peer", "b/main.c", "command-line flag --peer (short -p)"),  # another program
        _param("--level", "main.c", "command-line flag --level (short -L)"),
        _param("-D", "x.service", "x runs with command-line flag -D ;", "x"),
        _param("-p", "x.service", "x runs with command-line flag -p 1", "x"),
        _param("-L", "x.service", "x runs with command-line flag -L 3", "x"),
        _param("-Z", "x.service", "x runs with command-line flag -Z 3", "x"),
    ]
    ids = [f.id for f in name_short_flags(facts)]
    assert "config_parameter:x:-D" in ids  # the code's own short option
    assert "config_parameter:x:-p" in ids  # two programs give -p different meanings
    assert "config_parameter:x:--level" in ids and "config_parameter:x:-L" not in ids
    assert "config_parameter:x:-Z" not in ids
    assert "config_parameter:-:--port" in ids and "config_parameter:-:--peer" in ids

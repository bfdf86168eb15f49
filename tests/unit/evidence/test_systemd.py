"""The systemd unit analyzer: dependencies, restart policy, limits, owners, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.deploy.systemd import SystemdAnalyzer, unit_name_of, unit_seconds
from ddd_llm.models import Citation, ConfigParameter, Dependency, HealthCheck, ResourceRequirement

UNIT = """\
# Acme agent
[Unit]
Description=Acme agent
After=network-online.target postgresql.service
Requires=postgresql.service
Wants=redis.service \\
      metrics-exporter
BindsTo=acme-db-proxy.service
Requisite=vault

[Service]
Type=notify
User=acme
Group=acme
ExecStart=/opt/acme/venv/bin/python3 -m acme_agent.main --port 8080 --workers 4
Restart=on-failure
RestartSec=5s
TimeoutStartSec=1min 30s
TimeoutStopSec=20
WatchdogSec=30s
LimitNOFILE=65536
MemoryMax=512M
MemoryHigh=400M
CPUQuota=150%
Environment="ACME_PORT=8080" "ACME_MODE=fast mode"
Environment=ACME_DB_PASSWORD=hunter2 ACME_DEBUG=false
EnvironmentFile=-/etc/default/acme
; a comment in the other syntax

[Install]
WantedBy=multi-user.target
"""


def run(
    text: str, path: str = "deploy/systemd/acme-agent.service"
) -> tuple[SourceFile, AnalyzerResult]:
    source = SourceFile(path, text)
    return source, SystemdAnalyzer().analyze(source)


def facts_by_id(text: str, path: str = "deploy/systemd/acme-agent.service") -> dict[str, Any]:
    source = SourceFile(path, text)
    result = SystemdAnalyzer().analyze(source)
    ids = [f.id for f in result.facts]
    assert len(ids) == len(set(ids)), ids
    return {f.id: f for f in result.facts}


def lines(fact: Any) -> list[tuple[int, int]]:
    citations: list[Citation] = fact.citations
    return [(c.start_line, c.end_line) for c in citations]


def test_registered_and_accepts() -> None:
    analyzer = REGISTRY["systemd"]
    assert analyzer.accepts(SourceFile("a/acme.service", "[Service]\nExecStart=/bin/x\n"))
    assert analyzer.accepts(SourceFile("roles/x/templates/acme.service.j2", UNIT))
    assert analyzer.accepts(SourceFile("debian/acme.service.in", UNIT))
    assert analyzer.accepts(SourceFile("etc/acme.service.d/override.conf", "[Service]\nUser=x\n"))
    # A template that is not unit syntax, and other files, are not units.
    assert not analyzer.accepts(SourceFile("t/acme.service.j2", "{{ content }}\n"))
    assert not analyzer.accepts(SourceFile("src/app/user.service.ts", "export class X {}"))
    assert not analyzer.accepts(SourceFile("etc/app.conf", "[Service]\nUser=x\n"))
    # A timer's schedule is a setting of the unit it starts.
    timer = SourceFile("a/acme.timer", "[Timer]\nOnCalendar=daily\nUnit=acme-job.service\n")
    assert analyzer.accepts(timer)
    [schedule] = analyzer.analyze(timer).facts
    assert (schedule.id, getattr(schedule, "default", None)) == (
        "config_parameter:acme-job:OnCalendar",
        "daily",
    )
    assert not analyzer.accepts(SourceFile("a/acme.timer", "OnCalendar=daily\n"))


def test_unit_names() -> None:
    assert unit_name_of("x/Acme-Agent.service") == "acme-agent"
    assert unit_name_of("x/acme.service.j2") == "acme"
    assert unit_name_of("x/acme.service.in") == "acme"
    assert unit_name_of("x/getty@.service") == "getty@"
    assert unit_name_of("x/acme.service.d/10-limits.conf") == "acme"
    assert unit_name_of("x/.service") is None
    assert unit_name_of("x/acme.socket") is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30", 30),
        ("30s", 30),
        ("5min", 300),
        ("1h 30min", 5400),
        ("1h30min", 5400),
        ("500ms", 0.5),
        ("2 min", 120),
        ("1d", 86400),
        ("infinity", None),
        ("soon", None),
        ("", None),
    ],
)
def test_unit_seconds(text: str, seconds: float | None) -> None:
    assert unit_seconds(text) == seconds


def test_service_and_owner() -> None:
    source, result = run(UNIT)
    assert [s.name for s in result.services] == ["acme-agent"]
    service = result.services[0]
    assert service.kind == "systemd-unit"
    assert (service.citations[0].start_line, service.citations[0].end_line) == (1, 31)
    assert result.owners == {"acme_agent": "acme-agent"}
    assert result.warnings == []


def test_dependencies() -> None:
    facts = facts_by_id(UNIT)
    deps = {f.target: f for f in facts.values() if isinstance(f, Dependency)}
    assert set(deps) == {"postgresql", "redis", "metrics-exporter", "acme-db-proxy", "vault"}
    postgres = deps["postgresql"]
    assert postgres.id == "dependency:acme-agent:postgresql"
    assert postgres.dependency_type == "start_order"
    assert lines(postgres) == [(4, 4), (5, 5)]  # After= and Requires= in one fact
    assert deps["redis"].dependency_type == "optional"
    assert lines(deps["redis"]) == [(6, 7)]  # the continuation line belongs to the directive
    assert deps["metrics-exporter"].dependency_type == "optional"
    assert deps["acme-db-proxy"].dependency_type == "start_order"
    assert lines(deps["acme-db-proxy"]) == [(8, 8)]
    assert deps["vault"].dependency_type == "start_order"
    assert all(d.service == "acme-agent" for d in deps.values())


def test_wants_plus_after_is_start_order() -> None:
    text = "[Unit]\nWants=db.service\nAfter=db.service\n[Service]\nExecStart=/bin/true\n"
    facts = facts_by_id(text, "u/app.service")
    dep = facts["dependency:app:db"]
    assert isinstance(dep, Dependency)
    assert dep.dependency_type == "start_order"
    assert lines(dep) == [(2, 2), (3, 3)]


def test_non_service_units_and_self_are_skipped() -> None:
    text = (
        "[Unit]\nAfter=network.target docker.socket var-lib.mount backup.timer app.service\n"
        "Requires=system.slice dev-sda.device x.path\n"
    )
    facts = facts_by_id(text, "u/app.service")
    assert [f for f in facts.values() if isinstance(f, Dependency)] == []


def test_restart_and_durations() -> None:
    facts = facts_by_id(UNIT)
    restart = facts["config_parameter:acme-agent:Restart"]
    assert isinstance(restart, ConfigParameter)
    assert restart.value_type == "enum"
    assert restart.default == "on-failure"
    assert restart.allowed_values == [
        "no",
        "on-success",
        "on-failure",
        "on-abnormal",
        "on-watchdog",
        "on-abort",
        "always",
    ]
    assert restart.range_source == "declared"
    assert lines(restart) == [(16, 16)]
    for key, default, line in (
        ("RestartSec", "5s", 17),
        ("TimeoutStartSec", "1min 30s", 18),
        ("TimeoutStopSec", "20", 19),
    ):
        fact = facts[f"config_parameter:acme-agent:{key}"]
        assert isinstance(fact, ConfigParameter)
        assert (fact.value_type, fact.default) == ("duration", default)
        assert lines(fact) == [(line, line)]


def test_watchdog() -> None:
    facts = facts_by_id(UNIT)
    check = facts["health_check:acme-agent:systemd-watchdog:acme-agent.service"]
    assert isinstance(check, HealthCheck)
    assert check.check_type == "exec"
    assert check.mechanism == "systemd-watchdog"
    assert check.timeout_s == 30  # WatchdogSec: silence longer than this fails the unit
    assert check.port is None and check.interval_s is None
    assert lines(check) == [(20, 20)]


def test_watchdog_off_is_no_check() -> None:
    facts = facts_by_id("[Service]\nWatchdogSec=0\n", "u/app.service")
    assert not any(isinstance(f, HealthCheck) for f in facts.values())


def test_resources_and_permissions() -> None:
    facts = facts_by_id(UNIT)
    fds = facts["resource_requirement:acme-agent:file_descriptors"]
    assert isinstance(fds, ResourceRequirement)
    assert (fds.limit, lines(fds)) == ("65536", [(21, 21)])
    memory = facts["resource_requirement:acme-agent:memory"]
    assert isinstance(memory, ResourceRequirement)
    assert (memory.limit, memory.request) == ("512M", "400M")
    assert lines(memory) == [(22, 22), (23, 23)]
    cpu = facts["resource_requirement:acme-agent:cpu"]
    assert isinstance(cpu, ResourceRequirement)
    assert (cpu.limit, cpu.request, lines(cpu)) == ("150%", None, [(24, 24)])
    user = facts["resource_requirement:acme-agent:permission:user:acme"]
    group = facts["resource_requirement:acme-agent:permission:group:acme"]
    assert isinstance(user, ResourceRequirement) and isinstance(group, ResourceRequirement)
    assert (user.value, lines(user)) == ("user:acme", [(13, 13)])
    assert (group.value, lines(group)) == ("group:acme", [(14, 14)])


def test_memory_limit_alias_and_low() -> None:
    facts = facts_by_id("[Service]\nMemoryLow=128M\nMemoryLimit=1G\n", "u/app.service")
    memory = facts["resource_requirement:app:memory"]
    assert isinstance(memory, ResourceRequirement)
    assert (memory.limit, memory.request) == ("1G", "128M")
    assert lines(memory) == [(2, 2), (3, 3)]


def test_environment() -> None:
    facts = facts_by_id(UNIT)
    port = facts["config_parameter:acme-agent:ACME_PORT"]
    mode = facts["config_parameter:acme-agent:ACME_MODE"]
    password = facts["config_parameter:acme-agent:ACME_DB_PASSWORD"]
    debug = facts["config_parameter:acme-agent:ACME_DEBUG"]
    assert isinstance(port, ConfigParameter) and isinstance(mode, ConfigParameter)
    assert isinstance(password, ConfigParameter) and isinstance(debug, ConfigParameter)
    assert (port.default, port.value_type, lines(port)) == ("8080", "int", [(25, 25)])
    assert (mode.default, mode.value_type) == ("fast mode", "string")
    assert password.secret and password.default is None
    assert "hunter2" not in password.summary
    assert lines(password) == [(26, 26)]
    assert (debug.default, debug.value_type) == ("false", "bool")
    # ExecStart flags are the unit's values of the program's flags; EnvironmentFile= gives none.
    flags = {f.name: f.default for f in facts.values() if isinstance(f, ConfigParameter)}
    assert (flags["--port"], flags["--workers"]) == ("8080", "4")
    assert lines(facts["config_parameter:acme-agent:--port"]) == [(15, 15)]
    assert "-m" not in flags  # the interpreter's own option is not the program's
    assert not any("EnvironmentFile" in f.id for f in facts.values())


def test_every_fact_belongs_to_the_unit() -> None:
    facts = facts_by_id(UNIT)
    assert {f.service for f in facts.values()} == {"acme-agent"}
    assert all(f.origin == "static" for f in facts.values())


@pytest.mark.parametrize(
    ("exec_start", "owners"),
    [
        ("/usr/bin/python -m billing.worker", {"billing": "app"}),
        ("python3 -m billing", {"billing": "app"}),
        ("/usr/bin/env python3 -m billing.cli serve", {"billing": "app"}),
        ('/bin/sh -c "exec python -m billing.worker --x 1"', {"billing": "app"}),
        ("/bin/bash -lc 'python3 -m billing'", {"billing": "app"}),
        ("/bin/bash /opt/acme/run.sh", {}),
        ("/opt/venv/bin/gunicorn -w 4 -b 0.0.0.0:8000 webapp.wsgi:application", {"webapp": "app"}),
        ("/opt/venv/bin/celery -A tasks worker", {"tasks": "app"}),
        ("/usr/local/bin/acme-agent --config /etc/acme.yml", {"acme-agent": "app"}),
        ("-/usr/local/bin/acme-agent", {"acme-agent": "app"}),
        ("/usr/bin/docker run --rm acme/agent", {}),
        ("/usr/bin/node /srv/app/index.js", {}),
        ("acme-agent --flag", {}),
        ("${BIN_DIR}/agent", {"agent": "app"}),
        ("/opt/${NAME}", {}),
        ("{{ venv }}/bin/python -m {{ module }}", {}),
    ],
)
def test_exec_start_owner(exec_start: str, owners: dict[str, str]) -> None:
    _, result = run(f"[Service]\nExecStart={exec_start}\n", "u/app.service")
    assert result.owners == owners


def test_template_unit() -> None:
    text = """\
[Unit]
Description={{ app_name }}
After={{ after_units }} db.service
{% if use_watchdog %}
[Service]
WatchdogSec={{ watchdog }}
{% endif %}
User={{ app_user }}
ExecStart={{ venv }}/bin/python -m {{ module }}
Environment=APP_PORT={{ app_port }} APP_MODE="{{ mode | default('x y') }}"
"""
    source, result = run(text, "roles/app/templates/app.service.j2")
    facts = {f.id: f for f in result.facts}
    assert set(facts) == {
        "dependency:app:db",
        "resource_requirement:app:permission:user:{{ app_user }}",
        "config_parameter:app:APP_PORT",
        "config_parameter:app:APP_MODE",
    }
    assert facts["config_parameter:app:APP_PORT"].default == "{{ app_port }}"
    assert lines(facts["dependency:app:db"]) == [(3, 3)]
    assert result.owners == {}
    # A templated watchdog interval is unknown until deploy time: no fact, no warning.
    assert result.warnings == []


def test_unreadable_watchdog_warns() -> None:
    _, result = run("[Service]\nWatchdogSec=soon\n", "u/app.service")
    assert [(w.path, w.line) for w in result.warnings] == [("u/app.service", 2)]
    assert result.facts == []


def test_drop_in_resets_and_overrides() -> None:
    text = "[Unit]\nAfter=\nAfter=db.service\n[Service]\nRestart=always\nRestart=on-failure\n"
    facts = facts_by_id(text, "etc/systemd/system/app.service.d/override.conf")
    restart = facts["config_parameter:app:Restart"]
    assert isinstance(restart, ConfigParameter)
    assert restart.default == "on-failure"  # the later assignment wins
    assert lines(restart) == [(5, 5), (6, 6)]
    assert lines(facts["dependency:app:db"]) == [(3, 3)]


def test_malformed_lines_warn_and_continue() -> None:
    text = (
        "[Unit\n"  # 1 broken header
        "After=db.service\n"  # 2 outside any section now
        "[Service]\n"  # 3
        "this is not a directive\n"  # 4
        "\ufffd\ufffd=broken\n"  # 5 key made of replacement characters
        "User=app\ufffd\n"  # 6 a value with one is still a value
        'Environment="UNTERMINATED=1\n'  # 7
        "Environment=good=1 =bad\n"  # 8
        "Restart=on-failure\n"  # 9
    )
    source, result = run(text, "u/app.service")
    warnings = [(w.path, w.line, w.source) for w in result.warnings]
    assert warnings == [
        ("u/app.service", 1, "systemd"),
        ("u/app.service", 2, "systemd"),
        ("u/app.service", 4, "systemd"),
        ("u/app.service", 5, "systemd"),
        ("u/app.service", 7, "systemd"),
        ("u/app.service", 8, "systemd"),
    ]
    ids = {f.id for f in result.facts}
    assert "config_parameter:app:Restart" in ids
    assert "config_parameter:app:good" in ids
    assert "resource_requirement:app:permission:user:app\ufffd" in ids


def test_empty_and_binary_like_input_never_raises() -> None:
    for text in ("", "\n\n", "\x00\x01\x02", "[Service]\n" + "\\\n" * 5, "=" * 50):
        _, result = run(text, "u/app.service")
        assert result.facts == []


def test_socket_units_give_the_activated_service_its_ports() -> None:
    analyzer = SystemdAnalyzer()
    text = (
        "[Unit]\nDescription=Acme API socket\n\n[Socket]\nListenStream=8443\n"
        "ListenStream=/run/acme/api.sock\nListenDatagram=[::]:5514\n\n"
        "[Install]\nWantedBy=sockets.target\n"
    )
    source = SourceFile("deploy/systemd/acme-api.socket", text)
    assert analyzer.accepts(source)
    result = analyzer.analyze(source)
    assert not result.warnings and not result.services
    ports = {f.id: f for f in result.facts if isinstance(f, ResourceRequirement)}
    assert set(ports) == {
        "resource_requirement:acme-api:port:8443",
        "resource_requirement:acme-api:port:5514",
    }
    assert lines(ports["resource_requirement:acme-api:port:8443"]) == [(5, 5)]
    # `Service=` names another unit; a file that only mentions sockets is not a unit
    named = SourceFile(
        "x/web.socket", "[Socket]\nListenStream=127.0.0.1:8080\nService=acme-web.service\n"
    )
    assert [f.id for f in analyzer.analyze(named).facts] == [
        "resource_requirement:acme-web:port:8080"
    ]
    assert not analyzer.accepts(SourceFile("docs/notes.socket", "not a unit"))

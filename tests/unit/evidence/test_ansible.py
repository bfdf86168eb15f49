"""The Ansible analyzer: managed units, wait_for/uri checks, role variables, become_user."""

from __future__ import annotations

from typing import Any

import pytest

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.deploy.ansible import (
    AnsibleAnalyzer,
    managed_unit,
    read_task,
    split_free_form,
)
from ddd_llm.evidence.yamlpos import Span, YamlMap, load_documents
from ddd_llm.models import ConfigParameter, HealthCheck, ResourceRequirement, ValidationMethod

TASKS = """\
---
- name: Install the unit
  ansible.builtin.template:
    src: acme-agent.service.j2
    dest: /etc/systemd/system/acme-agent.service
    mode: "0644"
  notify: restart acme-agent

- name: Start and enable
  ansible.builtin.systemd_service:
    name: acme-agent.service
    state: started
    enabled: true
    daemon_reload: true

- name: Verify
  become: true
  become_user: acme
  block:
    - name: Wait for the port
      wait_for: port=8080 timeout=60 sleep=2
    - name: Health endpoint answers
      ansible.builtin.uri:
        url: "http://127.0.0.1:8080/healthz"
        status_code: [200, 204]
        timeout: 5
      register: health
      until: health.status in [200, 204]
      retries: 12
      delay: 5
  rescue:
    - name: Show logs
      command: journalctl -u acme-agent -n 50
  always:
    - include_tasks: cleanup.yml

- name: Latest release
  uri:
    url: https://api.github.com/repos/acme/agent/releases/latest
    return_content: true

- name: Register with the hub
  uri:
    url: http://localhost:8080/register
    method: POST
    body_format: json
    body: {name: "{{ inventory_hostname }}"}

- name: Wait for the database
  wait_for:
    host: db.internal
    port: 5432

- name: Wait for ssh after reboot
  wait_for: port=22 host="{{ inventory_hostname }}" delay=10

- import_tasks: extra.yml
"""
TASKS_PATH = "deploy/ansible/roles/acme_agent/tasks/main.yml"


def analyze(text: str, path: str) -> AnalyzerResult:
    return AnsibleAnalyzer().analyze(SourceFile(path, text))


def by_id(result: AnalyzerResult) -> dict[str, Any]:
    ids = [f.id for f in result.facts]
    assert len(ids) == len(set(ids)), ids
    return {f.id: f for f in result.facts}


def lines(fact: Any) -> list[tuple[int, int]]:
    return [(c.start_line, c.end_line) for c in fact.citations]


@pytest.mark.parametrize(
    ("path", "text", "accepted"),
    [
        ("roles/web/tasks/main.yml", "- debug: msg=hi\n", True),
        ("roles/web/handlers/main.yaml", "- name: x\n  service: name=web state=restarted\n", True),
        ("roles/web/defaults/main.yml", "web_port: 80\n", True),
        ("roles/web/vars/Debian.yml", "web_pkg: nginx\n", True),
        ("roles/web/defaults/main/net.yml", "web_port: 80\n", True),
        ("site.yml", "- hosts: all\n  roles:\n    - web\n", True),
        ("playbooks/deploy.yaml", "- name: d\n  hosts: web\n  tasks:\n    - ping:\n", True),
        ("ansible/tasks/install.yml", "- name: install\n  apt: name=x\n", True),
        ("roles/web/templates/config.yml", "port: 80\n", False),
        ("roles/web/meta/main.yml", "dependencies: []\n", False),
        ("roles/web/tasks/main.yml.j2", "- debug: msg=hi\n", False),
        ("docker-compose.yml", "services:\n  web:\n    extra_hosts:\n      - a:1\n", False),
        ("k8s/deploy.yaml", "kind: Deployment\nspec:\n  template: {}\n", False),
        ("roles/web/vars/main.yml", "$ANSIBLE_VAULT;1.1;AES256\n6162\n", False),
    ],
)
def test_accepts(path: str, text: str, accepted: bool) -> None:
    assert REGISTRY["ansible"].accepts(SourceFile(path, text)) is accepted


def test_role_tasks_owner_and_checks() -> None:
    result = analyze(TASKS, TASKS_PATH)
    assert result.owners == {"deploy/ansible/roles/acme_agent": "acme-agent"}
    assert result.services == []  # the unit file or compose defines the service
    assert result.warnings == []
    facts = by_id(result)
    assert set(facts) == {
        "health_check:acme-agent:other:8080",
        "health_check:acme-agent:other:/healthz",
        "validation_method:acme-agent:deploy:get-http-//127.0.0.1-8080/healthz",
        "resource_requirement:acme-agent:permission:become_user:acme",
    }
    tcp = facts["health_check:acme-agent:other:8080"]
    assert isinstance(tcp, HealthCheck)
    assert (tcp.check_type, tcp.target, tcp.port) == ("tcp", "8080", 8080)
    assert (tcp.timeout_s, tcp.interval_s, tcp.mechanism) == (60, 2, "other")
    assert lines(tcp) == [(20, 21)]
    http = facts["health_check:acme-agent:other:/healthz"]
    assert isinstance(http, HealthCheck)
    assert (http.check_type, http.target, http.port) == ("http", "/healthz", 8080)
    assert (http.timeout_s, http.interval_s, http.failure_threshold) == (5, 5, 12)
    assert lines(http) == [(22, 30)]
    deploy = facts["validation_method:acme-agent:deploy:get-http-//127.0.0.1-8080/healthz"]
    assert isinstance(deploy, ValidationMethod)
    assert deploy.operation == "deploy"
    assert deploy.method == "GET http://127.0.0.1:8080/healthz"
    assert deploy.expected == "HTTP 200 or 204"
    assert lines(deploy) == [(22, 30)]
    become = facts["resource_requirement:acme-agent:permission:become_user:acme"]
    assert isinstance(become, ResourceRequirement)
    assert (become.resource, become.value) == ("permission", "become_user:acme")
    assert lines(become) == [(17, 17), (18, 18)]


def test_handlers_restart_checks() -> None:
    text = """\
- name: restart acme-agent
  ansible.builtin.service:
    name: acme-agent
    state: restarted
  notify: wait for acme-agent

- name: wait for acme-agent
  ansible.builtin.wait_for:
    port: "{{ acme_port }}"
    timeout: 30

- name: reload nginx config
  listen: reload web
  shell: nginx -t && systemctl reload nginx
"""
    result = analyze(text, "roles/acme_agent/handlers/main.yml")
    # Two units in one file: no single owner, facts left for the pipeline to assign.
    assert result.owners == {}
    facts = by_id(result)
    assert set(facts) == {
        "health_check:-:other:{{ acme_port }}",
        "validation_method:-:restart:wait-for-tcp-port-acme_port",
    }
    check = facts["health_check:-:other:{{ acme_port }}"]
    assert (check.port, check.timeout_s, lines(check)) == (None, 30, [(7, 10)])
    restart = facts["validation_method:-:restart:wait-for-tcp-port-acme_port"]
    assert restart.operation == "restart"
    assert restart.expected == "port {{ acme_port }} accepts connections"


def test_restart_only_handler_gives_owner_but_no_fact() -> None:
    text = "- name: restart acme\n  systemd: name=acme state=restarted daemon_reload=yes\n"
    result = analyze(text, "roles/acme/handlers/main.yml")
    assert result.facts == []
    assert result.owners == {"roles/acme": "acme"}


def test_role_defaults() -> None:
    text = """\
---
acme_port: 8080
acme_debug: false
acme_ratio: 0.5
acme_listen: "{{ ansible_default_ipv4.address }}:{{ acme_port }}"
acme_db_password: "{{ vault_acme_db_password }}"
acme_plugins:
  - metrics
  - tracing
acme_limits:
  cpu: 2
  memory: 1G

acme_api_token: !vault |
  $ANSIBLE_VAULT;1.1;AES256
  62313365396662343061393464336163383764373764613633653634306231386433626436623361
"{{ templated }}": 1
acme_empty:
"""
    result = analyze(text, "roles/acme_agent/defaults/main.yml")
    assert result.warnings == []
    assert result.owners == {}
    facts = {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}
    assert list(facts) == [
        "acme_port",
        "acme_debug",
        "acme_ratio",
        "acme_listen",
        "acme_db_password",
        "acme_plugins",
        "acme_limits",
        "acme_api_token",
        "acme_empty",
    ]
    port = facts["acme_port"]
    assert port.id == "config_parameter:-:acme_port"
    assert (port.default, port.value_type, lines(port)) == ("8080", "int", [(2, 2)])
    assert (facts["acme_debug"].default, facts["acme_debug"].value_type) == ("false", "bool")
    assert facts["acme_ratio"].value_type == "float"
    assert facts["acme_listen"].default == "{{ ansible_default_ipv4.address }}:{{ acme_port }}"
    assert facts["acme_db_password"].secret and facts["acme_db_password"].default is None
    plugins = facts["acme_plugins"]
    assert (plugins.value_type, plugins.default, lines(plugins)) == ("list", None, [(7, 9)])
    limits = facts["acme_limits"]
    assert (limits.value_type, limits.default, lines(limits)) == ("string", None, [(10, 12)])
    token = facts["acme_api_token"]
    assert token.secret and token.default is None and lines(token) == [(14, 16)]
    assert facts["acme_empty"].default is None
    assert all(f.service is None for f in facts.values())


def test_vault_value_under_a_plain_name_is_secret() -> None:
    text = "acme_blob: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6231\n"
    facts = by_id(analyze(text, "roles/acme/vars/main.yml"))
    blob = facts["config_parameter:-:acme_blob"]
    assert blob.secret and blob.default is None


def test_playbook_become_and_single_unit() -> None:
    text = """\
- name: Deploy web
  hosts: web
  become: yes
  vars:
    web_port: 80
  pre_tasks:
    - apt: name=nginx state=present update_cache=yes
  tasks:
    - name: Start nginx
      ansible.builtin.service: name=nginx state=started enabled=yes
    - name: Run as postgres
      command: psql -c 'select 1'
      become_user: postgres
    - name: Not escalated
      command: id
      become: false
  handlers:
    - name: check nginx
      uri:
        url: "http://{{ inventory_hostname }}/"
- import_playbook: other.yml
"""
    result = analyze(text, "site.yml")
    assert result.owners == {}  # a playbook is not a directory that a service is built from
    assert result.warnings == []
    facts = by_id(result)
    assert set(facts) == {
        "resource_requirement:nginx:permission:become_user:root",
        "resource_requirement:nginx:permission:become_user:postgres",
        "health_check:nginx:other:/",
        "validation_method:nginx:restart:get-http-//-inventory_hostname-/",
    }
    assert lines(facts["resource_requirement:nginx:permission:become_user:root"]) == [(3, 3)]
    assert lines(facts["resource_requirement:nginx:permission:become_user:postgres"]) == [(13, 13)]
    http = facts["health_check:nginx:other:/"]
    assert (http.port, lines(http)) == (None, [(18, 20)])


def test_free_form_arguments() -> None:
    params, free = split_free_form('name={{ svc }} state=restarted msg="a b" chdir=/x run.sh')
    assert params == {"name": "{{ svc }}", "state": "restarted", "msg": "a b", "chdir": "/x"}
    assert free == "run.sh"
    params, free = split_free_form("echo 'unbalanced")
    assert free == "echo 'unbalanced"


@pytest.mark.parametrize(
    ("task", "unit"),
    [
        ("service: name=acme state=started", "acme"),
        ("ansible.builtin.service:\n  name: Acme.service\n  state: restarted", "acme"),
        ("ansible.legacy.systemd:\n  name: acme\n  enabled: true", "acme"),
        ("systemd: name=acme state=stopped enabled=no", None),
        ("systemd: daemon_reload=yes", None),
        ("service: name={{ unit }} state=started", None),
        ("service: name=acme.timer state=started", None),
        ("command: systemctl enable --now acme-worker.service", "acme-worker"),
        ("shell: sudo service acme restart", "acme"),
        ("command: systemctl status acme", None),
        ("copy:\n  src: a.service\n  dest: /lib/systemd/system/acme@.service", "acme@"),
        ("template: src=x.j2 dest=/etc/acme/config.yml", None),
        ("action: service name=acme state=started", "acme"),
        ("local_action:\n  module: service\n  name: acme\n  state: started", "acme"),
        ("debug: msg=hi", None),
    ],
)
def test_managed_unit(task: str, unit: str | None) -> None:
    node = load_documents(task + "\n")[0].data
    assert isinstance(node, YamlMap)
    parsed = read_task(node, Span(1, 1), handler=False)
    assert parsed is not None
    assert managed_unit(parsed) == unit


def test_task_dir_outside_roles() -> None:
    text = "- service: name=acme state=started\n- wait_for: port=9000\n"
    result = analyze(text, "ansible/tasks/acme.yml")
    assert result.owners == {"ansible": "acme"}
    assert set(by_id(result)) == {"health_check:acme:other:9000"}


def test_repository_that_is_one_role() -> None:
    analyzer = AnsibleAnalyzer()
    assert analyzer.accepts(SourceFile("defaults/main.yml", "jenkins_port: 8080\n"))
    assert analyzer.accepts(SourceFile("vars/main/ports.yml", "jenkins_port: 8080\n"))
    assert not analyzer.accepts(SourceFile("config/defaults/app.yml", "port: 8080\n"))
    text = """\
- name: Ensure Jenkins is started and runs on startup.
  service: name=jenkins state=started enabled=yes

- name: Wait for Jenkins to start up before proceeding.
  shell: "curl -D - --silent http://{{ jenkins_hostname }}:{{ jenkins_http_port }}/cli/"
  register: result
  until: (result.stdout.find("403 Forbidden") != -1)
  retries: "{{ jenkins_connection_retries }}"
  delay: 5
  changed_when: false
- name: Not polled
  command: curl -fsS http://localhost:8080/
"""
    result = analyze(text, "tasks/main.yml")
    assert result.owners == {"": "jenkins"}
    facts = by_id(result)
    assert set(facts) == {
        "health_check:jenkins:other:/cli/",
        "validation_method:jenkins:deploy:curl--d-----silent-http-//-jenkins_hostname-jenk",
    }
    check = facts["health_check:jenkins:other:/cli/"]
    assert (check.check_type, check.failure_threshold, check.interval_s) == ("http", None, None)
    assert lines(check) == [(4, 10)]
    method = next(f for f in facts.values() if isinstance(f, ValidationMethod))
    assert method.method.startswith("curl -D - --silent http://{{ jenkins_hostname }}")
    assert method.expected == 'until (result.stdout.find("403 Forbidden") != -1)'
    defaults = analyze("jenkins_port: 8080\n", "defaults/main.yml")
    assert [f.id for f in defaults.facts] == ["config_parameter:-:jenkins_port"]


def test_broken_yaml_warns_with_line() -> None:
    text = "- name: ok\n  wait_for: port=1\n- name: [unclosed\n  service: x\n"
    result = analyze(text, "roles/r/tasks/main.yml")
    assert [(w.path, w.line, w.source) for w in result.warnings] == [
        ("roles/r/tasks/main.yml", 4, "ansible")
    ]


def test_unexpected_shapes_warn_and_never_raise() -> None:
    text = """\
- just a string
- 42
- name: odd module args
  wait_for: [1, 2]
- name: port is a map
  wait_for:
    port: {a: 1}
- uri: 12
- block: not-a-list
- "{{ include_me }}"
- name: "\ufffd\ufffd"
  "{{ mod }}": {x: 1}
  service: {name: "\ufffd"}
"""
    result = analyze(text, "roles/r/tasks/main.yml")
    assert [(w.line, w.source) for w in result.warnings] == [
        (1, "ansible"),
        (2, "ansible"),
        (10, "ansible"),
    ]
    for text in (
        "",
        "---\n",
        "just: a map\n",
        "[1, 2",
        "- hosts: all\n  tasks: 3\n",
        "- hosts: all\n  tasks:\n    - 1\n",
        "\x00",
    ):
        analyze(text, "roles/r/tasks/main.yml")
        analyze(text, "roles/r/defaults/main.yml")
        analyze(text, "site.yml")


def test_control_characters_warn_with_line() -> None:
    result = analyze("- name: a\n  debug: msg=\x07\n", "roles/r/tasks/main.yml")
    assert [(w.path, w.line) for w in result.warnings] == [("roles/r/tasks/main.yml", 2)]
    assert result.facts == []


def test_defaults_that_are_not_a_map_warn() -> None:
    result = analyze("- a\n- b\n", "roles/r/defaults/main.yml")
    assert [(w.path, w.line) for w in result.warnings] == [("roles/r/defaults/main.yml", 1)]
    assert result.facts == []

"""`name value` daemon configs: live and commented-out directives, ranges, nginx blocks."""

from __future__ import annotations

import pytest

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.config_files.directives import DirectivesAnalyzer
from ddd_llm.models import ConfigParameter, HealthCheck, ResourceRequirement

# Adapted from redis/redis redis.conf (sections NETWORK, CLIENTS, ADVANCED CONFIG).
REDIS = """\
# Redis configuration file example.
#
# Note on units: when memory size is needed, it is possible to specify
# it in the usual form of 1k 5GB 4M and so forth:
#
# 1k => 1000 bytes

# Accept connections on the specified port, default is 6379 (IANA #815344).
# If port 0 is specified Redis will not listen on a TCP socket.
port 6379

# Examples:
#
# bind 192.168.1.100 10.0.0.1     # listens on two specific IPv4 addresses
bind 127.0.0.1 -::1

# Once the limit is reached Redis will close all the new connections sending
# an error 'max number of clients reached'.
#
# maxclients 10000

# The range is between 1 and 500, however a value over 100 is usually not
# a good idea.
hz 10

# The requirepass is not compatible with aclfile option and the ACL LOAD
# command, these will cause requirepass to be ignored.
#
# requirepass foobared

# save <seconds> <changes> [<seconds> <changes> ...]
#
# An AOF file may be found to be truncated at the end during the Redis
# data=ordered option (however this can't happen when Redis itself
# crashes or aborts but the operating system still works correctly).
"""

# Adapted from postgres/postgres src/backend/utils/misc/postgresql.conf.sample
POSTGRES = """\
#listen_addresses = 'localhost'		# what IP address(es) to listen on;
					# comma-separated list of addresses;
#port = 5432				# (change requires restart)
max_connections = 100			# (change requires restart)
#shared_buffers = 128MB			# min 128kB
"""

# Adapted from openssh sshd_config
SSHD = """\
#Port 22
#AddressFamily any
PermitRootLogin no
#MaxAuthTries 6
# Change to yes to enable challenge-response passwords
KbdInteractiveAuthentication no
Match User anoncvs
	X11Forwarding no
"""

NGINX = """\
worker_processes auto;
events {
    worker_connections 1024;
}
http {
    keepalive_timeout 65;
    server {
        listen 8080;
        server_name localhost;
        location /healthz { return 200 'ok'; }
        location / { proxy_pass http://app:3000; }
    }
}
"""

HAPROXY = """\
global
    maxconn 4096

defaults
    timeout connect 5s

backend app
    option httpchk GET /health
    server a1 10.0.0.1:8080 check

frontend web
    bind *:80
"""


def analyze(text: str, path: str) -> AnalyzerResult:
    return DirectivesAnalyzer().analyze(SourceFile(path, text))


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def test_redis_live_and_commented_defaults() -> None:
    found = params(analyze(REDIS, "redis.conf"))
    assert found["port"].default == "6379" and found["port"].citations[0].start_line == 10
    assert "Accept connections" in found["port"].summary
    maxclients = found["maxclients"]
    assert (maxclients.default, maxclients.citations[0].start_line) == ("10000", 20)
    assert "commented default" in maxclients.summary
    hz = found["hz"]
    assert (hz.default, hz.min, hz.max, hz.range_source) == ("10", 1, 500, "documented")
    assert found["requirepass"].secret and found["requirepass"].default is None
    assert found["bind"].default == "127.0.0.1 -::1"  # the live line, not the example
    # Prose and syntax lines are not directives.
    assert not {"save", "data", "it", "Note", "1k", "An", "Accept", "Examples"} & set(found)
    ports = [
        f.value for f in analyze(REDIS, "redis.conf").facts if isinstance(f, ResourceRequirement)
    ]
    assert ports == ["6379"]


def test_postgres_equals_form_and_inline_comments() -> None:
    found = params(analyze(POSTGRES, "postgresql.conf"))
    assert found["listen_addresses"].default == "localhost"
    assert "what IP address" in found["listen_addresses"].summary
    assert found["port"].default == "5432"
    assert found["max_connections"].default == "100"
    assert found["shared_buffers"].default == "128MB"
    assert set(found) == {"listen_addresses", "port", "max_connections", "shared_buffers"}


def test_sshd_camel_case() -> None:
    result = analyze(SSHD, "etc/ssh/sshd_config")
    found = params(result)
    assert found["Port"].default == "22"
    assert found["PermitRootLogin"].default == "no"
    assert found["MaxAuthTries"].default == "6"
    assert "Change" not in found
    assert "X11Forwarding" not in found  # inside a Match block: conditional
    assert [f.value for f in result.facts if isinstance(f, ResourceRequirement)] == ["22"]


def test_nginx_blocks_ports_and_health() -> None:
    result = analyze(NGINX, "deploy/nginx.conf")
    found = params(result)
    assert set(found) == {"worker_processes", "events.worker_connections", "http.keepalive_timeout"}
    health = [f for f in result.facts if isinstance(f, HealthCheck)]
    assert [(h.target, h.port, h.citations[0].start_line) for h in health] == [
        ("/healthz", 8080, 10)
    ]
    ports = [f.value for f in result.facts if isinstance(f, ResourceRequirement)]
    assert ports == ["8080"]
    assert not result.warnings


def test_haproxy_sections() -> None:
    result = analyze(HAPROXY, "haproxy.cfg")
    found = params(result)
    assert found["global.maxconn"].default == "4096"
    assert found["defaults.timeout"].default == "connect 5s"
    assert not [n for n in found if n.startswith(("backend", "frontend", "server", "option"))]
    assert [h.target for h in result.facts if isinstance(h, HealthCheck)] == ["/health"]
    assert [f.value for f in result.facts if isinstance(f, ResourceRequirement)] == ["80"]


def test_unbalanced_braces_warn() -> None:
    result = analyze("http {\n  server {\n    listen 80;\n}\n", "nginx.conf")
    assert [(w.line, w.source) for w in result.warnings] == [(1, "directives")]
    result = analyze("listen 80;\n}\n", "nginx.conf")
    assert [w.line for w in result.warnings] == [2]


@pytest.mark.parametrize(
    ("path", "text", "accepted"),
    [
        ("redis.conf", "port 6379\n", True),
        ("etc/ssh/sshd_config", "Port 22\n", True),
        ("conf/app.conf", "workers 4\ntimeout 30\n", True),
        ("notes.txt", "port 6379\n", False),
        ("README.md", "port 6379\n", False),
        ("setup.cfg", "[metadata]\nname = x\n", False),  # INI, not directives
        ("prose.conf", "This file is about things.\nIt has sentences, lots of them!\n", False),
        ("pg_hba.conf", "host all all 0.0.0.0/0 md5\n", False),
        ("tests/redis.conf", "port 1\n", False),
    ],
)
def test_accepts(path: str, text: str, accepted: bool) -> None:
    assert REGISTRY["directives"].accepts(SourceFile(path, text)) is accepted

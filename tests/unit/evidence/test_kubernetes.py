"""Tests for the Kubernetes manifest analyzer."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.deploy.kubernetes import (
    HELM_MESSAGE,
    KubernetesAnalyzer,
    cluster_target,
    waited_hosts,
)
from ddd_llm.models import (
    ConfigParameter,
    Dependency,
    FactBase,
    HealthCheck,
)

ANALYZER = KubernetesAnalyzer()


def source(text: str, path: str = "deploy/app.yaml") -> SourceFile:
    return SourceFile(path, textwrap.dedent(text).lstrip("\n"))


def run(text: str, path: str = "deploy/app.yaml") -> AnalyzerResult:
    src = source(text, path)
    assert ANALYZER.accepts(src)
    return ANALYZER.analyze(src)


def facts(result: AnalyzerResult) -> dict[str, FactBase]:
    out: dict[str, FactBase] = {}
    for fact in result.facts:
        assert fact.id not in out, f"duplicate id {fact.id}"
        out[fact.id] = fact
    return out


def lines(fact: FactBase) -> list[tuple[int, int]]:
    return [(c.start_line, c.end_line) for c in fact.citations]


def get(result: AnalyzerResult, fact_id: str) -> Any:
    found = facts(result)
    assert fact_id in found, f"{fact_id} not in {sorted(found)}"
    return found[fact_id]


# --- a full Deployment --------------------------------------------------------------

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: Checkout
  labels:
    app: checkout
spec:
  replicas: 2
  template:
    metadata:
      labels:
        app: checkout
    spec:
      containers:
        - name: checkout
          image: example/checkout:1.2
          ports:
            - containerPort: 8080
              name: http
            - containerPort: 9090
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 3
          # the liveness probe is cheaper

          livenessProbe:
            tcpSocket:
              port: 8080
          startupProbe:
            exec:
              command: ["sh", "-c", "test -f /tmp/ready"]
            periodSeconds: 10
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 256Mi
              nvidia.com/gpu: 1
              ephemeral-storage: 2Gi
          volumeMounts:
            - name: cache
              mountPath: /var/cache/app
              readOnly: true
          env:
            - name: PORT
              value: "8080"
            - name: CART_ADDR
              value: "cartservice:7070"
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: db
                  key: password
            - name: LOG_LEVEL
              valueFrom:
                configMapKeyRef:
                  name: settings
                  key: level
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: DATABASE_URL
              value: postgres://app:hunter2@postgres.data.svc.cluster.local:5432/app
            - name: PAYMENTS_URL
              value: https://api.stripe.com/v1
            - name: GREETING
              value: |
                hello
                world

          envFrom:
            - configMapRef:
                name: extra
"""


def test_service_and_kind() -> None:
    result = run(DEPLOYMENT)
    assert [(s.name, s.kind) for s in result.services] == [("checkout", "k8s-deployment")]
    cite = result.services[0].citations[0]
    assert (cite.start_line, cite.end_line) == (1, 79)
    assert result.warnings == []


def test_http_probe_with_named_port_and_timings() -> None:
    probe = get(run(DEPLOYMENT), "health_check:checkout:k8s-readiness:/readyz")
    assert isinstance(probe, HealthCheck)
    assert probe.check_type == "http"
    assert probe.port == 8080  # `http` resolved through the container's ports
    assert (probe.interval_s, probe.timeout_s, probe.failure_threshold) == (5, 2, 3)
    assert probe.service == "checkout"
    assert lines(probe) == [(21, 27)]  # `readinessProbe:` through `failureThreshold: 3`
    assert probe.summary == "checkout readiness probe GET /readyz on port 8080 every 5s"


def test_tcp_and_exec_probes() -> None:
    result = run(DEPLOYMENT)
    tcp = get(result, "health_check:checkout:k8s-liveness:8080")
    assert (tcp.check_type, tcp.target, tcp.port) == ("tcp", "8080", 8080)
    assert (tcp.interval_s, tcp.timeout_s, tcp.failure_threshold) == (None, None, None)
    assert lines(tcp) == [(30, 32)]  # comment and blank line before it are not the probe's
    startup = get(result, "health_check:checkout:k8s-startup:sh -c test -f /tmp/ready")
    assert (startup.check_type, startup.port, startup.interval_s) == ("exec", None, 10)
    assert startup.mechanism == "k8s-startup"
    assert lines(startup) == [(33, 36)]


def test_resources() -> None:
    result = run(DEPLOYMENT)
    cpu = get(result, "resource_requirement:checkout:cpu")
    assert (cpu.request, cpu.limit, cpu.value) == ("100m", None, None)
    assert lines(cpu) == [(39, 39)]
    memory = get(result, "resource_requirement:checkout:memory")
    assert (memory.request, memory.limit) == ("128Mi", "256Mi")
    assert lines(memory) == [(40, 40), (42, 42)]
    gpu = get(result, "resource_requirement:checkout:gpu")
    assert (gpu.resource, gpu.limit, gpu.request) == ("gpu", "1", None)
    disk = get(result, "resource_requirement:checkout:disk")
    assert (disk.limit, disk.value) == ("2Gi", None)
    assert lines(disk) == [(44, 44)]


def test_ports_and_volumes() -> None:
    result = run(DEPLOYMENT)
    http = get(result, "resource_requirement:checkout:port:8080")
    assert (http.resource, http.value) == ("port", "8080")
    assert lines(http) == [(18, 19)]
    assert lines(get(result, "resource_requirement:checkout:port:9090")) == [(20, 20)]
    volume = get(result, "resource_requirement:checkout:volume:cache:/var/cache/app")
    assert volume.resource == "volume"
    assert lines(volume) == [(46, 48)]


def test_env_parameters() -> None:
    result = run(DEPLOYMENT)
    port = get(result, "config_parameter:checkout:PORT")
    assert isinstance(port, ConfigParameter)
    assert (port.default, port.value_type, port.secret) == ("8080", "int", False)
    assert lines(port) == [(50, 51)]
    password = get(result, "config_parameter:checkout:DB_PASSWORD")
    assert (password.secret, password.default, password.required) == (True, None, True)
    assert lines(password) == [(54, 58)]
    level = get(result, "config_parameter:checkout:LOG_LEVEL")
    assert (level.default, level.secret, level.required) == (None, False, True)
    assert "ConfigMap settings" in level.summary
    namespace = get(result, "config_parameter:checkout:POD_NAMESPACE")
    assert (namespace.default, namespace.required) == (None, False)
    url = get(result, "config_parameter:checkout:DATABASE_URL")
    assert (url.secret, url.default) == (True, None)
    assert "hunter2" not in url.summary
    greeting = get(result, "config_parameter:checkout:GREETING")
    assert greeting.default == "hello\nworld\n"
    assert lines(greeting) == [(72, 75)]  # the block scalar, not the blank line after it
    # envFrom is skipped quietly: no fact names the ConfigMap `extra`
    assert not any("extra" in f.id for f in result.facts)


def test_runtime_dependencies() -> None:
    result = run(DEPLOYMENT)
    deps = {f.id: f for f in result.facts if isinstance(f, Dependency)}
    assert set(deps) == {"dependency:checkout:cartservice", "dependency:checkout:postgres"}
    cart = deps["dependency:checkout:cartservice"]
    assert (cart.target, cart.dependency_type, cart.condition) == ("cartservice", "runtime", None)
    assert lines(cart) == [(52, 53)]
    assert "hunter2" not in deps["dependency:checkout:postgres"].summary


# --- probes: more spellings -----------------------------------------------------------

PROBES = """
apiVersion: v1
kind: Pod
metadata:
  name: grpc-app
spec:
  containers:
  - name: grpc-app
    ports:
    - {containerPort: 50051, name: grpc}
    livenessProbe:
      grpc:
        port: 50051
      periodSeconds: 20
    readinessProbe:
      grpc:
        port: 50051
        service: ready
    startupProbe:
      httpGet:
        port: metrics
"""


def test_grpc_and_default_http_path_and_unresolved_port() -> None:
    result = run(PROBES)
    assert [(s.name, s.kind) for s in result.services] == [("grpc-app", "k8s-pod")]
    live = get(result, "health_check:grpc-app:k8s-liveness:grpc.health.v1.Health")
    assert (live.check_type, live.port, live.interval_s) == ("grpc", 50051, 20)
    assert lines(live) == [(10, 13)]
    ready = get(result, "health_check:grpc-app:k8s-readiness:ready")
    assert ready.port == 50051
    startup = get(result, "health_check:grpc-app:k8s-startup:/")
    assert (startup.check_type, startup.port) == ("http", None)
    port = get(result, "resource_requirement:grpc-app:port:50051")
    assert lines(port) == [(9, 9)]


# --- StatefulSet, CronJob, Job, DaemonSet, List ---------------------------------------------

STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
spec:
  serviceName: postgres-headless
  template:
    metadata:
      labels:
        app.kubernetes.io/name: postgresql
    spec:
      containers:
        - name: postgresql
          image: postgres:16
          ports:
            - name: tcp-postgresql
              containerPort: 5432
          livenessProbe:
            exec:
              command:
                - /bin/sh
                - -c
                - exec pg_isready -U "postgres" -h 127.0.0.1 -p 5432
          env:
            - name: POSTGRESQL_PORT_NUMBER
              value: "5432"
            - name: PEERS
              value: postgres-0.postgres-headless:5432,postgres-1.postgres-headless:5432
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
        resources:
          requests:
            storage: "8Gi"
---
apiVersion: v1
kind: Service
metadata:
  name: postgres-headless
spec:
  clusterIP: None
  selector:
    app.kubernetes.io/name: postgresql
  ports:
    - name: tcp-postgresql
      port: 5432
      targetPort: tcp-postgresql
"""


def test_statefulset_claims_exec_probe_and_self_references() -> None:
    result = run(STATEFULSET)
    assert [(s.name, s.kind) for s in result.services] == [("postgres", "k8s-statefulset")]
    claim = get(result, "resource_requirement:postgres:disk:data")
    assert (claim.resource, claim.request, claim.value) == ("disk", "8Gi", "data")
    assert lines(claim) == [(30, 36)]
    probe = get(
        result,
        'health_check:postgres:k8s-liveness:/bin/sh -c exec pg_isready -U "postgres" '
        "-h 127.0.0.1 -p 5432",
    )
    assert probe.check_type == "exec"
    # peers of its own StatefulSet are not dependencies
    assert not [f for f in result.facts if isinstance(f, Dependency)]
    # the headless Service matched by labels in this file resolves the named targetPort
    port = get(result, "resource_requirement:postgres:port:5432")
    assert lines(port) == [(16, 17), (47, 49)]


CRONJOB = """
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-backup
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: backup
            image: backup:1
            env:
            - name: PGHOST
              value: postgres
            - name: TARGET_HOST
              value: minio.storage
            resources:
              limits: {cpu: "1", memory: 1Gi}
---
apiVersion: batch/v1
kind: Job
metadata:
  generateName: migrate-
spec:
  template:
    spec:
      containers:
      - name: migrate
        image: app:1
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-exporter
spec:
  template:
    spec:
      hostNetwork: true
      containers:
      - name: node-exporter
        ports:
        - containerPort: 9100
          hostPort: 9100
"""


def test_cronjob_job_daemonset() -> None:
    result = run(CRONJOB)
    assert [(s.name, s.kind) for s in result.services] == [
        ("nightly-backup", "k8s-cronjob"),
        ("migrate", "k8s-job"),
        ("node-exporter", "k8s-daemonset"),
    ]
    cpu = get(result, "resource_requirement:nightly-backup:cpu")
    assert (cpu.limit, cpu.request) == ("1", None)
    assert lines(cpu) == [(21, 21)]
    # PGHOST has no *_HOST suffix and a bare value: not a dependency; TARGET_HOST is.
    deps = [f.id for f in result.facts if isinstance(f, Dependency)]
    assert deps == ["dependency:nightly-backup:minio"]
    assert get(result, "resource_requirement:node-exporter:port:9100").value == "9100"


LIST = """
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: api
  spec:
    template:
      spec:
        containers:
        - name: api
          ports:
          - containerPort: 8000
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: api-config
  data:
    LOG_LEVEL: debug
"""


def test_list_items_and_configmap_data_skipped() -> None:
    result = run(LIST)
    assert [s.name for s in result.services] == ["api"]
    cite = result.services[0].citations[0]
    assert (cite.start_line, cite.end_line) == (4, 14)
    assert set(facts(result)) == {"resource_requirement:api:port:8000"}
    assert lines(get(result, "resource_requirement:api:port:8000")) == [(14, 14)]


# --- Service objects ------------------------------------------------------------------------

SERVICES = """
apiVersion: v1
kind: Service
metadata:
  name: frontend-external
spec:
  type: LoadBalancer
  selector:
    app: frontend
  ports:
  - name: http
    port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: prometheus-k8s
spec:
  selector:
    app.kubernetes.io/name: prometheus
    prometheus: k8s
  ports:
  - name: web
    port: 9090
    targetPort: web
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
spec:
  selector:
    k8s-app: coredns
  ports:
  - port: 53
    protocol: UDP
---
apiVersion: v1
kind: Service
metadata:
  name: external-db
spec:
  ports:
  - port: 5432
"""


def test_service_ports_go_to_selected_workload() -> None:
    result = run(SERVICES)
    assert result.services == []
    frontend = get(result, "resource_requirement:frontend:port:8080")
    assert lines(frontend) == [(10, 12)]
    assert frontend.summary == "frontend is exposed by Service frontend-external on port 80 -> 8080"
    # a named targetPort without the workload in this file falls back to `port`
    assert get(result, "resource_requirement:prometheus-k8s:port:9090").resource == "port"
    assert get(result, "resource_requirement:coredns:port:53").value == "53"
    assert lines(get(result, "resource_requirement:external-db:port:5432")) == [(44, 44)]
    assert result.warnings == []


# --- init containers -----------------------------------------------------------------------

INIT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      initContainers:
      - name: wait-db
        image: busybox
        command: ['sh', '-c', 'until nc -z postgres 5432; do echo waiting; sleep 2; done']
      - name: wait-cache
        image: postgres:16
        command:
        - sh
        - -c
        - |
          until pg_isready -h $DB_HOST; do sleep 1; done
          until nslookup redis.$(cat /run/ns/namespace).svc.cluster.local; do sleep 2; done
        env:
        - name: DB_HOST
          value: pgbouncer.data
      - name: wait-api
        image: alpine
        args: ["wait-for-it", "auth:9000", "--", "curl", "-f", "http://config-server:8888/health"]
      - name: wait-job
        image: groundnuty/k8s-wait-for:v2.0
        args: ["job", "migrate"]
      - name: fetch
        image: alpine
        command: ["sh", "-c", "curl -sL https://github.com/a.tgz | tar xz && nc -z localhost 80"]
      containers:
      - name: web
        env:
        - name: DB_HOST
          value: postgres
        - name: SELF_URL
          value: http://web:8080
"""


def test_init_containers_wait_for_hosts() -> None:
    result = run(INIT)
    deps = {f.target: f for f in result.facts if isinstance(f, Dependency)}
    assert set(deps) == {"postgres", "pgbouncer", "redis", "auth", "config-server", "migrate"}
    assert all(d.dependency_type == "start_order" for d in deps.values())
    # the runtime env reference adds its citation but start_order wins
    assert lines(deps["postgres"]) == [(11, 11), (35, 36)]
    assert lines(deps["pgbouncer"]) == [(14, 19)]
    assert lines(deps["auth"]) == [(25, 25)]
    assert lines(deps["migrate"]) == [(28, 28)]
    assert (
        deps["redis"].summary == "web waits for redis before starting (init container wait-cache)"
    )
    # init containers give no config parameters of their own
    assert "config_parameter:web:DB_HOST" in facts(result)
    assert get(result, "config_parameter:web:DB_HOST").citations[0].start_line == 35


@pytest.mark.parametrize(
    ("script", "hosts"),
    [
        ("nc -z postgres 5432", ["postgres"]),
        ("nc -zv -w 2 db 5432", ["db"]),
        ("until nc -z -v -w30 mysql 3306; do sleep 1; done", ["mysql"]),
        ("until mysqladmin ping -hmariadb --silent; do sleep 1; done", ["mariadb"]),
        ("redis-cli -h redis-master ping", ["redis-master"]),
        ("pg_isready --host=db --port=5432", ["db"]),
        ("./wait-for-it.sh --host=api --port=80 --timeout=0", ["api"]),
        ("wait-for kafka:9092 -- echo up", ["kafka"]),
        ("dockerize -wait tcp://rabbitmq:5672 -timeout 60s", ["rabbitmq"]),
        ("until getent hosts elasticsearch; do sleep 1; done", ["elasticsearch"]),
        (
            "while ! timeout 1 bash -c 'echo > /dev/tcp/zookeeper/2181'; do sleep 1; done",
            ["zookeeper"],
        ),
        ("wget -qO- http://user:pw@vault:8200/v1/sys/health", ["vault"]),
        ("chown -R 1001:1001 /data", []),
        ("echo hello", []),
    ],
)
def test_waited_hosts(script: str, hosts: list[str]) -> None:
    assert waited_hosts(script) == hosts


@pytest.mark.parametrize(
    ("host", "target"),
    [
        ("redis", "redis"),
        ("redis.cache", "redis"),
        ("redis.cache.svc", "redis"),
        ("redis.cache.svc.cluster.local", "redis"),
        ("Redis.Cache.svc.cluster.local.", "redis"),
        ("kafka-0.kafka-headless.data.svc.cluster.local", "kafka"),
        ("localhost", None),
        ("127.0.0.1", None),
        ("0.0.0.0", None),
        ("10.0.0.12", None),
        ("api.stripe.com", None),
        ("example.com", None),
        ("db.internal", None),
        ("8080", None),
        ("bad_name", None),
        ("", None),
    ],
)
def test_cluster_target(host: str, target: str | None) -> None:
    assert cluster_target(host) == target


def test_value_forms_for_dependencies() -> None:
    result = run(
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: worker}
        spec:
          containers:
          - name: worker
            env:
            - {name: BROKER, value: "amqp://guest:guest@rabbitmq:5672/"}
            - {name: MONGO_URI, value: "mongodb://mongo-0.mongo,mongo-1.mongo:27017/db"}
            - {name: JDBC, value: "jdbc:postgresql://pg.data.svc:5432/app"}
            - {name: CACHE, value: "memcached:11211"}
            - {name: TIME_OF_DAY, value: "12:30"}
            - {name: LISTEN_ADDR, value: ":8080"}
            - {name: BIND_ADDRESS, value: "0.0.0.0"}
            - {name: METRICS_HOST, value: "localhost"}
            - {name: SENTRY_DSN, value: "https://abc@o1.ingest.sentry.io/2"}
            - {name: UPSTREAM_URL, value: "http://$(API_HOST):8080"}
            - {name: FEATURE_ENABLED_HOST, value: "true"}
        """
    )
    targets = sorted(f.target for f in result.facts if isinstance(f, Dependency))
    assert targets == ["memcached", "mongo", "pg", "rabbitmq"]


# --- Helm templates and other non-manifests --------------------------------------------

HELM = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "chart.fullname" . }}
spec:
  template:
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}"
          {{- with .Values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
"""


def test_helm_template_outside_a_chart_one_warning() -> None:
    result = run(HELM, "deploy/api.yaml")
    assert result.facts == [] and result.services == []
    assert [(w.message, w.line) for w in result.warnings] == [(HELM_MESSAGE, 4)]


def test_a_charts_templates_are_helms_not_kubernetes() -> None:
    # config_files/helm.py reads them (over a skeleton); no "not rendered" warning here
    chart = source(HELM, "charts/api/templates/deployment.yaml")
    assert not KubernetesAnalyzer().accepts(chart)
    assert KubernetesAnalyzer().accepts(source(HELM, "deploy/api.yaml"))


def test_template_placeholders_inside_a_workload() -> None:
    result = run(
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: app
        spec:
          containers:
          - name: app
            image: "{{ image }}"
        """
    )
    assert [(w.message, w.line) for w in result.warnings] == [(HELM_MESSAGE, 8)]


def test_go_templates_in_alert_rules_are_data() -> None:
    result = run(
        """
        apiVersion: monitoring.coreos.com/v1
        kind: PrometheusRule
        metadata:
          name: rules
        spec:
          groups:
          - name: x
            rules:
            - alert: Down
              annotations:
                description: "{{ $labels.instance }} is down"
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
        spec:
          template:
            spec:
              containers:
              - name: api
                ports:
                - containerPort: 80
        """
    )
    assert result.warnings == []
    assert "resource_requirement:api:port:80" in facts(result)


def test_accepts() -> None:
    assert ANALYZER.accepts(SourceFile("a/b.yml", "apiVersion: v1\nkind: Pod\n"))
    assert not ANALYZER.accepts(SourceFile("a/b.json", "apiVersion: v1\nkind: Pod\n"))
    assert not ANALYZER.accepts(SourceFile("docker-compose.yml", "services:\n  api: {}\n"))
    assert not ANALYZER.accepts(SourceFile("Chart.yaml", "apiVersion: v2\nname: x\n"))
    assert isinstance(REGISTRY["kubernetes"], KubernetesAnalyzer)


# --- malformed input ------------------------------------------------------------------------

MIXED = """
---
# an empty document
---
- just
- a list
---
apiVersion: v1
metadata: {name: no-kind}
---
apiVersion: v1
kind: Pod
metadata:
  name: broken-containers
spec:
  containers:
    name: app
---
apiVersion: v1
kind: Pod
metadata:
  name: broken-probe
spec:
  containers:
  - name: app
    readinessProbe: /healthz
    livenessProbe:
      httpGet: "/healthz"
    resources: 100m
    env: {A: b}
    ports: [8080]
    volumeMounts: [{name: x}]
  - just-a-string
---
apiVersion: v1
kind: Deployment
metadata: {}
---
apiVersion: v1
kind: Deployment
metadata: {name: patch}
spec:
  replicas: 3
---
apiVersion: v1
kind: Deployment
metadata: {name: bad-template}
spec:
  template: []
"""


def test_malformed_documents_warn_with_lines() -> None:
    result = run(MIXED)
    assert [s.name for s in result.services] == [
        "broken-containers",
        "broken-probe",
        "patch",
        "bad-template",
    ]
    warnings = sorted((w.line or 0, w.message) for w in result.warnings)
    assert warnings == [
        (15, "broken-containers: containers is not a list"),
        (25, "broken-probe: readinessProbe is not a mapping"),
        (27, "broken-probe: livenessProbe.httpGet is not a mapping"),
        (28, "broken-probe: resources is not a mapping"),
        (29, "broken-probe: env is not a list"),
        (30, "broken-probe: port entry is not a mapping"),
        (31, "broken-probe: volumeMount without mountPath"),
        (32, "broken-probe: containers entry is not a mapping"),
        (36, "Deployment without metadata.name; skipped"),
        (48, "Deployment template is not a mapping; skipped"),
    ]
    assert all(w.source == "kubernetes" for w in result.warnings)
    # The one well-formed number among them: the patch Deployment's spec.replicas.
    assert [(f.id, getattr(f, "default", None)) for f in result.facts] == [
        ("config_parameter:patch:replicas", "3")
    ]


def test_broken_yaml_keeps_earlier_documents() -> None:
    result = run(
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: first}
        spec:
          containers: [{name: first, ports: [{containerPort: 80}]}]
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: second
          labels: [unclosed
        spec: {}
        """
    )
    assert [s.name for s in result.services] == ["first"]
    assert "resource_requirement:first:port:80" in facts(result)
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert warning.message.startswith("invalid YAML")
    assert warning.line is not None and 10 <= warning.line <= 12


def test_sidecar_values_do_not_override_the_main_container() -> None:
    result = run(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec:
          template:
            spec:
              containers:
              - name: proxy
                resources:
                  limits: {memory: 64Mi}
                env:
                - {name: LOG_LEVEL, value: info}
              - name: api
                resources:
                  limits: {memory: 1Gi}
                env:
                - {name: LOG_LEVEL, value: info}
        """
    )
    memory = get(result, "resource_requirement:api:memory")
    assert (memory.limit, lines(memory)) == ("1Gi", [(15, 15)])
    assert "container" not in memory.summary
    log = get(result, "config_parameter:api:LOG_LEVEL")
    assert lines(log) == [(12, 12), (17, 17)]
    assert "(container proxy)" not in log.summary


def test_knative_service_is_a_workload() -> None:
    result = run(
        """
        apiVersion: serving.knative.dev/v1
        kind: Service
        metadata:
          name: hello
        spec:
          template:
            spec:
              containers:
              - image: hello
                ports:
                - containerPort: 8080
        """
    )
    assert [(s.name, s.kind) for s in result.services] == [("hello", "k8s-knative-service")]
    assert "resource_requirement:hello:port:8080" in facts(result)
    assert result.warnings == []


def test_multiline_exec_probe_placeholders_external_name_and_kustomization() -> None:
    result = run(
        """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: redis
        spec:
          template:
            spec:
              containers:
              - name: redis
                readinessProbe:
                  exec:
                    command:
                    - sh
                    - -c
                    - |
                      redis-cli -h localhost ping |
                        grep PONG
                  periodSeconds: 5
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: ${APP_NAME}
        spec: {}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: payments
        spec:
          type: ExternalName
          externalName: api.payments.example.com
          ports:
          - port: 443
        ---
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
        - deployment.yaml
        """
    )
    probe = get(
        result, "health_check:redis:k8s-readiness:sh -c redis-cli -h localhost ping | grep PONG"
    )
    assert lines(probe) == [(10, 18)]
    assert [s.name for s in result.services] == ["redis"]
    assert [(w.line, w.message) for w in result.warnings] == [
        (23, "Deployment name '${APP_NAME}' is a template placeholder")
    ]
    assert not any(f.service == "payments" for f in result.facts)


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 70000), st.text(max_size=8), st.floats(0, 10)
)
_keys = st.sampled_from(
    [
        "name", "containers", "initContainers", "env", "ports", "containerPort", "value",
        "valueFrom", "secretKeyRef", "httpGet", "tcpSocket", "exec", "grpc", "port", "path",
        "command", "args", "readinessProbe", "livenessProbe", "resources", "limits", "requests",
        "cpu", "memory", "volumeMounts", "mountPath", "template", "spec", "metadata",
        "selector", "targetPort", "volumeClaimTemplates", "jobTemplate", "items",
    ]
)  # fmt: skip
_trees = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=5)),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(
        ["Deployment", "StatefulSet", "CronJob", "Pod", "Service", "List", "Job", "Other"]
    ),
    spec=_trees,
)
def test_never_raises_on_arbitrary_shapes(kind: str, spec: Any) -> None:
    text = yaml.safe_dump(
        {"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}, "spec": spec,
         "items": [{"kind": "Pod", "metadata": {"name": "y"}, "spec": spec}]}
    )  # fmt: skip
    result = ANALYZER.analyze(SourceFile("x.yaml", text))
    for fact in result.facts:
        for citation in fact.citations:
            assert 1 <= citation.start_line <= citation.end_line <= len(text.splitlines())


def test_claim_sizes_the_mounted_volume_and_secret_references() -> None:
    result = run(
        """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: redis
        spec:
          template:
            spec:
              containers:
                - name: redis
                  args: ["--requirepass", "$(REDIS_PASSWORD)"]
                  env:
                    - name: REDIS_PASSWORD
                      valueFrom:
                        secretKeyRef: {name: redis, key: password}
                    - name: CACHE_PASS
                      valueFrom:
                        secretKeyRef: {name: redis, key: other, optional: true}
                    - name: SELF_URL
                      value: "redis://:$(REDIS_PASSWORD)@redis:6379/1"
                    - name: UPSTREAM
                      value: "redis://:hunter2@cache:6379"
                  volumeMounts:
                    - name: data
                      mountPath: /data
          volumeClaimTemplates:
            - metadata:
                name: data
              spec:
                resources:
                  requests:
                    storage: 5Gi
        """
    )
    volume = get(result, "resource_requirement:redis:volume:data:/data")
    assert (volume.request, volume.value) == ("5Gi", "data:/data")
    assert lines(volume) == [(23, 24), (26, 31)]
    assert "resource_requirement:redis:disk:data" not in facts(result)
    password = get(result, "config_parameter:redis:REDIS_PASSWORD")
    assert (password.secret, password.required) == (True, True)
    assert lines(password) == [(10, 10), (12, 14)]  # the args line where it takes effect
    assert get(result, "config_parameter:redis:CACHE_PASS").required is False
    self_url = get(result, "config_parameter:redis:SELF_URL")
    assert (self_url.secret, self_url.default) == (True, None)
    upstream = get(result, "config_parameter:redis:UPSTREAM")
    assert (upstream.secret, upstream.default) == (True, None)
    assert [f.target for f in result.facts if isinstance(f, Dependency)] == ["cache"]
    assert "hunter2" not in " ".join(f.summary for f in result.facts)


def test_security_context_user_and_privileged_are_permissions() -> None:
    result = run(
        """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: node-agent
        spec:
          template:
            spec:
              securityContext:
                runAsUser: 65534
                runAsNonRoot: true
              containers:
                - name: node-agent
                  image: example/agent:1
                  securityContext:
                    privileged: true
                - name: proxy
                  image: example/proxy:1
                  securityContext:
                    runAsUser: 1000
        """
    )
    found = facts(result)
    user = found["resource_requirement:node-agent:permission:user:65534"]
    assert lines(user) == [(9, 9)]
    assert lines(found["resource_requirement:node-agent:permission:privileged"]) == [(15, 15)]
    assert "resource_requirement:node-agent:permission:user:1000" in found


def test_an_envsubst_container_port_runs_with_its_default_and_names_its_variable() -> None:
    result = run(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          template:
            spec:
              containers:
                - name: web
                  image: x
                  ports:
                    - containerPort: ${PORT:-8080}
                    - containerPort: "${METRICS_PORT}"
        """
    )
    got = facts(result)
    assert result.warnings == []
    assert "variable PORT" in got["resource_requirement:web:port:8080"].summary
    assert "resource_requirement:web:port:${METRICS_PORT}" in got  # kept as written
    port = got["config_parameter:web:PORT"]
    assert isinstance(port, ConfigParameter) and port.default == "8080"
    assert port.citations[0].start_line == 12
    metrics = got["config_parameter:web:METRICS_PORT"]
    assert isinstance(metrics, ConfigParameter) and metrics.default is None

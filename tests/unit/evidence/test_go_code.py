"""Unit tests for the Go source analyzer."""

from __future__ import annotations

import random
import textwrap

import pytest

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile, is_health_path
from ddd_llm.evidence.code.go_code import GoCodeAnalyzer, documented_range
from ddd_llm.models import ConfigParameter, FactBase, HealthCheck, ResourceRequirement

ANALYZER = GoCodeAnalyzer()


def src(text: str, path: str = "cmd/server/main.go") -> SourceFile:
    return SourceFile(path, textwrap.dedent(text).lstrip("\n"))


def run(text: str, path: str = "cmd/server/main.go") -> AnalyzerResult:
    source = src(text, path)
    assert ANALYZER.accepts(source)
    result = ANALYZER.analyze(source)
    assert not [w for w in result.warnings if "could not read" in w.message]
    return result


def facts(result: AnalyzerResult) -> dict[str, FactBase]:
    out = {fact.id: fact for fact in result.facts}
    assert len(out) == len(result.facts), "one fact per id"
    return out


def param(result: AnalyzerResult, name: str) -> ConfigParameter:
    fact = facts(result)[f"config_parameter:-:{name}"]
    assert isinstance(fact, ConfigParameter)
    return fact


def lines(fact: FactBase) -> list[tuple[int, int]]:
    return [(c.start_line, c.end_line) for c in fact.citations]


def line_of(text: str, needle: str) -> int:
    body = textwrap.dedent(text).lstrip("\n")
    assert body.count(needle) == 1, needle
    return body[: body.index(needle)].count("\n") + 1


def test_registered_under_its_name() -> None:
    assert isinstance(REGISTRY["go_code"], GoCodeAnalyzer)


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        ("main.go", True),
        ("cmd/api/server.go", True),
        ("internal/config/config.go", True),
        ("main_test.go", False),
        ("vendor/github.com/spf13/pflag/flag.go", False),
        ("pkg/testdata/sample.go", False),
        ("api/v1/service.pb.go", False),
        ("main.py", False),
        ("go.mod", False),
    ],
)
def test_accepts(path: str, accepted: bool) -> None:
    assert ANALYZER.accepts(SourceFile(path, "package main\n")) is accepted


# --- flags -----------------------------------------------------------------------------

STD_FLAGS = """
package main

import (
	"flag"
	"time"
)

var (
	workers = flag.Int("workers", 4, "number of workers (1-64)")
	timeout = flag.Duration("timeout", 30 * time.Second, "request timeout")
	name    = flag.String("name", "demo", "service name // not a comment")
	config  = flag.String("config", "", "config file")
	debug   = flag.Bool("debug", false, "verbose logging")
	ratio   = flag.Float64("ratio", 0.5, "sample ratio, between 0 and 1")
)

func main() {
	var maxConns int
	flag.IntVar(&maxConns, "max-conns", 100,
		"maximum connections, max 1000")
	// flag.Int("commented", 1, "a comment is not a flag")
	/* flag.Int("blocked", 1, "nor is a block comment") */
	flag.Parse()
}
"""


def test_std_flags_name_type_default() -> None:
    result = run(STD_FLAGS)
    workers = param(result, "-workers")
    assert (workers.value_type, workers.default) == ("int", "4")
    assert (workers.min, workers.max, workers.range_source) == (1, 64, "documented")
    assert lines(workers) == [(line_of(STD_FLAGS, '"workers"'),) * 2]

    timeout = param(result, "-timeout")
    assert (timeout.value_type, timeout.default) == ("duration", "30 * time.Second")
    assert timeout.min is None and timeout.range_source is None

    name = param(result, "-name")
    assert (name.value_type, name.default) == ("string", "demo")
    assert param(result, "-config").default is None
    assert (param(result, "-debug").value_type, param(result, "-debug").default) == (
        "bool",
        "false",
    )
    ratio = param(result, "-ratio")
    assert (ratio.value_type, ratio.min, ratio.max) == ("float", 0, 1)


def test_flag_var_spanning_lines_cites_the_whole_call() -> None:
    result = run(STD_FLAGS)
    conns = param(result, "-max-conns")
    start = line_of(STD_FLAGS, '"max-conns"')
    assert lines(conns) == [(start, start + 1)]
    assert (conns.default, conns.min, conns.max) == ("100", None, 1000)
    assert "maximum connections" in conns.summary


def test_commented_flags_are_not_facts() -> None:
    ids = facts(run(STD_FLAGS))
    assert "config_parameter:-:-commented" not in ids
    assert "config_parameter:-:-blocked" not in ids
    assert len([i for i in ids if i.startswith("config_parameter")]) == 7


def test_pflag_cobra_flags_use_double_dash() -> None:
    text = """
    package cmd

    import (
        "time"

        "github.com/spf13/cobra"
        "github.com/spf13/pflag"
    )

    func newServeCmd() *cobra.Command {
        cmd := &cobra.Command{Use: "serve"}
        cmd.Flags().IntP("port", "p", 8080, "port to listen on (1-65535)")
        cmd.PersistentFlags().StringVar(&addr, "addr", ":8080", "listen address")
        fs := cmd.Flags()
        fs.DurationVar(&grace, "shutdown-timeout", 10*time.Second, "graceful shutdown")
        pflag.StringSliceP("tags", "t", nil, "tags")
        return cmd
    }

    func addFlags(flags *pflag.FlagSet) {
        flags.Int64Var(&limit, "limit", 500, "max 500 rows")
    }
    """
    result = run(text)
    port = param(result, "--port")
    assert (port.value_type, port.default, port.min, port.max) == ("int", "8080", 1, 65535)
    assert lines(port) == [(line_of(text, '"port"'),) * 2]
    assert param(result, "--addr").default == ":8080"
    grace = param(result, "--shutdown-timeout")
    assert (grace.value_type, grace.default) == ("duration", "10*time.Second")
    assert param(result, "--tags").value_type == "list"
    limit = param(result, "--limit")
    assert (limit.default, limit.max) == ("500", 500)


def test_pflag_imported_as_flag_uses_double_dash() -> None:
    text = """
    package main

    import flag "github.com/spf13/pflag"

    var port = flag.Int("port", 9090, "port")
    """
    ids = facts(run(text))
    assert "config_parameter:-:--port" in ids
    assert "config_parameter:-:-port" not in ids


def test_flag_default_from_constant_cites_the_constant() -> None:
    text = """
    package main

    import "flag"

    const defaultPort = 8080

    var port = flag.Int("port", defaultPort, "port")
    """
    port = param(run(text), "-port")
    assert port.default == "8080"
    assert lines(port) == [(5, 5), (7, 7)]


def test_kingpin_flags() -> None:
    text = """
    package main

    import "gopkg.in/alecthomas/kingpin.v2"

    var (
        listen = kingpin.Flag("web.listen-address", "Address to listen on.").
            Default(":9100").Envar("LISTEN_ADDRESS").String()
        level = kingpin.Flag("log.level", "Log level").Default("info").Enum("debug", "info")
        workers = kingpin.Flag("workers", "Workers (1-16)").Default("4").Required().Int()
    )
    """
    result = run(text)
    listen = param(result, "--web.listen-address")
    assert (listen.default, listen.value_type) == (":9100", "string")
    assert lines(listen) == [(6, 7)]
    assert param(result, "LISTEN_ADDRESS").default == ":9100"
    level = param(result, "--log.level")
    assert (level.value_type, level.allowed_values) == ("enum", ["debug", "info"])
    workers = param(result, "--workers")
    assert (workers.value_type, workers.required, workers.min, workers.max) == ("int", True, 1, 16)


def test_urfave_cli_flags_and_their_env_vars() -> None:
    text = """
    package main

    import "github.com/urfave/cli/v2"

    var flags = []cli.Flag{
        &cli.IntFlag{
            Name:    "workers",
            Value:   4,
            Usage:   "worker count",
            EnvVars: []string{"WORKERS"},
        },
        &cli.StringFlag{Name: "token", EnvVars: []string{"API_TOKEN"}, Required: true},
    }
    """
    result = run(text)
    workers = param(result, "--workers")
    assert (workers.value_type, workers.default) == ("int", "4")
    assert lines(workers) == [(6, 11)]
    assert param(result, "WORKERS").default == "4"
    token = param(result, "API_TOKEN")
    assert token.secret and token.required and token.default is None


# --- environment -----------------------------------------------------------------------

ENV = """
package main

import (
	"fmt"
	"os"
	"strconv"
)

const (
	port    = "8080"
	envName = "SERVICE_NAME"
)

func main() {
	srvPort := port
	if os.Getenv("PORT") != "" {
		srvPort = os.Getenv("PORT")
	}
	addr := os.Getenv("LISTEN_ADDR")
	dbHost := os.Getenv("DB_HOST")
	if dbHost == "" {
		dbHost = "localhost"
	}
	logLevel := "warn"
	if v := os.Getenv("LOG_LEVEL"); v != "" {
		logLevel = v
	} else {
		logLevel = "info"
	}
	if v, ok := os.LookupEnv("OTEL_ENDPOINT"); ok {
		fmt.Println(v)
	} else {
		panic("OTEL_ENDPOINT must be set")
	}
	token := os.Getenv("API_TOKEN")
	if token == "" {
		panic("API_TOKEN required")
	}
	if os.Getenv("ENABLE_TRACING") == "1" {
		fmt.Println("tracing")
	}
	retries, _ := strconv.Atoi(os.Getenv("RETRIES"))
	name := os.Getenv(envName)
	// os.Getenv("COMMENTED_OUT")
	url := "http://example.com/x" // os.Getenv("AFTER_URL")
	raw := `os.Getenv("IN_RAW_STRING")`
	quote := '"'
	after := os.Getenv("AFTER_RUNE")
	fmt.Println(srvPort, addr, dbHost, logLevel, retries, name, url, raw, quote, after)
}
"""


def test_env_with_override_of_a_constant_default() -> None:
    result = run(ENV)
    port = param(result, "PORT")
    assert (port.default, port.value_type, port.required) == ("8080", "int", False)
    first = line_of(ENV, "srvPort := port")
    assert lines(port) == [(line_of(ENV, 'port    = "8080"'),) * 2, (first, first + 2)]


def test_env_without_fallback_has_no_default() -> None:
    addr = param(run(ENV), "LISTEN_ADDR")
    assert (addr.default, addr.required, addr.value_type) == (None, False, "string")
    assert lines(addr) == [(line_of(ENV, '"LISTEN_ADDR"'),) * 2]


def test_env_followed_by_empty_check_assignment() -> None:
    db = param(run(ENV), "DB_HOST")
    assert db.default == "localhost"
    call = line_of(ENV, '"DB_HOST"')
    assert lines(db) == [(call, call), (call + 2, call + 2)]


def test_env_if_init_with_else_fallback() -> None:
    level = param(run(ENV), "LOG_LEVEL")
    assert level.default == "info"
    call = line_of(ENV, '"LOG_LEVEL"')
    assert lines(level) == [(call, call), (call + 3, call + 3)]


def test_env_that_must_be_set_is_required() -> None:
    result = run(ENV)
    assert param(result, "OTEL_ENDPOINT").required
    token = param(result, "API_TOKEN")
    assert token.required and token.secret and token.default is None


def test_env_types_from_use() -> None:
    result = run(ENV)
    assert param(result, "ENABLE_TRACING").value_type == "bool"
    assert param(result, "RETRIES").value_type == "int"


def test_env_name_from_a_constant() -> None:
    name = param(run(ENV), "SERVICE_NAME")
    assert lines(name) == [
        (line_of(ENV, 'envName = "SERVICE_NAME"'),) * 2,
        (line_of(ENV, "os.Getenv(envName)"),) * 2,
    ]


def test_env_in_comments_and_strings_is_not_read() -> None:
    ids = facts(run(ENV))
    for name in ("COMMENTED_OUT", "AFTER_URL", "IN_RAW_STRING"):
        assert f"config_parameter:-:{name}" not in ids
    assert lines(param(run(ENV), "AFTER_RUNE")) == [(line_of(ENV, '"AFTER_RUNE"'),) * 2]


HELPERS = """
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

type server struct{ cartAddr string }

func main() {
	svc := new(server)
	mustMapEnv(&svc.cartAddr, "CART_SERVICE_ADDR")
	port := getEnv("PORT", "8080")
	workers := getEnvAsInt("WORKERS", 4)
	grace := envDuration("GRACE", 5*time.Second)
	region := config.EnvOrDefault("AWS_REGION", "us-east-1")
	fmt.Println(port, workers, grace, region)
}

func mustMapEnv(target *string, envKey string) {
	v := os.Getenv(envKey)
	if v == "" {
		panic(fmt.Sprintf("environment variable %q not set", envKey))
	}
	*target = v
}

func getEnv(key, fallback string) string {
	if value, ok := os.LookupEnv(key); ok {
		return value
	}
	return fallback
}

func getEnvAsInt(name string, defaultVal int) int {
	if v, err := strconv.Atoi(getEnv(name, "")); err == nil {
		return v
	}
	return defaultVal
}

func envDuration(key string, def time.Duration) time.Duration {
	d, err := time.ParseDuration(os.Getenv(key))
	if err != nil {
		return def
	}
	return d
}
"""


def test_env_helpers_with_literal_key_and_fallback() -> None:
    result = run(HELPERS)
    cart = param(result, "CART_SERVICE_ADDR")
    assert cart.required and cart.default is None
    assert lines(cart) == [(line_of(HELPERS, '"CART_SERVICE_ADDR"'),) * 2]
    port = param(result, "PORT")
    assert (port.default, port.value_type, port.required) == ("8080", "int", False)
    workers = param(result, "WORKERS")
    assert (workers.default, workers.value_type) == ("4", "int")
    grace = param(result, "GRACE")
    assert (grace.default, grace.value_type) == ("5*time.Second", "duration")
    region = param(result, "AWS_REGION")
    assert region.default == "us-east-1"
    ids = facts(result)
    assert not any(i.endswith((":key", ":envKey", ":name")) for i in ids)


def test_struct_tags() -> None:
    text = """
    package config

    import "time"

    type Config struct {
        Port     int           `env:"PORT" envDefault:"8080"`
        DBURL    string        `env:"DATABASE_URL,required"`
        Timeout  time.Duration `envconfig:"TIMEOUT" default:"5s"`
        Password string        `env:"DB_PASSWORD" envDefault:"hunter2"`
        Name     string        `json:"name"`
    }
    """
    result = run(text)
    port = param(result, "PORT")
    assert (port.value_type, port.default, lines(port)) == ("int", "8080", [(6, 6)])
    assert param(result, "DATABASE_URL").required
    timeout = param(result, "TIMEOUT")
    assert (timeout.value_type, timeout.default) == ("duration", "5s")
    password = param(result, "DB_PASSWORD")
    assert password.secret and password.default is None
    assert "hunter2" not in password.summary
    assert len(result.facts) == 4


# --- health and ports ------------------------------------------------------------------

ROUTES = """
package main

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
	"github.com/labstack/echo/v4"
)

const healthPath = "/health"

func main() {
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	sm := http.NewServeMux()
	sm.Handle(healthPath, healthHandler)
	sm.HandleFunc("GET /livez", live)
	g := gin.Default()
	g.GET("/ping", pong)
	api := g.Group("/api/v1")
	api.GET("/ready", ready)
	api.GET("/users", users)
	e := echo.New()
	e.GET("/readiness", ready)
	r := chi.NewRouter()
	r.Get("/metrics", metrics)
	m := mux.NewRouter()
	m.HandleFunc("/_healthz", ok).Methods("GET")
	app.Get("/liveness", live)
	// http.HandleFunc("/commented/healthz", nil)
	http.ListenAndServe(":8080", nil)
}
"""


def test_health_routes_across_frameworks() -> None:
    result = run(ROUTES)
    health = {f.target: f for f in result.facts if isinstance(f, HealthCheck)}
    assert set(health) == {
        "/healthz",
        "/health",
        "/livez",
        "/ping",
        "/api/v1/ready",
        "/readiness",
        "/_healthz",
        "/liveness",
    }
    hz = health["/healthz"]
    assert (hz.check_type, hz.mechanism, hz.port) == ("http", "code-endpoint", None)
    assert hz.id == "health_check:-:code-endpoint:/healthz"
    assert lines(hz) == [(line_of(ROUTES, '"/healthz"'),) * 2]
    assert lines(health["/health"]) == [(line_of(ROUTES, "sm.Handle(healthPath"),) * 2]
    assert lines(health["/_healthz"]) == [(line_of(ROUTES, '"/_healthz"'),) * 2]


PREFIXED = """
package main

import (
    "net/http"
    "path"
)

func serve(routePrefix string) {
    http.HandleFunc(path.Join(routePrefix, "/-/healthy"), healthy)
    http.HandleFunc(routePrefix+"/readyz", ready)
    http.HandleFunc(path.Join(routePrefix, "/metrics"), metrics)
    http.HandleFunc(path.Join(routePrefix, "/targets/{name}/health"), target)
    http.HandleFunc(strings.TrimSuffix(routePrefix, "/healthz"), other)
}
"""


def test_health_routes_under_a_route_prefix() -> None:
    result = run(PREFIXED)
    health = {f.target: f for f in result.facts if isinstance(f, HealthCheck)}
    assert set(health) == {"/-/healthy", "/readyz"}  # not /metrics, not a path parameter
    assert lines(health["/-/healthy"]) == [(line_of(PREFIXED, '"/-/healthy"'),) * 2]


def test_literal_listen_port() -> None:
    result = run(ROUTES)
    ports = [f for f in result.facts if isinstance(f, ResourceRequirement)]
    assert [(p.id, p.resource, p.value) for p in ports] == [
        ("resource_requirement:-:port:8080", "port", "8080")
    ]
    assert lines(ports[0]) == [(line_of(ROUTES, "ListenAndServe"),) * 2]


def test_non_literal_listen_address_is_not_a_port() -> None:
    text = """
    package main

    func main() {
        http.ListenAndServe(":"+port, nil)
        lis, _ := net.Listen("tcp", fmt.Sprintf(":%d", *grpcPort))
        srv := &http.Server{Addr: "0.0.0.0:9090"}
        g.Run("localhost:8000")
    }
    """
    result = run(text)
    assert sorted(f.id for f in result.facts) == [
        "resource_requirement:-:port:8000",
        "resource_requirement:-:port:9090",
    ]


def test_grpc_health_registration_once_per_file() -> None:
    text = """
    package main

    import (
        "google.golang.org/grpc"
        "google.golang.org/grpc/health"
        healthpb "google.golang.org/grpc/health/grpc_health_v1"
    )

    func main() {
        srv := grpc.NewServer()
        hs := health.NewServer()
        healthpb.RegisterHealthServer(srv,
            hs)
        grpc_health_v1.RegisterHealthServer(other, hs)
    }
    """
    result = run(text)
    assert len(result.facts) == 1
    fact = result.facts[0]
    assert isinstance(fact, HealthCheck)
    assert fact.id == "health_check:-:code-endpoint:grpc.health.v1.Health"
    assert (fact.check_type, fact.target) == ("grpc", "grpc.health.v1.Health")
    assert lines(fact) == [(12, 13)]


def test_health_new_server_needs_the_grpc_health_import() -> None:
    text = """
    package main

    import "example.com/health"

    var s = health.NewServer()
    """
    assert run(text).facts == []


# --- robustness ------------------------------------------------------------------------


def test_generated_code_is_skipped() -> None:
    text = """
    // Code generated by protoc-gen-go. DO NOT EDIT.
    package pb

    var port = flag.Int("port", 1, "x")
    """
    assert run(text).facts == []


def test_syntax_error_is_a_warning_with_its_line() -> None:
    # tree-sitter recovers after the error, so reads past it may still be found.
    text = 'package main\n\nvar x = os.Getenv("BEFORE")\n/* never closed\nos.Getenv("X")\n'
    result = ANALYZER.analyze(SourceFile("main.go", text))
    assert "config_parameter:-:BEFORE" in [f.id for f in result.facts]
    assert [(w.line, w.source) for w in result.warnings] == [(4, "go_code")]
    assert "syntax error" in result.warnings[0].message


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\x01\x02",
        'flag.Int("port"',
        "os.Getenv(",
        'os.Getenv("A"); if',
        "func getEnv(key string",
        "`unterminated raw",
        '"unterminated\nflag.Int("x", 1, "y")',
        'if v := os.Getenv("X"); v != "" {',
        "}}}}))))]]]]",
        "((((((((((",
        "http.HandleFunc(",
        "kingpin.Flag(",
        "const (\n a =",
    ],
)
def test_malformed_input_never_raises(text: str) -> None:
    result = ANALYZER.analyze(SourceFile("main.go", text))
    assert not [w for w in result.warnings if "could not read" in w.message]


def test_random_garbage_never_raises() -> None:
    rng = random.Random(7)
    pieces = list("ab_ \n\t(){}[]\"'`/*\\,;:.=!0123") + [
        "os.Getenv(",
        "flag.Int(",
        "if ",
        " := ",
        '"/healthz"',
        "func ",
        "mustMapEnv(",
        "envconfig:",
    ]
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 300)))
        result = ANALYZER.analyze(SourceFile("main.go", text))
        assert not [w for w in result.warnings if "could not read" in w.message], text


# --- helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ("number of workers (1-64)", (1, 64)),
        ("between 1 and 10", (1, 10)),
        ("max 500", (None, 500)),
        ("minimum 2", (2, None)),
        ("at least 1, at most 8", (1, 8)),
        ("date like 2006-01-02", (None, None)),
        ("plain text", (None, None)),
        ("ratio 0.1-0.9", (0.1, 0.9)),
    ],
)
def test_documented_range(usage: str, expected: tuple[object, object]) -> None:
    assert documented_range(usage) == expected


@pytest.mark.parametrize(
    ("path", "health"),
    [
        ("/healthz", True),
        ("/_healthz", True),
        ("/api/v1/health", True),
        ("/health/ready", True),
        ("/ping", True),
        ("/readyz", True),
        ("/metrics", False),
        ("/users/ready-made", False),
        ("/", False),
    ],
)
def test_is_health_path(path: str, health: bool) -> None:
    assert is_health_path(path) is health


def test_lookalikes_are_not_facts() -> None:
    text = """
    package main

    func main() {
        env := newEnvironment("PROD")
        setupEnv("STAGING", "x")
        rdb := redis.NewClient(&redis.Options{Addr: "cache:6379"})
        resp, _ := http.Get("/healthz")
        body, _ := client.R().Get("/health")
        fmt.Println(env, rdb, resp, body)
    }
    """
    assert run(text).facts == []


def test_server_addr_field_is_a_port() -> None:
    text = """
    package main

    func main() {
        srv := &http.Server{
            Addr:    ":8443",
            Handler: mux,
        }
        srv.ListenAndServeTLS("", "")
    }
    """
    result = run(text)
    assert [(f.id, lines(f)) for f in result.facts] == [
        ("resource_requirement:-:port:8443", [(5, 5)])
    ]

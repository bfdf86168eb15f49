"""Go idioms beyond the basics: computed flag names, constant sums, viper, route parameters."""

from __future__ import annotations

import textwrap

from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.evidence.code.go_code import GoCodeAnalyzer
from ddd_llm.models import ConfigParameter, HealthCheck

ANALYZER = GoCodeAnalyzer()


def run(text: str, path: str = "cmd/server/main.go") -> AnalyzerResult:
    result = ANALYZER.analyze(SourceFile(path, textwrap.dedent(text).lstrip("\n")))
    assert not [w for w in result.warnings if "could not read" in w.message]
    return result


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def test_flag_names_from_constant_sums() -> None:
    # adapted from jaegertracing/jaeger internal/tenancy/flags.go
    text = """
    package tenancy

    import "flag"

    const (
        flagPrefix         = "multi-tenancy"
        flagTenancyEnabled = flagPrefix + ".enabled"
        flagTenancyHeader  = flagPrefix + ".header"
    )

    func AddFlags(flags *flag.FlagSet) {
        flags.Bool(flagTenancyEnabled, false, "Enable tenancy header when receiving or querying")
        flags.String(flagTenancyHeader, "x-tenant", "HTTP header carrying tenant")
    }
    """
    found = params(run(text))
    assert set(found) == {"-multi-tenancy.enabled", "-multi-tenancy.header"}
    assert found["-multi-tenancy.header"].default == "x-tenant"
    assert found["-multi-tenancy.enabled"].value_type == "bool"


def test_computed_flag_and_env_names_become_candidates() -> None:
    # adapted from coredns/coredns coremain/run.go and a registry loop
    text = """
    package main

    import (
        "flag"
        "os"
    )

    func init() {
        flag.StringVar(&port, serverType+".port", "53", "Default port")
        for _, m := range modules {
            flag.String(m.name+".addr", "", "address of "+m.name)
        }
        dsn := os.Getenv(strings.ToUpper(m.name) + "_DSN")
        flag.String("plain", "x", "a plain flag")
    }
    """
    result = run(text)
    assert set(params(result)) == {"-plain"}
    reasons = {(c.start_line, c.kind): c.reason for c in result.candidates}
    assert set(reasons) == {
        (9, "config_parameter"),
        (11, "config_parameter"),
        (13, "config_parameter"),
    }
    assert "computed" in reasons[(9, "config_parameter")]
    assert "os.Getenv" in reasons[(13, "config_parameter")]


def test_env_helper_definition_is_not_a_candidate() -> None:
    text = """
    package main

    import "os"

    func getEnv(key, fallback string) string {
        if v := os.Getenv(key); v != "" {
            return v
        }
        return fallback
    }

    var addr = getEnv("LISTEN_ADDR", ":8080")
    """
    result = run(text)
    assert result.candidates == []
    assert params(result)["LISTEN_ADDR"].default == ":8080"


def test_viper_defaults_and_bound_env() -> None:
    text = """
    package config

    import "github.com/spf13/viper"

    func Load() {
        v := viper.New()
        v.SetDefault("server.port", 8080)
        v.BindEnv("server.port", "SERVER_PORT")
        other.SetDefault("not.viper", 1)
    }
    """
    found = params(run(text))
    assert set(found) == {"server.port", "SERVER_PORT"}
    assert (found["server.port"].default, found["server.port"].value_type) == ("8080", "int")


def test_envconfig_prefix_and_caarlos_env_options() -> None:
    text = """
    package config

    type Spec struct {
        Debug bool   `envconfig:"DEBUG" default:"false"`
        Port  int    `envconfig:"PORT" required:"true"`
        Hosts []string `env:"HOSTS" envSeparator:":"`
    }

    func Load() { envconfig.Process("myapp", &s) }
    """
    found = params(run(text))
    assert set(found) == {"MYAPP_DEBUG", "MYAPP_PORT", "HOSTS"}
    assert found["MYAPP_PORT"].required and found["MYAPP_PORT"].value_type == "int"
    assert found["HOSTS"].value_type == "list"


def test_health_routes_with_parameters_or_a_prefix_variable() -> None:
    # adapted from GoogleCloudPlatform/microservices-demo src/frontend/main.go
    text = """
    package main

    var baseUrl = ""

    func main() {
        r := mux.NewRouter()
        r.HandleFunc(baseUrl+"/_healthz", func(w http.ResponseWriter, _ *http.Request) {
            fmt.Fprint(w, "ok")
        })
        r.HandleFunc("/ping/{id}", pong)
        g.GET("/health/:component", check)
        r.HandleFunc(baseUrl+"/product/{id}", svc.productHandler).Methods(http.MethodGet)
    }
    """
    result = run(text)
    targets = [f.target for f in result.facts if isinstance(f, HealthCheck)]
    assert targets == ["/_healthz"]


def test_flags_registered_by_a_helper_with_a_prefix() -> None:
    text = """
    package main

    import "flag"

    func registerFlags(fs *flag.FlagSet, prefix string) {
        fs.String(prefix+"addr", "localhost:5432", "address of the store")
        fs.Duration(prefix+"timeout", 0, "timeout")
    }

    func main() {
        registerFlags(flag.CommandLine, "db.")
        registerFlags(flag.CommandLine, "cache.")
        registerFlags(flag.CommandLine, os.Args[1])
    }
    """
    result = run(text)
    found = params(result)
    assert set(found) == {"-db.addr", "-db.timeout", "-cache.addr", "-cache.timeout"}
    addr = found["-db.addr"]
    assert addr.default == "localhost:5432"
    assert [(c.start_line, c.end_line) for c in addr.citations] == [(6, 6), (11, 11)]
    # the call that passes a run-time prefix is left for the model
    assert {(c.start_line, c.kind) for c in result.candidates} == {(13, "config_parameter")}

"""Unit tests for the C/C++ analyzer (snippets adapted from memcached, pgbouncer and redis)."""

from __future__ import annotations

import textwrap

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.code.c_code import CCodeAnalyzer
from ddd_llm.models import ConfigParameter, HealthCheck, ResourceRequirement

ANALYZER = CCodeAnalyzer()


def run(code: str, path: str = "src/main.c") -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(code).lstrip("\n"))
    assert ANALYZER.accepts(source)
    result = ANALYZER.analyze(source)
    assert not result.warnings, result.warnings
    return result


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def test_registered_and_skips_tests_and_vendored_code() -> None:
    assert REGISTRY["c_code"] is not None
    assert ANALYZER.accepts(SourceFile("server/net.cpp", "int x;"))
    assert not ANALYZER.accepts(SourceFile("tests/test_net.c", "int x;"))
    assert not ANALYZER.accepts(SourceFile("vendor/lib/x.c", "int x;"))
    assert not ANALYZER.accepts(SourceFile("testapp.c", "int x;"))
    assert not ANALYZER.accepts(SourceFile("main.go", "package main"))


def test_getenv_with_its_fallbacks_and_conversions() -> None:
    found = params(
        run(
            """
            #define ENV_DATA_DIR "APP_DATA_DIR"
            int main(void) {
                const char *host = getenv("APP_HOST") ?: "127.0.0.1";
                int port = atoi(getenv("APP_PORT") ? getenv("APP_PORT") : "8080");
                char *dir = getenv(ENV_DATA_DIR);
                if (!dir) dir = "/var/lib/app";
                char *key = secure_getenv("APP_API_KEY");
                if (key == NULL) {
                    fprintf(stderr, "APP_API_KEY is required\\n");
                    exit(1);
                }
                const char *home = getenv("HOME");
                const char *name = getenv(argv[1]);
                return 0;
            }
            """
        )
    )
    assert found["APP_HOST"].default == "127.0.0.1"
    assert found["APP_PORT"].default == "8080"
    assert found["APP_PORT"].value_type == "int"
    assert found["APP_DATA_DIR"].default == "/var/lib/app"  # through the #define
    assert found["APP_API_KEY"].required
    assert found["APP_API_KEY"].secret
    assert found["APP_API_KEY"].default is None
    assert "HOME" not in found  # set by the platform, not the operator


def test_computed_env_name_is_a_candidate() -> None:
    result = run("void f(char **argv) { char *v = getenv(argv[1]); }")
    assert params(result) == {}
    assert [c.reason for c in result.candidates] == ["environment read with a computed name"]


# memcached memcached.c: getopt_long table, the option switch, settings_init defaults.
MEMCACHED = """
static void settings_init(void) {
    settings.port = 11211;
    settings.maxbytes = 64 * 1024 * 1024; /* default is 64MB */
    settings.maxconns = 1024;         /* to limit connections-related memory to about 5MB */
    settings.factor = 1.25;
    settings.inter = NULL;
}

int main (int argc, char **argv) {
    int c;
    settings_init();
    char *shortopts =
          "p:"  /* TCP port number to listen on */
          "m:"  /* max memory to use for items in megabytes */
          "c:"  /* max simultaneous connections */
          "f:"  /* factor? */
          "l:"  /* interface to listen on */
          "d"   /* daemon mode */
          "R:"  /* max requests per event */
          ;
    const struct option longopts[] = {
        {"port", required_argument, 0, 'p'},
        {"memory-limit", required_argument, 0, 'm'},
        {"conn-limit", required_argument, 0, 'c'},
        {"slab-growth-factor", required_argument, 0, 'f'},
        {"listen", required_argument, 0, 'l'},
        {"daemon", no_argument, 0, 'd'},
        {0, 0, 0, 0}
    };
    int optindex;
    while (-1 != (c = getopt_long(argc, argv, shortopts,
                    longopts, &optindex))) {
        switch (c) {
        case 'p':
            settings.port = atoi(optarg);
            break;
        case 'm':
            settings.maxbytes = ((size_t)atoi(optarg)) * 1024 * 1024;
            break;
        case 'c':
            settings.maxconns = atoi(optarg);
            break;
        case 'f':
            settings.factor = atof(optarg);
            break;
        case 'l':
            settings.inter = strdup(optarg);
            break;
        case 'd':
            do_daemonize = true;
            break;
        case 'R':
            settings.reqs_per_event = atoi(optarg);
            break;
        }
    }
}
"""


def test_getopt_long_options_with_defaults_from_the_init_function() -> None:
    result = run(MEMCACHED, "memcached.c")
    found = params(result)
    assert found["--port"].default == "11211"
    assert found["--port"].value_type == "int"
    assert found["--conn-limit"].default == "1024"
    assert found["--memory-limit"].default == "64"  # megabytes: the flag's own unit
    assert found["--slab-growth-factor"].default == "1.25"
    assert found["--slab-growth-factor"].value_type == "float"
    assert found["--listen"].default is None  # NULL
    assert found["--daemon"].value_type == "bool"
    assert found["--daemon"].default is None
    # -R has no long name: read from the optstring and its case
    assert found["-R"].value_type == "int"
    # the long table is not reported again as a generic option table
    assert "port" not in found
    assert not result.candidates


def test_getopt_optstring_without_cases_is_a_candidate() -> None:
    result = run(
        """
        int main(int argc, char **argv) {
            int c;
            while ((c = getopt(argc, argv, "vx:")) != -1) {
                handle(c, optarg);
            }
        }
        """
    )
    assert params(result) == {}
    assert [c.reason for c in result.candidates] == ["getopt short options -v -x"]


def test_cpp_std_getenv_health_route_and_port() -> None:
    result = run(
        """
        int main() {
            const char* level = std::getenv("LOG_LEVEL");
            httplib::Server svr;
            svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
                res.set_content("ok", "text/plain");
            });
            svr.Get("/api/items", list_items);
            FILE *f = fopen("/health/status.txt", "r");
            addr.sin_port = htons(9090);
            return 0;
        }
        """,
        "src/server.cpp",
    )
    assert "LOG_LEVEL" in params(result)
    health = [f for f in result.facts if isinstance(f, HealthCheck)]
    assert [h.target for h in health] == ["/healthz"]
    ports = [f for f in result.facts if isinstance(f, ResourceRequirement)]
    assert [p.value for p in ports] == ["9090"]


def test_option_table_rows_become_config_keys() -> None:
    # pgbouncer src/main.c (abridged)
    result = run(
        """
        static const struct CfKey bouncer_params [] = {
            CF_ABS("listen_port", CF_INT, cf_listen_port, CF_NO_RELOAD, "6432"),
            CF_ABS("max_client_conn", CF_INT, cf_max_client_conn, 0, "100"),
            CF_ABS("auth_user", CF_STR, cf_auth_user, 0, NULL),
            CF_ABS("server_tls_key_file", CF_STR, cf_server_tls_key_file, 0, ""),
            {NULL}
        };
        """
    )
    found = params(result)
    assert found["listen_port"].default == "6432"
    assert found["listen_port"].summary == "config key listen_port (int, default 6432)"
    assert found["listen_port"].citations[0].start_line == 2
    assert found["auth_user"].default is None


def test_broken_source_still_gives_facts_and_no_exception() -> None:
    result = ANALYZER.analyze(
        SourceFile("src/x.c", 'int main( { char *p = getenv("PORT") ?: "80"; @@@ }}}')
    )
    assert "PORT" in params(result)


def test_gflags_definitions_and_abseil_candidates() -> None:
    result = run(
        """
        DEFINE_int32(port, 8080, "Port to listen on (1-65535)");
        DEFINE_string(host, "0.0.0.0", "Interface to bind");
        DEFINE_bool(daemon, false, "Run in the background");
        ABSL_FLAG(int, workers, 4, "Number of workers");
        int main() { return 0; }
        """,
        "src/server.cc",
    )
    found = params(result)
    assert found["--port"].default == "8080"
    assert (found["--port"].min, found["--port"].max) == (1, 65535)
    assert found["--port"].range_source == "documented"
    assert found["--host"].default == "0.0.0.0"
    assert found["--daemon"].value_type == "bool"
    assert [c.start_line for c in result.candidates] == [4]

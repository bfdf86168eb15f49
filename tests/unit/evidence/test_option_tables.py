"""Option tables recognised by shape: C initializer lists, row macros, sibling calls, Rust
arrays and macros. Snippets are adapted from real projects (origin noted at each)."""

from __future__ import annotations

import textwrap

from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._option_tables import (
    C_SYNTAX,
    RUST_SYNTAX,
    OptionTable,
    TableOption,
    find_option_tables,
    number_of,
)


def tables(code: str, language: str = "c", **kwargs: object) -> list[OptionTable]:
    tree = _ts.parse(language, textwrap.dedent(code))
    syntax = C_SYNTAX if language in ("c", "cpp") else RUST_SYNTAX
    return find_option_tables(tree.root_node, syntax, **kwargs)  # type: ignore[arg-type]


def options(code: str, language: str = "c", **kwargs: object) -> dict[str, TableOption]:
    found: dict[str, TableOption] = {}
    for table in tables(code, language, **kwargs):
        if table.confident:
            found.update({o.name: o for o in table.options})
    return found


# pgbouncer src/main.c: CF_ABS(name, type, variable, flags, default) rows, a lookup map, #ifdef.
PGBOUNCER = """
const struct CfLookup pool_mode_map[] = {
    { "session", POOL_SESSION },
    { "transaction", POOL_TX },
    { "statement", POOL_STMT },
    { NULL }
};

static const struct CfKey bouncer_params [] = {
    CF_ABS("admin_users", CF_STR, cf_admin_users, 0, ""),
    CF_ABS("auth_file", CF_STR, cf_auth_file, 0, NULL),
    CF_ABS("autodb_idle_timeout", CF_TIME_USEC, cf_autodb_idle_timeout, 0, "3600"),
    CF_ABS("listen_port", CF_INT, cf_listen_port, CF_NO_RELOAD, "6432"),
    CF_ABS("max_client_conn", CF_INT, cf_max_client_conn, 0, "100"),
    CF_ABS("pool_mode", CF_LOOKUP(pool_mode_map), cf_pool_mode, 0, "session"),
#ifndef WIN32
    CF_ABS("unix_socket_mode", CF_INT, cf_unix_socket_mode, CF_NO_RELOAD, "0777"),
#endif
    CF_ABS("scram_iterations", CF_INT, cf_scram_iterations, 0, SCRAM_DEFAULT_ITERATIONS),
    {NULL}
};
"""


def test_pgbouncer_table_gives_names_defaults_types_and_choices() -> None:
    found = options(PGBOUNCER, constants={"SCRAM_DEFAULT_ITERATIONS": '"4096"'})
    assert set(found) == {
        "admin_users",
        "auth_file",
        "autodb_idle_timeout",
        "listen_port",
        "max_client_conn",
        "pool_mode",
        "unix_socket_mode",
        "scram_iterations",
    }
    assert found["listen_port"].default == "6432"
    assert found["listen_port"].value_type == "int"
    assert found["autodb_idle_timeout"].value_type == "duration"
    assert found["admin_users"].default == ""
    assert found["auth_file"].default is None  # NULL: no default
    assert found["unix_socket_mode"].default == "0777"  # a row inside #ifndef
    assert found["scram_iterations"].default == "4096"  # through the #define
    assert found["pool_mode"].value_type == "enum"
    assert found["pool_mode"].allowed == ["session", "transaction", "statement"]
    # the flags column (0 / CF_NO_RELOAD) is no default, and the lookup map is no table
    assert "session" not in found


# redis src/config.c: rows of several macros, bounds and default at stable positions.
REDIS = """
#define createIntConfig(name, alias, flags, lower, upper, config_addr, default, num_conf_flags, is_valid, apply) { x }
configEnum loglevel_enum[] = {
    {"debug", LL_DEBUG},
    {"verbose", LL_VERBOSE},
    {"notice", LL_NOTICE},
    {"warning", LL_WARNING},
    {NULL,0}
};
standardConfig static_configs[] = {
    createBoolConfig("daemonize", NULL, IMMUTABLE_CONFIG, server.daemonize, 0, NULL, NULL),
    createBoolConfig("protected-mode", NULL, MODIFIABLE_CONFIG, server.protected_mode, 1, NULL, NULL),
    createBoolConfig("replica-read-only", "slave-read-only", DEBUG_CONFIG | MODIFIABLE_CONFIG, server.repl_slave_ro, 1, NULL, NULL),
    createStringConfig("dbfilename", NULL, MODIFIABLE_CONFIG | PROTECTED_CONFIG, ALLOW_EMPTY_STRING, server.rdb_filename, "dump.rdb", isValidDBfilename, NULL),
    createStringConfig("syslog-ident", NULL, IMMUTABLE_CONFIG, ALLOW_EMPTY_STRING, server.syslog_ident, "redis", NULL, NULL),
    createStringConfig("unixsocket", NULL, IMMUTABLE_CONFIG, EMPTY_STRING_IS_NULL, server.unixsocket, NULL, NULL, NULL),
    createEnumConfig("loglevel", NULL, MODIFIABLE_CONFIG, loglevel_enum, server.verbosity, LL_NOTICE, NULL, NULL),
    createIntConfig("databases", NULL, IMMUTABLE_CONFIG, 1, INT_MAX, server.dbnum, 16, INTEGER_CONFIG, NULL, NULL),
    createIntConfig("port", NULL, MODIFIABLE_CONFIG, 0, 65535, server.port, 6379, INTEGER_CONFIG, NULL, updatePort),
    createIntConfig("maxclients", NULL, MODIFIABLE_CONFIG, 1, LONG_MAX, server.maxclients, 10000, INTEGER_CONFIG, NULL, updateMaxclients),
    createIntConfig("hz", NULL, MODIFIABLE_CONFIG, 0, INT_MAX, server.config_hz, CONFIG_DEFAULT_HZ, INTEGER_CONFIG, NULL, updateHZ),
};
"""  # noqa: E501 - rows as redis writes them


def test_redis_table_reads_each_macro_shape_with_bounds() -> None:
    found = options(REDIS)
    assert found["port"].default == "6379"
    assert (found["port"].low, found["port"].high) == (0, 65535)
    assert found["port"].range_source == "declared"
    assert found["databases"].default == "16"
    assert found["databases"].low == 1
    assert found["databases"].high is None  # INT_MAX means "no limit"
    assert found["daemonize"].default == "0"
    assert found["protected-mode"].default == "1"
    assert found["protected-mode"].value_type == "bool"
    assert found["dbfilename"].default == "dump.rdb"
    assert found["unixsocket"].default is None
    # the alias column ("slave-read-only") is not taken for a default
    assert found["replica-read-only"].default == "1"
    assert "slave-read-only" not in found
    assert found["loglevel"].default == "notice"
    assert found["loglevel"].allowed == ["debug", "verbose", "notice", "warning"]
    assert found["hz"].default is None  # a constant of another file
    assert "debug" not in found


def test_redis_bounds_come_from_statistics_without_the_define_too() -> None:
    code = REDIS.split("\n", 2)[2]  # drop the #define line
    found = options(code)
    assert (found["port"].low, found["port"].high, found["port"].default) == (0, 65535, "6379")
    assert found["maxclients"].default == "10000"


# nginx src/event/ngx_event.c: a ngx_command_t table; defaults live elsewhere.
NGINX = """
static ngx_command_t  ngx_event_core_commands[] = {
    { ngx_string("worker_connections"),
      NGX_EVENT_CONF|NGX_CONF_TAKE1,
      ngx_event_connections,
      0,
      0,
      NULL },
    { ngx_string("use"),
      NGX_EVENT_CONF|NGX_CONF_TAKE1,
      ngx_event_use,
      0,
      0,
      NULL },
    { ngx_string("multi_accept"),
      NGX_EVENT_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      0,
      offsetof(ngx_event_conf_t, multi_accept),
      NULL },
    { ngx_string("accept_mutex_delay"),
      NGX_EVENT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      0,
      offsetof(ngx_event_conf_t, accept_mutex_delay),
      NULL },
      ngx_null_command
};
"""


def test_nginx_directives_are_names_without_invented_defaults() -> None:
    found = options(NGINX)
    assert set(found) == {"worker_connections", "use", "multi_accept", "accept_mutex_delay"}
    assert all(o.default is None for o in found.values())


def test_tables_that_are_data_not_settings_give_no_options() -> None:
    code = """
    static const char *months[][2] = {
        { "January", "Jan" }, { "February", "Feb" }, { "March", "Mar" }, { "April", "Apr" },
    };
    static struct errmsg errors[] = {
        { "ENOENT", 2, "No such file or directory" },
        { "EACCES", 13, "Permission denied" },
        { "EEXIST", 17, "File exists" },
    };
    """
    assert options(code) == {}


def test_runs_of_output_calls_are_no_table_but_config_registrations_are() -> None:
    code = """
    void welcome(PktBuf *msg) {
        pktbuf_write_ParameterStatus(msg, "server_version", "1.0");
        pktbuf_write_ParameterStatus(msg, "client_encoding", "UTF8");
        pktbuf_write_ParameterStatus(msg, "DateStyle", "ISO");
        pktbuf_write_ParameterStatus(msg, "TimeZone", "GMT");
    }
    void register_options(void) {
        conf_register_int("max_conns", &max_conns, 1024);
        conf_register_int("io_threads", &io_threads, 4);
        conf_register_int("backlog", &backlog, 511);
    }
    """
    found = options(code)
    assert set(found) == {"max_conns", "io_threads", "backlog"}
    assert found["io_threads"].default == "4"


def test_designated_initializers_name_their_columns() -> None:
    code = """
    static const struct option_def options[] = {
        { .name = "listen_port", .help = "TCP port", .def = "8080", .min = 1, .max = 65535 },
        { .name = "workers", .help = "Number of workers", .def = "4", .min = 1, .max = 64 },
        { .name = "log_level", .help = "Log verbosity", .def = "info" },
    };
    """
    found = options(code)
    assert found["listen_port"].default == "8080"
    assert (found["listen_port"].low, found["listen_port"].high) == (1, 65535)
    assert found["workers"].help == "Number of workers"
    assert found["log_level"].default == "info"


def test_rust_array_of_tuples_and_macro_table() -> None:
    code = """
    const CONFIG_OPTIONS: &[(&str, &str, &str)] = &[
        ("listen_addr", "0.0.0.0:8080", "address to bind"),
        ("max_connections", "512", "connection limit"),
        ("log_format", "text", "text or json"),
    ];
    config_options! {
        ("cache_size", u64, 1024),
        ("cache_ttl", u64, 60),
        ("cache_shards", u32, 16),
    }
    """
    found = options(code, "rust")
    assert found["listen_addr"].default == "0.0.0.0:8080"
    assert found["max_connections"].default == "512"
    assert found["cache_ttl"].default == "60"


def test_rows_without_a_literal_name_are_reported_undecoded() -> None:
    code = """
    static struct config_entry config_table[] = {
        CONFIG_ENTRY("bind_address", "0.0.0.0", 1),
        CONFIG_ENTRY("bind_port", "6000", 2),
        CONFIG_ENTRY("worker_count", "8", 3),
        CONFIG_ENTRY(OPTION_NAME_TIMEOUT, "30", 4),
    };
    """
    [table] = tables(code)
    assert table.confident
    assert [o.name for o in table.options] == ["bind_address", "bind_port", "worker_count"]
    assert [line for line, _end, _why in table.undecoded] == [6]


def test_number_of_reads_each_languages_literals() -> None:
    assert number_of("1024UL") == 1024
    assert number_of("0x10") == 16
    assert number_of("0777") == 511
    assert number_of("8_080u16") == 8080
    assert number_of("1.5f") == 1.5
    assert number_of("-1") == -1
    assert number_of("abc") is None


# PostgreSQL src/backend/utils/misc/guc_tables.c (PG 16): the name sits in a nested group,
# the default comes before its bounds, and the flags element is optional.
POSTGRES = """
struct config_int ConfigureNamesInt[] =
{
    {
        {"archive_timeout", PGC_SIGHUP, WAL_ARCHIVING,
            gettext_noop("Sets the amount of time to wait before forcing a switch to the next WAL file."),
            NULL,
            GUC_UNIT_S
        },
        &XLogArchiveTimeout,
        0, 0, INT_MAX / 2,
        NULL, NULL, NULL
    },
    {
        {"default_statistics_target", PGC_USERSET, QUERY_TUNING_OTHER,
            gettext_noop("Sets the default statistics target."),
            gettext_noop("This applies to table columns that have not had a column-specific target.")
        },
        &default_statistics_target,
        100, 1, MAX_STATISTICS_TARGET,
        NULL, NULL, NULL
    },
    {
        {"port", PGC_POSTMASTER, CONN_AUTH_SETTINGS,
            gettext_noop("Sets the TCP port the server listens on."),
            NULL
        },
        &PostPortNumber,
        DEF_PGPORT, 1, 65535,
        NULL, NULL, NULL
    },
    {
        {"max_connections", PGC_POSTMASTER, CONN_AUTH_SETTINGS,
            gettext_noop("Sets the maximum number of concurrent connections."),
            NULL
        },
        &MaxConnections,
        100, 1, MAX_BACKENDS,
        check_max_connections, NULL, NULL
    },
    {
        {"superuser_reserved_connections", PGC_POSTMASTER, CONN_AUTH_SETTINGS,
            gettext_noop("Sets the number of connection slots reserved for superusers."),
            NULL
        },
        &SuperuserReservedConnections,
        3, 0, MAX_BACKENDS,
        NULL, NULL, NULL
    },
    /* End-of-list marker */
    {
        {NULL, 0, 0, NULL, NULL}, NULL, 0, 0, 0, NULL, NULL, NULL
    }
};
"""  # noqa: E501 - rows as PostgreSQL writes them


def test_postgres_guc_rows_with_a_nested_name_group() -> None:
    found = options(POSTGRES, constants={"DEF_PGPORT": "5432"})
    assert set(found) == {
        "archive_timeout",
        "default_statistics_target",
        "port",
        "max_connections",
        "superuser_reserved_connections",
    }
    assert found["max_connections"].default == "100"
    assert found["max_connections"].low == 1
    assert found["max_connections"].value_type == "int"  # ConfigureNamesInt
    assert found["port"].default == "DEF_PGPORT" or found["port"].default is None
    assert (found["port"].low, found["port"].high) == (1, 65535)
    assert found["superuser_reserved_connections"].default == "3"
    assert found["max_connections"].help == "Sets the maximum number of concurrent connections."


def test_nginx_enum_maps_and_variable_tables_are_not_directives() -> None:
    # nginx src/http/modules/ngx_http_autoindex_module.c and ngx_http_upstream.c
    code = """
    static ngx_conf_enum_t  ngx_http_autoindex_format[] = {
        { ngx_string("html"), NGX_HTTP_AUTOINDEX_HTML },
        { ngx_string("json"), NGX_HTTP_AUTOINDEX_JSON },
        { ngx_string("jsonp"), NGX_HTTP_AUTOINDEX_JSONP },
        { ngx_string("xml"), NGX_HTTP_AUTOINDEX_XML },
        { ngx_null_string, 0 }
    };
    static ngx_http_variable_t  ngx_http_upstream_vars[] = {
        { ngx_string("upstream_addr"), NULL,
          ngx_http_upstream_addr_variable, 0,
          NGX_HTTP_VAR_NOCACHEABLE, 0 },
        { ngx_string("upstream_status"), NULL,
          ngx_http_upstream_status_variable, 0,
          NGX_HTTP_VAR_NOCACHEABLE, 0 },
        { ngx_string("upstream_connect_time"), NULL,
          ngx_http_upstream_response_time_variable, 2,
          NGX_HTTP_VAR_NOCACHEABLE, 0 },
          ngx_http_null_variable
    };
    """
    found = tables(code)
    assert all(not t.confident for t in found)
    assert set(options(code + NGINX)) == set(options(NGINX))
